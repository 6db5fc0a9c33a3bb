"""DCGAN models and their resumable training, shared by the per-class GANs and the feature GAN.

Two variants, both a Keras `DCGAN` model trained by `fit()`:
- `pixelnorm` (paper 000, 48x48): G = z -> Dense 6x6x512 -> PixelNorm -> LeakyReLU -> three
  Conv2DTranspose(4x4, s2) 256/128/64 each + PixelNorm + LeakyReLU -> 1-filter tanh output.
- `radford` (paper 002, 64x64): Radford et al. DCGAN, N(0, 0.02) init, BatchNorm + ReLU in G.
Both discriminators: Conv2D(4x4, s2) 64/128/256/512 named d_conv1..d_conv4, BatchNorm from the
second conv on, LeakyReLU(0.2), flatten, Dense(1, sigmoid). At 64x64 the last conv gives
4x4x512 = 8192 features (the SVM stage's feature layer, `d_act4`).

Training checkpoints (weights + optimizer state + epoch + loss history) go to a work folder
every epoch, so a killed run resumes where it stopped; NaN or divergence stops training and
keeps the last good checkpoint.
"""

import hashlib
import json
import math
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .errors import PipelineError
from .images import to_gan_inputs
from .outputs import atomic_path, save_figure, write_text

VARIANTS = ("pixelnorm", "radford")
PRECISIONS = ("float32", "mixed_bfloat16")


@dataclass
class GANConfig:
    """Everything that defines one GAN training run (all of it comes from params.yaml)."""

    epochs: int = 2
    batch_size: int = 16
    latent_dim: int = 100
    image_size: int = 48
    variant: str = "pixelnorm"
    g_base: int = 512                         # channels of the Dense projection
    g_widths: tuple = (256, 128, 64)          # Conv2DTranspose filters
    d_widths: tuple = (64, 128, 256, 512)     # Conv2D filters (d_conv1..d_conv4)
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    seed: int = 0
    precision: str = "float32"
    jit_compile: bool = False                 # XLA: slower than oneDNN convs on CPU
    max_images: int = 0                       # cap on training images (0 = all)
    sample_every: int = 1                     # epochs between sample grids
    divergence_patience: int = 3              # epochs of a collapsed D before stopping

    @classmethod
    def from_params(cls, params: dict, where: str) -> "GANConfig":
        """Build from a params section; unknown keys are ignored, bad values fail naming the key."""
        known = {f for f in cls.__dataclass_fields__}
        kwargs = {k: v for k, v in params.items() if k in known}
        for key in ("g_widths", "d_widths"):
            if key in kwargs:
                kwargs[key] = tuple(int(w) for w in kwargs[key])
        cfg = cls(**kwargs)
        cfg.validate(where)
        return cfg

    def validate(self, where: str) -> None:
        def bad(key, why):
            raise PipelineError(f"{where}.{key}={getattr(self, key)!r}: {why}")

        if self.variant not in VARIANTS:
            bad("variant", f"is not one of {', '.join(VARIANTS)}")
        if self.precision not in PRECISIONS:
            bad("precision", f"is not one of {', '.join(PRECISIONS)}")
        for key in ("epochs", "batch_size", "latent_dim", "g_base", "sample_every", "divergence_patience"):
            if int(getattr(self, key)) < 1:
                bad(key, "must be a positive integer")
        if self.max_images < 0:
            bad("max_images", "must be 0 (all) or positive")
        if len(self.g_widths) != 3:
            bad("g_widths", "needs exactly 3 Conv2DTranspose widths")
        if len(self.d_widths) != 4:
            bad("d_widths", "needs exactly 4 Conv2D widths (d_conv1..d_conv4)")
        factor = 8 if self.variant == "pixelnorm" else 16
        if self.image_size % factor or self.image_size < factor:
            bad("image_size", f"must be a multiple of {factor} for the {self.variant} variant")
        for key in ("lr_g", "lr_d"):
            if not 0 < float(getattr(self, key)) < 1:
                bad(key, "must be in (0, 1)")
        for key in ("beta1", "beta2"):
            if not 0 <= float(getattr(self, key)) < 1:
                bad(key, "must be in [0, 1)")

    def fingerprint(self, *extra) -> str:
        """Hash of the config (and e.g. the data): a checkpoint resumes only an identical run."""
        text = json.dumps([asdict(self), *extra], sort_keys=True, default=str)
        return hashlib.sha1(text.encode()).hexdigest()[:16]


