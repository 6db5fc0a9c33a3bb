"""Subject split and (source, target, truth) triples; the dataset at working resolution."""

import numpy as np
import pytest

from pipeline.core.errors import PipelineError
from pipeline.transfer.pairs import TransferData, make_triples, split_subjects, to_unit

from .conftest import fake_landmarks


def test_subject_split_is_disjoint_and_triples_respect_it(demo_dataset):
    d = demo_dataset
    split = split_subjects(d.subject, 0.25, seed=0)
    assert set(split) == set(d.subject) and set(split.values()) == {"train", "test"}
    assert split == split_subjects(d.subject, 0.25, seed=0)
    rows = {s: np.flatnonzero([split[x] == s for x in d.subject]) for s in ("train", "test")}
    train_subjects = set(d.subject[rows["train"]])
    for name, n in (("train", 40), ("test", 20)):
        tri = make_triples(d.labels, d.subject, d.sequence, rows[name], n, seed=1)
        assert 0 < len(tri) <= n
        src, tgt, truth = tri.T
        assert set(tri.ravel()) <= set(rows[name].tolist())
        assert np.all(d.subject[tgt] == d.subject[truth])      # truth = target identity ...
        assert np.all(d.labels[src] == d.labels[truth])        # ... showing the source expression
        assert np.all(d.subject[src] != d.subject[truth])      # source is another person
        assert np.all(d.labels[tgt] != d.labels[truth])
        assert np.all(d.sequence[tgt] != d.sequence[truth])
        if name == "test":
            assert not set(d.subject[tri.ravel()]) & train_subjects   # test identities unseen


def test_triples_fail_clearly_without_expression_pairs():
    with pytest.raises(PipelineError, match="two sequences"):
        make_triples(np.zeros(4, int), np.array(["a", "a", "b", "b"]), np.array(["1", "2", "3", "4"]),
                     np.arange(4), 4, seed=0)


def test_to_unit_resizes_into_minus_one_one():
    x = to_unit(np.random.default_rng(0).integers(0, 255, (2, 48, 48), dtype=np.uint8), 32)
    assert x.shape == (2, 32, 32, 1) and x.dtype == np.float32 and x.min() >= -1 and x.max() <= 1


def test_transfer_data_at_working_size(tmp_path, demo_dataset):
    demo_dataset.save("data/cropped/demo.npz")
    with pytest.raises(PipelineError, match="landmarks"):
        TransferData("data/cropped", "data/landmarks", "auto", 16, 0.2, 0)  # landmarks not made yet
    fake_landmarks(demo_dataset, tmp_path / "data/landmarks")
    data = TransferData("data/cropped", "data/landmarks", "auto", 16, 0.2, 0)
    assert data.faces.shape == data.marks.shape == (len(demo_dataset), 16, 16, 1)
    assert set(data.rows) == {"train", "test"} and data.count("train") + data.count("test") == 12
    assert data.split_card() == {"dataset": "demo", "subjects": data.subject_split}
