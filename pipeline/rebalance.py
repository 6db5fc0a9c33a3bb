"""Stage `rebalance`: even out the training classes of the primary dataset with imbalanced-learn.

Strategies (`rebalance.strategy`): none; cap (RandomUnderSampler cuts majority classes to
`rebalance.cap` rows, as the thesis caps per-class counts); random_oversample (RandomOverSampler
copies rows up to the per-class target); smote (SMOTE interpolates new images up to the target).
Only the training split is touched. Oversampled rows get new unique ids and synthetic=True, so
they can never be mistaken for real images. data/balanced/targets.json tells the synthetic stage
how many training rows each class should reach: it fills max(0, target - count).
"""

import argparse
from pathlib import Path

import numpy as np

from pipeline.core.cli import run_stage
from pipeline.core.dataset import FaceDataset, resolve_primary
from pipeline.core.errors import PipelineError
from pipeline.core.outputs import atomic_path, write_json
from pipeline.core.params import choice, section

CROPPED_DIR = Path("data/cropped")
BALANCED_DIR = Path("data/balanced")
REPORT_DIR = Path("reports/rebalance")
STRATEGIES = ("none", "cap", "random_oversample", "smote")


def class_targets(counts: dict, target) -> dict:
    """Per-class target totals from `rebalance.target`: max | <int> | {class: n} (others keep their count)."""
    if target == "max":
        top = max(counts.values())
        return {c: top for c in counts}
    if isinstance(target, bool):
        raise PipelineError(f"params.yaml: rebalance.target={target!r} is not max, an int or a class: count mapping")
    if isinstance(target, int):
        if target < 1:
            raise PipelineError(f"params.yaml: rebalance.target={target} must be positive")
        return {c: target for c in counts}
    if isinstance(target, dict):
        unknown = sorted(set(target) - set(counts))
        if unknown:
            raise PipelineError(f"params.yaml: rebalance.target names unknown classes {unknown} (known: {', '.join(counts)})")
        out = dict(counts)
        for c, n in target.items():
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise PipelineError(f"params.yaml: rebalance.target.{c}={n!r} must be a non-negative int")
            out[c] = n
        return out
    raise PipelineError(f"params.yaml: rebalance.target={target!r} is not max, an int or a class: count mapping")


def oversampled_rows(train: FaceDataset, source_index: np.ndarray, images: np.ndarray, labels: np.ndarray,
                     tag: str) -> FaceDataset:
    """New training rows: metadata copied from `source_index` rows, new pixels/labels, new ids, synthetic."""
    rows = train.subset(source_index)
    rows.images, rows.labels = images.astype(np.uint8), labels.astype(np.int64)
    rows.ids = np.array([f"{i}#{tag}{k}" for k, i in enumerate(rows.ids)])
    rows.synthetic = np.ones(len(rows), bool)
    return rows