# ---- building blocks ----------------------------------------------------------------------

@keras.saving.register_keras_serializable(package="pipeline")
class PixelNorm(keras.layers.Layer):
    """x / sqrt(mean over channels of x^2 + eps), per pixel (Karras et al. 2018)."""

    def __init__(self, epsilon: float = 1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def call(self, x):
        ops = keras.ops
        return x * ops.rsqrt(ops.mean(ops.square(x), axis=-1, keepdims=True) + self.epsilon)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


def _init(cfg: GANConfig):
    if cfg.variant == "radford":
        return keras.initializers.RandomNormal(0.0, 0.02, seed=cfg.seed)
    return "glorot_uniform"


def build_generator(cfg: GANConfig):
    """z (latent_dim) -> image (image_size, image_size, 1) in [-1, 1]."""
    layers = keras.layers
    dt = cfg.precision
    radford = cfg.variant == "radford"
    start = cfg.image_size // (16 if radford else 8)
    init = _init(cfg)

    def norm_act(x, i):
        if radford:
            x = layers.BatchNormalization(name=f"g_bn{i}", dtype=dt)(x)
            return layers.ReLU(name=f"g_act{i}", dtype=dt)(x)
        x = PixelNorm(name=f"g_pixelnorm{i}", dtype=dt)(x)
        return layers.LeakyReLU(0.2, name=f"g_act{i}", dtype=dt)(x)

    z = keras.Input((cfg.latent_dim,), name="z")
    x = layers.Dense(start * start * cfg.g_base, kernel_initializer=init, name="g_dense", dtype=dt)(z)
    x = layers.Reshape((start, start, cfg.g_base), name="g_reshape", dtype=dt)(x)
    x = norm_act(x, 0)
    for i, width in enumerate(cfg.g_widths, start=1):
        x = layers.Conv2DTranspose(width, 4, strides=2, padding="same", kernel_initializer=init,
                                   name=f"g_deconv{i}", dtype=dt)(x)
        x = norm_act(x, i)
    # 000: a one-filter output layer at the same size; Radford: one more 2x upsampling.
    image = layers.Conv2DTranspose(1, 4, strides=2 if radford else 1, padding="same", activation="tanh",
                                   kernel_initializer=init, name="g_out", dtype="float32")(x)
    return keras.Model(z, image, name="generator")


def build_discriminator(cfg: GANConfig):
    """image (image_size, image_size, 1) in [-1, 1] -> P(real); conv layers d_conv1..d_conv4."""
    layers = keras.layers
    dt = cfg.precision
    init = _init(cfg)
    image = keras.Input((cfg.image_size, cfg.image_size, 1), name="image")
    x = image
    for i, width in enumerate(cfg.d_widths, start=1):
        x = layers.Conv2D(width, 4, strides=2, padding="same", kernel_initializer=init,
                          name=f"d_conv{i}", dtype=dt)(x)
        if i > 1:
            x = layers.BatchNormalization(name=f"d_bn{i}", dtype=dt)(x)
        x = layers.LeakyReLU(0.2, name=f"d_act{i}", dtype=dt)(x)
    x = layers.Flatten(name="d_flatten", dtype=dt)(x)
    p = layers.Dense(1, activation="sigmoid", kernel_initializer=init, name="d_out", dtype="float32")(x)
    return keras.Model(image, p, name="discriminator")


def discriminator_feature_model(discriminator, layer: str = "d_act4"):
    """The discriminator cut at `layer`, flattened: 8192 features per 64x64 image at d_act4."""
    out = keras.layers.Flatten(name="features")(discriminator.get_layer(layer).output)
    return keras.Model(discriminator.input, out, name="discriminator_features")


class DCGAN(keras.Model):
    """Generator + discriminator trained by `fit()`; alternating D then G Adam steps, BCE loss.

    The D step sees the real and the fake batch separately (own BatchNorm statistics, as the G
    step's fake-only batch has); the G step reuses that fake batch, so each step runs the
    generator forward once, not twice.
    """

    def __init__(self, generator, discriminator, latent_dim: int, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")   # mean D(real)
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")   # mean D(G(z)) before the D step

    def compile(self, d_optimizer, g_optimizer, loss_fn, jit_compile=False):
        super().compile(jit_compile=jit_compile)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker]

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def train_step(self, real):
        if isinstance(real, tuple):
            real = real[0]
        ops = keras.ops
        n = ops.shape(real)[0]
        z = keras.random.normal((n, self.latent_dim), seed=self.seed_generator)
        # One generator forward serves both steps (as in the PyTorch DCGAN example): the tape
        # keeps its graph for the G step, which then sees the freshly updated D.
        with tf.GradientTape(persistent=True) as g_tape:
            fake = self.generator(z, training=True)
        # Real and fake go through D as separate batches: with BatchNorm, a mixed batch lets D
        # separate them by batch statistics the G step (fake-only batch) never sees, and
        # training collapses (d_loss -> 0 while g_loss -> 0 too).
        with tf.GradientTape() as tape:
            p_real = self.discriminator(real, training=True)
            p_fake_d = self.discriminator(ops.stop_gradient(fake), training=True)
            d_loss = 0.5 * (self.loss_fn(ops.ones((n, 1)), p_real) + self.loss_fn(ops.zeros((n, 1)), p_fake_d))
        d_vars = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, d_vars), d_vars))

        with g_tape:
            p_fake = self.discriminator(fake, training=True)
            g_loss = self.loss_fn(ops.ones((n, 1)), p_fake)
        g_vars = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars))
        del g_tape

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.d_real_tracker.update_state(ops.mean(p_real))
        self.d_fake_tracker.update_state(ops.mean(p_fake_d))
        return {m.name: m.result() for m in self.metrics}


