"""Resumable DCGAN training: `fit()` with core's RunCheckpoint, dvclive logs and a divergence guard.

Every epoch the backup (both networks, G's weight average, both Adams, the RNGs) goes to
`<checkpoints>/<fingerprint>/`, so a killed run resumes where it stopped and ends with the same
weights as an uninterrupted one; the losses (d_loss, g_loss, mean D(real), mean D(fake)) and a
sample grid (of the model's `sampler`: G's weight average when `ema` > 0) every `sample_every`
epochs go to the dvclive folder. The class-conditional GAN trains through the same function
(`labels`, `build`). A non-finite loss, or a
discriminator that wins outright for `divergence_patience` epochs, stops training before that
epoch is backed up or logged: the last good backup is kept.
"""

import math
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from pipeline.core.checkpoint import RunCheckpoint, data_digest, fingerprint
from pipeline.core.distribute import make_strategy, shard, synchronized_batch_norm
from pipeline.core.errors import PipelineError
from pipeline.core.images import to_gan_inputs
from pipeline.core.live import keras_callback, open_live
from pipeline.core.precision import choose_precision, seconds_per_step

from .config import gan_config
from .networks import make_dcgan
from .samples import grid_latents, sample_grid

LOSS_KEYS = ("d_loss", "g_loss", "d_real", "d_fake")
# Keras 3's epoch iterator opens the dataset twice per epoch (one iterator is dropped unused) and
# every opening draws the next reshuffle seed: a run resumed at epoch k first skips the 2k
# openings an uninterrupted run made, so it sees the same batches (tests/gan check this).
OPENINGS_PER_EPOCH = 2


@dataclass
class TrainingResult:
    gan: object
    checkpoint: RunCheckpoint   # call .finish() once the models are written
    final: dict                 # last epoch's d_loss, g_loss, d_real, d_fake
    epochs_done: int
    resumed_from: int           # epoch the run resumed at (0 = fresh)
    seconds: float              # training time in this process
    seconds_total: float        # training time over every process of this run
    images: int                 # training images
    batch_size: int
    precision: dict             # {requested, chosen[, seconds_per_step per policy]} (precision: auto)


class TrainingDiverged(PipelineError):
    pass


class _Diverged(Exception):
    """Raised inside fit(), so the epoch that diverged is neither backed up nor logged."""

    def __init__(self, epoch: int, reason: str):
        super().__init__(reason)
        self.epoch, self.reason = epoch, reason


def _losses(logs) -> tuple[float, float]:
    logs = logs or {}
    return float(logs.get("d_loss", 0.0)), float(logs.get("g_loss", 0.0))


class DivergenceGuard(keras.callbacks.Callback):
    """Stops on a non-finite loss, or when D has won outright for `patience` epochs.

    `collapse` (feature_gan.collapse: d_loss_below, score_gap_above, patience) adds a stricter
    test: d_loss under d_loss_below while mean D(real) - mean D(fake) is above score_gap_above.
    """

    def __init__(self, patience: int, collapse=None):
        super().__init__()
        self.patience = patience
        self.collapse = collapse
        self.collapsed = 0
        self.won = 0
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        d, g = _losses(logs)
        if not (math.isfinite(d) and math.isfinite(g)):
            raise _Diverged(self.epoch, f"non-finite loss at batch {batch} (d_loss={d}, g_loss={g})")

    def on_epoch_end(self, epoch, logs=None):
        d, g = _losses(logs)
        if not (math.isfinite(d) and math.isfinite(g)):
            raise _Diverged(epoch, f"non-finite epoch loss (d_loss={d}, g_loss={g})")
        # D certain of everything and G's loss pinned high: G gets no gradient any more.
        self.collapsed = self.collapsed + 1 if d < 1e-3 and g > 10.0 else 0
        if self.collapsed >= self.patience:
            raise _Diverged(epoch, f"discriminator collapse: d_loss<0.001 and g_loss>10 for "
                                   f"{self.collapsed} epochs")
        if self.collapse is not None:
            rule = self.collapse
            gap = float((logs or {}).get("d_real", 0.0)) - float((logs or {}).get("d_fake", 1.0))
            self.won = self.won + 1 if d < rule.d_loss_below and gap > rule.score_gap_above else 0
            if self.won >= rule.patience:
                raise _Diverged(epoch, f"discriminator collapse: d_loss={d:.4g} < {rule.d_loss_below} and "
                                       f"D(real)-D(fake)={gap:.3f} > {rule.score_gap_above} for {self.won} "
                                       "epochs in a row (feature_gan.collapse); try DiffAugment, d_reg or "
                                       "a lower lr_d")


class EpochLog(keras.callbacks.Callback):
    """Per epoch, before the backup and dvclive's step: seconds, the sample grid, the run's state."""

    def __init__(self, cfg, live, run: RunCheckpoint, dataset, earlier: float, what: str):
        super().__init__()
        self.cfg, self.live, self.run, self.dataset, self.what = cfg, live, run, dataset, what
        self.latents = grid_latents(cfg.seed, cfg.latent_dim)
        self.earlier = earlier
        self.t0 = time.time()
        self.start = None
        self.final = {}

    def on_epoch_begin(self, epoch, logs=None):
        if self.start is None:
            self.start = epoch
            if epoch:
                print(f"{self.what}: resuming from {self.run.dir} at epoch {epoch}/{self.cfg.epochs}")
            for _ in range(OPENINGS_PER_EPOCH * epoch):
                iter(self.dataset)
        self.live.step = epoch

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        seconds = round(self.earlier + time.time() - self.t0, 2)
        self.live.log_metric("seconds", seconds)
        if (epoch + 1) % self.cfg.sample_every == 0 or epoch + 1 == self.cfg.epochs:
            grid = sample_grid(self.model.grid_sampler(len(self.latents)), self.latents)
            self.live.log_image(f"samples/epoch_{epoch + 1:04d}.png", grid)
        self.final = {k: float(logs[k]) for k in LOSS_KEYS if k in logs}
        self.run.save_state({"epoch": epoch + 1, "seconds": seconds, "final": self.final})


