"""Feature files (`<features>/<feature_set>/<source>.npz`), written by stage svm_features, read by svm.

Each file holds float16 features, the rows of the cropped dataset they belong to, those rows' ids
and a json meta string: plain arrays, so they load without pickle. `FeatureStore` pairs each
matrix with its rows of the cropped dataset (`<cropped>/<source>.npz`).
"""

import json
from pathlib import Path

import numpy as np

from ..core.dataset import FaceDataset
from ..core.errors import PipelineError
from ..core.outputs import atomic_path


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


def save_features(path: Path | str, features: np.ndarray, ds: FaceDataset, rows: np.ndarray,
                  meta: dict) -> None:
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


def load_index(features_dir: Path | str) -> dict:
    """index.json of a features folder: layer, subsampling and every feature set's origin."""
    index_file = Path(features_dir) / "index.json"
    if not index_file.is_file():
        raise PipelineError(f"{index_file}: not found (run stage svm_features first)")
    return json.loads(index_file.read_text())


class FeatureStore:
    """Loads feature matrices (those of one feature set at a time: FER-2013 at full size is ~1 GB a
    set) and keeps the cropped datasets they index."""

    def __init__(self, features_dir: Path | str, cropped_dir: Path | str):
        self.features_dir, self.cropped_dir = Path(features_dir), Path(cropped_dir)
        self._datasets, self._features = {}, {}
        self._current = None

    def feature_file(self, feature_set: str, source: str) -> Path:
        return self.features_dir / feature_set / f"{source}.npz"

    def dataset_file(self, source: str) -> Path:
        return self.cropped_dir / f"{source}.npz"

    def available(self, feature_set: str, source: str) -> bool:
        return self.feature_file(feature_set, source).is_file() and self.dataset_file(source).is_file()

    def dataset(self, source: str) -> FaceDataset:
        if source not in self._datasets:
            self._datasets[source] = FaceDataset.load(self.dataset_file(source))
        return self._datasets[source]

    def get(self, feature_set: str, source: str) -> tuple[np.ndarray, FaceDataset, dict]:
        """(features, the cropped rows they belong to, meta) of one feature set and source."""
        key = (feature_set, source)
        if feature_set != self._current:  # memory: drop the matrices of the previous feature set
            self._features, self._current = {}, feature_set
        if key not in self._features:
            X, rows, ids, meta = load_features(self.feature_file(feature_set, source))
            ds = self.dataset(source)
            if rows.max(initial=-1) >= len(ds) or not np.array_equal(ds.ids[rows], ids):
                raise PipelineError(f"{self.features_dir / feature_set / source}.npz: rows do not match "
                                    f"{self.cropped_dir / source}.npz (rerun stage svm_features)")
            self._features[key] = (X, ds.subset(rows), meta)
        return self._features[key]
