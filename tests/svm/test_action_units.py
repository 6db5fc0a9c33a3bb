"""AU SVMs: planted AUs, real codes vs rule labels."""

import numpy as np
import pytest

from pipeline.core.errors import PipelineError
from pipeline.svm.action_units import au_matrix, run_au, skew_normalised_f1
from pipeline.svm.protocols import Fold

from .conftest import kfold


def test_au_auc_is_about_one_on_planted_aus(planted, small_cfg):
    X, y, g = planted(n_classes=2)
    Y = np.stack([y, 1 - y, (X[:, 5] > 0).astype(int)], 1)  # two planted AUs and one noise AU
    X[:, 6] += 4 * Y[:, 2]
    cfg = small_cfg()
    m = run_au(X, Y, g, X, Y, [1, 2, 4], kfold(y, g, cfg), cfg, seed=0)
    for au in ("AU1", "AU2", "AU4"):
        assert m["per_au"][au]["roc_auc"] >= 0.98 and m["per_au"][au]["pr_auc"] >= 0.95
        assert m["per_au"][au]["f1_norm"] >= 0.9
    assert m["average_f1_norm"] is not None and m["n"] == len(y)


def test_leave_one_subject_out_and_large_training_sets(planted, small_cfg):
    X, y, g = planted(n_classes=2)
    Y = np.stack([y, 1 - y], 1)
    loso = [Fold(np.flatnonzero(g != s), np.flatnonzero(g == s)) for s in np.unique(g)]
    cfg = small_cfg()
    assert run_au(X, Y, g, X, Y, [1, 2], loso, cfg, seed=0)["folds"] == len(np.unique(g))
    big = small_cfg(large={"max_train": 10, "method": "linear", "components": 30, "max_iter": 20})
    m = run_au(X, Y, g, X, Y, [1, 2], kfold(y, g, big), big, seed=0)  # SGD linear SVM per AU
    assert m["average_auc"] >= 0.98


def test_skew_normalised_f1_is_f1_of_the_balanced_case():
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])          # skew s = 8 / 2 = 4
    pred = np.array([1, 0, 1, 1, 0, 0, 0, 0, 0, 0])       # TP 1, FN 1, FP 2
    assert skew_normalised_f1(y, pred) == pytest.approx(2 / (2 + 1 + 2 / 4))
    balanced = np.array([1, 1, 0, 0])
    assert skew_normalised_f1(balanced, np.array([1, 0, 1, 0])) == pytest.approx(0.5)  # = plain F1 at s = 1
    assert skew_normalised_f1(np.zeros(4), np.ones(4)) is None


def test_au_grid_search_over_a_list_of_C(planted, small_cfg):
    X, y, g = planted(n_classes=2)
    Y = np.stack([y, 1 - y], 1)
    cfg = small_cfg(au={"codes": [1, 2], "C": [0.01, 1.0], "class_weight": "balanced"})
    assert run_au(X, Y, g, X, Y, [1, 2], kfold(y, g, cfg), cfg, seed=0)["average_auc"] >= 0.98


def test_au_labels_real_rules_and_auto(demo_dataset):
    codes = [1, 12]
    real, rows, kind = au_matrix(demo_dataset, codes, "auto")
    assert kind == "real" and real.shape == (len(demo_dataset), 2)
    assert len(rows) == demo_dataset.au_known.sum()
    rules, rows, kind = au_matrix(demo_dataset, codes, "rules")
    assert kind == "rules" and len(rows) == len(demo_dataset)
    bare = demo_dataset.subset(np.arange(len(demo_dataset)))
    bare.au_known[:] = False
    assert au_matrix(bare, codes, "auto")[2] == "rules"
    with pytest.raises(PipelineError, match="no real AU codes"):
        au_matrix(bare, codes, "real")
