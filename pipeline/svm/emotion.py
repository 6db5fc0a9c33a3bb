"""Emotion SVMs: StandardScaler + RBF SVC, C and gamma by a randomized search on inner group folds.

Training sets above `svm.large.max_train` rows use `svm.large.method`: nystroem (Nystroem RBF map
+ LinearSVC), pca (PCA, then the RBF SVC) or subsample (stratified subsample of the training fold).
"""

import warnings

import numpy as np

from ..core.metrics import classification_metrics
from .config import SvmKeys
from .features import stratified_rows
from .folds import group_folds
from .kernels import KernelMap


def emotion_search(n_rows: int, n_features: int, cfg: SvmKeys, seed: int):
    """(pipeline, search space, method) for an emotion SVM trained on n_rows x n_features."""
    from scipy.stats import loguniform
    from sklearn.decomposition import PCA
    from sklearn.kernel_approximation import Nystroem
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC, LinearSVC

    large = cfg.large
    method = large.method if n_rows > large.max_train else "rbf"
    cw = cfg.class_weight
    dims = n_features
    if method == "nystroem":
        k = min(large.components, n_rows)
        pipe = Pipeline([("scale", StandardScaler()),
                         ("rbf", Nystroem(kernel="rbf", n_components=k, random_state=seed)),
                         ("svm", LinearSVC(C=1.0, class_weight=cw, max_iter=5000))])
    else:
        steps = [("scale", StandardScaler())]
        if method == "pca":
            dims = min(large.components, n_rows - 1, n_features)
            steps.append(("pca", PCA(n_components=dims, random_state=seed)))
        steps += [("rbf", KernelMap("rbf", 1.0 / dims)),
                  ("svm", SVC(kernel="precomputed", C=1.0, class_weight=cw, decision_function_shape="ovr"))]
        pipe = Pipeline(steps)
    names = ("rbf__gamma", "svm__C")
    pipe.set_params(**{names[0]: 1.0 / dims})
    c_lo, c_hi = cfg.C_range
    g_lo, g_hi = cfg.gamma_scale_range
    space = {names[0]: loguniform(g_lo / dims, g_hi / dims), names[1]: loguniform(c_lo, c_hi)}
    return pipe, space, method


def fit_emotion_svm(X, y, groups, cfg: SvmKeys, seed: int):
    """Fitted emotion SVM (best of a randomized C/gamma search on group folds of X) and its info."""
    from sklearn.model_selection import RandomizedSearchCV

    method_note = None
    if len(X) > cfg.large.max_train and cfg.large.method == "subsample":
        keep = stratified_rows(y, cfg.large.max_train, seed)
        X, y, groups = X[keep], y[keep], groups[keep]
        method_note = f"subsample to {len(keep)} training rows"
    pipe, space, method = emotion_search(len(X), X.shape[1], cfg, seed)
    info = {"method": method_note or method, "train_rows": int(len(X))}
    if cfg.search_iter <= 0 or len(np.unique(y)) < 2:
        pipe.fit(X, y)
        return pipe, {**info, "params": "defaults"}
    inner = group_folds(y, groups, cfg.inner_folds, seed)
    search = RandomizedSearchCV(pipe, space, n_iter=cfg.search_iter, cv=inner, scoring="balanced_accuracy",
                                n_jobs=cfg.n_jobs, random_state=seed, error_score=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LinearSVC convergence on unscaled inner folds
        search.fit(X, y)
    best = {k.split("__")[1]: float(v) for k, v in search.best_params_.items()}
    return search.best_estimator_, {**info, "params": best, "inner_score": float(search.best_score_)}


def class_scores(model, X, n_classes: int) -> np.ndarray:
    """(N, n_classes) one-vs-rest decision scores; classes unseen in training get the lowest score."""
    df = np.asarray(model.decision_function(X), np.float64)
    if df.ndim == 1:
        df = np.stack([-df, df], axis=1)
    out = np.full((len(X), n_classes), df.min() - 1.0 if df.size else 0.0)
    out[:, model.classes_] = df
    return out


def run_emotion(Xtr, ytr, gtr, Xte, yte, classes, same: bool, cfg: SvmKeys, seed: int) -> dict:
    """Pooled out-of-fold metrics (same = k-fold CV on the train set, else train on all, test on all)."""
    from sklearn.metrics import confusion_matrix

    scores = np.zeros((len(yte), len(classes)))
    folds = group_folds(ytr, gtr, cfg.folds, seed) if same else [(np.arange(len(ytr)), None)]
    fold_info, fold_acc = [], []
    for train_idx, test_idx in folds:
        model, info = fit_emotion_svm(Xtr[train_idx], ytr[train_idx], gtr[train_idx], cfg, seed)
        test_idx = np.arange(len(yte)) if test_idx is None else test_idx
        s = class_scores(model, Xte[test_idx], len(classes))
        scores[test_idx] = s
        fold_acc.append(float(np.mean(s.argmax(1) == yte[test_idx])))
        fold_info.append(info)
    m = classification_metrics(yte, scores, classes)
    aucs = [v for v in m["roc_auc"].values() if v is not None]
    m["average_auc"] = float(np.mean(aucs)) if aucs else None
    m["fold_accuracy"] = {"mean": float(np.mean(fold_acc)), "std": float(np.std(fold_acc)),
                          "n": len(fold_acc)}
    m["confusion"] = confusion_matrix(yte, scores.argmax(1), labels=np.arange(len(classes))).tolist()
    m["folds"] = fold_info
    m["_scores"], m["_y"] = scores, yte
    return m
