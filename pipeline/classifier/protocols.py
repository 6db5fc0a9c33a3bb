"""Which rows train, validate and test a model, per protocol, and what each mode adds to training.

  official             the dataset's own split (FER-2013: val = PublicTest, test = PrivateTest); a
                       dataset with subjects gets the subjects ingest held out (data.subject_holdout)
                       as test, or, with none held out, subject-independent k-fold (StratifiedGroupKFold
                       on subject), reported as mean and std. Synthetic or oversampled rows enter the
                       training split only; generated modes refuse k-fold on subject data, because their
                       generators trained on every fold's test subjects.
  thesis_random_split  the thesis's protocol: augment the whole dataset first, then a random
                       80/10/10 split, so synthetic/oversampled images also land in val and test.
                       It LEAKS by construction and is labelled so in every output.
  subject_kfold        the lab datasets' protocol (CK+, RaFD): subject-independent k-fold over every
                       subject, held-out ones included, beside `official`'s hold-out. Only for a
                       dataset with subjects and a mode without generated images (their generators
                       trained on the other folds' test subjects); elsewhere it has no runs.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.dataset import FaceDataset
from ..core.errors import PipelineError
from ..core.params import fail
from .config import GENERATED_MODES, TrainKeys
from .oversampling import METHODS, oversampled_rows
from .rows import Rows, generated_rows


@dataclass
class Fold:
    name: str
    train: Rows
    val: Rows
    test: Rows
    seed: int = 0


def added_rows(mode: str, rows: Rows, generated: Rows | None, cfg: TrainKeys, held_out=()) -> Rows:
    """What a mode adds to a training pool (nothing for none/classical); generated rows tied to a
    held-out subject (identity or expression donor) are left out."""
    if mode in METHODS:
        return oversampled_rows(rows, mode, cfg.seed, cfg.smote_k)
    if mode in GENERATED_MODES:
        return generated.take(np.flatnonzero(~generated.tied_to(held_out)))
    return Rows.empty(rows.images.shape[1])


def has_official_split(ds: FaceDataset) -> bool:
    """FER-2013-style usage (PublicTest + PrivateTest), or any dataset without subjects."""
    usage = set(ds.usage.tolist())
    return {"PublicTest", "PrivateTest"} <= usage or not ds.has_subjects


def evaluation_kind(ds: FaceDataset, wanted: str) -> str:
    """official (the dataset's split) | holdout (subjects ingest held out) | subject_kfold."""
    has_test = bool(np.any((ds.split == "test") & ~ds.synthetic))
    if has_official_split(ds) and wanted != "subject_kfold":
        return "official"
    if wanted == "holdout" and not has_test:
        raise fail("cnn.evaluation", f"holdout, but {ds.source} has no subjects held out "
                                     f"(set data.subject_holdout.test > 0)")
    if wanted == "auto":
        return "holdout" if has_test else "subject_kfold"
    return wanted


def split_by_subject(rows: Rows, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, val) indices: about 1/k of the subjects, stratified by class, go to val."""
    from sklearn.model_selection import StratifiedGroupKFold

    inner = StratifiedGroupKFold(n_splits=max(2, k), shuffle=True, random_state=seed)
    return next(inner.split(rows.images, rows.labels, rows.subject))


def check_generator_subjects(mode: str, test_subjects, split: Path | None) -> None:
    """Refuse when the transfer generator trained on a subject this fold tests on. `split` is its
    models/transfer/split.json. (Val subjects carved from the training subjects may have been seen by
    it, as by the per-class GANs: early stopping only.)"""
    if mode != "transfer" or split is None:
        return
    if not Path(split).is_file():
        raise PipelineError(f"{split}: missing (the subjects the transfer generator trained on)")
    seen = {s for s, part in json.loads(Path(split).read_text())["subjects"].items() if part == "train"}
    both = sorted(seen & set(test_subjects))
    if both:
        raise PipelineError(f"{split}: the transfer generator trained on {len(both)} subjects this protocol "
                            f"tests on (e.g. {both[0]}); retrain it on the same data.subject_holdout split")


def train_plus_added(mode, train: Rows, val: Rows, test: Rows, generated, cfg, split) -> Rows:
    """The training rows plus what the mode adds, none of it tied to a val or test subject."""
    check_generator_subjects(mode, set(test.subject.tolist()) - {""}, split)
    held_out = set(val.subject.tolist()) | set(test.subject.tolist())
    return train + added_rows(mode, train, generated, cfg, held_out)


def official_folds(ds: FaceDataset, mode: str, generated: Rows | None, cfg: TrainKeys,
                   transfer_split: Path | None = None) -> tuple[str, list[Fold]]:
    real = ~ds.synthetic
    seed, k = cfg.seed, cfg.folds
    kind = evaluation_kind(ds, cfg.evaluation)
    if kind == "official":
        misplaced = ds.synthetic & (ds.split != "train")
        if misplaced.any():
            raise PipelineError(f"{ds.source}: {misplaced.sum()} synthetic rows outside the train split")
        train = Rows.of(ds, ds.split == "train")  # includes rows a rebalance stage added to train
        val, test = Rows.of(ds, (ds.split == "val") & real), Rows.of(ds, (ds.split == "test") & real)
        train = train_plus_added(mode, train, val, test, generated, cfg, transfer_split)
        protocol = ("FER-2013 official: train = Training, val = PublicTest, test = PrivateTest"
                    if ds.source == "fer2013" else f"{ds.source} official split (train/val/test column)")
        return protocol, [Fold("official", train, val, test, seed)]
    if kind == "holdout":
        train, test = Rows.of(ds, ds.split == "train"), Rows.of(ds, (ds.split == "test") & real)
        val = Rows.of(ds, (ds.split == "val") & real)
        how_val = "the subjects ingest held out for val"
        if not len(val):
            tr, va = split_by_subject(train, k - 1, seed + 1)
            train, val = train.take(tr), train.take(va)
            how_val = f"1/{max(2, k - 1)} of the training subjects"
        train = train_plus_added(mode, train, val, test, generated, cfg, transfer_split)
        n_subj = len(set(test.subject.tolist()))
        protocol = (f"subject hold-out: test = the {n_subj} subjects ingest held out (data.subject_holdout), "
                    f"val = {how_val}; no generator saw the test subjects")
        return protocol, [Fold("holdout", train, val, test, seed)]
    if mode in GENERATED_MODES and ds.has_subjects:
        raise PipelineError(f"{ds.source}: mode {mode} under subject k-fold would test on subjects its "
                            f"generator trained on; hold subjects out instead "
                            f"(data.subject_holdout.test > 0, README)")
    from sklearn.model_selection import StratifiedGroupKFold

    pool = Rows.of(ds, real)  # rows a rebalance stage made are tied to no subject: left out here
    outer = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    folds = []
    for f, (rest, test) in enumerate(outer.split(pool.images, pool.labels, pool.subject)):
        rest_rows = pool.take(rest)
        tr, va = split_by_subject(rest_rows, k - 1, seed + f + 1)
        train = rest_rows.take(tr)
        train = train + added_rows(mode, train, generated, cfg)
        folds.append(Fold(f"fold{f + 1:02d}", train, rest_rows.take(va), pool.take(test), seed))
    protocol = (f"subject-independent {k}-fold (StratifiedGroupKFold on subject; val = 1/{max(2, k - 1)} "
                f"of the training subjects), mean and std over folds")
    return protocol, folds


def thesis_folds(ds: FaceDataset, mode: str, generated: Rows | None,
                 cfg: TrainKeys) -> tuple[str, list[Fold]]:
    """Augment the whole pool first, then a stratified random 80/10/10 split (the thesis's way)."""
    from sklearn.model_selection import train_test_split

    seed = cfg.seed
    pool = Rows.of(ds)
    pool = pool + added_rows(mode, pool, generated, cfg)
    idx = np.arange(len(pool))

    train, rest = train_test_split(idx, test_size=0.2, stratify=strata(pool.labels), random_state=seed)
    val, test = train_test_split(rest, test_size=0.5, stratify=strata(pool.labels[rest]), random_state=seed)
    protocol = ("thesis random 80/10/10 split made AFTER augmentation: synthetic/oversampled images "
                "reach val and test (leaks; not comparable to the official protocol)")
    return protocol, [Fold("thesis_random_split", pool.take(train), pool.take(val), pool.take(test), seed)]


def strata(labels: np.ndarray):
    """`labels` for a stratified split when every present class has >= 2 rows, else None."""
    counts = np.bincount(labels)
    counts = counts[counts > 0]
    return labels if len(counts) and counts.min() >= 2 else None


def protocol_runs(name: str, ds: FaceDataset, mode: str, generated: Rows | None, cfg: TrainKeys,
                  transfer_split: Path | None = None) -> tuple[str, list[Fold], bool]:
    """(description, the runs to train, repeated): one run per fold, or, for a single-split protocol
    with cnn.repeats > 1, the same split trained with seeds seed..seed+repeats-1."""
    if name == "subject_kfold":
        if not ds.has_subjects or mode in GENERATED_MODES:
            why = ("no subjects" if not ds.has_subjects
                   else f"mode {mode}'s generator saw every fold's subjects")
            return f"not run: {ds.source}: {why}", [], False
        description, folds = official_folds(ds, mode, generated,
                                            cfg.model_copy(update={"evaluation": "subject_kfold"}))
    elif name == "official":
        description, folds = official_folds(ds, mode, generated, cfg, transfer_split)
    else:
        description, folds = thesis_folds(ds, mode, generated, cfg)
    repeated = len(folds) == 1 and cfg.repeats > 1
    if repeated:
        seeds = [cfg.seed + r for r in range(cfg.repeats)]
        one = folds[0]
        folds = [Fold(f"{one.name}-seed{s}", one.train, one.val, one.test, s) for s in seeds]
        description += (f"; trained with {cfg.repeats} seeds ({seeds[0]}..{seeds[-1]}), "
                        f"mean and std over seeds")
    for fold in folds:
        leak = np.concatenate([fold.val.ids[fold.val.synthetic], fold.test.ids[fold.test.synthetic]])
        if name == "official" and len(leak):
            raise PipelineError(f"{name}: synthetic rows in val/test ({leak[0]}); refusing to score")
    return description, folds, repeated


def mode_inputs(mode: str, dataset: Path, added: Path | None,
                cfg: TrainKeys) -> tuple[FaceDataset, Rows | None, str]:
    """(the dataset, the generated rows of a gan/transfer mode, why the mode is skipped or '')."""
    ds = FaceDataset.load(dataset)
    if len(ds) == 0:
        raise PipelineError(f"{dataset}: dataset is empty")
    if ds.image_size < 16:
        raise PipelineError(f"{dataset}: images are {ds.image_size}px, the CNN needs >= 16px")
    if mode not in GENERATED_MODES:
        return ds, None, ""
    made = FaceDataset.load(added) if Path(added).is_file() else None
    if mode == "transfer" and made is not None and made.source != ds.source:
        return ds, None, (f"{added} holds {made.source} identities, the classifier dataset is {ds.source}; "
                          f"run it on {made.source} (README: CK+ profile)")
    if ds.has_subjects and evaluation_kind(ds, cfg.evaluation) == "subject_kfold":
        return ds, None, (f"{ds.source} is scored by subject k-fold, and the {mode} generator trained on "
                          f"every fold's test subjects; hold subjects out for it "
                          f"(data.subject_holdout.test > 0, README)")
    return ds, generated_rows(made, Path(added), ds, mode), ""
