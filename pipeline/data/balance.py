"""Rebalancing the training split of the primary dataset: per-class caps and the per-class targets
the synthetic stage fills (max(0, target - count) new rows per class).

Strategies (`rebalance.strategy`): none; cap (imbalanced-learn's RandomUnderSampler cuts majority
classes to `rebalance.cap` rows, as the thesis caps per-class counts). Only the training split is
touched and no row is added here: oversampling is a classifier mode (train_classifier@<mode>).
"""

import numpy as np

from pipeline.core.dataset import FaceDataset
from pipeline.core.params import fail
from pipeline.data.config import RebalanceKeys


def class_targets(counts: dict, target) -> dict:
    """Per-class target totals from `rebalance.target`: max | <int> | {class: n} (others keep their count)."""
    if target == "max":
        top = max(counts.values())
        return {c: top for c in counts}
    if isinstance(target, int):
        return {c: target for c in counts}
    unknown = sorted(set(target) - set(counts))
    if unknown:
        raise fail("rebalance.target", f"names unknown classes {unknown} (known: {', '.join(counts)})")
    return {**counts, **target}


def cap_train(train: FaceDataset, cap: int, seed: int) -> FaceDataset:
    """The training rows left after cutting every class to at most `cap` rows (original order kept)."""
    from imblearn.under_sampling import RandomUnderSampler

    present = {c: n for c, n in train.class_counts().items() if n > 0}
    wanted = {train.classes.index(c): min(n, cap) for c, n in present.items()}
    x_index = np.arange(len(train)).reshape(-1, 1)
    sampler = RandomUnderSampler(sampling_strategy=wanted, random_state=seed)
    kept, _ = sampler.fit_resample(x_index, train.labels)
    return train.subset(np.sort(kept[:, 0]))


def rebalance(ds: FaceDataset, cfg: RebalanceKeys, source_path) -> tuple[FaceDataset, dict, dict]:
    """(balanced dataset, targets.json document, summary.json document) for the primary dataset."""
    train, rest = ds.of_split("train"), ds.subset(ds.split != "train")
    before = train.class_counts()
    present = {c: n for c, n in before.items() if n > 0}
    if cfg.strategy == "cap":
        targets = class_targets({c: min(n, cfg.cap) for c, n in present.items()}, cfg.target)
        balanced_train = cap_train(train, cfg.cap, cfg.seed)
    else:
        targets = class_targets(present, cfg.target)
        balanced_train = train
    balanced = FaceDataset.concat([balanced_train, rest]) if len(rest) else balanced_train
    # concat gathers the extra fields through a set, in string-hash order that changes with every process;
    # the saved file (and its md5 in dvc.lock) must not: keep the input's order
    balanced.extra = {k: balanced.extra[k] for k in ds.extra if k in balanced.extra}
    after = balanced_train.class_counts()
    targets_doc = {"dataset": ds.source, "classes": list(ds.classes),
                   "targets": {c: int(targets.get(c, 0)) for c in ds.classes},
                   "counts": {c: int(after[c]) for c in ds.classes},
                   "fill": {c: int(max(0, targets.get(c, 0) - after[c])) for c in ds.classes},
                   "note": "counts = training rows after rebalance; the synthetic stage fills target - count"}
    real_kept = ~balanced_train.synthetic & np.isin(balanced_train.ids, train.ids)
    summary = {"dataset": ds.source, "input": str(source_path), "strategy": cfg.strategy,
               "params": {"cap": cfg.cap, "target": cfg.target, "seed": cfg.seed},
               "train_counts_before": before, "train_counts_after": after,
               "rows_removed": int(len(train) - np.sum(real_kept)),
               "rows_added_synthetic": int(balanced_train.synthetic.sum() - train.synthetic.sum()),
               "split_counts": {s: int((balanced.split == s).sum()) for s in ("train", "val", "test")},
               "targets": targets_doc["targets"]}
    return balanced, targets_doc, summary
