"""Stage `train_classifier@<mode>`: train the CNN with one augmentation mode, score it per protocol.

Usage: python -m pipeline.train_classifier MODE [--dataset PATH] [--added PATH] [--out TAG]
MODE is none | classical | random_oversample | smote (stage train_classifier@<mode>) or one of the
generated modes gan | transfer (stages train_classifier_gan / _transfer: images made by a trained
generator, read from --added). Protocols (params `cnn.protocols`):
  official             the dataset's own split (FER-2013: val = PublicTest, test = PrivateTest); a
                       dataset with subjects gets the subjects ingest held out (data.subject_holdout)
                       as test, or, with none held out, subject-independent k-fold (StratifiedGroupKFold
                       on subject), reported as mean and std. Synthetic or oversampled rows enter the
                       training split only; generated modes refuse k-fold on subject data, because their
                       generators trained on every fold's test subjects.
  thesis_random_split  the thesis's protocol: augment the whole dataset first, then a random
                       80/10/10 split, so synthetic/oversampled images also land in val and test.
                       It LEAKS by construction and is labelled so in every output.
"""

import argparse
import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .core import classifier as clf
from .core.cli import run_stage
from .core.dataset import FaceDataset
from .core.errors import PipelineError
from .core.metrics import classification_metrics, confusion_figure, confusion_rows, mean_std
from .core.outputs import atomic_path, save_figure, write_json, write_text
from .core.params import choice, section

TRAINED_MODES = ("none", "classical", "random_oversample", "smote")  # cnn.modes: train_classifier@<mode>
GENERATED = {"gan": "data/synthetic/dataset.npz", "transfer": "data/transfer/dataset.npz"}  # own stages
MODES = TRAINED_MODES + tuple(GENERATED)
PROTOCOLS = ("official", "thesis_random_split")
EVALUATIONS = ("auto", "holdout", "subject_kfold")
DEFAULT_DATASET = "data/balanced/dataset.npz"
TRANSFER_SPLIT = Path("models/transfer/split.json")  # subjects the transfer generator trained on


@dataclass
class Rows:
    """The columns a training run needs, for one split (real rows plus any added ones)."""
    images: np.ndarray
    labels: np.ndarray
    ids: np.ndarray
    synthetic: np.ndarray
    subject: np.ndarray
    donor: np.ndarray  # transferred faces: the subject whose expression was copied ('' otherwise)

    FIELDS = ("images", "labels", "ids", "synthetic", "subject", "donor")

    @classmethod
    def of(cls, ds: FaceDataset, mask=None) -> "Rows":
        idx = np.flatnonzero(np.ones(len(ds), bool) if mask is None else mask)
        return cls(ds.images[idx], ds.labels[idx], ds.ids[idx], ds.synthetic[idx], ds.subject[idx],
                   np.full(len(idx), "", "<U1"))

    @classmethod
    def empty(cls, size: int) -> "Rows":
        return cls(np.zeros((0, size, size), np.uint8), np.zeros(0, np.int64), np.zeros(0, "<U1"),
                   np.zeros(0, bool), np.zeros(0, "<U1"), np.zeros(0, "<U1"))

    def __len__(self):
        return len(self.labels)

    def take(self, idx) -> "Rows":
        return Rows(*(getattr(self, k)[idx] for k in self.FIELDS))

    def __add__(self, other: "Rows") -> "Rows":
        return Rows(*(np.concatenate([getattr(self, k), getattr(other, k)]) for k in self.FIELDS))

    def tied_to(self, subjects) -> np.ndarray:
        """Rows whose identity or copied expression comes from one of `subjects`."""
        subjects = np.asarray(sorted(set(subjects) - {""}), dtype=str)
        return np.isin(self.subject, subjects) | np.isin(self.donor, subjects)


