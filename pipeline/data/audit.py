"""Leakage audit of one source: exact duplicates, near-duplicates (8x8 average hash), blank images,
and which rows `data.audit.drop` removes (training copies of val/test images, blanks)."""

import hashlib

import cv2
import numpy as np

from pipeline.core.dataset import FaceDataset
from pipeline.data.config import AuditParams
from pipeline.data.readers import DATASET_NAMES


def image_hashes(images: np.ndarray) -> np.ndarray:
    """Exact-content hash per image (hex)."""
    return np.array([hashlib.blake2b(im.tobytes(), digest_size=12).hexdigest() for im in images])


def average_hashes(images: np.ndarray) -> np.ndarray:
    """64-bit average hash of the 8x8 downsample: equal for near-identical images (re-encodes, tiny edits)."""
    small = np.stack([cv2.resize(im, (8, 8), interpolation=cv2.INTER_AREA) for im in images])
    small = small.reshape(len(images), 64)
    bits = small > small.mean(axis=1, keepdims=True)
    return np.packbits(bits, axis=1).view(">u8").ravel()


def group_stats(keys: np.ndarray, ds: FaceDataset, skip: np.ndarray) -> dict:
    """Groups of rows sharing a key: how many, extra copies, spanning splits, conflicting labels."""
    keep = np.flatnonzero(~skip)
    _, inv, counts = np.unique(keys[keep], return_inverse=True, return_counts=True)
    dup = counts > 1

    def distinct_per_group(values):
        pairs = np.unique(np.stack([inv, values[keep]]), axis=1)
        return np.bincount(pairs[0], minlength=len(counts))

    split_code = np.searchsorted(np.array(sorted(set(ds.split))), ds.split)
    spanning = dup & (distinct_per_group(split_code) > 1)
    conflicting = dup & (distinct_per_group(ds.labels) > 1)
    row_group = np.full(len(ds), -1)
    row_group[keep] = inv
    return {"groups": int(dup.sum()), "extra_copies": int((counts[dup] - 1).sum()),
            "rows_in_groups": int(counts[dup].sum()), "groups_spanning_splits": int(spanning.sum()),
            "groups_with_conflicting_labels": int(conflicting.sum()),
            "_row_group": row_group, "_spanning": spanning}


def train_rows_sharing_eval(row_group: np.ndarray, split: np.ndarray) -> np.ndarray:
    """Training rows in a group (row_group >= 0) that also holds a val/test row."""
    grouped = row_group >= 0
    group_has_eval = np.zeros(row_group.max() + 2, bool)
    np.logical_or.at(group_has_eval, row_group[grouped & (split != "train")], True)
    return grouped & (split == "train") & group_has_eval[row_group]


def audit(ds: FaceDataset, params: AuditParams) -> tuple[dict, np.ndarray]:
    """Leakage audit of one source; returns (report, mask of rows to keep)."""
    blank_policy = params.drop.blank
    drop_exact = params.drop.train_copies_of_eval
    drop_near = params.drop.train_near_copies_of_eval
    flat = ds.images.reshape(len(ds), -1)
    blank = flat.max(axis=1).astype(int) - flat.min(axis=1) <= params.blank_tolerance
    exact = group_stats(image_hashes(ds.images), ds, np.zeros(len(ds), bool))
    report = {"dataset": ds.source, "rows": len(ds),
              "exact_duplicates": {k: v for k, v in exact.items() if not k.startswith("_")}}
    # Training copies of an image that also sits in a val/test split leak test data into training.
    leaked = train_rows_sharing_eval(exact["_row_group"], ds.split)
    near_leaked = np.zeros(len(ds), bool)
    if params.near_duplicates or drop_near:
        near = group_stats(average_hashes(ds.images), ds, blank)
        near_leaked = train_rows_sharing_eval(near["_row_group"], ds.split)
        report["near_duplicates"] = {k: v for k, v in near.items() if not k.startswith("_")}
        report["near_duplicates"]["train_rows_sharing_eval"] = int(near_leaked.sum())
        report["near_duplicates"]["method"] = \
            "equal 64-bit average hash of the 8x8 downsample (blank images excluded)"
    drop = np.zeros(len(ds), bool)
    if drop_exact:
        drop |= leaked
    if drop_near:
        drop |= near_leaked
    if blank_policy == "train":
        drop |= blank & (ds.split == "train")
    elif blank_policy == "all":
        drop |= blank
    report["blank_images"] = {"count": int(blank.sum()), "ids": ds.ids[blank].tolist(),
                              "by_split": {s: int((blank & (ds.split == s)).sum())
                                           for s in np.unique(ds.split)}}
    report["train_copies_of_eval_images"] = int(leaked.sum())
    report["dropped"] = {
        "total": int(drop.sum()),
        "train_copies_of_eval_images": int((drop & leaked).sum()),
        "train_near_copies_of_eval_images": int((drop & near_leaked & ~leaked).sum()),
        "blank": int((drop & blank).sum()),
        "by_class": {c: int((drop & (ds.labels == i)).sum()) for i, c in enumerate(ds.classes)},
        "by_split": {s: int((drop & (ds.split == s)).sum()) for s in np.unique(ds.split)},
        "policy": {"train_copies_of_eval": drop_exact, "train_near_copies_of_eval": drop_near,
                   "blank": blank_policy},
    }
    return report, ~drop


def audit_markdown(source: str, report: dict) -> str:
    e, d = report["exact_duplicates"], report["dropped"]
    lines = [f"# Leakage audit: {DATASET_NAMES[source]} (`{source}`)", "",
             f"Dataset: {source}. Rows read: {report['rows']}.", "",
             "| check | count |", "|---|---|",
             f"| exact-duplicate groups | {e['groups']} |",
             f"| extra copies | {e['extra_copies']} |",
             f"| groups spanning splits | {e['groups_spanning_splits']} |",
             f"| groups with conflicting labels | {e['groups_with_conflicting_labels']} |",
             f"| blank images (grey range <= blank_tolerance) | {report['blank_images']['count']} |",
             f"| training copies of val/test images | {report['train_copies_of_eval_images']} |"]
    if "near_duplicates" in report:
        n = report["near_duplicates"]
        lines += [f"| near-duplicate groups (8x8 average hash) | {n['groups']} |",
                  f"| near-duplicate groups spanning splits | {n['groups_spanning_splits']} |"]
    lines += ["", f"Dropped {d['total']} rows ({d['train_copies_of_eval_images']} training copies of "
              f"val/test images, {d['train_near_copies_of_eval_images']} more near copies, "
              f"{d['blank']} blank); policy {d['policy']}.", ""]
    return "\n".join(lines)
