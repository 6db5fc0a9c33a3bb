"""Emotion SVMs on a planted separable set, every large-set method."""

import numpy as np
import pytest

from pipeline.svm.emotion import run_emotion
from pipeline.svm.protocols import Fold

from .conftest import kfold


@pytest.mark.parametrize("method", ["rbf", "nystroem", "pca", "subsample", "linear"])
def test_emotion_auc_per_class_is_about_one_on_a_planted_separable_set(method, planted, small_cfg):
    X, y, g = planted()
    large = {"max_train": 1000 if method == "rbf" else 40, "components": 30,
             "method": "nystroem" if method == "rbf" else method}
    large["max_iter"] = 20
    cfg = small_cfg(large=large)
    m = run_emotion(X, y, g, X, y, ["angry", "happy", "sad"], kfold(y, g, cfg), cfg, seed=0)
    assert all(v >= 0.98 for v in m["roc_auc"].values()), m["roc_auc"]
    assert m["accuracy"] >= 0.9 and np.array(m["confusion"]).sum() == len(y)
    assert all(f["method"].startswith(method) for f in m["folds"])


def test_split_protocol_picks_C_on_the_validation_rows_and_scores_only_the_test_rows(planted, small_cfg):
    X, y, g = planted(n_groups=15)
    fold = Fold(np.arange(60), np.arange(75, 90), np.arange(60, 75))
    cfg = small_cfg(large={"max_train": 10, "method": "linear", "components": 30, "max_iter": 20})
    m = run_emotion(X, y, g, X, y, ["angry", "happy", "sad"], [fold], cfg, seed=0)
    assert np.array(m["confusion"]).sum() == 15 and m["accuracy"] >= 0.9
    info = m["folds"][0]
    assert info["selected_on"] == "validation rows" and set(info["params"]) == {"alpha"}
