"""Training the transfer models: the fusion module Φ, then the transfer U-Net Ω and the pix2pix baseline.

Each phase is one `fit()` resumed through core RunCheckpoint (`<checkpoints>/<phase>/<fingerprint>/`)
and logs its per-epoch losses through dvclive into `<live>/<phase>/`. A phase that a killed run had
finished restores its last epoch and trains no further; the phase it was killed in resumes at its next
epoch. A fingerprint leaves out the epoch counts (a run restarted with more epochs resumes); Φ's holds
only the keys Φ reads, the transfer phase's includes Φ's and `fusion_epochs` (its inputs are Φ's
outputs). Each phase seeds its own networks (seed, seed + 1, seed + 2), so a phase's start does not
depend on which phases ran before it in the process.
"""

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ..core.checkpoint import RunCheckpoint, data_digest, fingerprint
from ..core.live import keras_callback, open_live
from .conditions import Conditioning
from .encodings import DETECT_SIZE, FLIP_INDEX
from .networks import FusionGAN, TransferGAN, fusion_network, patch_discriminator, unet_generator
from .pairs import TransferData

# the keys Φ's training reads (its fingerprint): Ω-only keys never invalidate a trained Φ
FUSION_KEYS = ("source", "size", "test_fraction", "seed", "fusion_filters", "batch_size", "g_lr", "d_lr",
               "beta_1", "beta_2", "fusion_weights", "flip", "train_pairs", "landmark_encoding",
               "heatmap_sigma", "fusion_coord_weight")


def adam_pair(cfg):
    """(generator, discriminator) Adam optimizers (params g_lr, d_lr, beta_1, beta_2)."""
    return (keras.optimizers.Adam(float(cfg.g_lr), beta_1=float(cfg.beta_1), beta_2=float(cfg.beta_2)),
            keras.optimizers.Adam(float(cfg.d_lr), beta_1=float(cfg.beta_1), beta_2=float(cfg.beta_2)))


def _flip(kind, x):
    """Left-right flip of one example: 'image' (H, W, C), 'points' (68, 2) in [0, 1] units, or an int:
    an image whose channel of that index is a horizontal displacement (negated)."""
    if kind == "points":
        x = tf.gather(x, FLIP_INDEX)
        return tf.stack([(1.0 - 1.0 / DETECT_SIZE) - x[:, 0], x[:, 1]], -1)
    x = tf.reverse(x, axis=[1])
    if kind == "image":
        return x
    return x * tf.one_hot(kind, x.shape[-1], on_value=-1.0, off_value=1.0, dtype=x.dtype)


def paired_dataset(arrays: tuple, batch_size: int, flip: bool, seed: int, kinds: tuple | None = None):
    """tf.data of shuffled batches of aligned example tuples; optional joint left-right flip (the paper's
    training augmentation: every image of a tuple flips together; `kinds` say how each array flips)."""
    kinds = kinds or ("image",) * len(arrays)
    ds = tf.data.Dataset.from_tensor_slices(tuple(arrays)).shuffle(len(arrays[0]), seed=seed)
    if flip:
        def joint_flip(*xs):
            do = tf.random.uniform(()) < 0.5
            return tuple(tf.cond(do, lambda x=x, k=k: _flip(k, x), lambda x=x: x) for x, k in zip(xs, kinds))
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
              live_dir: Path, callbacks=(), kinds: tuple | None = None) -> dict:
    """fit() one module for `epochs` epochs, resuming `run`'s backup, logging into `live_dir/name`; returns
    the last epoch's losses this fit() ran ({} when none ran)."""
    n_inputs = len(model.fusion.inputs) if isinstance(model, FusionGAN) else 2
    model([a[:2] for a in arrays[:n_inputs]])  # built before a backup is restored into it
    if not epochs:
        return {}
    ds = paired_dataset(arrays, cfg.batch_size, cfg.flip, cfg.seed, kinds)
    live = open_live(Path(live_dir) / name, resume=run.resuming)
    resumed = f", resuming {run.dir}" if run.resuming else ""
    print(f"{name}: {len(arrays[0])} examples, {epochs} epoch(s){resumed}")
    history = model.fit(
        ds, epochs=epochs, shuffle=False, verbose=2,
        callbacks=[run.callback(), ReplayDataOrder(ds, live), keras_callback(live), *callbacks])
    return {k: float(v[-1]) for k, v in history.history.items() if v}


def train_fusion(data: TransferData, cfg, triples: np.ndarray, root: Path, live_dir: Path,
                 callbacks=(), shared: bool = False) -> tuple[keras.Model, RunCheckpoint, dict]:
    """Φ on the training triples: (the fusion network, its RunCheckpoint under `root`, last losses).
    `shared`: the backup goes to `root/<fingerprint>/`, so Φs of other configs under `root` are kept
    (ablation variants that share a Φ restore it instead of training it again)."""
    cond = Conditioning.of(cfg)
    src, tgt, truth = triples.T
    keras.utils.set_random_seed(cfg.seed)
    fusion = FusionGAN(fusion_network(cfg.size, cfg.fusion_filters, cond.channels, cond.points),
                       patch_discriminator(cfg.size, cond.channels, cfg.fusion_filters, name="landmark_d"),
                       weights=cfg.fusion_weights, coord_weight=cfg.fusion_coord_weight)
    fusion.compile(*adam_pair(cfg))
    marks, points = cond.marks(data), data.points
    if cond.points:
        arrays = (marks[src], marks[tgt], points[src], points[tgt], marks[truth], points[truth])
        kinds = ("image", "image", "points", "points", "image", "points")
    else:
        arrays, kinds = (marks[src], marks[tgt], marks[truth]), None
    keys = cfg.model_dump(mode="json", include=set(FUSION_KEYS))
    fp = fingerprint("fusion", keys, data_digest(*arrays))
    run = RunCheckpoint(Path(root) / fp if shared else root, fp)
    losses = fit_phase("fusion", fusion, arrays, cfg, cfg.fusion_epochs, run, live_dir, callbacks, kinds)
    return fusion.fusion, run, losses


