"""Classification metrics on known predictions (moved from tests/test_classifier.py)."""

import numpy as np
import pytest

from pipeline.core.metrics import classification_metrics, mean_std


def test_metrics_on_known_predictions():
    classes = ("a", "b", "c")
    y = np.array([0, 0, 1, 1, 2, 2])
    proba = np.eye(3)[[0, 1, 1, 1, 2, 0]] * 0.8 + 0.1  # predictions 0,1,1,1,2,0
    m = classification_metrics(y, proba, classes)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["precision"] == pytest.approx({"a": 0.5, "b": 2 / 3, "c": 1.0})
    assert m["recall"] == pytest.approx({"a": 0.5, "b": 1.0, "c": 0.5})
    f1 = {"a": 0.5, "b": 0.8, "c": 2 / 3}
    assert m["f1"] == pytest.approx(f1)
    assert m["macro_f1"] == pytest.approx(np.mean(list(f1.values())))
    assert m["roc_auc"]["b"] == pytest.approx(0.875)  # b: 0.9 on both positives and on one negative (a tie)
    assert m["support"] == {"a": 2, "b": 2, "c": 2}
    agg = mean_std([{"accuracy": 0.5, "f1": {"a": 1.0}}, {"accuracy": 0.7, "f1": {"a": 0.0}}])
    assert agg["accuracy"]["mean"] == pytest.approx(0.6) and agg["f1"]["a"]["std"] == pytest.approx(0.5)
