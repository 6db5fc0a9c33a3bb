"""Action-Unit SVMs: StandardScaler + one linear-kernel SVC per AU (LibSVM, as the paper).

Labels are real FACS codes (CK+) or the emotion -> AU rules of Table VI (facs.py). AU folds are
stratified on the emotion label and grouped like the emotion folds; scores are pooled out of fold.
"""

import numpy as np

from ..core.dataset import FaceDataset
from ..core.errors import PipelineError
from .config import SvmKeys
from .facs import rule_au_labels
from .folds import group_folds
from .kernels import KernelMap


def has_real_aus(ds: FaceDataset, codes) -> bool:
    return bool(ds.au_known.any()) and all(c in set(ds.au_codes.tolist()) for c in codes)


def au_matrix(ds: FaceDataset, codes, mode: str) -> tuple[np.ndarray, np.ndarray, str]:
    """(Y (N, len(codes)) binary AU labels, rows that have them, 'real' | 'rules')."""
    has_real = has_real_aus(ds, codes)
    if mode == "auto":
        mode = "real" if has_real else "rules"
    if mode == "real":
        if not has_real:
            raise PipelineError(f"{ds.source}: no real AU codes for AUs {list(codes)} (use labels: rules)")
        cols = [int(np.flatnonzero(ds.au_codes == c)[0]) for c in codes]
        return ds.au[:, cols], np.flatnonzero(ds.au_known), "real"
    return rule_au_labels(ds.labels, ds.classes, codes), np.arange(len(ds)), "rules"


def fit_au_svm(K, y, groups, cfg: SvmKeys, seed: int):
    """Linear SVM for one AU on a precomputed linear Gram matrix K (LibSVM linear, as the paper)."""
    from sklearn.model_selection import GridSearchCV
    from sklearn.svm import SVC

    C = cfg.au.C
    grid = [float(c) for c in (C if isinstance(C, list) else [C])]
    svm = SVC(kernel="precomputed", C=grid[0], class_weight=cfg.au.class_weight)
    if len(grid) > 1:
        inner = group_folds(y, groups, cfg.inner_folds, seed)
        search = GridSearchCV(svm, {"C": grid}, cv=inner, scoring="roc_auc", error_score=0.5)
        return search.fit(K, y).best_estimator_
    return svm.fit(K, y)


def au_scores(Xtr, Ytr, gtr, strat, Xte, n_codes: int, same: bool, cfg: SvmKeys, seed: int):
    """(pooled decision scores (len(Xte), n_codes), number of folds)."""
    from sklearn.preprocessing import StandardScaler

    scores = np.zeros((len(Xte), n_codes), np.float64)
    folds = group_folds(strat, gtr, cfg.folds, seed) if same else [(np.arange(len(Ytr)), None)]
    for train_idx, test_idx in folds:
        test_idx = np.arange(len(Xte)) if test_idx is None else test_idx
        scaler = StandardScaler().fit(Xtr[train_idx])
        gram = KernelMap("linear").fit(scaler.transform(Xtr[train_idx]))
        Ktr, Kte = gram.transform(gram.X_fit_), gram.transform(scaler.transform(Xte[test_idx]))
        for j in range(n_codes):
            y = Ytr[train_idx, j]
            if y.min() == y.max():  # AU never (or always) present in this training fold
                scores[test_idx, j] = 1.0 if y[0] else -1.0
                continue
            scores[test_idx, j] = fit_au_svm(Ktr, y, gtr[train_idx], cfg, seed).decision_function(Kte)
    return scores, len(folds)


def run_au(Xtr, Ytr, gtr, strat, Xte, Yte, codes, same: bool, cfg: SvmKeys, seed: int) -> dict:
    """Per-AU ROC AUC, PR-AUC and F1 of pooled out-of-fold scores, and their means."""
    from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

    scores, n_folds = au_scores(Xtr, Ytr, gtr, strat, Xte, len(codes), same, cfg, seed)
    per_au = {}
    for j, au in enumerate(codes):
        y, s = Yte[:, j], scores[:, j]
        defined = 0 < y.sum() < len(y)
        per_au[f"AU{au}"] = {
            "roc_auc": float(roc_auc_score(y, s)) if defined else None,
            "pr_auc": float(average_precision_score(y, s)) if defined else None,
            "f1": float(f1_score(y, s > 0, zero_division=0)),
            "positives": int(y.sum()), "base_rate": float(y.mean()),
        }

    def mean(key):
        vals = [v[key] for v in per_au.values() if v[key] is not None]
        return float(np.mean(vals)) if vals else None

    return {"per_au": per_au, "average_auc": mean("roc_auc"), "average_pr_auc": mean("pr_auc"),
            "average_f1": mean("f1"), "n": int(len(Yte)), "folds": n_folds, "_scores": scores, "_y": Yte}