def make_dcgan(cfg: GANConfig):
    """Build G and D for `cfg`, wrap them in a compiled DCGAN (Adam, BCE)."""
    gan = DCGAN(build_generator(cfg), build_discriminator(cfg), cfg.latent_dim, seed=cfg.seed)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(cfg.lr_d, beta_1=cfg.beta1, beta_2=cfg.beta2),
        g_optimizer=keras.optimizers.Adam(cfg.lr_g, beta_1=cfg.beta1, beta_2=cfg.beta2),
        loss_fn=keras.losses.BinaryCrossentropy(),
        jit_compile=cfg.jit_compile,
    )
    return gan


# ---- images -------------------------------------------------------------------------------

def to_uint8_images(generated) -> np.ndarray:
    """Generator output in [-1, 1], (N, H, W, 1) -> uint8 (N, H, W)."""
    x = np.asarray(generated, np.float32)[..., 0]
    return np.clip(np.rint((x + 1.0) * 127.5), 0, 255).astype(np.uint8)


def generate_images(generator, n: int, seed: int, batch: int = 256) -> np.ndarray:
    """n uint8 images from `generator`, with latent vectors drawn from N(0, 1) by `seed`."""
    latent = int(generator.input_shape[-1])
    rng = np.random.default_rng(seed)
    out = []
    for start in range(0, n, batch):
        z = rng.standard_normal((min(batch, n - start), latent)).astype(np.float32)
        out.append(to_uint8_images(generator(z, training=False)))  # eager: no per-model retracing
    size = int(generator.output_shape[1])
    return np.concatenate(out) if out else np.zeros((0, size, size), np.uint8)


