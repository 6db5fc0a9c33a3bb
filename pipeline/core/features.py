"""Cached feature matrices (data/features/<feature_set>/<source>.npz), written by stage
svm_features and read by the SVM stage: float16 features, the rows of the cropped dataset they
belong to, and a json meta string. Plain arrays, so they load without pickle."""

import json
from pathlib import Path

import numpy as np

from .dataset import FaceDataset
from .errors import PipelineError
from .outputs import atomic_path

FEATURES_DIR = Path("data/features")


def stratified_rows(labels: np.ndarray, max_rows: int, seed: int) -> np.ndarray:
    """Sorted row indices of a class-stratified subsample of about max_rows rows (all if fewer)."""
    labels = np.asarray(labels)
    n = len(labels)
    if not max_rows or n <= max_rows:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    quota = np.maximum(1, np.floor(counts * max_rows / n)).astype(int)
    keep = [rng.choice(np.flatnonzero(labels == c), size=min(q, cnt), replace=False)
            for c, q, cnt in zip(classes, quota, counts)]
    return np.sort(np.concatenate(keep))


def save_features(path: Path | str, features: np.ndarray, ds: FaceDataset, rows: np.ndarray, meta: dict) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, features=features.astype(np.float16), rows=np.asarray(rows, np.int64),
                     ids=ds.ids[rows], meta=np.asarray(json.dumps(meta)))


def load_features(path: Path | str) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """(features float32 (N, D), rows into the cropped dataset, row ids, meta) of one file."""
    path = Path(path)
    if not path.is_file():
        raise PipelineError(f"{path}: feature file not found (run stage svm_features first)")
    try:
        with np.load(path, allow_pickle=False) as z:
            return z["features"].astype(np.float32), z["rows"], z["ids"], json.loads(str(z["meta"]))
    except Exception as exc:
        raise PipelineError(f"{path}: not a readable feature file ({exc})") from None