# ---- augmentation modes that add rows ----------------------------------------------------------
def oversampled_rows(rows: Rows, mode: str, seed: int) -> Rows:
    """New rows (synthetic=True, fresh ids) that bring every class up to the largest one.

    random_oversample duplicates images; smote interpolates between same-class neighbours in pixel
    space. Only `rows` are seen, so called on a training split nothing else leaks in.
    """
    counts = np.bincount(rows.labels)
    target = counts.max() if len(counts) else 0
    size = rows.images.shape[1] if len(rows) else 0
    grow = {c: int(target) for c, n in enumerate(counts) if 0 < n < target and (mode != "smote" or n >= 2)}
    if not grow:
        return Rows.empty(size)
    flat = rows.images.reshape(len(rows), -1)
    if mode == "random_oversample":
        from imblearn.over_sampling import RandomOverSampler

        sampler = RandomOverSampler(sampling_strategy=grow, random_state=seed)
        sampler.fit_resample(flat, rows.labels)
        src = sampler.sample_indices_[len(rows):]
        new = rows.take(src)
        ids = np.array([f"oversample:{i}:{k}" for k, i in enumerate(new.ids)])
        return Rows(new.images, new.labels, ids, np.ones(len(src), bool), new.subject, new.donor)
    from imblearn.over_sampling import SMOTE

    k = int(min(5, min(counts[c] for c in grow) - 1))
    sampler = SMOTE(sampling_strategy=grow, k_neighbors=k, random_state=seed)
    x, y = sampler.fit_resample(flat.astype(np.float32), rows.labels)
    x, y = x[len(rows):], y[len(rows):]
    images = np.clip(np.rint(x), 0, 255).astype(np.uint8).reshape(-1, size, size)
    ids = np.array([f"smote:{int(label)}:{k}" for k, label in enumerate(y)])
    return Rows(images, y.astype(np.int64), ids, np.ones(len(y), bool), np.full(len(y), "", "<U1"),
                np.full(len(y), "", "<U1"))


def load_generated(path: Path, primary: FaceDataset, mode: str) -> Rows:
    """Generated images (mode gan or transfer), relabelled into the primary dataset's class order and size."""
    return generated_rows(FaceDataset.load(path) if path.is_file() else None, path, primary, mode)


def generated_rows(syn: FaceDataset | None, path: Path, primary: FaceDataset, mode: str) -> Rows:
    """`load_generated` on a dataset already read from `path` (None: the file is missing).

    Transferred faces keep their identity (`subject`) and the expression donor
    (`extra['source_subject']`), so folds can drop rows tied to their val/test subjects.
    """
    if syn is None:
        raise PipelineError(f"{path}: missing; mode {mode} reads the images its generator made "
                            f"(run the {'synthesize' if mode == 'gan' else 'augment_transfer'} stage)")
    if len(syn) and not (np.all(syn.synthetic) and np.all(syn.split == "train")):
        raise PipelineError(f"{path}: synthetic dataset must hold rows with synthetic=True and split='train' only")
    missing = sorted(set(syn.classes) - set(primary.classes))
    if missing:
        raise PipelineError(f"{path}: classes {missing} are not in the primary dataset {primary.classes}")
    remap = np.array([primary.classes.index(c) for c in syn.classes], np.int64)
    images = syn.images
    size = primary.image_size
    if len(syn) and syn.image_size != size:
        import cv2

        images = np.stack([cv2.resize(im, (size, size), interpolation=cv2.INTER_AREA) for im in images])
    clash = np.intersect1d(syn.ids, primary.ids)
    if len(clash):
        raise PipelineError(f"{path}: {len(clash)} synthetic ids also name real rows (e.g. {clash[0]})")
    n = len(syn)
    donor = np.asarray(syn.extra.get("source_subject", np.full(n, "")), str) if mode == "transfer" else np.full(n, "")
    subject = syn.subject if mode == "transfer" else np.full(n, "")
    return Rows(images, remap[syn.labels] if n else syn.labels, syn.ids, np.ones(n, bool),
                np.asarray(subject, str), np.asarray(donor, str))


