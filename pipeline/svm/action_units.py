"""Action-Unit SVMs: StandardScaler + one linear-kernel SVC per AU (LibSVM, as the paper).

Labels are real FACS codes (CK+) or the emotion -> AU rules of Table VI (facs.py). AU folds
(protocols.py: kfold, loso, split, cross) are stratified on the emotion label and grouped like the
emotion folds; scores are pooled over the test rows. Training folds above `svm.large.max_train`
rows (FER-2013 at full size: no n^2 Gram matrix) use a linear SVM by SGD (C = 1 / (alpha n)).
Per AU: ROC AUC, PR-AUC, F1 and the skew-normalised F1 of Jeni, Cohn & De la Torre (2013).
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


def linear_au_scores(Xtr, Ytr, Xte, cfg: SvmKeys, seed: int) -> np.ndarray:
    """Per-AU linear SVMs by SGD (hinge, alpha = 1 / (C n), first C of svm.au.C) for large training sets."""
    import warnings

    from sklearn.linear_model import SGDClassifier
    from sklearn.preprocessing import StandardScaler

    C = cfg.au.C[0] if isinstance(cfg.au.C, list) else cfg.au.C
    scaler = StandardScaler().fit(Xtr)
    A, B = scaler.transform(Xtr), scaler.transform(Xte)
    out = np.zeros((len(Xte), Ytr.shape[1]))
    for j in range(Ytr.shape[1]):
        y = Ytr[:, j]
        if y.min() == y.max():
            out[:, j] = 1.0 if y[0] else -1.0
            continue
        svm = SGDClassifier(loss="hinge", alpha=1.0 / (C * len(A)), class_weight=cfg.au.class_weight,
                            max_iter=cfg.large.max_iter, tol=1e-4, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter
            out[:, j] = svm.fit(A, y).decision_function(B)
    return out


def au_scores(Xtr, Ytr, gtr, Xte, n_codes: int, folds, cfg: SvmKeys, seed: int):
    """(pooled decision scores (len(Xte), n_codes), rows of Xte that were tested, number of folds)."""
    from sklearn.preprocessing import StandardScaler

    scores = np.zeros((len(Xte), n_codes), np.float64)
    tested = np.zeros(len(Xte), bool)
    for fold in folds:
        train_idx = fold.train
        test_idx = np.arange(len(Xte)) if fold.test is None else fold.test
        tested[test_idx] = True
        if len(train_idx) > cfg.large.max_train:
            scores[test_idx] = linear_au_scores(Xtr[train_idx], Ytr[train_idx], Xte[test_idx], cfg, seed)
            continue
        scaler = StandardScaler().fit(Xtr[train_idx])
        gram = KernelMap("linear").fit(scaler.transform(Xtr[train_idx]))
        Ktr, Kte = gram.transform(gram.X_fit_), gram.transform(scaler.transform(Xte[test_idx]))
        for j in range(n_codes):
            y = Ytr[train_idx, j]
            if y.min() == y.max():  # AU never (or always) present in this training fold
                scores[test_idx, j] = 1.0 if y[0] else -1.0
                continue
            scores[test_idx, j] = fit_au_svm(Ktr, y, gtr[train_idx], cfg, seed).decision_function(Kte)
    return scores, tested, len(folds)


def skew_normalised_f1(y: np.ndarray, predicted: np.ndarray) -> float | None:
    """Jeni, Cohn & De la Torre (2013): F1 as if positives and negatives were balanced, the false
    positives scaled by the skew s = negatives / positives: 2TP / (2TP + FN + FP / s)."""
    y, predicted = np.asarray(y, bool), np.asarray(predicted, bool)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        return None
    tp, fp, fn = int((y & predicted).sum()), int((~y & predicted).sum()), int((y & ~predicted).sum())
    s = neg / pos
    denom = 2 * tp + fn + fp / s
    return float(2 * tp / denom) if denom else 0.0


def run_au(Xtr, Ytr, gtr, Xte, Yte, codes, folds, cfg: SvmKeys, seed: int) -> dict:
    """Per-AU ROC AUC, PR-AUC, F1 and skew-normalised F1 of pooled test-row scores, and their means."""
    from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

    scores, tested, n_folds = au_scores(Xtr, Ytr, gtr, Xte, len(codes), folds, cfg, seed)
    scores, Yte = scores[tested], Yte[tested]
    per_au = {}
    for j, au in enumerate(codes):
        y, s = Yte[:, j], scores[:, j]
        defined = 0 < y.sum() < len(y)
        per_au[f"AU{au}"] = {
            "roc_auc": float(roc_auc_score(y, s)) if defined else None,
            "pr_auc": float(average_precision_score(y, s)) if defined else None,
            "f1": float(f1_score(y, s > 0, zero_division=0)),
            "f1_norm": skew_normalised_f1(y, s > 0),
            "positives": int(y.sum()), "base_rate": float(y.mean()),
        }

    def mean(key):
        vals = [v[key] for v in per_au.values() if v[key] is not None]
        return float(np.mean(vals)) if vals else None

    return {"per_au": per_au, "average_auc": mean("roc_auc"), "average_pr_auc": mean("pr_auc"),
            "average_f1": mean("f1"), "average_f1_norm": mean("f1_norm"), "n": int(len(Yte)),
            "folds": n_folds, "_scores": scores, "_y": Yte}
