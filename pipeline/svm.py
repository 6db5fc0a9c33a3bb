"""Stage `svm`: the SVM paper's emotion and Action-Unit experiments on cached features.

Each entry of `svm.experiments` says: task (emotion | au), which discriminator's features
(D trained on X), which dataset trains the SVM (Y) and which tests it (Z). Y == Z runs
subject-independent k-fold cross-validation; Y != Z trains on all of Y and tests on all of Z
(on the emotion classes both share). Every experiment also runs on the pixel and HOG
baselines. Experiments whose data or features are absent are listed as skipped, so one
params matrix serves the demo dataset and the real ones.

Emotion: StandardScaler + RBF SVC, C and gamma from RandomizedSearchCV inside each training
fold (nested CV). Training sets above `svm.large.max_train` rows use `svm.large.method`
(subsample | pca | nystroem). AU: StandardScaler + linear SVM per AU, real FACS codes or the
Table VI emotion rules. Writes reports/svm/ and reports/tables/svm_paper.md.
"""

import argparse
import hashlib
import json
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .core.cli import run_stage
from .core.dataset import FaceDataset
from .core.errors import PipelineError
from .core.facs import PAPER_AUS, rule_agreement, rule_au_labels
from .core.features import FEATURES_DIR, load_features, stratified_rows
from .core.metrics import classification_metrics, confusion_figure
from .core.outputs import atomic_path, save_figure, write_json, write_text
from .core.params import choice, section

CROPPED_DIR = Path("data/cropped")
REPORT_DIR = Path("reports/svm")
PLOT_DIR = REPORT_DIR / "plots"  # ROC curves and confusion matrices (no face images)
TABLE_FILE = Path("reports/tables/svm_paper.md")
TASKS = ("emotion", "au")
LARGE_METHODS = ("subsample", "pca", "nystroem")
AU_LABELS = ("auto", "real", "rules")
EMOTION_ORDER = ("angry", "contempt", "disgust", "fear", "happy", "neutral", "sad", "surprise")

# ---- published figures (SVM paper) -----------------------------------------------------------
_EMO = EMOTION_ORDER + ("average",)
PAPER_TABLE_II = {  # emotion ROC AUC per experiment; None = class not in that dataset
    exp: dict(zip(_EMO, vals)) for exp, vals in {
        "Exp1": (0.982, 0.936, 1.0, 1.0, 1.0, 0.957, 0.967, 1.0, 0.980),
        "Exp2": (0.999, 0.994, 1.0, 0.998, 1.0, 0.994, 0.998, 0.999, 0.998),
        "Exp3": (0.959, 0.897, 0.994, 0.977, 0.998, 0.875, 0.940, 0.991, 0.954),
        "Exp4": (0.951, 0.858, 1.0, 0.972, 0.993, 0.812, 0.932, 1.0, 0.932),
        "Exp5": (0.999, 0.999, 1.0, 0.998, 1.0, 0.999, 0.999, 1.0, 0.999),
        "Exp6": (0.937, None, 0.790, 0.925, 0.833, 0.911, 0.843, 0.851, 0.870),
        "Exp7": (0.888, None, 0.933, 0.723, 0.974, 0.905, 0.785, 0.943, 0.879),
        "Exp8": (0.759, None, 0.823, 0.835, 0.719, 0.737, 0.683, 0.720, 0.754),
    }.items()
}
PAPER_EMOTION_PROTOCOL = {  # D trained on | SVM 10-fold CV on (section 4-A)
    "Exp1": "D: enhanced CK | SVM: RaFD frontal", "Exp2": "D: CelebA | SVM: RaFD frontal",
    "Exp3": "D: enhanced CK | SVM: RaFD multi-view", "Exp4": "D: RaFD multi-view | SVM: RaFD multi-view",
    "Exp5": "D: RaFD frontal | SVM: RaFD frontal", "Exp6": "D: RAF-DB | SVM: RAF-DB",
    "Exp7": "D: KDEF | SVM: KDEF", "Exp8": "D: SFEW | SVM: SFEW",
}
PAPER_TABLE_III = {"Exp1": 0.9857, "Exp5": 0.9764, "Exp6": 0.6187, "Exp7": 0.6044, "Exp8": 0.4452}
_AU_ROWS = {  # Table IV, columns Exp1..Exp8
    1: (0.998, 0.994, 0.961, 0.909, 0.896, 0.996, 0.890, 0.896),
    2: (0.918, 0.999, 0.948, 0.744, 0.633, 0.998, 0.705, 0.677),
    4: (0.788, 0.993, 0.887, 0.515, 0.656, 0.990, 0.519, 0.663),
    5: (0.982, 0.996, 0.991, 0.676, 0.808, 0.980, 0.624, 0.767),
    6: (0.895, 1.0, 0.908, 0.574, 0.518, 1.0, 0.568, 0.542),
    7: (1.0, 0.984, 1.0, 0.757, 0.649, 0.979, 0.642, 0.601),
    9: (0.990, 1.0, 0.997, 0.668, 0.546, 1.0, 0.683, 0.565),
    12: (1.0, 0.990, 0.980, 0.515, 0.633, 0.967, 0.549, 0.615),
    15: (0.932, 0.992, 0.963, 0.510, 0.659, 0.990, 0.518, 0.647),
    17: (0.785, 0.986, 0.873, 0.708, 0.807, 0.984, 0.623, 0.748),
    23: (0.882, 0.980, 0.927, 0.865, 0.828, 0.979, 0.775, 0.814),
    24: (0.948, 0.984, 0.902, 0.849, 0.688, 0.979, 0.822, 0.721),
    25: (0.998, 0.999, 0.992, 0.799, 0.929, 0.999, 0.755, 0.894),
    27: (0.672, 1.0, 0.669, 0.668, 0.541, 0.999, 0.678, 0.519),
    "average": (0.913, 0.993, 0.928, 0.697, 0.699, 0.989, 0.668, 0.691),
}
PAPER_TABLE_IV = {f"Exp{i + 1}": {k: v[i] for k, v in _AU_ROWS.items()} for i in range(8)}
PAPER_AU_PROTOCOL = {  # Table V: D trained on | SVM trained on | tested on
    "Exp1": "D: enhanced CK | train: CK | test: CK", "Exp2": "D: enhanced CK | train: RaFD | test: RaFD",
    "Exp3": "D: CelebA | train: CK | test: CK", "Exp4": "D: CelebA | train: CK | test: RaFD",
    "Exp5": "D: CelebA | train: RaFD | test: CK", "Exp6": "D: CelebA | train: RaFD | test: RaFD",
    "Exp7": "D: enhanced CK | train: CK | test: RaFD", "Exp8": "D: enhanced CK | train: RaFD | test: CK",
}