def capped_images(images: np.ndarray, cfg) -> np.ndarray:
    """At most `max_images` of `images` (a seeded choice, in their order); all when 0."""
    if cfg.max_images and len(images) > cfg.max_images:
        pick = np.random.default_rng(cfg.seed).choice(len(images), cfg.max_images, replace=False)
        return images[np.sort(pick)]
    return images


def train_dcgan(images: np.ndarray, cfg, checkpoints: Path | str, live_dir: Path | str, what: str,
                verbose: int | str = "auto", run_eagerly: bool = False, callbacks=(), labels=None,
                build=make_dcgan, config: dict | None = None, strategy: str = "none",
                collapse=None) -> TrainingResult:
    """Train (or resume) a DCGAN on uint8 images; `callbacks` run after the pipeline's own.

    `run_eagerly` skips graph tracing (quicker for a step or two on tiny models, as in tests).
    With `labels` (one int per image) the batches are (images, labels) for a conditional model
    made by `build(cfg)`, the caller having capped the images; `config` is what the checkpoint
    fingerprints (default: the GAN run's config).
    `strategy`: distribute.strategy (core.distribute; cfg.batch_size is the global batch).
    `collapse`: a stricter collapse rule for DivergenceGuard (feature_gan.collapse), or None.
    Raises TrainingDiverged (a PipelineError) on NaN/divergence, keeping the last good backup.
    """
    dist = make_strategy(strategy)  # first: multi_worker sets up collectives before any other TF op
    if len(images) == 0:
        raise PipelineError(f"{what}: no training images")
    if labels is None:
        images = capped_images(images, cfg)
    x = to_gan_inputs(images, cfg.image_size)
    batch = min(cfg.batch_size, len(x))
    slices = x if labels is None else (x, np.asarray(labels, np.int32))
    chosen, precision = choose_precision(cfg.precision, step_timer(cfg, slices, batch, build),
                                         Path(checkpoints) / "precision.json",
                                         str(sorted((config or gan_config(cfg)).items())), what)
    cfg = cfg.model_copy(update={"precision": chosen})
    digest = data_digest(images) if labels is None else data_digest(images, np.asarray(labels))
    run = RunCheckpoint(checkpoints, fingerprint(config or gan_config(cfg), digest))
    resuming = run.resuming
    state = run.state() if resuming else {}

    keras.utils.set_random_seed(cfg.seed)
    with dist.scope():  # weights and both Adams' slots mirrored on every replica
        gan = build(cfg)
        gan.build_optimizers()
    gan.run_eagerly = run_eagerly
    dataset = shard(tf.data.Dataset.from_tensor_slices(slices)
                    .shuffle(len(x), seed=cfg.seed, reshuffle_each_iteration=True)
                    .batch(batch, drop_remainder=True).prefetch(2))
    live = open_live(live_dir, resume=resuming)
    log = EpochLog(cfg, live, run, dataset, state.get("seconds", 0.0), what)
    t0 = time.time()
    try:
        with synchronized_batch_norm(gan, dist):
            gan.fit(dataset, epochs=cfg.epochs, verbose=verbose, shuffle=False,
                    callbacks=[DivergenceGuard(cfg.divergence_patience, collapse), log, run.callback(),
                               keras_callback(live), *callbacks])
    except _Diverged as exc:
        live.end()
        raise TrainingDiverged(
            f"{what}: training diverged at epoch {exc.epoch + 1} ({exc.reason}); last good checkpoint "
            f"(epoch {exc.epoch}) kept in {run.dir}; change the seed or lower the learning rates and rerun"
        ) from None
    seconds = time.time() - t0
    start = log.start if log.start is not None else state.get("epoch", cfg.epochs)
    return TrainingResult(gan=gan, checkpoint=run, final=log.final or state.get("final", {}),
                          epochs_done=cfg.epochs, resumed_from=start, seconds=seconds,
                          seconds_total=run.state().get("seconds", 0.0), images=len(x), batch_size=batch,
                          precision=precision)


def step_timer(cfg, slices, batch: int, build=make_dcgan, steps: int = 3):
    """timer(policy) -> seconds per train step of the GAN `build(cfg)` makes (precision: auto)."""

    def timer(policy: str) -> float:
        keras.utils.set_random_seed(cfg.seed)
        gan = build(cfg.model_copy(update={"precision": policy}))
        gan.build_optimizers()
        data = tf.data.Dataset.from_tensor_slices(slices).take(batch * steps)
        data = data.batch(batch, drop_remainder=True)
        return seconds_per_step(lambda: gan.fit(data.repeat(), epochs=1, steps_per_epoch=steps, verbose=0,
                                                shuffle=False),
                                steps=1) / steps

    return timer