def image_grid(images: np.ndarray, columns: int = 8) -> np.ndarray:
    """uint8 (N, H, W) -> one uint8 mosaic with a 2-pixel gap."""
    n, h, w = images.shape
    rows = math.ceil(n / columns)
    grid = np.full((rows * (h + 2) + 2, columns * (w + 2) + 2), 255, np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, columns)
        grid[2 + r * (h + 2): 2 + r * (h + 2) + h, 2 + c * (w + 2): 2 + c * (w + 2) + w] = im
    return grid


def save_png(path: Path | str, image: np.ndarray) -> None:
    import cv2

    with atomic_path(path) as tmp:
        if not cv2.imwrite(str(tmp), image):
            raise PipelineError(f"{path}: could not write png")


# ---- resumable training -------------------------------------------------------------------

HISTORY_KEYS = ("d_loss", "g_loss", "d_real", "d_fake")


@dataclass
class TrainingResult:
    gan: object
    history: list            # one dict per epoch: epoch, d_loss, g_loss, d_real, d_fake, seconds
    epochs_done: int
    resumed_from: int        # epoch the run resumed at (0 = fresh)
    seconds: float           # training time in this process
    images: int              # training images
    batch_size: int
    samples: list = field(default_factory=list)  # sample grid pngs in the work folder


class TrainingDiverged(PipelineError):
    pass