def added_rows(mode: str, rows: Rows, generated: Rows | None, seed: int, held_out=()) -> Rows:
    """What a mode adds to a training pool (nothing for none/classical); generated rows tied to a
    held-out subject (identity or expression donor) are left out."""
    if mode in ("random_oversample", "smote"):
        return oversampled_rows(rows, mode, seed)
    if mode in GENERATED:
        return generated.take(np.flatnonzero(~generated.tied_to(held_out)))
    return Rows.empty(rows.images.shape[1])


# ---- protocols: which rows train, validate, test ---------------------------------------------------
@dataclass
class Fold:
    name: str
    train: Rows
    val: Rows
    test: Rows


def has_official_split(ds: FaceDataset) -> bool:
    """FER-2013-style usage (PublicTest + PrivateTest), or any dataset without subjects."""
    usage = set(ds.usage.tolist())
    return {"PublicTest", "PrivateTest"} <= usage or not ds.has_subjects


def evaluation_kind(ds: FaceDataset, params: dict) -> str:
    """official (the dataset's split) | holdout (subjects ingest held out) | subject_kfold."""
    wanted = choice(params.get("evaluation", "auto"), EVALUATIONS, "cnn.evaluation")
    has_test = bool(np.any((ds.split == "test") & ~ds.synthetic))
    if has_official_split(ds) and wanted != "subject_kfold":
        return "official"
    if wanted == "holdout" and not has_test:
        raise PipelineError(f"{ds.source}: cnn.evaluation=holdout but no subjects are held out "
                            f"(set data.subject_holdout.test > 0)")
    if wanted == "auto":
        return "holdout" if has_test else "subject_kfold"
    return wanted


