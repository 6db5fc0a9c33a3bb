"""AU SVMs: planted AUs, real codes vs rule labels."""

import numpy as np
import pytest

from pipeline.core.errors import PipelineError
from pipeline.svm.action_units import au_matrix, run_au


def test_au_auc_is_about_one_on_planted_aus(planted, small_cfg):
    X, y, g = planted(n_classes=2)
    Y = np.stack([y, 1 - y, (X[:, 5] > 0).astype(int)], 1)  # two planted AUs and one noise AU
    X[:, 6] += 4 * Y[:, 2]
    m = run_au(X, Y, g, y, X, Y, [1, 2, 4], True, small_cfg(), seed=0)
    for au in ("AU1", "AU2", "AU4"):
        assert m["per_au"][au]["roc_auc"] >= 0.98 and m["per_au"][au]["pr_auc"] >= 0.95


def test_au_grid_search_over_a_list_of_C(planted, small_cfg):
    X, y, g = planted(n_classes=2)
    Y = np.stack([y, 1 - y], 1)
    cfg = small_cfg(au={"codes": [1, 2], "C": [0.01, 1.0], "class_weight": "balanced"})
    assert run_au(X, Y, g, y, X, Y, [1, 2], True, cfg, seed=0)["average_auc"] >= 0.98


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
