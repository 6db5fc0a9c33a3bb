"""New identity x expression combinations (beyond the paper): which faces to make, and the dataset of them.

Every training subject of the transfer split gets up to `augment_per_subject` expressions they never
show, each taken from another training subject; held-out transfer test subjects are never used.
"""

import cv2
import numpy as np

from ..core.dataset import FaceDataset


def plan_augmentation(labels, subjects, rows, per_subject: int, seed: int) -> list[tuple[int, int]]:
    """(target row, source row) pairs: each subject gets up to `per_subject` expressions it lacks,
    each shown by a source row of another subject among `rows`."""
    labels, subjects = np.asarray(labels), np.asarray(subjects)
    rng = np.random.default_rng(seed)
    plan = []
    for subj in sorted(set(subjects[rows].tolist())):
        own = rows[subjects[rows] == subj]
        missing = sorted(set(labels[rows].tolist()) - set(labels[own].tolist()))
        for label in rng.permutation(missing)[:per_subject]:
            donors = rows[(labels[rows] == label) & (subjects[rows] != subj)]
            if len(donors):
                plan.append((int(rng.choice(own)), int(rng.choice(donors))))
    return plan


def transferred_dataset(d: FaceDataset, plan: list[tuple[int, int]], outputs: np.ndarray) -> FaceDataset:
    """The canonical dataset of transferred faces: `outputs` in [-1, 1] (one per plan row) at the crop size,
    synthetic, split 'train', ids 'transfer/<target id>|<source id>', subject = the target identity."""
    n = len(plan)
    tgt = np.array([p[0] for p in plan], np.int64)
    src = np.array([p[1] for p in plan], np.int64)
    size = d.image_size
    if n:
        gray = np.clip((outputs[..., 0] + 1) * 127.5, 0, 255).astype(np.uint8)
        images = np.stack([cv2.resize(im, (size, size), interpolation=cv2.INTER_AREA) for im in gray])
    else:
        images = np.zeros((0, size, size), np.uint8)
    return FaceDataset(
        images=images, labels=d.labels[src], classes=d.classes, split=np.full(n, "train"),
        ids=[f"transfer/{d.ids[t]}|{d.ids[s]}" for t, s in plan], source=d.source,
        usage=np.full(n, "transfer"),
        subject=d.subject[tgt], sequence=np.full(n, ""), au=np.zeros((n, len(d.au_codes)), np.uint8),
        au_codes=d.au_codes, au_known=np.zeros(n, bool), synthetic=np.ones(n, bool),
        extra={"source_subject": d.subject[src], "source_id": d.ids[src], "target_id": d.ids[tgt]},
    )
