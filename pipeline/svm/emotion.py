"""Emotion SVMs: StandardScaler + RBF SVC, C and gamma by a randomized search on inner group folds.

Training sets above `svm.large.max_train` rows use `svm.large.method`: nystroem (Nystroem RBF map
+ LinearSVC), pca (PCA, then the RBF SVC), subsample (stratified subsample of the training fold) or
linear (a linear SVM by SGD on every row: FER-2013's 28k Training faces, C ~ 1 / (alpha n)).
Folds come from protocols.py; a fold with validation rows (FER-2013's PublicTest) picks C/gamma on
them and refits on its training rows, else the search runs on inner group folds.
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
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC, LinearSVC

    large = cfg.large
    method = large.method if n_rows > large.max_train else "rbf"
    cw = cfg.class_weight
    dims = n_features
    c_lo, c_hi = cfg.C_range
    if method == "linear":  # hinge loss + L2 = linear SVM; alpha = 1 / (C n)
        pipe = Pipeline([("scale", StandardScaler()),
                         ("svm", SGDClassifier(loss="hinge", alpha=1.0 / n_rows, class_weight=cw,
                                               max_iter=large.max_iter, tol=1e-4, random_state=seed))])
        return pipe, {"svm__alpha": loguniform(1.0 / (c_hi * n_rows), 1.0 / (c_lo * n_rows))}, method
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
    g_lo, g_hi = cfg.gamma_scale_range
    space = {names[0]: loguniform(g_lo / dims, g_hi / dims), names[1]: loguniform(c_lo, c_hi)}
    return pipe, space, method


def search_on_validation(pipe, space, X, y, Xv, yv, cfg: SvmKeys, seed: int):
    """Best draw of `space` scored on held-out validation rows (balanced accuracy), refit on X only."""
    from sklearn.base import clone
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import ParameterSampler

    best, best_score = None, -1.0
    for draw in ParameterSampler(space, n_iter=cfg.search_iter, random_state=seed):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = clone(pipe).set_params(**draw).fit(X, y)
        score = balanced_accuracy_score(yv, model.predict(Xv))
        if score > best_score:
            best, best_score, best_model = draw, score, model
    return best_model, best, best_score


def fit_emotion_svm(X, y, groups, cfg: SvmKeys, seed: int, val=None):
    """Fitted emotion SVM (best of a randomized C/gamma search on group folds of X, or on the
    validation rows `val` = (Xv, yv) when given) and its info."""
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
    if val is not None:
        model, best, score = search_on_validation(pipe, space, X, y, val[0], val[1], cfg, seed)
        return model, {**info, "params": {k.split("__")[1]: float(v) for k, v in best.items()},
                       "validation_score": float(score), "selected_on": "validation rows"}
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


def run_emotion(Xtr, ytr, gtr, Xte, yte, classes, folds, cfg: SvmKeys, seed: int) -> dict:
    """Pooled metrics over the test rows of every fold (protocols.Fold: train / test / val rows;
    test None = every row of Xte, the cross-dataset case)."""
    from sklearn.metrics import confusion_matrix

    scores = np.zeros((len(yte), len(classes)))
    tested = np.zeros(len(yte), bool)
    fold_info, fold_acc = [], []
    for fold in folds:
        train_idx, test_idx, val_idx = fold.train, fold.test, fold.val
        val = (Xtr[val_idx], ytr[val_idx]) if val_idx is not None else None
        model, info = fit_emotion_svm(Xtr[train_idx], ytr[train_idx], gtr[train_idx], cfg, seed, val)
        test_idx = np.arange(len(yte)) if test_idx is None else test_idx
        s = class_scores(model, Xte[test_idx], len(classes))
        scores[test_idx] = s
        tested[test_idx] = True
        fold_acc.append(float(np.mean(s.argmax(1) == yte[test_idx])))
        fold_info.append(info)
    scores, yte = scores[tested], yte[tested]
    m = classification_metrics(yte, scores, classes)
    aucs = [v for v in m["roc_auc"].values() if v is not None]
    m["average_auc"] = float(np.mean(aucs)) if aucs else None
    m["fold_accuracy"] = {"mean": float(np.mean(fold_acc)), "std": float(np.std(fold_acc)),
                          "n": len(fold_acc)}
    m["confusion"] = confusion_matrix(yte, scores.argmax(1), labels=np.arange(len(classes))).tolist()
    m["folds"] = fold_info
    m["_scores"], m["_y"] = scores, yte
    return m
