"""Subject-independent folds: no subject (else sequence, else identical image) in train and test."""

import hashlib
import warnings

import numpy as np

from ..core.dataset import FaceDataset
from ..core.errors import PipelineError


def subject_groups(ds: FaceDataset) -> tuple[np.ndarray, str]:
    """Group ids for subject-independent folds: subject, else sequence, else identical image bytes."""
    if ds.has_subjects:
        return ds.subject, "subject"
    if len(ds) and np.all(ds.sequence != ""):
        return ds.sequence, "sequence"
    # No identity known (FER-2013): at least keep byte-identical duplicate images in one fold.
    return np.array([hashlib.md5(img.tobytes()).hexdigest() for img in ds.images]), "identical-image"


def n_group_folds(n_folds: int, groups: np.ndarray) -> int:
    """Folds actually made: at most one per group."""
    return min(int(n_folds), len(np.unique(groups)))


def group_folds(y: np.ndarray, groups: np.ndarray, n_folds: int, seed: int):
    """StratifiedGroupKFold splits: no group (subject) ever in both train and test of a fold."""
    from sklearn.model_selection import StratifiedGroupKFold

    n = n_group_folds(n_folds, groups)
    if n < 2:
        raise PipelineError(f"params.yaml: svm.folds={n_folds} needs at least 2 subjects/groups, "
                            f"data has {n}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "least populated class has fewer members"
        return list(StratifiedGroupKFold(n_splits=n, shuffle=True, random_state=seed).split(y, y, groups))
