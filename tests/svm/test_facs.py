"""Table VI emotion -> AU rules."""

import numpy as np
import pytest

from pipeline.core.errors import PipelineError
from pipeline.svm.facs import EMOTION_AUS, PAPER_AUS, rule_agreement, rule_au_labels


def test_facs_rule_mapping_sanity():
    classes = ("angry", "happy", "neutral", "surprise")
    Y = rule_au_labels(np.array([1, 2, 3, 0]), classes, PAPER_AUS)
    on = lambda row: {au for au, v in zip(PAPER_AUS, row) if v}  # noqa: E731
    assert on(Y[0]) == {6, 12, 25} and on(Y[1]) == set() and on(Y[2]) == {1, 2, 5, 25, 27}
    assert on(Y[3]) == {4, 5, 7, 17, 23, 24}
    assert all(set(aus) <= set(PAPER_AUS) for aus in EMOTION_AUS.values())
    agree = rule_agreement(Y, Y, PAPER_AUS)
    assert all(a["agreement"] == 1.0 and a["kappa"] == 1.0 for a in agree.values())
    with pytest.raises(PipelineError, match="joy"):
        rule_au_labels(np.array([0]), ("joy",))
