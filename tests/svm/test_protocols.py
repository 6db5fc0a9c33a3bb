"""Protocols: kfold, leave-one-subject-out, the dataset's own split, cross-dataset."""

import numpy as np
import pytest

from pipeline.data.demo import make_demo_dataset
from pipeline.svm.protocols import ProtocolUnavailable, protocol_folds, same_dataset_protocol


def test_every_protocol_keeps_subjects_apart():
    ds = make_demo_dataset(n_subjects=6, sequences_per_subject=2, seed=1)
    rows, y, g = np.arange(len(ds)), ds.labels, ds.subject
    loso = protocol_folds("loso", ds, y, g, rows, 3, 0)
    assert len(loso) == len(np.unique(g))
    for f in loso + protocol_folds("kfold", ds, y, g, rows, 3, 0):
        assert not set(g[f.train]) & set(g[f.test])
    split = protocol_folds("split", ds, y, g, rows, 3, 0)[0]
    assert set(ds.split[split.train]) == {"train"} and set(ds.split[split.test]) == {"test"}
    assert split.val is None or set(ds.split[split.val]) == {"val"}
    cross = protocol_folds("cross", ds, y, g, rows, 3, 0)[0]
    assert cross.test is None and len(cross.train) == len(rows)


def test_split_without_test_rows_is_unavailable_and_protocols_fit_the_datasets():
    ds = make_demo_dataset(n_subjects=3, sequences_per_subject=1, seed=1)
    ds.split[:] = "train"
    with pytest.raises(ProtocolUnavailable, match="data.subject_holdout.test"):
        protocol_folds("split", ds, ds.labels, ds.subject, np.arange(len(ds)), 3, 0)
    assert same_dataset_protocol("kfold", "ckplus", "ckplus") is None
    assert "use cross" in same_dataset_protocol("loso", "ckplus", "fer2013")
    assert "needs train != test" in same_dataset_protocol("cross", "ckplus", "ckplus")