# ---- folds -----------------------------------------------------------------------------------
def subject_groups(ds: FaceDataset) -> tuple[np.ndarray, str]:
    """Group ids for subject-independent folds: subject, else sequence, else identical image bytes."""
    if ds.has_subjects:
        return ds.subject, "subject"
    if len(ds) and np.all(ds.sequence != ""):
        return ds.sequence, "sequence"
    # No identity known (FER-2013): at least keep byte-identical duplicate images in one fold.
    return np.array([hashlib.md5(img.tobytes()).hexdigest() for img in ds.images]), "identical-image"


def group_folds(y: np.ndarray, groups: np.ndarray, n_folds: int, seed: int):
    """StratifiedGroupKFold splits: no group (subject) ever in both train and test of a fold."""
    from sklearn.model_selection import StratifiedGroupKFold

    n = min(int(n_folds), len(np.unique(groups)))
    if n < 2:
        raise PipelineError(f"params.yaml: svm.folds={n_folds} needs at least 2 subjects/groups, data has {n}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "least populated class has fewer members"
        return list(StratifiedGroupKFold(n_splits=n, shuffle=True, random_state=seed).split(y, y, groups))


# ---- kernels ---------------------------------------------------------------------------------
class KernelMap(TransformerMixin, BaseEstimator):
    """Rows -> kernel values against the training rows, for SVC(kernel="precomputed").

    The same SVM as SVC(kernel="rbf" | "linear"), but the Gram matrix comes from one BLAS matrix
    product instead of libsvm's per-pair loops, which is many times faster on 8192-d features.
    """

    def __init__(self, kernel="rbf", gamma=1.0):
        self.kernel, self.gamma = kernel, gamma

    def fit(self, X, y=None):
        self.X_fit_ = np.asarray(X, np.float32)
        self.sq_fit_ = np.einsum("ij,ij->i", self.X_fit_, self.X_fit_).astype(np.float64)
        return self

    def transform(self, X):
        X = np.asarray(X, np.float32)
        dot = (X @ self.X_fit_.T).astype(np.float64)
        if self.kernel == "linear":
            return dot
        sq = np.einsum("ij,ij->i", X, X).astype(np.float64)
        return np.exp(-self.gamma * np.maximum(sq[:, None] + self.sq_fit_[None, :] - 2 * dot, 0.0))


# ---- emotion SVM -----------------------------------------------------------------------------
def emotion_search(n_rows: int, n_features: int, cfg: dict, seed: int):
    """(pipeline, search space, method) for an emotion SVM trained on n_rows x n_features."""
    from scipy.stats import loguniform
    from sklearn.decomposition import PCA
    from sklearn.kernel_approximation import Nystroem
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC, LinearSVC

    large = cfg.get("large") or {}
    method = "rbf"
    if n_rows > int(large.get("max_train", 2000)):
        method = choice(large.get("method", "nystroem"), LARGE_METHODS, "svm.large.method")
    components = int(large.get("components", 1000))
    cw = cfg.get("class_weight", "balanced")
    dims = n_features
    if method == "nystroem":
        k = min(components, n_rows)
        pipe = Pipeline([("scale", StandardScaler()),
                         ("rbf", Nystroem(kernel="rbf", n_components=k, random_state=seed)),
                         ("svm", LinearSVC(C=1.0, class_weight=cw, max_iter=5000))])
        names = ("rbf__gamma", "svm__C")
    else:
        steps = [("scale", StandardScaler())]
        if method == "pca":
            dims = min(components, n_rows - 1, n_features)
            steps.append(("pca", PCA(n_components=dims, random_state=seed)))
        steps += [("rbf", KernelMap("rbf", 1.0 / dims)),
                  ("svm", SVC(kernel="precomputed", C=1.0, class_weight=cw, decision_function_shape="ovr"))]
        pipe = Pipeline(steps)
        names = ("rbf__gamma", "svm__C")
    pipe.set_params(**{names[0]: 1.0 / dims})
    c_lo, c_hi = cfg.get("C_range", [0.1, 100.0])
    g_lo, g_hi = cfg.get("gamma_scale_range", [0.1, 10.0])
    space = {names[0]: loguniform(g_lo / dims, g_hi / dims), names[1]: loguniform(c_lo, c_hi)}
    return pipe, space, method


def fit_emotion_svm(X, y, groups, cfg: dict, seed: int):
    """Fitted emotion SVM (best of a randomized C/gamma search on group folds of X) and its info."""
    from sklearn.model_selection import RandomizedSearchCV

    large = cfg.get("large") or {}
    method_note = None
    if len(X) > int(large.get("max_train", 2000)) and large.get("method") == "subsample":
        keep = stratified_rows(y, int(large.get("max_train", 2000)), seed)
        X, y, groups = X[keep], y[keep], groups[keep]
        method_note = f"subsample to {len(keep)} training rows"
    pipe, space, method = emotion_search(len(X), X.shape[1], cfg, seed)
    n_iter = int(cfg.get("search_iter", 8))
    info = {"method": method_note or method, "train_rows": int(len(X))}
    if n_iter <= 0 or len(np.unique(y)) < 2:
        pipe.fit(X, y)
        return pipe, {**info, "params": "defaults"}
    inner = group_folds(y, groups, int(cfg.get("inner_folds", 3)), seed)
    search = RandomizedSearchCV(pipe, space, n_iter=n_iter, cv=inner, scoring="balanced_accuracy",
                                n_jobs=int(cfg.get("n_jobs", 1)), random_state=seed, error_score=0.0)
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


def run_emotion(Xtr, ytr, gtr, Xte, yte, classes, same: bool, cfg: dict, seed: int) -> dict:
    from sklearn.metrics import confusion_matrix

    scores = np.zeros((len(yte), len(classes)))
    folds = group_folds(ytr, gtr, int(cfg.get("folds", 10)), seed) if same else [(np.arange(len(ytr)), None)]
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
    m["fold_accuracy"] = {"mean": float(np.mean(fold_acc)), "std": float(np.std(fold_acc)), "n": len(fold_acc)}
    m["confusion"] = confusion_matrix(yte, scores.argmax(1), labels=np.arange(len(classes))).tolist()
    m["folds"] = fold_info
    m["_scores"], m["_y"] = scores, yte
    return m


# ---- AU SVMs ---------------------------------------------------------------------------------
def au_matrix(ds: FaceDataset, codes, mode: str) -> tuple[np.ndarray, np.ndarray, str]:
    """(Y (N, len(codes)) binary AU labels, rows that have them, 'real' | 'rules')."""
    has_real = bool(ds.au_known.any()) and all(c in set(ds.au_codes.tolist()) for c in codes)
    if mode == "auto":
        mode = "real" if has_real else "rules"
    if mode == "real":
        if not has_real:
            raise PipelineError(f"{ds.source}: no real AU codes for AUs {list(codes)} (use labels: rules)")
        cols = [int(np.flatnonzero(ds.au_codes == c)[0]) for c in codes]
        return ds.au[:, cols], np.flatnonzero(ds.au_known), "real"
    return rule_au_labels(ds.labels, ds.classes, codes), np.arange(len(ds)), "rules"


def fit_au_svm(K, y, groups, cfg: dict, seed: int):
    """Linear SVM for one AU on a precomputed linear Gram matrix K (LibSVM linear, as the paper)."""
    from sklearn.model_selection import GridSearchCV
    from sklearn.svm import SVC

    au_cfg = cfg.get("au") or {}
    C = au_cfg.get("C", 0.01)
    grid = [float(c) for c in (C if isinstance(C, list) else [C])]
    svm = SVC(kernel="precomputed", C=grid[0], class_weight=au_cfg.get("class_weight", "balanced"))
    if len(grid) > 1:
        inner = group_folds(y, groups, int(cfg.get("inner_folds", 3)), seed)
        return GridSearchCV(svm, {"C": grid}, cv=inner, scoring="roc_auc", error_score=0.5).fit(K, y).best_estimator_
    return svm.fit(K, y)


def run_au(Xtr, Ytr, gtr, strat, Xte, Yte, codes, same: bool, cfg: dict, seed: int) -> dict:
    from sklearn.metrics import average_precision_score, f1_score, roc_auc_score
    from sklearn.preprocessing import StandardScaler

    scores = np.zeros(Yte.shape, np.float64)
    folds = group_folds(strat, gtr, int(cfg.get("folds", 10)), seed) if same else [(np.arange(len(Ytr)), None)]
    for train_idx, test_idx in folds:
        test_idx = np.arange(len(Yte)) if test_idx is None else test_idx
        scaler = StandardScaler().fit(Xtr[train_idx])
        gram = KernelMap("linear").fit(scaler.transform(Xtr[train_idx]))
        Ktr, Kte = gram.transform(gram.X_fit_), gram.transform(scaler.transform(Xte[test_idx]))
        for j in range(len(codes)):
            y = Ytr[train_idx, j]
            if y.min() == y.max():  # AU never (or always) present in this training fold
                scores[test_idx, j] = 1.0 if y[0] else -1.0
                continue
            scores[test_idx, j] = fit_au_svm(Ktr, y, gtr[train_idx], cfg, seed).decision_function(Kte)
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
            "average_f1": mean("f1"), "n": int(len(Yte)), "folds": len(folds), "_scores": scores, "_y": Yte}


