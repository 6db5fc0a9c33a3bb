"""Training the classifier's runs (one per protocol and fold or seed), resumable through RunCheckpoint.

A run's backup (weights, optimizer, epoch) and its best-val model and early-stopping state live in
`<checkpoints>/<protocol>[/<fold>]/<fingerprint>/` until the stage has written every model, so a
killed stage resumes the run it was in and reuses the runs it had finished. Per-epoch metrics go to
dvclive, one log per run under `<live>/<protocol>[/<fold>]/`.
"""

import json
import shutil
from pathlib import Path

import numpy as np

from ..core.checkpoint import RunCheckpoint, fingerprint
from ..core.dataset import FaceDataset
from ..core.distribute import make_strategy, shard, synchronized_batch_norm
from ..core.live import keras_callback, open_live
from ..core.outputs import atomic_path
from ..core.precision import choose_precision
from .config import TrainKeys, run_config
from .inputs import classical_augmentation, input_size, make_dataset
from .networks import build_classifier, compile_classifier, set_precision, step_timer
from .protocols import Fold, protocol_runs
from .rows import Rows


def _best_checkpoint(run: RunCheckpoint, patience: int):
    """Keras callback: keeps the best-val model beside the backup (state in run.state()) and stops
    after `patience` epochs without progress."""
    import keras

    class BestCheckpoint(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.state = {"epoch": 0, "best_val_accuracy": None, "best_epoch": 0, "wait": 0, "done": False,
                          **run.state()}

        def on_epoch_end(self, epoch, logs=None):
            logs = {k: float(v) for k, v in (logs or {}).items()}
            st = self.state
            st["epoch"] = epoch + 1
            score = logs.get("val_accuracy", logs.get("accuracy", 0.0))
            if st["best_val_accuracy"] is None or score > st["best_val_accuracy"] + 1e-4:
                st.update(best_val_accuracy=score, best_epoch=epoch + 1, wait=0)
                save_model(self.model, run.dir / "best.keras")
            else:
                st["wait"] += 1
            run.save_state(st)  # the best model first, then the state that points at it
            if st["wait"] >= patience:
                self.model.stop_training = True

    return BestCheckpoint()


def save_model(model, path: Path) -> None:
    with atomic_path(path) as tmp:  # tmp keeps the name, so Keras sees the .keras suffix
        model.save(tmp)


def fit_run(build, train_ds, val_ds, epochs: int, patience: int, run: RunCheckpoint, live_dir: Path,
            verbose=2, callbacks=()) -> tuple[Path, dict]:
    """Train `build()` with early stopping on val accuracy, resuming `run` after a kill.

    Returns (path of the best-val model inside the run's checkpoint, state: epoch, best_epoch,
    best_val_accuracy, stopped_early). A finished run (state done) is not trained again."""
    state = run.state()
    best = run.dir / "best.keras"
    if not (state.get("done") and best.is_file()):
        backup = run.callback()
        tracker = _best_checkpoint(run, patience)
        state = tracker.state
        if state["epoch"] < epochs and state["wait"] < patience:
            if run.resuming:
                print(f"resuming {run.dir} after epoch {state['epoch']}/{epochs}")
            model = build()
            live = open_live(live_dir, resume=run.resuming)
            with synchronized_batch_norm(model, model.distribute_strategy):
                model.fit(train_ds, validation_data=val_ds, epochs=epochs,
                          callbacks=[tracker, backup, keras_callback(live), *callbacks], verbose=verbose,
                          shuffle=False)  # tf.data shuffles
        state["stopped_early"] = state["wait"] >= patience and state["epoch"] < epochs
        state["done"] = True
        run.save_state(state)
    return best, state


def train_fold(fold: Fold, mode: str, cfg: TrainKeys, classes, online: bool, checkpoints: Path,
               live_dir: Path, verbose=2, callbacks=(), strategy=None) -> tuple[RunCheckpoint, Path, dict]:
    """Train on fold.train (early stopping on fold.val) with the fold's seed; (run, best model, state).

    `strategy`: a tf.distribute strategy (core.distribute; cfg.batch is the global batch)."""
    import keras
    import tensorflow as tf

    strategy = strategy or tf.distribute.get_strategy()

    cfg = cfg.model_copy(update={"seed": fold.seed})
    set_precision(cfg.precision)
    keras.utils.set_random_seed(cfg.seed)
    size = input_size(cfg.crop, fold.train.images.shape[1])
    augment = classical_augmentation(cfg) if online else None
    one_hot = len(classes) if cfg.label_smoothing else 0
    train_ds = shard(make_dataset(fold.train.images, fold.train.labels, cfg.batch, shuffle=True,
                                  augment=augment, seed=cfg.seed, crop=size, random_crop=online,
                                  one_hot=one_hot))
    val_ds = (shard(make_dataset(fold.val.images, fold.val.labels, cfg.batch, crop=size, one_hot=one_hot))
              if len(fold.val) else None)
    steps = int(np.ceil(len(fold.train) / cfg.batch))

    def build():
        with strategy.scope():  # weights and Adam's slots mirrored on every replica
            return compile_classifier(build_classifier(len(classes), size, cfg), cfg, steps)

    run = RunCheckpoint(checkpoints, fingerprint(run_config(cfg), mode, fold.name, online,
                                                 fold.train.digest(), fold.val.digest()))
    best, state = fit_run(build, train_ds, val_ds, cfg.epochs, cfg.patience, run, live_dir, verbose,
                          callbacks)
    return run, best, state


def train_mode(ds: FaceDataset, mode: str, generated: Rows | None, cfg: TrainKeys, models_dir: Path,
               live_dir: Path, checkpoints: Path, transfer_split: Path | None = None, verbose=2,
               callbacks=(), strategy: str = "none") -> dict:
    """Train every run of every protocol; write models_dir (one model, its rows and its training
    summary per run, plus manifest.json) at once, then drop the checkpoints. Returns the manifest.

    `strategy`: distribute.strategy (none | mirrored | multi_worker, core.distribute)."""
    dist = make_strategy(strategy)  # first: multi_worker sets up collectives before any other TF op
    online = mode in cfg.classical_in
    if not any(Path(checkpoints).rglob("state.json")):  # nothing to resume: start the logs anew
        shutil.rmtree(live_dir, ignore_errors=True)
    size = input_size(cfg.crop, ds.image_size)
    chosen, precision = choose_precision(cfg.precision, step_timer(len(ds.classes), size, cfg),
                                         Path(checkpoints) / "precision.json",
                                         json.dumps(run_config(cfg), sort_keys=True),
                                         f"train_classifier {mode}")
    cfg = cfg.model_copy(update={"precision": chosen})
    manifest = {"dataset": ds.source, "mode": mode, "classes": list(ds.classes), "image_size": ds.image_size,
                "input_size": size, "precision": precision,
                "online_classical_augmentation": bool(online),
                "train_params": cfg.model_dump(mode="json"), "protocols": {}}
    trained = []  # (sub folder, fold, best model, state, run)
    for name in cfg.protocols:
        description, folds, repeated = protocol_runs(name, ds, mode, generated, cfg, transfer_split)
        if not folds:  # subject_kfold on FER-2013 or a generated mode: nothing to train
            print(f"[{mode}/{name}] {description}")
            continue
        runs = []
        for fold in folds:
            sub = Path(name) / (fold.name if len(folds) > 1 else "")
            print(f"[{mode}/{name}/{fold.name}] train {len(fold.train)} "
                  f"({int(fold.train.synthetic.sum())} added), val {len(fold.val)}, test {len(fold.test)}")
            run, best, state = train_fold(fold, mode, cfg, ds.classes, online, checkpoints / sub,
                                          live_dir / sub, verbose, callbacks, dist)
            trained.append((sub, fold, best, state, run))
            runs.append(str(sub))
        manifest["protocols"][name] = {"evaluation": description, "folds": 1 if repeated else len(folds),
                                       "seeds": sorted({f.seed for f in folds}), "runs": runs}
    with atomic_path(models_dir, is_dir=True) as tmp:
        for sub, fold, best, state, _ in trained:
            write_run(tmp / sub, fold, best, state)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    for *_, run in trained:
        run.finish()
    shutil.rmtree(checkpoints, ignore_errors=True)  # stale runs of other configs, empty folders
    return manifest


def write_run(folder: Path, fold: Fold, best: Path, state: dict) -> None:
    """One run's model, the rows it trained/validated on (ids) and the test rows it is scored on."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(best, folder / "model.keras")
    with open(folder / "rows.npz", "wb") as f:
        np.savez_compressed(f, train_ids=fold.train.ids, train_synthetic=fold.train.synthetic,
                            val_ids=fold.val.ids, val_synthetic=fold.val.synthetic, test_ids=fold.test.ids,
                            test_images=fold.test.images, test_labels=fold.test.labels,
                            test_synthetic=fold.test.synthetic)
    summary = {"name": fold.name, "seed": fold.seed, "epochs_run": state["epoch"],
               "best_epoch": state["best_epoch"], "best_val_accuracy": state["best_val_accuracy"],
               "stopped_early": state["stopped_early"], "n_train": len(fold.train),
               "n_train_added": int(fold.train.synthetic.sum()), "n_val": len(fold.val),
               "n_test": len(fold.test)}
    (folder / "training.json").write_text(json.dumps(summary, indent=2) + "\n")


def write_skipped(models_dir: Path, live_dir: Path, ds: FaceDataset, mode: str, reason: str) -> dict:
    """A generated mode that cannot run on this dataset: the manifest says why, in place of models."""
    print(f"train_classifier {mode}: skipped: {reason}")
    manifest = {"dataset": ds.source, "mode": mode, "classes": list(ds.classes), "skipped": reason}
    with atomic_path(models_dir, is_dir=True) as tmp:
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.rmtree(live_dir, ignore_errors=True)
    Path(live_dir).mkdir(parents=True, exist_ok=True)
    return manifest
