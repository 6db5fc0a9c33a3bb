"""The one oversampler of the pipeline (imbalanced-learn): random duplicates or SMOTE children.

Called on a training split only (modes random_oversample and smote), so nothing of val or test
is seen; every added row gets a fresh id and synthetic=True.
"""

import numpy as np

from .rows import Rows

METHODS = ("random_oversample", "smote")


def growth(labels: np.ndarray, method: str) -> dict:
    """{class: target rows} bringing every present class up to the largest one (SMOTE needs >= 2 rows)."""
    counts = np.bincount(labels)
    target = counts.max() if len(counts) else 0
    return {c: int(target) for c, n in enumerate(counts) if 0 < n < target and (method != "smote" or n >= 2)}


def random_oversample(images: np.ndarray, labels: np.ndarray, seed: int) -> np.ndarray:
    """Indices of the rows RandomOverSampler duplicates (the new rows are copies of these)."""
    from imblearn.over_sampling import RandomOverSampler

    grow = growth(labels, "random_oversample")
    if not grow:
        return np.zeros(0, np.int64)
    sampler = RandomOverSampler(sampling_strategy=grow, random_state=seed)
    sampler.fit_resample(images.reshape(len(labels), -1), labels)
    return sampler.sample_indices_[len(labels):]


def smote(images: np.ndarray, labels: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """New (images, labels) interpolated in pixel space between same-class neighbours: SMOTE with
    k neighbours, fewer for a class with k rows or less."""
    from imblearn.over_sampling import SMOTE

    grow = growth(labels, "smote")
    size = images.shape[1] if len(labels) else 0
    if not grow:
        return np.zeros((0, size, size), np.uint8), np.zeros(0, np.int64)
    counts = np.bincount(labels)
    k = int(min(k, min(counts[c] for c in grow) - 1))
    sampler = SMOTE(sampling_strategy=grow, k_neighbors=k, random_state=seed)
    x, y = sampler.fit_resample(images.reshape(len(labels), -1).astype(np.float32), labels)
    x, y = x[len(labels):], y[len(labels):]
    return np.clip(np.rint(x), 0, 255).astype(np.uint8).reshape(-1, size, size), y.astype(np.int64)


def oversampled_rows(rows: Rows, method: str, seed: int, smote_k: int) -> Rows:
    """New rows (synthetic=True, fresh ids) that bring every class of `rows` up to the largest one."""
    if method == "random_oversample":
        new = rows.take(random_oversample(rows.images, rows.labels, seed))
        ids = np.array([f"oversample:{i}:{k}" for k, i in enumerate(new.ids)])
        if not len(new):
            return Rows.empty(rows.images.shape[1] if len(rows) else 0)
        return Rows(new.images, new.labels, ids, np.ones(len(new), bool), new.subject, new.donor)
    images, labels = smote(rows.images, rows.labels, smote_k, seed)
    if not len(labels):
        return Rows.empty(rows.images.shape[1] if len(rows) else 0)
    ids = np.array([f"smote:{int(label)}:{k}" for k, label in enumerate(labels)])
    n = len(labels)
    return Rows(images, labels, ids, np.ones(n, bool), np.full(n, "", "<U1"), np.full(n, "", "<U1"))
