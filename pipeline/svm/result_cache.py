"""Resume for stage svm: every finished run (experiment x feature set) is kept until the matrix is done.

One RunCheckpoint folder per run under `--checkpoints`, named by fingerprint(settings, data
digest): the run's key, every svm setting that changes results (not the experiment list, n_jobs or
blas_threads) and a digest of its feature matrices and labels, so changed data or settings never
reuse a stale result. A killed `dvc repro svm` reruns only the unfinished runs; a complete run
(no --only / --cached-only) removes the folder after writing its outputs.
"""

import shutil
from pathlib import Path

import numpy as np

from ..core.checkpoint import RunCheckpoint, data_digest, fingerprint
from .config import SvmKeys
from .features import FeatureStore
from .folds import subject_groups


def run_fingerprint(key: tuple, cfg: SvmKeys, store: FeatureStore) -> str:
    _task, feature_set, train, test = key[:4]
    arrays = []
    for source in (train, test):
        X, ds, _ = store.get(feature_set, source)
        arrays += [X, ds.ids, ds.labels, subject_groups(ds)[0]]
        arrays += [a for a in (ds.au, ds.au_known, ds.au_codes) if a is not None]
    settings = cfg.model_dump(mode="json", exclude={"experiments", "n_jobs", "blas_threads"})
    classes = [list(store.get(feature_set, s)[1].classes) for s in (train, test)]
    return fingerprint(list(key), settings, classes, data_digest(*arrays))


class ResultCache:
    """Finished runs of one `svm` stage run: results json (scores and labels as lists) per fingerprint."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def _checkpoint(self, key: tuple, cfg: SvmKeys, store: FeatureStore) -> RunCheckpoint:
        return RunCheckpoint(self.root, run_fingerprint(key, cfg, store))

    def load(self, key: tuple, cfg: SvmKeys, store: FeatureStore) -> dict | None:
        state = self._checkpoint(key, cfg, store).state()
        if not state:
            return None
        scores, y = state.pop("_scores"), state.pop("_y")
        return {**state, "_scores": np.asarray(scores, np.float64), "_y": np.asarray(y)}

    def save(self, key: tuple, cfg: SvmKeys, store: FeatureStore, result: dict) -> None:
        state = {k: v for k, v in result.items() if not k.startswith("_")}
        state["_scores"] = np.asarray(result["_scores"]).tolist()
        state["_y"] = np.asarray(result["_y"]).tolist()
        self._checkpoint(key, cfg, store).save_state(state)

    def clear(self) -> None:
        """After a complete run: its results are the stage's outputs now."""
        shutil.rmtree(self.root, ignore_errors=True)
