"""Emotion SVMs on a planted separable set, every large-set method."""

import numpy as np
import pytest

from pipeline.svm.emotion import run_emotion


@pytest.mark.parametrize("method", ["rbf", "nystroem", "pca", "subsample"])
def test_emotion_auc_per_class_is_about_one_on_a_planted_separable_set(method, planted, small_cfg):
    X, y, g = planted()
    large = {"max_train": 1000 if method == "rbf" else 40, "components": 30,
             "method": "nystroem" if method == "rbf" else method}
    m = run_emotion(X, y, g, X, y, ["angry", "happy", "sad"], True, small_cfg(large=large), seed=0)
    assert all(v >= 0.98 for v in m["roc_auc"].values()), m["roc_auc"]
    assert m["accuracy"] >= 0.9 and np.array(m["confusion"]).sum() == len(y)
    assert all(f["method"].startswith(method) for f in m["folds"])
