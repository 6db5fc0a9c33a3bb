"""Training the transfer models: the fusion module Φ, then the transfer U-Net Ω and the pix2pix baseline.

Each phase is one `fit()` resumed through core RunCheckpoint (`<checkpoints>/<phase>/<fingerprint>/`)
and logs its per-epoch losses through dvclive into `<live>/<phase>/`. A phase that a killed run had
finished restores its last epoch and trains no further; the phase it was killed in resumes at its next
epoch. A fingerprint leaves out the epoch counts (a run restarted with more epochs resumes), but the
transfer phase's includes the fusion phase's and `fusion_epochs` (its inputs are Φ's outputs).
"""

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ..core.checkpoint import RunCheckpoint, data_digest, fingerprint
from ..core.live import keras_callback, open_live
from .networks import FusionGAN, TransferGAN, fusion_network, patch_discriminator, unet_generator
from .pairs import TransferData


def adam_pair(cfg):
    """(generator, discriminator) Adam optimizers (params g_lr, d_lr, beta_1, beta_2)."""
    return (keras.optimizers.Adam(float(cfg.g_lr), beta_1=float(cfg.beta_1), beta_2=float(cfg.beta_2)),
            keras.optimizers.Adam(float(cfg.d_lr), beta_1=float(cfg.beta_1), beta_2=float(cfg.beta_2)))


def paired_dataset(arrays: tuple, batch_size: int, flip: bool, seed: int):
    """tf.data of shuffled batches of aligned image tuples; optional joint left-right flip (the paper's
    training augmentation: every image of a tuple flips together)."""
    ds = tf.data.Dataset.from_tensor_slices(tuple(arrays)).shuffle(len(arrays[0]), seed=seed)
    if flip:
        def joint_flip(*xs):
            do = tf.random.uniform(()) < 0.5
            return tuple(tf.cond(do, lambda x=x: tf.reverse(x, axis=[1]), lambda x=x: x) for x in xs)
        ds = ds.map(joint_flip, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size, drop_remainder=len(arrays[0]) >= batch_size).prefetch(tf.data.AUTOTUNE)


class ReplayDataOrder(keras.callbacks.Callback):
    """On a resumed fit(): replay the data order of the epochs restored from the backup, number dvclive
    steps by epoch.

    tf.data reshuffles (and redraws the flips) on every iterator made of the dataset, and Keras makes
    two per epoch (one as an epoch ends, one as the next begins); a fit() resumed at epoch k first runs
    through the dataset 2k times, so its epochs see the batches an uninterrupted run sees
    (tests/transfer/test_train_lib.py compares the two).
    """

    ITERATORS_PER_EPOCH = 2

    def __init__(self, dataset, live):
        super().__init__()
        self.dataset, self.live, self.first = dataset, live, True

    def on_epoch_begin(self, epoch, logs=None):
        if self.first:
            self.first = False
            for _ in range(self.ITERATORS_PER_EPOCH * epoch):
                for _ in self.dataset:
                    pass
            self.live.step = epoch


def fit_phase(name: str, model: keras.Model, arrays: tuple, cfg, epochs: int, run: RunCheckpoint,
              live_dir: Path, callbacks=()) -> None:
    """fit() one module for `epochs` epochs, resuming `run`'s backup, logging into `live_dir/name`."""
    inputs = arrays[:-1] if isinstance(model, FusionGAN) else arrays[:2]
    model([a[:2] for a in inputs])  # built before a backup is restored into it
    if not epochs:
        return
    ds = paired_dataset(arrays, cfg.batch_size, cfg.flip, cfg.seed)
    live = open_live(Path(live_dir) / name, resume=run.resuming)
    resumed = f", resuming {run.dir}" if run.resuming else ""
    print(f"{name}: {len(arrays[0])} examples, {epochs} epoch(s){resumed}")
    model.fit(ds, epochs=epochs, shuffle=False, verbose=2,
              callbacks=[run.callback(), ReplayDataOrder(ds, live), keras_callback(live), *callbacks])


def train_models(data: TransferData, cfg, checkpoints: Path, live_dir: Path, callbacks=()) -> dict:
    """Train Φ, then Ω and pix2pix on `cfg.train_pairs` training triples.

    Returns {'fusion', 'proposed', 'pix2pix': the networks, 'triples': the training triples, 'runs': the
    RunCheckpoints, to `finish()` once the models are saved}. `callbacks` go to every phase's fit().
    """
    keras.utils.set_random_seed(cfg.seed)
    tr = data.triples("train", cfg.train_pairs, cfg.seed)
    src, tgt, truth = tr[:, 0], tr[:, 1], tr[:, 2]
    size, config = cfg.size, cfg.model_dump(mode="json", exclude={"epochs", "fusion_epochs"})
    checkpoints = Path(checkpoints)

    fusion = FusionGAN(fusion_network(size, cfg.fusion_filters),
                       patch_discriminator(size, 1, cfg.fusion_filters, name="landmark_d"),
                       weights=cfg.fusion_weights)
    fusion.compile(*adam_pair(cfg))
    arrays = (data.marks[src], data.marks[tgt], data.marks[truth])
    runs = {"fusion": RunCheckpoint(checkpoints / "fusion",
                                    fingerprint("fusion", config, data_digest(*arrays)))}
    fit_phase("fusion", fusion, arrays, cfg, cfg.fusion_epochs, runs["fusion"], live_dir, callbacks)
    fused = fusion.fusion.predict([data.marks[src], data.marks[tgt]], batch_size=64, verbose=0)

    nets = {"fusion": fusion.fusion}
    for name, condition in (("proposed", fused), ("pix2pix", data.faces[src])):
        gan = TransferGAN(unet_generator(size, 2, cfg.base_filters, name=f"{name}_unet"),
                          patch_discriminator(size, 2, cfg.base_filters, name=f"{name}_d"),
                          weights=cfg.transfer_weights)
        gan.compile(*adam_pair(cfg))
        arrays = (condition, data.faces[tgt], data.faces[truth])
        # Φ's outputs are the proposed phase's inputs: its backup is only valid for that Φ
        upstream = (runs["fusion"].fingerprint, cfg.fusion_epochs) if name == "proposed" else ()
        digest = data_digest(*arrays[1:]) if name == "proposed" else data_digest(*arrays)
        runs[name] = RunCheckpoint(checkpoints / name, fingerprint(name, config, *upstream, digest))
        fit_phase(name, gan, arrays, cfg, cfg.epochs, runs[name], live_dir, callbacks)
        nets[name] = gan.generator
    return {**nets, "triples": tr, "runs": runs}


def finish(runs: dict, checkpoints: Path) -> None:
    """Drop every phase's backup (after the models are written) and the emptied checkpoints folder."""
    for run in runs.values():
        run.finish()
    checkpoints = Path(checkpoints)
    if checkpoints.is_dir() and not any(checkpoints.iterdir()):
        checkpoints.rmdir()


def training_card(data: TransferData, cfg, triples: np.ndarray) -> dict:
    """reports/transfer/training.json: what was trained on what (per-epoch losses are in the dvclive log)."""
    return {"dataset": data.source, "input": str(data.path), "size": cfg.size,
            "train_subjects": data.count("train"), "test_subjects": data.count("test"),
            "train_triples": len(triples), "params": cfg.model_dump(mode="json")}