def rebalance_train(train: FaceDataset, strategy: str, params: dict, targets: dict) -> FaceDataset:
    """The training split after `strategy`; real rows keep their ids, new rows are synthetic."""
    from imblearn.over_sampling import SMOTE, RandomOverSampler
    from imblearn.under_sampling import RandomUnderSampler

    seed = int(params.get("seed", 0))
    counts = train.class_counts()
    present = {c: n for c, n in counts.items() if n > 0}
    x_index = np.arange(len(train)).reshape(-1, 1)
    if strategy == "none":
        return train
    if strategy == "cap":
        cap = params.get("cap")
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
            raise PipelineError(f"params.yaml: rebalance.cap={cap!r} must be a positive int")
        wanted = {train.classes.index(c): min(n, cap) for c, n in present.items()}
        kept, _ = RandomUnderSampler(sampling_strategy=wanted, random_state=seed).fit_resample(x_index, train.labels)
        return train.subset(np.sort(kept[:, 0]))
    wanted = {train.classes.index(c): max(n, targets[c]) for c, n in present.items()}
    if all(wanted[train.classes.index(c)] == n for c, n in present.items()):
        return train
    if strategy == "random_oversample":
        index, _ = RandomOverSampler(sampling_strategy=wanted, random_state=seed).fit_resample(x_index, train.labels)
        if not np.array_equal(index[:len(train), 0], x_index[:, 0]):  # imblearn keeps the originals first
            raise RuntimeError("RandomOverSampler reordered the original rows")
        new = index[len(train):, 0]
        rows = oversampled_rows(train, new, train.images[new], train.labels[new], "oversample")
        return FaceDataset.concat([train, rows])
    # smote: interpolate between a row and one of its k nearest same-class neighbours in pixel space
    k = int(params.get("smote_k", 5))
    grow = [c for c, n in present.items() if wanted[train.classes.index(c)] > n]
    smallest = min(present[c] for c in grow)
    if smallest < 2:
        raise PipelineError(f"params.yaml: rebalance.strategy=smote needs at least 2 training rows per class to grow "
                            f"(a class has {smallest})")
    sampler = SMOTE(sampling_strategy=wanted, k_neighbors=min(k, smallest - 1), random_state=seed)
    x, y = sampler.fit_resample(train.images.reshape(len(train), -1).astype(np.float32), train.labels)
    x_new, y_new = x[len(train):], y[len(train):]
    # SMOTE does not say which rows it mixed: metadata comes from a row of the same class, and
    # subject/sequence/AU are blanked because the new image belongs to no one.
    first_of_class = np.array([np.flatnonzero(train.labels == label)[0] for label in y_new], np.int64)
    pixels = np.clip(np.rint(x_new), 0, 255).reshape(-1, *train.images.shape[1:])
    rows = oversampled_rows(train, first_of_class, pixels, y_new, "smote")
    rows.subject = np.full(len(rows), "", dtype=train.subject.dtype)
    rows.sequence = np.full(len(rows), "", dtype=train.sequence.dtype)
    rows.usage = np.full(len(rows), "", dtype=train.usage.dtype)
    rows.au_known = np.zeros(len(rows), bool)
    rows.au = np.zeros_like(rows.au)
    rows.extra = {k: np.zeros_like(v) for k, v in rows.extra.items()}  # '' / 0: per-row facts of no real image
    return FaceDataset.concat([train, rows])


def main(argv=None) -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    params = section("rebalance")
    data_params = section("data")
    strategy = choice(params.get("strategy", "none"), STRATEGIES, "rebalance.strategy")
    path = resolve_primary(data_params, CROPPED_DIR)
    ds = FaceDataset.load(path)
    train, rest = ds.of_split("train"), ds.subset(ds.split != "train")
    if not len(train):
        raise PipelineError(f"{path}: no training rows to rebalance")
    before = train.class_counts()
    present = {c: n for c, n in before.items() if n > 0}
    if strategy == "cap":
        cap = params.get("cap")
        capped = {c: min(n, cap) for c, n in present.items()} if isinstance(cap, int) and not isinstance(cap, bool) else present
        targets = class_targets(capped, params.get("target", "max"))
    else:
        targets = class_targets(present, params.get("target", "max"))
    balanced_train = rebalance_train(train, strategy, params, targets)
    balanced = FaceDataset.concat([balanced_train, rest]) if len(rest) else balanced_train
    if len(set(balanced.ids)) != len(balanced):
        raise PipelineError(f"{path}: rebalancing produced duplicate row ids")
    after = balanced_train.class_counts()
    targets_doc = {"dataset": ds.source, "classes": list(ds.classes),
                   "targets": {c: int(targets.get(c, 0)) for c in ds.classes},
                   "counts": {c: int(after[c]) for c in ds.classes},
                   "fill": {c: int(max(0, targets.get(c, 0) - after[c])) for c in ds.classes},
                   "note": "counts = training rows after rebalance (real + oversampled); the synthetic stage fills target - count"}
    summary = {"dataset": ds.source, "input": str(path), "strategy": strategy,
               "params": {k: params.get(k) for k in ("cap", "target", "smote_k", "seed")},
               "train_counts_before": before, "train_counts_after": after,
               "rows_removed": int(len(train) - np.sum(~balanced_train.synthetic & np.isin(balanced_train.ids, train.ids))),
               "rows_added_synthetic": int(balanced_train.synthetic.sum() - train.synthetic.sum()),
               "split_counts": {s: int((balanced.split == s).sum()) for s in ("train", "val", "test")},
               "targets": targets_doc["targets"]}
    with atomic_path(BALANCED_DIR, is_dir=True) as tmp_dir:
        balanced.save(tmp_dir / "dataset.npz")
        write_json(tmp_dir / "targets.json", targets_doc)
    write_json(REPORT_DIR / "summary.json", summary)
    print(f"rebalance: {ds.source} {strategy}: train {sum(before.values())} -> {sum(after.values())} rows", flush=True)


if __name__ == "__main__":
    run_stage(main)