# ---- data ------------------------------------------------------------------------------------
class FeatureStore:
    """Loads (and keeps) cached feature matrices and the cropped datasets they index."""

    def __init__(self):
        self._datasets, self._features = {}, {}

    def available(self, feature_set: str, source: str) -> bool:
        return (FEATURES_DIR / feature_set / f"{source}.npz").is_file() and (CROPPED_DIR / f"{source}.npz").is_file()

    def get(self, feature_set: str, source: str) -> tuple[np.ndarray, FaceDataset, dict]:
        key = (feature_set, source)
        if key not in self._features:
            X, rows, ids, meta = load_features(FEATURES_DIR / feature_set / f"{source}.npz")
            if source not in self._datasets:
                self._datasets[source] = FaceDataset.load(CROPPED_DIR / f"{source}.npz")
            ds = self._datasets[source]
            if rows.max(initial=-1) >= len(ds) or not np.array_equal(ds.ids[rows], ids):
                raise PipelineError(f"{FEATURES_DIR / feature_set / source}.npz: rows do not match "
                                    f"{CROPPED_DIR / source}.npz (rerun stage svm_features)")
            self._features[key] = (X, ds.subset(rows), meta)
        return self._features[key]


def resolve_dataset(spec_value: str, feature_set: str, store: FeatureStore) -> str | None:
    """'rafd|fer2013' -> the first alternative whose features exist (None if none does)."""
    for name in str(spec_value).split("|"):
        if store.available(feature_set, name.strip()):
            return name.strip()
    return None


