"""Classification metrics in one flat-ish json shape, so `dvc exp show` turns them into columns.

Shared by the CNN stage and the peer-model scoring (and any other classifier stage).
"""

import numpy as np


def classification_metrics(y_true: np.ndarray, proba: np.ndarray, classes) -> dict:
    """Accuracy, macro-F1, per-class precision/recall/F1/support, one-vs-rest ROC AUC per class.

    `proba` is (N, C) class probabilities; predictions are its argmax. AUC is None for a class
    with no positive or no negative rows in `y_true`.
    """
    from sklearn.metrics import precision_recall_fscore_support, roc_auc_score

    y_true = np.asarray(y_true, np.int64)
    proba = np.asarray(proba, np.float64)
    y_pred = proba.argmax(axis=1) if len(proba) else np.zeros(0, np.int64)
    labels = np.arange(len(classes))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    auc = {}
    for i, c in enumerate(classes):
        positive = y_true == i
        auc[c] = float(roc_auc_score(positive, proba[:, i])) if 0 < positive.sum() < len(y_true) else None
    present = s > 0  # macro-F1 over the classes the test set holds (CK+ folds may lack one)
    return {
        "accuracy": float(np.mean(y_pred == y_true)) if len(y_true) else 0.0,
        "macro_f1": float(f[present].mean()) if present.any() else 0.0,
        "n": int(len(y_true)),
        "precision": {c: float(v) for c, v in zip(classes, p)},
        "recall": {c: float(v) for c, v in zip(classes, r)},
        "f1": {c: float(v) for c, v in zip(classes, f)},
        "support": {c: int(v) for c, v in zip(classes, s)},
        "roc_auc": auc,
    }


def confusion_rows(y_true, y_pred, classes) -> list[dict]:
    """One {actual, predicted} row per image: the data file `dvc plots` draws a confusion matrix from."""
    return [{"actual": classes[int(a)], "predicted": classes[int(b)]} for a, b in zip(y_true, y_pred)]


def confusion_figure(y_true, y_pred, classes, title: str):
    """Row-normalised confusion matrix with counts, as a matplotlib figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    cm = confusion_matrix(y_true, y_pred, labels=np.arange(len(classes)))
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual")
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(j, i, f"{cm[i, j]}", ha="center", va="center", fontsize=7,
                    color="white" if norm[i, j] > 0.5 else "black")
    ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def mean_std(fold_metrics: list[dict]) -> dict:
    """Mean and std over folds of every numeric leaf, as {key: {"mean": m, "std": s}} (same nesting)."""
    first = fold_metrics[0]
    out = {}
    for key, value in first.items():
        if isinstance(value, dict):
            out[key] = mean_std([m[key] for m in fold_metrics])
        elif isinstance(value, (int, float)) or value is None:
            vals = [m[key] for m in fold_metrics if m.get(key) is not None]
            out[key] = {"mean": float(np.mean(vals)), "std": float(np.std(vals))} if vals else None
    return out
