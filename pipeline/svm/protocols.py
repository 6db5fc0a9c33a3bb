"""Evaluation protocols of one experiment: which rows train, which test, which pick C/gamma.

- kfold: `svm.folds` subject-independent StratifiedGroupKFold folds (folds.py), train == test set;
- loso: leave one subject (group) out, every subject once (Lucey et al.'s CK+ AU protocol);
- split: the dataset's own split: train on `train` rows, C/gamma chosen on `val` rows when there
  are any (FER-2013: PublicTest), else on inner group folds; tested on `test` rows (FER-2013:
  PrivateTest; CK+: the subjects ingest held out, data.subject_holdout.test);
- cross: train on every row of one dataset, test on every row of another.
"""

from dataclasses import dataclass

import numpy as np

from ..core.dataset import FaceDataset
from .folds import group_folds, n_group_folds


@dataclass
class Fold:
    train: np.ndarray
    test: np.ndarray | None          # None: every row of the test set (cross)
    val: np.ndarray | None = None    # rows that pick the hyperparameters (split with val rows)


class ProtocolUnavailable(Exception):
    """The data cannot run this protocol (e.g. split on a dataset with no test rows): skipped."""


def same_dataset_protocol(protocol: str, train: str, test: str) -> str | None:
    """Why `protocol` does not fit train/test (None = it does)."""
    if (train == test) == (protocol == "cross"):
        return (f"protocol {protocol} needs train != test" if protocol == "cross"
                else f"protocol {protocol} needs train == test (got {train} -> {test}; use cross)")
    return None


def protocol_folds(protocol: str, ds: FaceDataset, strat: np.ndarray, groups: np.ndarray, rows: np.ndarray,
                   n_folds: int, seed: int) -> list[Fold]:
    """Folds over `rows` (indices into ds used by this run; strat = their stratification labels)."""
    if protocol == "cross":
        return [Fold(np.arange(len(rows)), None)]
    if protocol == "split":
        split = np.asarray(ds.split)[rows]
        train, val, test = (np.flatnonzero(split == s) for s in ("train", "val", "test"))
        if not len(test) or not len(train):
            raise ProtocolUnavailable(f"{ds.source} has {len(train)} train and {len(test)} test rows "
                                      "(CK+: set data.subject_holdout.test > 0)")
        use_val = len(val) and len(np.unique(strat[val])) > 1
        return [Fold(train, test, val if use_val else None)]
    if protocol == "loso":
        return [Fold(np.flatnonzero(groups != g), np.flatnonzero(groups == g)) for g in np.unique(groups)]
    return [Fold(tr, te) for tr, te in group_folds(strat, groups, n_folds, seed)]


def describe(protocol: str, folds: list[Fold], grouping: str, n_folds: int, groups: np.ndarray) -> str:
    if protocol == "cross":
        return "train on all rows of train set, test on all rows of test set"
    if protocol == "split":
        f = folds[0]
        sel = (f"C/gamma on {len(f.val)} val rows" if f.val is not None
               else "C/gamma on inner group folds of train")
        return f"own split: train {len(f.train)} rows, test {len(f.test)} rows ({sel})"
    if protocol == "loso":
        return f"leave-one-{grouping}-out ({len(folds)} folds)"
    return f"{n_group_folds(n_folds, groups)}-fold StratifiedGroupKFold by {grouping}"