def split_by_subject(rows: Rows, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, val) indices: about 1/k of the subjects, stratified by class, go to val."""
    from sklearn.model_selection import StratifiedGroupKFold

    inner = StratifiedGroupKFold(n_splits=max(2, k), shuffle=True, random_state=seed)
    return next(inner.split(rows.images, rows.labels, rows.subject))


def check_generator_subjects(mode: str, test_subjects, path: Path = TRANSFER_SPLIT) -> None:
    """Refuse when the transfer generator trained on a subject this fold tests on. (Val subjects carved
    from the training subjects may have been seen by it, as by the per-class GANs: early stopping only.)"""
    if mode != "transfer" or not path.is_file():
        return
    seen = {s for s, part in json.loads(path.read_text())["subjects"].items() if part == "train"}
    both = sorted(seen & set(test_subjects))
    if both:
        raise PipelineError(f"{path}: the transfer generator trained on {len(both)} subjects this protocol "
                            f"tests on (e.g. {both[0]}); retrain it on the same data.subject_holdout split")


def train_plus_added(mode: str, train: Rows, val: Rows, test: Rows, generated: Rows | None, seed: int) -> Rows:
    """The training rows plus what the mode adds, none of it tied to a val or test subject."""
    check_generator_subjects(mode, set(test.subject.tolist()) - {""})
    held_out = set(val.subject.tolist()) | set(test.subject.tolist())
    return train + added_rows(mode, train, generated, seed, held_out)


def official_folds(ds: FaceDataset, mode: str, generated: Rows | None, params: dict) -> tuple[str, list[Fold]]:
    real = ~ds.synthetic
    seed = int(params.get("seed", 0))
    k = int(params.get("folds", 10))
    kind = evaluation_kind(ds, params)
    if kind == "official":
        misplaced = ds.synthetic & (ds.split != "train")
        if misplaced.any():
            raise PipelineError(f"{ds.source}: {misplaced.sum()} synthetic rows outside the train split")
        train = Rows.of(ds, ds.split == "train")  # includes rows a rebalance stage added to train
        val, test = Rows.of(ds, (ds.split == "val") & real), Rows.of(ds, (ds.split == "test") & real)
        train = train_plus_added(mode, train, val, test, generated, seed)
        protocol = ("FER-2013 official: train = Training, val = PublicTest, test = PrivateTest"
                    if ds.source == "fer2013" else f"{ds.source} official split (train/val/test column)")
        return protocol, [Fold("official", train, val, test)]
    if kind == "holdout":
        train, test = Rows.of(ds, ds.split == "train"), Rows.of(ds, (ds.split == "test") & real)
        val = Rows.of(ds, (ds.split == "val") & real)
        how_val = "the subjects ingest held out for val"
        if not len(val):
            tr, va = split_by_subject(train, k - 1, seed + 1)
            train, val = train.take(tr), train.take(va)
            how_val = f"1/{max(2, k - 1)} of the training subjects"
        train = train_plus_added(mode, train, val, test, generated, seed)
        n_subj = len(set(test.subject.tolist()))
        protocol = (f"subject hold-out: test = the {n_subj} subjects ingest held out (data.subject_holdout), "
                    f"val = {how_val}; no generator saw the test subjects")
        return protocol, [Fold("holdout", train, val, test)]
    if mode in GENERATED and ds.has_subjects:
        raise PipelineError(f"{ds.source}: mode {mode} under subject k-fold would test on subjects its generator "
                            f"trained on; hold subjects out instead (data.subject_holdout.test > 0, README)")
    from sklearn.model_selection import StratifiedGroupKFold

    pool = Rows.of(ds, real)  # rows a rebalance stage made are tied to no subject: left out here
    outer = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    folds = []
    for f, (rest, test) in enumerate(outer.split(pool.images, pool.labels, pool.subject)):
        rest_rows = pool.take(rest)
        tr, va = split_by_subject(rest_rows, k - 1, seed + f + 1)
        train = rest_rows.take(tr)
        train = train + added_rows(mode, train, generated, seed)
        folds.append(Fold(f"fold{f + 1:02d}", train, rest_rows.take(va), pool.take(test)))
    protocol = (f"subject-independent {k}-fold (StratifiedGroupKFold on subject; val = 1/{max(2, k - 1)} "
                f"of the training subjects), mean and std over folds")
    return protocol, folds


def thesis_folds(ds: FaceDataset, mode: str, synthetic: Rows | None, params: dict) -> tuple[str, list[Fold]]:
    """Augment the whole pool first, then a stratified random 80/10/10 split (the thesis's way)."""
    from sklearn.model_selection import train_test_split

    seed = int(params.get("seed", 0))
    pool = Rows.of(ds)
    pool = pool + added_rows(mode, pool, synthetic, seed)
    idx = np.arange(len(pool))

    train, rest = train_test_split(idx, test_size=0.2, stratify=strata(pool.labels), random_state=seed)
    val, test = train_test_split(rest, test_size=0.5, stratify=strata(pool.labels[rest]), random_state=seed)
    protocol = ("thesis random 80/10/10 split made AFTER augmentation: synthetic/oversampled images "
                "reach val and test (leaks; not comparable to the official protocol)")
    return protocol, [Fold("thesis_random_split", pool.take(train), pool.take(val), pool.take(test))]


def strata(labels: np.ndarray):
    """`labels` for a stratified split when every present class has >= 2 rows, else None."""
    counts = np.bincount(labels)
    counts = counts[counts > 0]
    return labels if len(counts) and counts.min() >= 2 else None


# ---- one training run ----------------------------------------------------------------------------
def rows_digest(*parts: Rows) -> str:
    """Ids, labels and pixels: regenerated images under the same ids (a retrained GAN) are new data."""
    h = hashlib.sha1()
    for rows in parts:
        h.update("\n".join(rows.ids.tolist()).encode())
        h.update(rows.labels.tobytes())
        h.update(np.ascontiguousarray(rows.images).tobytes())
    return h.hexdigest()[:16]


def train_fold(fold: Fold, mode: str, cfg: clf.ClassifierConfig, classes, workdir: Path, online: bool,
               verbose) -> tuple:
    """Train on fold.train (early stopping on fold.val); return (model, state, test probabilities)."""
    import keras

    clf.set_precision(cfg.precision)
    keras.utils.set_random_seed(cfg.seed)
    size = cfg.input_size(fold.train.images.shape[1])
    augment = clf.classical_augmentation(cfg) if online else None
    one_hot = len(classes) if cfg.label_smoothing else 0
    train_ds = clf.make_dataset(fold.train.images, fold.train.labels, cfg.batch, shuffle=True, augment=augment,
                                seed=cfg.seed, crop=size, random_crop=online, one_hot=one_hot)
    val_ds = (clf.make_dataset(fold.val.images, fold.val.labels, cfg.batch, crop=size, one_hot=one_hot)
              if len(fold.val) else None)
    steps = int(np.ceil(len(fold.train) / cfg.batch))

    def build():
        model = clf.build_classifier(len(classes), size, cfg)
        return clf.compile_classifier(model, cfg, steps)

    run = clf.ResumableTraining(workdir, cfg.fingerprint(mode, fold.name, online, rows_digest(fold.train, fold.val)),
                                cfg.patience)
    model, state = run.fit(build, train_ds, val_ds, cfg.epochs, verbose=verbose)
    return model, state, clf.predict_proba(model, fold.test.images, cfg.batch * 4, flip=cfg.tta_flip,
                                             crops=cfg.tta_crops)


def evaluate_protocol(name: str, ds: FaceDataset, mode: str, synthetic, params: dict, cfg, model_dir: Path,
                      report_dir: Path, verbose) -> dict:
    make = official_folds if name == "official" else thesis_folds
    description, folds = make(ds, mode, synthetic, params)
    online = mode in params.get("classical_in", ["classical"])
    classes = ds.classes
    repeats = int(params.get("repeats", 1))
    if repeats < 1:
        raise PipelineError(f"params.yaml: cnn.repeats={repeats} must be at least 1")
    repeated = len(folds) == 1 and repeats > 1  # one split: train it with several seeds, report mean and std
    seeds = [cfg.seed + r for r in range(repeats)] if repeated else [cfg.seed] * len(folds)
    if repeated:
        folds = [Fold(f"{folds[0].name}-seed{s}", folds[0].train, folds[0].val, folds[0].test) for s in seeds]
        description += f"; trained with {repeats} seeds ({seeds[0]}..{seeds[-1]}), mean and std over seeds"
    per_fold, y_true, y_pred, first_model = [], [], [], None
    for fold, fold_seed in zip(folds, seeds):
        leak = np.concatenate([fold.val.ids[fold.val.synthetic], fold.test.ids[fold.test.synthetic]])
        if name == "official" and len(leak):
            raise PipelineError(f"{name}: synthetic rows in val/test ({leak[0]}); refusing to score")
        sub = model_dir / name / (fold.name if len(folds) > 1 else "")
        print(f"[{mode}/{name}/{fold.name}] train {len(fold.train)} ({int(fold.train.synthetic.sum())} added), "
              f"val {len(fold.val)}, test {len(fold.test)}")
        model, state, proba = train_fold(fold, mode, replace(cfg, seed=fold_seed), classes, sub, online, verbose)
        if first_model is None:
            first_model = sub / "best.keras"
        m = classification_metrics(fold.test.labels, proba, classes)
        real = ~fold.test.synthetic
        m["test_synthetic_fraction"] = float(fold.test.synthetic.mean()) if len(fold.test) else 0.0
        if name != "official":  # where the leak shows: accuracy on real vs on synthetic test images
            pred = proba.argmax(1) if len(proba) else np.zeros(0, int)
            m["accuracy_real_test_rows"] = float(np.mean(pred[real] == fold.test.labels[real])) if real.any() else None
            m["accuracy_synthetic_test_rows"] = (float(np.mean(pred[~real] == fold.test.labels[~real]))
                                                 if (~real).any() else None)
        m["epochs_run"], m["best_epoch"] = state["epoch"], state["best_epoch"]
        per_fold.append(m)
        y_true.append(fold.test.labels)
        y_pred.append(proba.argmax(1) if len(proba) else np.zeros(0, np.int64))
    y_true, y_pred = np.concatenate(y_true), np.concatenate(y_pred)
    if len(folds) == 1:
        metrics = per_fold[0]
    else:
        metrics = mean_std([{k: v for k, v in m.items() if k != "support"} for m in per_fold])
        metrics["fold_accuracy"] = [m["accuracy"] for m in per_fold]
    fold0 = folds[0]
    result = {
        "protocol": name,
        "evaluation": description,
        "leaks_synthetic_into_test": name != "official",
        "folds": 1 if repeated else len(folds),
        "seeds": sorted(set(seeds)),
        "n_train": int(np.mean([len(f.train) for f in folds])),
        "n_train_added": int(np.mean([f.train.synthetic.sum() for f in folds])),
        "n_val": int(np.mean([len(f.val) for f in folds])),
        "n_test": int(np.mean([len(f.test) for f in folds])),
        "online_classical_augmentation": bool(online),
        "input_crop": int(cfg.crop),
        "test_views": len(clf.eval_views(ds.image_size, cfg.input_size(ds.image_size), cfg.tta_flip, cfg.tta_crops)),
        **metrics,
    }
    rows = confusion_rows(y_true, y_pred, classes)
    with atomic_path(report_dir / f"confusion_{name}.csv") as tmp:
        import csv

        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=["actual", "predicted"])
            w.writeheader()
            w.writerows(rows)
    title = f"{ds.source} / mode {mode} / {name}{' (LEAKY)' if name != 'official' else ''}"
    save_figure(confusion_figure(y_true, y_pred, classes, title), report_dir / f"confusion_{name}.png", dpi=110)
    result["_model"] = str(first_model)
    result["_split_ids"] = {"train": fold0.train.ids, "val": fold0.val.ids, "test": fold0.test.ids}
    return result