def shared_classes(train: FaceDataset, test: FaceDataset) -> list[str]:
    common = set(train.classes) & set(test.classes)
    return [c for c in EMOTION_ORDER if c in common] + sorted(common - set(EMOTION_ORDER))


def relabel(ds: FaceDataset, classes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(row mask of ds in `classes`, labels re-indexed into `classes`)."""
    names = np.asarray(ds.classes)[ds.labels]
    mask = np.isin(names, classes)
    lookup = {c: i for i, c in enumerate(classes)}
    return mask, np.array([lookup[n] for n in names[mask]], np.int64)


def run_experiment(spec: dict, feature_set: str, train: str, test: str, store: FeatureStore, cfg: dict, seed: int) -> dict:
    Xtr, dtr, meta = store.get(feature_set, train)
    Xte, dte, _ = store.get(feature_set, test)
    same = train == test
    gtr, grouping = subject_groups(dtr)
    result = {"feature_set": feature_set, "train": train, "test": test, "grouping": grouping,
              "protocol": (f"{min(int(cfg.get('folds', 10)), len(np.unique(gtr)))}-fold StratifiedGroupKFold "
                           f"by {grouping}" if same else "train on all rows of train set, test on all rows of test set")}
    t0 = time.perf_counter()
    if spec["task"] == "emotion":
        classes = list(dtr.classes) if same else shared_classes(dtr, dte)
        mtr, ytr = relabel(dtr, classes)
        mte, yte = (mtr, ytr) if same else relabel(dte, classes)
        if len(classes) < 2 or len(ytr) == 0 or len(yte) == 0:
            raise PipelineError(f"svm.experiments {spec['id']}: {train} and {test} share fewer than 2 classes")
        m = run_emotion(Xtr[mtr], ytr, gtr[mtr], Xte[mte], yte, classes, same, cfg, seed)
        result.update(classes=classes, shared_classes_only=not same, **m)
    else:
        codes = [int(c) for c in (cfg.get("au") or {}).get("codes", PAPER_AUS)]
        mode = choice(spec.get("labels", "auto"), AU_LABELS, f"svm.experiments {spec['id']}.labels")
        test_mode = choice(spec.get("test_labels", mode), AU_LABELS, f"svm.experiments {spec['id']}.test_labels")
        Ytr, rtr, ltr = au_matrix(dtr, codes, mode)
        Yte, rte, lte = au_matrix(dte, codes, test_mode)
        if same:  # one set of rows and folds; train and test labels may still differ (rules -> real)
            rtr = rte = np.intersect1d(rtr, rte)
        m = run_au(Xtr[rtr], Ytr[rtr], gtr[rtr], dtr.labels[rtr], Xte[rte], Yte[rte], codes, same, cfg, seed)
        result.update(au_codes=codes, train_labels=ltr, test_labels=lte, **m)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    result["train_rows"], result["test_rows"] = int(len(dtr)), int(len(dte))
    result["features"] = {k: meta[k] for k in ("model", "layer") if k in meta}
    return result


# ---- reports ---------------------------------------------------------------------------------
def roc_figure(y, scores, names, title: str, one_hot: bool):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_auc_score, roc_curve

    fig, ax = plt.subplots(figsize=(5.2, 4.8))
    for j, name in enumerate(names):
        pos = y[:, j] if one_hot else (y == j)
        if 0 < pos.sum() < len(pos):
            fpr, tpr, _ = roc_curve(pos, scores[:, j])
            ax.plot(fpr, tpr, lw=1.2, label=f"{name} ({roc_auc_score(pos, scores[:, j]):.3f})")
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title(title, fontsize=8)
    ax.legend(fontsize=6, loc="lower right", ncol=2 if len(names) > 8 else 1)
    fig.tight_layout()
    return fig


def fmt(v, digits=3) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def markdown_report(results: list[dict], skipped: list[dict], agreement: dict, index: dict, cfg: dict) -> str:
    fs_order = lambda r: (0 if r["feature_set"].startswith("d-") else 1, r["feature_set"])  # noqa: E731
    by_id = {}
    for r in results:
        by_id.setdefault(r["id"], []).append(r)
    by_id = {i: rs for i, rs in by_id.items() if any(r["feature_set"].startswith("d-") for r in rs)}  # D columns need D
    emo = [i for i, rs in by_id.items() if rs[0]["task"] == "emotion"]
    au = [i for i, rs in by_id.items() if rs[0]["task"] == "au"]
    d_of = lambda i: sorted(by_id[i], key=fs_order)[0]  # noqa: E731
    lines = ["# SVM paper (discriminator-feature SVMs): our runs beside the published figures", "",
             "Generated by stage `svm` (pipeline/svm.py) from cached features (stage `svm_features`).",
             "Each figure names its dataset(s) and protocol. Published figures: SVM paper Tables II-V;",
             "our datasets differ (FER-2013 stands in for CelebA, CK+48 for enhanced CK; RaFD only when present),",
             "so a published column is the *closest analogue*, not the same experiment.", ""]
    lines += ["## Protocols", "",
              "| id | task | features (D trained on) | SVM trained on | tested on | protocol | labels / classes | method | analogue |",
              "|---|---|---|---|---|---|---|---|---|"]
    for i in emo + au:
        r = d_of(i)
        d = r["d_info"]
        labels = (f"{len(r['classes'])} classes" + (" (shared only)" if r.get("shared_classes_only") else "")
                  if r["task"] == "emotion" else f"AU {r['train_labels']} -> {r['test_labels']}")
        methods = sorted({f["method"] for f in r.get("folds", [])}) if r["task"] == "emotion" else ["linear SVC"]
        lines.append(f"| {i} | {r['task']} | {r['feature_set']} ({d}) | {r['train']} ({r['train_rows']}) | "
                     f"{r['test']} ({r['test_rows']}) | {r['protocol']} | {labels} | {', '.join(methods)} | "
                     f"{r.get('paper') or '–'} |")
    search = (f"RandomizedSearchCV, {cfg.get('search_iter', 8)} draws of C ~ logU{cfg.get('C_range', [0.1, 100.0])}, "
              f"gamma ~ logU{cfg.get('gamma_scale_range', [0.1, 10.0])} / n_features, scored by balanced accuracy on "
              f"{cfg.get('inner_folds', 3)} inner group folds of each training fold (nested CV)")
    large = cfg.get("large") or {}
    lines += ["", f"Emotion SVM: StandardScaler + RBF SVC (class_weight={cfg.get('class_weight', 'balanced')}); {search}. "
              f"Training sets above {large.get('max_train', 2000)} rows use `{large.get('method', 'nystroem')}` "
              f"(subsample = stratified subsample to that many rows; pca = PCA to {large.get('components', 1000)} dims "
              f"before the RBF SVC; nystroem = Nystroem RBF map with {large.get('components', 1000)} components + LinearSVC). "
              f"AU SVM: StandardScaler + linear-kernel SVC per AU (LibSVM, as the paper), C={(cfg.get('au') or {}).get('C', 0.01)}, class_weight="
              f"{(cfg.get('au') or {}).get('class_weight', 'balanced')}; AU folds are stratified on the emotion label and "
              f"grouped like the emotion folds. Scores are pooled out-of-fold decision values.",
              f"Features: layer `{index.get('layer')}` of each discriminator; datasets above "
              f"{index.get('max_rows')} rows were stratified-subsampled (seed {index.get('seed')}): "
              + ", ".join(f"{k} {v['rows']}/{v['of']}" for k, v in index.get("datasets", {}).items()) + ".", ""]

    if emo:
        lines += ["## Table II: emotion ROC AUC (one-vs-rest), discriminator features", "",
                  "| emotion | " + " | ".join(emo) + " | " + " | ".join(f"paper {e}" for e in PAPER_TABLE_II) + " |",
                  "|---|" + "---|" * (len(emo) + len(PAPER_TABLE_II))]
        for c in _EMO:
            ours = []
            for i in emo:
                r = d_of(i)
                ours.append(fmt(r["average_auc"] if c == "average" else r["roc_auc"].get(c)))
            lines.append(f"| {c} | " + " | ".join(ours) + " | "
                         + " | ".join(fmt(PAPER_TABLE_II[e][c]) for e in PAPER_TABLE_II) + " |")
        sets = sorted({r["feature_set"] for i in emo for r in by_id[i]}, key=lambda f: (not f.startswith("d-"), f))
        lines += ["", "Published protocols: " + "; ".join(f"{e}: {p}" for e, p in PAPER_EMOTION_PROTOCOL.items()) + ".", "",
                  "### Table II-b: average emotion AUC by feature set (what the discriminator adds over baselines)", "",
                  "| id | " + " | ".join(sets) + " | paper analogue |", "|---|" + "---|" * (len(sets) + 1)]
        for i in emo:
            got = {r["feature_set"]: r for r in by_id[i]}
            p = by_id[i][0].get("paper")
            lines.append(f"| {i} | " + " | ".join(fmt(got[s]["average_auc"]) if s in got else "–" for s in sets)
                         + (f" | {p}: {fmt(PAPER_TABLE_II.get(p, {}).get('average'))} |" if p else " | – |"))
        lines += ["", "## Table III: emotion accuracy (pooled out-of-fold; ± = std over folds)", "",
                  "| id | " + " | ".join(sets) + " | paper analogue |", "|---|" + "---|" * (len(sets) + 1)]
        for i in emo:
            got = {r["feature_set"]: r for r in by_id[i]}
            p = by_id[i][0].get("paper")
            cell = lambda r: f"{r['accuracy']:.3f} ± {r['fold_accuracy']['std']:.3f}"  # noqa: E731
            lines.append(f"| {i} | " + " | ".join(cell(got[s]) if s in got else "–" for s in sets)
                         + (f" | {p}: {fmt(PAPER_TABLE_III.get(p))} |" if p else " | – |"))
        lines += ["", "Published accuracies (SVM paper Table III, 'ours' rows): RaFD 98.57 % (Exp1), 97.64 % (Exp5, text), "
                  "RAF-DB 61.87 %, KDEF 60.44 %, SFEW 44.52 %.", ""]
        for i in emo:
            r = d_of(i)
            lines += [f"Confusion matrix {i} ({r['feature_set']}; rows = actual, columns = predicted; {', '.join(r['classes'])}): "
                      + "; ".join(" ".join(str(v) for v in row) for row in r["confusion"]), ""]

    if au:
        codes = d_of(au[0])["au_codes"]
        lines += ["## Table IV: AU ROC AUC, discriminator features, beside the published column of the analogue", "",
                  "| AU | " + " | ".join(f"{i} | paper {by_id[i][0].get('paper') or '–'}" for i in au) + " |",
                  "|---|" + "---|---|" * len(au)]
        for key in [f"AU{c}" for c in codes] + ["average"]:
            cells = []
            for i in au:
                r, p = d_of(i), by_id[i][0].get("paper")
                ours = r["average_auc"] if key == "average" else r["per_au"][key]["roc_auc"]
                pub = PAPER_TABLE_IV.get(p, {}).get("average" if key == "average" else int(key[2:]))
                cells.append(f"{fmt(ours)} | {fmt(pub)}")
            lines.append(f"| {key} | " + " | ".join(cells) + " |")
        lines += ["", "Published protocols (Table V): " + "; ".join(f"{e}: {p}" for e, p in PAPER_AU_PROTOCOL.items()) + ".", "",
                  "### Table IV-b: PR-AUC and F1 per AU (discriminator features; AUC hides label skew)", "",
                  "| AU | " + " | ".join(f"{i} PR-AUC | {i} F1 | {i} base rate" for i in au) + " |",
                  "|---|" + "---|---|---|" * len(au)]
        for c in codes:
            lines.append(f"| AU{c} | " + " | ".join(
                f"{fmt(d_of(i)['per_au'][f'AU{c}']['pr_auc'])} | {fmt(d_of(i)['per_au'][f'AU{c}']['f1'])} | "
                f"{fmt(d_of(i)['per_au'][f'AU{c}']['base_rate'], 2)}" for i in au) + " |")
        sets = sorted({r["feature_set"] for i in au for r in by_id[i]}, key=lambda f: (not f.startswith("d-"), f))
        lines += ["", "### Table IV-c: mean AU ROC AUC / PR-AUC / F1 by feature set", "",
                  "| id | " + " | ".join(sets) + " |", "|---|" + "---|" * len(sets)]
        for i in au:
            got = {r["feature_set"]: r for r in by_id[i]}
            lines.append(f"| {i} | " + " | ".join(
                f"{fmt(got[s]['average_auc'])} / {fmt(got[s]['average_pr_auc'])} / {fmt(got[s]['average_f1'])}"
                if s in got else "–" for s in sets) + " |")
        lines.append("")

    if agreement:
        lines += ["## Table VI rules vs real FACS codes", "",
                  "How far the emotion -> AU rules (pipeline/core/facs.py, SVM paper Table VI) agree with the real codes, "
                  "per image (each CK+ sequence gives 3 frames with the same codes).", ""]
        for source, per_au in agreement.items():
            lines += [f"**{source}**", "", "| AU | agreement | kappa | rule precision | rule recall | real rate | rule rate |",
                      "|---|---|---|---|---|---|---|"]
            for au_name, a in per_au.items():
                lines.append(f"| {au_name} | {a['agreement']:.3f} | {a['kappa']:.3f} | {a['rule_precision']:.3f} | "
                             f"{a['rule_recall']:.3f} | {a['real_rate']:.3f} | {a['rule_rate']:.3f} |")
            lines.append("")
    if skipped:
        lines += ["## Skipped experiments", ""] + [f"- {s['id']} ({s.get('feature_set', '')}): {s['reason']}" for s in skipped] + [""]
    return "\n".join(lines)


def _cache_stem(cache_dir, key, cfg: dict) -> Path:
    settings = {k: v for k, v in cfg.items() if k not in ("experiments", "n_jobs", "blas_threads")}
    text = json.dumps([list(key), settings], sort_keys=True, default=str)
    return Path(cache_dir) / hashlib.sha1(text.encode()).hexdigest()[:16]


def save_cached(cache_dir, key, cfg: dict, result: dict) -> None:
    stem = _cache_stem(cache_dir, key, cfg)
    write_json(stem.with_suffix(".json"), {k: v for k, v in result.items() if not k.startswith("_")})
    with atomic_path(stem.with_suffix(".npz")) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, scores=result["_scores"], y=result["_y"])


def load_cached(cache_dir, key, cfg: dict) -> dict | None:
    stem = _cache_stem(cache_dir, key, cfg)
    if not (stem.with_suffix(".json").is_file() and stem.with_suffix(".npz").is_file()):
        return None
    with np.load(stem.with_suffix(".npz"), allow_pickle=False) as z:
        return {**json.loads(stem.with_suffix(".json").read_text()), "_scores": z["scores"], "_y": z["y"]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="run only these experiment ids (hand runs; reports hold only them)")
    parser.add_argument("--cache", help="hand runs: keep each finished run in this folder and reuse it (bounded runs "
                                        "that are stopped can be resumed or reported)")
    parser.add_argument("--cached-only", action="store_true", help="with --cache: report cached runs, skip the rest")
    args = parser.parse_args(argv)
    cfg = section("svm")
    seed = int(cfg.get("seed", 0))
    index_file = FEATURES_DIR / "index.json"
    if not index_file.is_file():
        raise PipelineError(f"{index_file}: not found (run stage svm_features first)")
    index = json.loads(index_file.read_text())
    experiments = cfg.get("experiments") or []
    if args.only:
        experiments = [e for e in experiments if e.get("id") in set(args.only)]
    baselines = list((cfg.get("features") or {}).get("baselines", ["pixels", "hog"]))
    from threadpoolctl import threadpool_limits

    # One BLAS thread by default: on a shared 2-core machine, oversubscribed OpenBLAS threads
    # spin and make each Gram matrix several times slower.
    threadpool_limits(int(cfg.get("blas_threads", 1)))
    store, results, skipped, done = FeatureStore(), [], [], {}
    for spec in experiments:
        for key in ("id", "task", "d", "train", "test"):
            if key not in spec:
                raise PipelineError(f"params.yaml: svm.experiments entry {spec} has no '{key}'")
        choice(spec["task"], TASKS, f"svm.experiments {spec['id']}.task")
        d_set = f"d-{spec['d']}"
        d_meta = index.get("feature_sets", {}).get(d_set)
        d_info = ((d_meta or {}).get("trained_on") or {}).get("dataset") or spec.get("d_trained_on") or spec["d"]
        train, test = resolve_dataset(spec["train"], d_set, store), resolve_dataset(spec["test"], d_set, store)
        if train is None or test is None:  # no discriminator features: baselines alone would mislabel the D column
            missing = spec["train"] if train is None else spec["test"]
            skipped.append({"id": spec["id"], "feature_set": d_set,
                            "reason": f"no features for {missing} in {FEATURES_DIR / d_set}"})
            continue
        for fs in [d_set] + baselines:
            if not (store.available(fs, train) and store.available(fs, test)):
                skipped.append({"id": spec["id"], "feature_set": fs, "reason": f"no {fs} features for {train}/{test}"})
                continue
            key = (spec["task"], fs, train, test, spec.get("labels", "auto"), spec.get("test_labels"))
            cached = load_cached(args.cache, key, cfg) if args.cache and key not in done else None
            if cached is None and args.cached_only and key not in done:
                skipped.append({"id": spec["id"], "feature_set": fs, "reason": "not run in this bounded run"})
                continue
            if cached is not None:
                done[key] = cached
            if key not in done:
                print(f"[{spec['id']}] {spec['task']} {fs}: train {train}, test {test}", flush=True)
                done[key] = run_experiment(spec, fs, train, test, store, cfg, seed)
                if args.cache:
                    save_cached(args.cache, key, cfg, done[key])
                print(f"[{spec['id']}] {fs}: average AUC {fmt(done[key]['average_auc'])} "
                      f"({done[key]['seconds']} s)", flush=True)
            results.append({**done[key], "id": spec["id"], "task": spec["task"], "paper": spec.get("paper"),
                            "d_info": d_info})
    if not results:
        raise PipelineError("params.yaml: svm.experiments ran nothing (no features for any listed dataset)")

    agreement = {}
    for source in sorted({r["train"] for r in results} | {r["test"] for r in results}):
        ds = FaceDataset.load(CROPPED_DIR / f"{source}.npz")
        if ds.au_known.any() and all(c in set(ds.au_codes.tolist()) for c in PAPER_AUS):
            real, rows, _ = au_matrix(ds, PAPER_AUS, "real")
            agreement[source] = rule_agreement(real[rows], rule_au_labels(ds.labels[rows], ds.classes), PAPER_AUS)

    PLOT_DIR.mkdir(parents=True, exist_ok=True)
    for old in PLOT_DIR.glob("*.png"):
        old.unlink()
    for r in results:
        if r["feature_set"].startswith("d-"):
            names = r["classes"] if r["task"] == "emotion" else [f"AU{c}" for c in r["au_codes"]]
            title = f"{r['id']}: {r['feature_set']}, train {r['train']}, test {r['test']} ({r['protocol']})"
            save_figure(roc_figure(r["_y"], r["_scores"], names, title, r["task"] == "au"), PLOT_DIR / f"roc_{r['id']}.png", dpi=110)
            if r["task"] == "emotion":
                save_figure(confusion_figure(r["_y"], r["_scores"].argmax(1), r["classes"], title),
                            PLOT_DIR / f"confusion_{r['id']}.png", dpi=110)
    public = [{k: v for k, v in r.items() if not k.startswith("_")} for r in results]
    headline = {}
    for r in public:
        tag = "d" if r["feature_set"].startswith("d-") else r["feature_set"]
        h = headline.setdefault(r["id"], {"train": r["train"], "test": r["test"]})
        h[f"{tag}_auc"] = r["average_auc"]
        if r["task"] == "emotion":
            h[f"{tag}_accuracy"] = r["accuracy"]
        else:
            h[f"{tag}_pr_auc"] = r["average_pr_auc"]
    write_json(REPORT_DIR / "results.json", {"experiments": public, "skipped": skipped, "facs_rule_agreement": agreement,
                                             "features": index})
    write_json(REPORT_DIR / "metrics.json", {"headline": headline,
                                             "protocol": "see reports/tables/svm_paper.md (Protocols)"})
    write_text(TABLE_FILE, markdown_report(public, skipped, agreement, index, cfg))
    print(f"wrote {REPORT_DIR}/ and {TABLE_FILE}: {len(public)} run(s), {len(skipped)} skipped")


if __name__ == "__main__":
    run_stage(main)
