"""Subject hold-out: whole subjects moved into val/test for sources with no split of their own."""

import numpy as np

from pipeline.core.dataset import FaceDataset


def hold_out_subjects(ds: FaceDataset, val: float, test: float, seed: int) -> FaceDataset:
    """Move whole subjects into val/test (only for sources that ship with no split of their own)."""
    if (val <= 0 and test <= 0) or not ds.has_subjects or np.any(ds.split != "train"):
        return ds
    subjects = np.unique(ds.subject)
    order = np.random.default_rng(seed).permutation(len(subjects))
    n_val, n_test = int(round(val * len(subjects))), int(round(test * len(subjects)))
    which = {subjects[i]: "val" if r < n_val else "test" if r < n_val + n_test else "train"
             for r, i in enumerate(order)}
    ds.split = np.array([which[s] for s in ds.subject])
    return ds