def headline(metrics: dict) -> dict:
    """The few numbers per protocol that become `dvc exp show` columns."""
    def value(v):
        return v["mean"] if isinstance(v, dict) and "mean" in v else v

    out = {}
    for proto, m in metrics.items():
        if not isinstance(m, dict) or "accuracy" not in m:
            continue
        out[proto] = {"accuracy": value(m["accuracy"]), "macro_f1": value(m["macro_f1"]),
                      "f1": {c: value(v) for c, v in m["f1"].items()}}
    return out


def skip(mode: str, ds: FaceDataset, params: dict, model_dir: Path, report_dir: Path, reason: str) -> dict:
    """A generated mode that cannot run on this dataset: say why in place of its metrics."""
    print(f"train_classifier {mode}: skipped: {reason}")
    metrics = {"dataset": ds.source, "mode": mode, "profile": str(params.get("profile", "demo")),
               "classes": list(ds.classes), "skipped": reason}
    write_json(model_dir / "model.json", {"mode": mode, "skipped": reason})
    write_json(report_dir / "metrics.json", metrics)
    return metrics


def run(mode: str, dataset_path: Path, added_path: Path | None = None, out_tag: str | None = None,
        verbose="auto") -> dict:
    params = section("cnn")
    choice(mode, MODES, "cnn mode")
    for mode_name in params.get("modes", TRAINED_MODES):
        if mode_name in GENERATED:
            raise PipelineError(f"params.yaml: cnn.modes lists {mode_name!r}; generated modes have their own "
                                f"stage (train_classifier_{mode_name}), list only {', '.join(TRAINED_MODES)}")
        choice(mode_name, TRAINED_MODES, "cnn.modes")
    protocols = params.get("protocols", ["official"])
    for p in protocols:
        choice(p, PROTOCOLS, "cnn.protocols")
    cfg = clf.ClassifierConfig.from_params(params)
    ds = FaceDataset.load(dataset_path)
    if len(ds) == 0:
        raise PipelineError(f"{dataset_path}: dataset is empty")
    if ds.image_size < 16:
        raise PipelineError(f"{dataset_path}: images are {ds.image_size}px, the CNN needs >= 16px")
    name = mode if out_tag is None else f"{out_tag}/{mode}"
    model_dir, report_dir = Path("models/cnn") / name, Path("reports/cnn") / name
    synthetic = None
    if mode in GENERATED:
        added_path = Path(added_path or GENERATED[mode])
        added = FaceDataset.load(added_path) if added_path.is_file() else None
        if mode == "transfer" and added is not None and added.source != ds.source:
            return skip(mode, ds, params, model_dir, report_dir,
                        f"{added_path} holds {added.source} identities, the classifier dataset is {ds.source}; "
                        f"run it on {added.source} (README: CK+ profile)")
        if ds.has_subjects and evaluation_kind(ds, params) == "subject_kfold":
            return skip(mode, ds, params, model_dir, report_dir,
                        f"{ds.source} is scored by subject k-fold, and the {mode} generator trained on every "
                        f"fold's test subjects; hold subjects out for it (data.subject_holdout.test > 0, README)")
        synthetic = generated_rows(added, added_path, ds, mode)
    metrics = {"dataset": ds.source, "mode": mode, "profile": str(params.get("profile", "demo")),
               "classes": list(ds.classes)}
    split_ids = {}
    for p in protocols:
        result = evaluate_protocol(p, ds, mode, synthetic, params, cfg, model_dir, report_dir, verbose)
        split_ids[p] = result.pop("_split_ids")
        model_file = Path(result.pop("_model"))
        if p == protocols[0]:
            with atomic_path(model_dir / "model.keras") as tmp:
                tmp.write_bytes(model_file.read_bytes())
            write_json(model_dir / "model.json", {"classes": list(ds.classes), "image_size": ds.image_size,
                                                  "dataset": ds.source, "mode": mode, "protocol": p,
                                                  "tta_flip": bool(cfg.tta_flip), "tta_crops": bool(cfg.tta_crops)})
        metrics[p] = result
        print(f"[{mode}/{p}] accuracy {_fmt(result['accuracy'])}  macro-F1 {_fmt(result['macro_f1'])}")
    metrics["headline"] = {"dataset": ds.source, **headline(metrics)}
    write_json(report_dir / "metrics.json", metrics)
    # ids of each split (first fold) so anyone can check what trained and what was scored
    with atomic_path(model_dir / "split_ids.npz") as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **{f"{p}_{s}": v for p, d in split_ids.items() for s, v in d.items()})
    write_text(report_dir / "params.json", json.dumps(params, indent=2, default=str) + "\n")
    return metrics


def _fmt(v):
    return f"{v['mean']:.4f} +- {v['std']:.4f}" if isinstance(v, dict) else f"{v:.4f}"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m pipeline.train_classifier", description=__doc__.split("\n")[0])
    parser.add_argument("mode", help=" | ".join(MODES))
    parser.add_argument("--dataset", default=None, help=f"canonical dataset (default cnn.dataset or {DEFAULT_DATASET})")
    parser.add_argument("--added", default=None, help="generated images for mode gan / transfer "
                                                      f"(default {', '.join(f'{k}: {v}' for k, v in GENERATED.items())})")
    parser.add_argument("--out", default=None, help="write to models/cnn/OUT/MODE and reports/cnn/OUT/MODE "
                                                    "(extra runs outside DVC, e.g. --out ckplus)")
    args = parser.parse_args(argv)
    params = section("cnn")
    dataset = Path(args.dataset or params.get("dataset", DEFAULT_DATASET))
    run(args.mode, dataset, args.added, args.out, verbose=params.get("verbose", "auto"))


if __name__ == "__main__":
    run_stage(main)