class Checkpoint:
    """One folder: G/D weights, both optimizers' state, the RNG state, epoch and loss history."""

    def __init__(self, directory: Path | str, fingerprint: str):
        self.directory = Path(directory)
        self.fingerprint = fingerprint

    @property
    def state_file(self) -> Path:
        return self.directory / "state.json"

    def read_state(self) -> dict | None:
        try:
            state = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None
        return state if state.get("fingerprint") == self.fingerprint else None

    def save(self, gan, epoch: int, history: list) -> None:
        """Write the checkpoint atomically (a kill mid-save keeps the previous one)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        weights = self.directory / "weights"
        with atomic_path(weights, is_dir=True) as tmp:
            tmp.mkdir(parents=True, exist_ok=True)
            gan.generator.save_weights(tmp / "generator.weights.h5")
            gan.discriminator.save_weights(tmp / "discriminator.weights.h5")
            arrays = {}
            for name, opt in (("d", gan.d_optimizer), ("g", gan.g_optimizer)):
                for i, v in enumerate(opt.variables):
                    arrays[f"{name}_{i}"] = np.asarray(v)
            arrays["rng"] = np.asarray(gan.seed_generator.state)
            np.savez(tmp / "state.npz", **arrays)
        state = {"fingerprint": self.fingerprint, "epoch": epoch, "history": history}
        with atomic_path(self.state_file) as tmp:
            tmp.write_text(json.dumps(state, indent=1))

    def restore(self, gan) -> tuple[int, list]:
        """Load into `gan` if a matching checkpoint exists; return (epoch, history) or (0, [])."""
        state = self.read_state()
        weights = self.directory / "weights"
        if state is None or not (weights / "state.npz").is_file():
            return 0, []
        gan.generator.load_weights(weights / "generator.weights.h5")
        gan.discriminator.load_weights(weights / "discriminator.weights.h5")
        with np.load(weights / "state.npz") as z:
            for name, opt, model in (("d", gan.d_optimizer, gan.discriminator),
                                     ("g", gan.g_optimizer, gan.generator)):
                if not opt.built:
                    opt.build(model.trainable_weights)
                for i, v in enumerate(opt.variables):
                    v.assign(z[f"{name}_{i}"])
            gan.seed_generator.state.assign(z["rng"])
        return int(state["epoch"]), list(state["history"])

    def clear(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def _callbacks(cfg, checkpoint, history, sample_dir, samples, fixed_z, t0):

    class DivergenceGuard(keras.callbacks.Callback):
        """Stops on a non-finite loss, or when D has won outright for `patience` epochs."""

        def __init__(self):
            super().__init__()
            self.reason = None
            self.collapsed = 0

        def on_train_batch_end(self, batch, logs=None):
            logs = logs or {}
            if any(not math.isfinite(float(logs.get(k, 0.0))) for k in ("d_loss", "g_loss")):
                self.reason = f"non-finite loss at batch {batch} (d_loss={logs.get('d_loss')}, g_loss={logs.get('g_loss')})"
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            if self.reason is None and any(not math.isfinite(float(logs.get(k, 0.0))) for k in ("d_loss", "g_loss")):
                self.reason = f"non-finite epoch loss (d_loss={logs.get('d_loss')}, g_loss={logs.get('g_loss')})"
            # D certain of everything and G's loss pinned high: G gets no gradient any more.
            if float(logs.get("d_loss", 1.0)) < 1e-3 and float(logs.get("g_loss", 0.0)) > 10.0:
                self.collapsed += 1
            else:
                self.collapsed = 0
            if self.reason is None and self.collapsed >= cfg.divergence_patience:
                self.reason = (f"discriminator collapse: d_loss<0.001 and g_loss>10 for "
                               f"{self.collapsed} epochs")
            if self.reason:
                self.model.stop_training = True

    guard = DivergenceGuard()

    class EpochCheckpoint(keras.callbacks.Callback):
        """After each good epoch: append history, write a sample grid every N epochs, checkpoint."""

        def on_epoch_end(self, epoch, logs=None):
            if guard.reason:
                return  # keep the last good checkpoint
            logs = logs or {}
            row = {"epoch": epoch + 1, **{k: float(logs[k]) for k in HISTORY_KEYS if k in logs},
                   "seconds": round(time.time() - t0, 2)}
            history.append(row)
            if (epoch + 1) % cfg.sample_every == 0 or epoch + 1 == cfg.epochs:
                grid = image_grid(to_uint8_images(self.model.generator(fixed_z, training=False)))
                path = sample_dir / f"epoch_{epoch + 1:04d}.png"
                save_png(path, grid)
                samples.append(path)
            checkpoint.save(self.model, epoch + 1, history)

    return guard, [guard, EpochCheckpoint()]


def train_dcgan(images: np.ndarray, cfg: GANConfig, workdir: Path | str, what: str,
                verbose: int | str = "auto", run_eagerly: bool = False) -> TrainingResult:
    """Train (or resume) a DCGAN on uint8 images; `workdir` holds the checkpoint and samples.

    `run_eagerly` skips graph tracing (quicker for a step or two on tiny models, as in tests).

    Raises TrainingDiverged (a PipelineError) on NaN/divergence, keeping the last good checkpoint.
    """
    workdir = Path(workdir)
    if len(images) == 0:
        raise PipelineError(f"{what}: no training images")
    if cfg.max_images and len(images) > cfg.max_images:
        pick = np.random.default_rng(cfg.seed).choice(len(images), cfg.max_images, replace=False)
        images = images[np.sort(pick)]
    x = to_gan_inputs(images, cfg.image_size)
    batch = min(cfg.batch_size, len(x))
    data_hash = hashlib.sha1(np.ascontiguousarray(images).tobytes()).hexdigest()[:16]
    checkpoint = Checkpoint(workdir / "checkpoint", cfg.fingerprint(data_hash))
    if checkpoint.read_state() is None and checkpoint.directory.exists():
        print(f"{what}: checkpoint in {checkpoint.directory} is from other params or data; starting fresh")
        checkpoint.clear()

    keras.utils.set_random_seed(cfg.seed)
    gan = make_dcgan(cfg)
    gan.run_eagerly = run_eagerly
    start, history = checkpoint.restore(gan)
    if start:
        print(f"{what}: resuming from the checkpoint at epoch {start}/{cfg.epochs}")
    sample_dir = workdir / "samples"
    samples = sorted(sample_dir.glob("epoch_*.png")) if start else []
    if not start:
        shutil.rmtree(sample_dir, ignore_errors=True)
    fixed_z = np.random.default_rng(cfg.seed + 1).standard_normal((64, cfg.latent_dim)).astype(np.float32)

    dataset = (tf.data.Dataset.from_tensor_slices(x)
               .shuffle(len(x), seed=cfg.seed + start, reshuffle_each_iteration=True)
               .batch(batch, drop_remainder=True).prefetch(2))
    t0 = time.time()
    earlier = history[-1]["seconds"] if history else 0.0  # history keeps cumulative training time
    guard, callbacks = _callbacks(cfg, checkpoint, history, sample_dir, samples, fixed_z, t0 - earlier)
    if start < cfg.epochs:
        gan.fit(dataset, epochs=cfg.epochs, initial_epoch=start, callbacks=callbacks, verbose=verbose,
                shuffle=False)
    seconds = time.time() - t0
    if guard.reason:
        last = history[-1]["epoch"] if history else 0
        raise TrainingDiverged(
            f"{what}: training diverged at epoch {last + 1} ({guard.reason}); last good checkpoint "
            f"(epoch {last}) kept in {checkpoint.directory}; change the seed or lower the learning rates and rerun")
    return TrainingResult(gan=gan, history=history, epochs_done=len(history), resumed_from=start,
                          seconds=seconds, images=len(x), batch_size=batch, samples=samples)


# ---- publishing a finished run ------------------------------------------------------------

def check_trained_on(model_dir: Path | str, source: str) -> dict:
    """The model card of a trained GAN; fails when it was trained on another dataset than `source`."""
    card_path = Path(model_dir) / "training.json"
    try:
        card = json.loads(card_path.read_text())
    except (OSError, ValueError):
        raise PipelineError(f"{card_path}: missing or unreadable (rerun train_gan)") from None
    if card.get("dataset") != source:
        raise PipelineError(f"{card_path}: generator was trained on '{card.get('dataset')}' but the "
                            f"balanced dataset is '{source}' (retrain it: train_gan)")
    return card


def save_models(result: TrainingResult, model_dir: Path | str, card: dict) -> None:
    """generator.keras, discriminator.keras and training.json (what was trained, how long)."""
    model_dir = Path(model_dir)
    for name, model in (("generator", result.gan.generator), ("discriminator", result.gan.discriminator)):
        with atomic_path(model_dir / f"{name}.keras") as tmp:
            model.save(tmp)
    write_text(model_dir / "training.json", json.dumps(card, indent=2, default=str) + "\n")


def write_training_reports(result: TrainingResult, report_dir: Path | str, title: str) -> dict:
    """loss_history.csv, loss_curve.png, samples.png (last grid) and samples/epoch_*.png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    report_dir = Path(report_dir)
    keys = ("epoch",) + HISTORY_KEYS + ("seconds",)
    lines = [",".join(keys)] + [",".join(f"{row.get(k, '')}" for k in keys) for row in result.history]
    write_text(report_dir / "loss_history.csv", "\n".join(lines) + "\n")

    fig, ax = plt.subplots(1, 2, figsize=(10, 3.5))
    epochs = [r["epoch"] for r in result.history]
    for k in ("d_loss", "g_loss"):
        ax[0].plot(epochs, [r.get(k) for r in result.history], marker=".", label=k)
    for k in ("d_real", "d_fake"):
        ax[1].plot(epochs, [r.get(k) for r in result.history], marker=".", label=f"mean {k}")
    ax[0].set_title(f"{title}: BCE loss")
    ax[1].set_title("discriminator output")
    for a in ax:
        a.set_xlabel("epoch")
        a.legend()
    fig.tight_layout()
    save_figure(fig, report_dir / "loss_curve.png", dpi=90)

    sample_dir = report_dir / "samples"
    with atomic_path(sample_dir, is_dir=True) as tmp:
        tmp.mkdir(parents=True, exist_ok=True)
        tmp.chmod(0o755)
        for path in result.samples:
            if Path(path).is_file():
                shutil.copy2(path, tmp / Path(path).name)
    if result.samples:
        shutil.copy2(result.samples[-1], report_dir / ".samples.png.tmp")
        Path(report_dir / ".samples.png.tmp").replace(report_dir / "samples.png")
    last = result.history[-1] if result.history else {}
    return {k: last.get(k) for k in HISTORY_KEYS}
