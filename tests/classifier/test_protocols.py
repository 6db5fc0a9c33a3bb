"""Leakage rules: added rows never reach val/test (except, labelled, under the thesis protocol); generated
modes refuse k-fold and test subjects their generator trained on."""

import json

import numpy as np
import pytest

from pipeline.classifier import protocols
from pipeline.classifier.config import GENERATED_MODES, MODES
from pipeline.classifier.rows import load_generated
from pipeline.core.errors import PipelineError

from .helpers import held_out_copy, keys, synthetic_rows, transferred_rows


@pytest.mark.parametrize("mode", MODES)
def test_no_added_row_in_val_or_test(mode, demo_dataset, tmp_path):
    synthetic_rows(demo_dataset).save(tmp_path / "syn.npz")
    transferred_rows(demo_dataset).save(tmp_path / "transfer.npz")
    syn = None
    if mode in GENERATED_MODES:
        syn = load_generated(tmp_path / ("syn.npz" if mode == "gan" else "transfer.npz"), demo_dataset, mode)
    real_ids = set(demo_dataset.ids)
    for evaluation in ("auto", "subject_kfold"):
        cfg = keys(evaluation=evaluation)
        if mode in GENERATED_MODES and evaluation == "subject_kfold":
            with pytest.raises(PipelineError, match="k-fold"):
                protocols.official_folds(demo_dataset, mode, syn, cfg)
            continue
        _, folds = protocols.official_folds(demo_dataset, mode, syn, cfg)
        assert len(folds) == (1 if evaluation == "auto" else 3)
        for fold in folds:
            added = set(fold.train.ids[fold.train.synthetic])
            held_out = set(fold.val.ids) | set(fold.test.ids)
            assert not added & held_out
            assert held_out <= real_ids and not fold.val.synthetic.any() and not fold.test.synthetic.any()
            assert not set(fold.train.ids) & held_out
            assert len(set(fold.train.ids)) == len(fold.train)  # fresh ids: no collisions
            if mode in ("random_oversample", "smote", "gan", "transfer"):
                assert added
            # no transferred face shows, or copies the expression of, a held-out subject
            if mode == "transfer":
                eval_subjects = set(fold.val.subject) | set(fold.test.subject)
                extra = fold.train.synthetic
                assert not (set(fold.train.subject[extra]) | set(fold.train.donor[extra])) & eval_subjects
            if evaluation == "subject_kfold":  # subject-independent
                assert not set(fold.train.subject[~fold.train.synthetic]) & set(fold.test.subject)
                assert not set(fold.val.subject) & set(fold.test.subject)
    description, (fold,) = protocols.thesis_folds(demo_dataset, mode, syn, keys())
    assert "leaks" in description
    if mode in ("random_oversample", "smote", "gan"):  # the thesis protocol is the one that leaks
        assert fold.test.synthetic.any() or fold.val.synthetic.any()


def test_holdout_evaluation_scores_held_out_subjects_only(demo_dataset, tmp_path):
    ds = held_out_copy(demo_dataset)
    transferred_rows(ds).save(tmp_path / "transfer.npz")
    rows = load_generated(tmp_path / "transfer.npz", ds, "transfer")
    assert protocols.evaluation_kind(ds, "auto") == "holdout"
    description, (fold,) = protocols.official_folds(ds, "transfer", rows, keys())
    assert "hold-out" in description
    test_subjects = set(ds.subject[ds.split == "test"])
    assert set(fold.test.subject) == test_subjects and not set(fold.val.subject) & test_subjects
    real_train = set(fold.train.subject[~fold.train.synthetic])
    assert not real_train & (test_subjects | set(fold.val.subject))
    extra = fold.train.synthetic
    assert extra.any() and not (set(fold.train.subject[extra]) | set(fold.train.donor[extra])) & (
        test_subjects | set(fold.val.subject))
    # a transfer generator that trained on a held-out subject is refused (its split.json, named by the stage)
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"subjects": {s: "train" for s in set(ds.subject)}}))
    with pytest.raises(PipelineError, match="trained on .* subjects this protocol tests on"):
        protocols.official_folds(ds, "transfer", rows, keys(), transfer_split=split)
    same = {s: "test" if s in test_subjects else "train" for s in set(ds.subject)}
    split.write_text(json.dumps({"subjects": same}))
    protocols.official_folds(ds, "transfer", rows, keys(), transfer_split=split)  # the same hold-out: fine
    with pytest.raises(PipelineError, match="missing"):
        protocols.official_folds(ds, "transfer", rows, keys(), transfer_split=tmp_path / "absent.json")
    _, folds = protocols.official_folds(ds, "none", None, keys(evaluation="subject_kfold"))
    assert len(folds) == 3


def test_holdout_without_held_out_subjects_is_a_params_error(demo_dataset):
    ds = held_out_copy(demo_dataset)
    ds.split[:] = "train"
    with pytest.raises(PipelineError, match="cnn.evaluation: holdout"):
        protocols.evaluation_kind(ds, "holdout")
    assert protocols.evaluation_kind(ds, "auto") == "subject_kfold"


def test_repeats_train_one_split_with_several_seeds(demo_dataset):
    description, runs, repeated = protocols.protocol_runs("official", demo_dataset, "none", None,
                                                          keys(repeats=3))
    assert repeated and [r.seed for r in runs] == [0, 1, 2] and "3 seeds" in description
    assert [r.name for r in runs] == ["official-seed0", "official-seed1", "official-seed2"]
    assert len({tuple(r.test.ids) for r in runs}) == 1  # the same split
    _, runs, repeated = protocols.protocol_runs("official", demo_dataset, "none", None,
                                                keys(repeats=3, evaluation="subject_kfold"))
    assert not repeated and len(runs) == 3  # k-fold: one run per fold, repeats apply to single splits only


def test_synthetic_rows_in_official_test_are_refused(demo_dataset):
    ds = demo_dataset.subset(np.ones(len(demo_dataset), bool))
    ds.synthetic = (ds.split == "test") & (np.arange(len(ds)) % 2 == 0)
    with pytest.raises(PipelineError, match="synthetic rows outside the train split"):
        protocols.protocol_runs("official", ds, "none", None, keys())


def test_subject_kfold_protocol_covers_every_subject_beside_the_holdout(demo_dataset, tmp_path):
    ds = held_out_copy(demo_dataset)
    description, runs, repeated = protocols.protocol_runs("subject_kfold", ds, "classical", None, keys())
    assert not repeated and len(runs) == 3 and "subject-independent 3-fold" in description
    tested = np.concatenate([r.test.ids for r in runs])
    assert sorted(tested) == sorted(ds.ids[~ds.synthetic])  # held-out subjects are folds' test rows too
    for r in runs:
        assert not set(r.test.subject) & (set(r.train.subject) | set(r.val.subject))
    synthetic_rows(ds).save(tmp_path / "gan.npz")
    gan = load_generated(tmp_path / "gan.npz", ds, "gan")
    description, runs, _ = protocols.protocol_runs("subject_kfold", ds, "gan", gan, keys())
    assert runs == [] and "generator saw every fold's subjects" in description
    no_subjects = demo_dataset.subset(np.ones(len(demo_dataset), bool))
    no_subjects.subject = np.full(len(no_subjects), "")
    description, runs, _ = protocols.protocol_runs("subject_kfold", no_subjects, "none", None, keys())
    assert runs == [] and "no subjects" in description