def train_omega(name: str, data: TransferData, cfg, condition: np.ndarray, triples: np.ndarray,
                root: Path, live_dir: Path, upstream=(), callbacks=(), dx_channel=None, seed_offset=1):
    """Ω (or pix2pix) on (condition, target face) -> truth face: (the U-Net, its RunCheckpoint, last
    losses)."""
    _, tgt, truth = triples.T
    keras.utils.set_random_seed(cfg.seed + seed_offset)
    fm = cfg.feature_matching_weight if name != "pix2pix" else 0.0
    unet = unet_generator(cfg.size, 1 + condition.shape[-1], cfg.base_filters, name=f"{name}_unet")
    gan = TransferGAN(unet,
                      patch_discriminator(cfg.size, 2, cfg.base_filters, name=f"{name}_d"),
                      weights=cfg.transfer_weights, feature_matching=fm)
    gan.compile(*adam_pair(cfg))
    arrays = (condition, data.faces[tgt], data.faces[truth])
    kinds = ("image" if dx_channel is None else dx_channel, "image", "image")
    config = cfg.model_dump(mode="json", exclude={"epochs", "fusion_epochs"})
    digest = data_digest(*arrays[1:]) if upstream else data_digest(*arrays)
    run = RunCheckpoint(root, fingerprint(name, config, *upstream, digest))
    losses = fit_phase(name, gan, arrays, cfg, cfg.epochs, run, live_dir, callbacks, kinds)
    return gan.generator, run, losses


def omega_training_condition(fusion, data: TransferData, cfg, triples: np.ndarray) -> np.ndarray:
    """Ω's training conditions: Φ's outputs (omega_landmarks fused, the paper) or the truth's landmarks."""
    cond = Conditioning.of(cfg)
    src, tgt, truth = triples.T
    if cfg.omega_landmarks == "truth":
        return cond.truth_condition(data, tgt, truth)
    return cond.proposed_condition(fusion, data, src, tgt)


def train_models(data: TransferData, cfg, checkpoints: Path, live_dir: Path, callbacks=(),
                 pix2pix: bool = True) -> dict:
    """Train Φ, then Ω (and pix2pix) on `cfg.train_pairs` training triples.

    Returns {'fusion', 'proposed', 'pix2pix': the networks, 'triples': the training triples, 'runs': the
    RunCheckpoints, to `finish()` once the models are saved}. `callbacks` go to every phase's fit().
    """
    tr = data.triples("train", cfg.train_pairs, cfg.seed)
    checkpoints = Path(checkpoints)
    cond = Conditioning.of(cfg)
    fusion, fusion_run, losses = train_fusion(data, cfg, tr, checkpoints / "fusion", live_dir, callbacks)
    nets, runs, final = {"fusion": fusion}, {"fusion": fusion_run}, {"fusion": losses}
    condition = omega_training_condition(fusion, data, cfg, tr)
    # Φ's outputs are the proposed phase's inputs: its backup is only valid for that Φ
    nets["proposed"], runs["proposed"], final["proposed"] = train_omega(
        "proposed", data, cfg, condition, tr, checkpoints / "proposed", live_dir,
        upstream=(fusion_run.fingerprint, cfg.fusion_epochs), callbacks=callbacks, dx_channel=cond.dx_channel)
    if pix2pix:
        nets["pix2pix"], runs["pix2pix"], final["pix2pix"] = train_omega(
            "pix2pix", data, cfg, data.faces[tr[:, 0]], tr, checkpoints / "pix2pix", live_dir,
            callbacks=callbacks, seed_offset=2)
    return {**nets, "triples": tr, "runs": runs, "conditioning": cond, "final_losses": final}


def finish(runs: dict, checkpoints: Path) -> None:
    """Drop every phase's backup (after the models are written) and the emptied checkpoints folder."""
    for run in runs.values():
        run.finish()
    checkpoints = Path(checkpoints)
    if checkpoints.is_dir() and not any(checkpoints.iterdir()):
        checkpoints.rmdir()


def training_card(data: TransferData, cfg, triples: np.ndarray, final_losses: dict | None = None) -> dict:
    """reports/transfer/training.json: what was trained on what, each phase's last-epoch losses (per-epoch
    losses are in the dvclive log)."""
    return {"dataset": data.source, "input": str(data.path), "size": cfg.size,
            "train_subjects": data.count("train"), "test_subjects": data.count("test"),
            "train_triples": len(triples), "params": cfg.model_dump(mode="json"),
            "final_losses": final_losses or {}}
