"""The CNN emotion classifier: a VGG-style network for small grayscale faces, its tf.data input
pipeline with classical augmentation, and a resumable training loop.

Used by the `train_classifier` stage and by `predict` (and by any stage that needs a face
classifier), so the network and its preprocessing live in one place.
"""

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .errors import PipelineError
from .params import choice

PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


@dataclass
class ClassifierConfig:
    """Network shape and training schedule (the `cnn` params section maps onto it)."""
    widths: list = field(default_factory=lambda: [32, 64, 128])  # filters per conv block
    convs_per_block: int = 2          # 3x3 conv+BN+ReLU layers per block (VGG-style)
    dense: int = 256                  # width of the hidden dense layer
    dropout: float = 0.4              # dropout before the dense layers (blocks use dropout / 2)
    bn_momentum: float = 0.9          # BatchNorm moving averages: 0.9 tracks short CPU schedules
    epochs: int = 2
    batch: int = 64
    lr: float = 1e-3
    patience: int = 5                 # early stopping on val accuracy, in epochs
    seed: int = 0
    precision: str = "float32"
    flip: bool = True                 # classical augmentation (mode `classical` and friends)
    shift: float = 0.1                # fraction of the image size
    rotation: float = 10.0            # degrees
    zoom: float = 0.1
    erasing: float = 0.0              # probability of blanking a random rectangle (random erasing; 0 = off)
    crop: int = 0                     # network input side: a random crop x crop window of each training face
                                      #   (centre window for modes without online augmentation); 0 = whole face
    label_smoothing: float = 0.0      # cross-entropy against (1 - s) * one-hot + s / n_classes
    tta_flip: bool = False            # evaluation only: average the probabilities of each face and its mirror
    tta_crops: bool = False           # evaluation only (with crop): average the four corner and the centre windows

    EVAL_ONLY = ("tta_flip", "tta_crops")  # fields that do not change training, so not part of the fingerprint
    ADDED_LATER = ("erasing", "crop", "label_smoothing")  # hashed only when set away from their default

    @classmethod
    def from_params(cls, params: dict) -> "ClassifierConfig":
        known = {k: params[k] for k in cls.__dataclass_fields__ if k in params}
        cfg = cls(**known)
        choice(cfg.precision, PRECISIONS, "cnn.precision")
        if not cfg.widths or any(int(w) < 1 for w in cfg.widths):
            raise PipelineError(f"params.yaml: cnn.widths={cfg.widths!r} must be a list of positive ints")
        for key in ("epochs", "batch", "convs_per_block"):
            if int(getattr(cfg, key)) < 1:
                raise PipelineError(f"params.yaml: cnn.{key}={getattr(cfg, key)!r} must be >= 1")
        if int(cfg.crop) < 0:
            raise PipelineError(f"params.yaml: cnn.crop={cfg.crop!r} must be 0 (whole face) or a window side in pixels")
        if not 0.0 <= float(cfg.label_smoothing) < 1.0:
            raise PipelineError(f"params.yaml: cnn.label_smoothing={cfg.label_smoothing!r} must be in [0, 1)")
        return cfg

    def input_size(self, image_size: int) -> int:
        """Side of the network input for faces of `image_size` pixels (the crop window, or the whole face)."""
        if int(self.crop) > int(image_size):
            raise PipelineError(f"params.yaml: cnn.crop={self.crop} is larger than the {image_size}x{image_size} faces")
        return int(self.crop) or int(image_size)

    def fingerprint(self, *more) -> str:
        """Hash of the config plus anything else that makes a checkpoint reusable (data, mode).

        Fields added after checkpoints existed (ADDED_LATER) count only away from their default,
        so a new knob left off does not throw away training already done."""
        defaults = ClassifierConfig()
        config = {k: v for k, v in asdict(self).items() if k not in self.EVAL_ONLY
                  and not (k in self.ADDED_LATER and v == getattr(defaults, k))}
        text = json.dumps([config, [str(m) for m in more]], sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:16]


def set_precision(precision: str) -> None:
    import keras

    keras.mixed_precision.set_global_policy(precision)


def build_classifier(n_classes: int, size: int, cfg: ClassifierConfig):
    """VGG-style blocks (conv-BN-ReLU x k, max-pool, dropout), then dense-BN-ReLU-dropout, softmax."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(cfg.seed)
    inputs = keras.Input((size, size, 1), name="face")
    x = inputs
    for b, width in enumerate(cfg.widths):
        for c in range(cfg.convs_per_block):
            x = layers.Conv2D(int(width), 3, padding="same", use_bias=False, name=f"block{b + 1}_conv{c + 1}")(x)
            x = layers.BatchNormalization(momentum=cfg.bn_momentum, name=f"block{b + 1}_bn{c + 1}")(x)
            x = layers.ReLU(name=f"block{b + 1}_relu{c + 1}")(x)
        x = layers.MaxPooling2D(2, name=f"block{b + 1}_pool")(x)
        x = layers.Dropout(cfg.dropout / 2, name=f"block{b + 1}_dropout")(x)
    # faces are aligned crops: where a feature is matters, so keep the layout (flatten) unless the
    # map is still large
    x = layers.GlobalAveragePooling2D(name="gap")(x) if x.shape[1] > 8 else layers.Flatten(name="flatten")(x)
    x = layers.Dropout(cfg.dropout, name="head_dropout")(x)
    x = layers.Dense(cfg.dense, use_bias=False, name="dense")(x)
    x = layers.BatchNormalization(momentum=cfg.bn_momentum, name="dense_bn")(x)
    x = layers.ReLU(name="dense_relu")(x)
    x = layers.Dropout(cfg.dropout, name="dense_dropout")(x)
    outputs = layers.Dense(n_classes, name="logits")(x)
    outputs = layers.Activation("softmax", dtype="float32", name="probs")(outputs)
    return keras.Model(inputs, outputs, name="vgg_face_classifier")


def classical_augmentation(cfg: ClassifierConfig):
    """Random flip, shift, rotation, zoom and erasing as Keras preprocessing layers (run inside tf.data)."""
    import keras
    from keras import layers

    steps = []
    if cfg.flip:
        steps.append(layers.RandomFlip("horizontal", seed=cfg.seed))
    if cfg.shift:
        steps.append(layers.RandomTranslation(cfg.shift, cfg.shift, fill_mode="nearest", seed=cfg.seed + 1))
    if cfg.rotation:
        steps.append(layers.RandomRotation(cfg.rotation / 360.0, fill_mode="nearest", seed=cfg.seed + 2))
    if cfg.zoom:
        steps.append(layers.RandomZoom(cfg.zoom, fill_mode="nearest", seed=cfg.seed + 3))
    if cfg.erasing:
        steps.append(layers.RandomErasing(factor=(cfg.erasing, cfg.erasing), value_range=(0.0, 1.0), seed=cfg.seed + 4))
    return keras.Sequential(steps, name="classical_augmentation") if steps else None  # all off: nothing to run


def to_inputs(images: np.ndarray) -> np.ndarray:
    """uint8 (N, H, W) -> float32 (N, H, W, 1) in [0, 1]: what the network takes."""
    return (np.asarray(images, np.float32) / 255.0)[..., None]


def centre_window(images: np.ndarray, size: int, dy: int = 0, dx: int = 0) -> np.ndarray:
    """The size x size window of (N, H, W) images at the centre, moved by (dy, dx) pixels."""
    top, left = (images.shape[1] - size) // 2 + dy, (images.shape[2] - size) // 2 + dx
    return np.ascontiguousarray(images[:, top:top + size, left:left + size])


def make_dataset(images: np.ndarray, labels: np.ndarray | None, batch: int, shuffle: bool = False,
                 augment=None, seed: int = 0, crop: int = 0, random_crop: bool = False, one_hot: int = 0):
    """tf.data pipeline: scale to [0, 1], optional shuffle, crop window (random per face, or the centre),
    augmentation layers, batch, prefetch. `one_hot`: number of classes when the loss wants one-hot labels."""
    import tensorflow as tf

    images = np.asarray(images, np.uint8)
    if crop and crop < images.shape[1] and not random_crop:
        images = centre_window(images, crop)
    x = images[..., None]
    ds = tf.data.Dataset.from_tensor_slices(x if labels is None else (x, np.asarray(labels, np.int64)))
    if shuffle:
        ds = ds.shuffle(min(len(x), 20000), seed=seed, reshuffle_each_iteration=True)
    if crop and crop < images.shape[1] and random_crop:
        window = [crop, crop, 1]
        ds = ds.map((lambda im: tf.image.random_crop(im, window, seed=seed)) if labels is None else
                    (lambda im, y: (tf.image.random_crop(im, window, seed=seed), y)),
                    num_parallel_calls=tf.data.AUTOTUNE)
    if one_hot and labels is not None:
        ds = ds.map(lambda im, y: (im, tf.one_hot(y, one_hot)), num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(batch)
    scale = lambda im: tf.cast(im, tf.float32) / 255.0  # noqa: E731
    if labels is None:
        ds = ds.map(scale, num_parallel_calls=tf.data.AUTOTUNE)
    elif augment is not None:
        ds = ds.map(lambda im, y: (augment(scale(im), training=True), y), num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.map(lambda im, y: (scale(im), y), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def eval_views(image_size: int, input_size: int, flip: bool = False, crops: bool = False) -> list[tuple[int, int, bool]]:
    """(dy, dx, mirrored) of each view predict_proba averages: the centre window, with `crops` also the four
    corner windows (when the face is larger than the input), each with its mirror under `flip`."""
    margin = image_size - input_size
    lo, hi = -(margin // 2), margin - margin // 2  # window offsets from the centre to either edge
    offsets = [(0, 0), (lo, lo), (lo, hi), (hi, lo), (hi, hi)] if crops and margin else [(0, 0)]
    return [(dy, dx, mirrored) for mirrored in ((False, True) if flip else (False,)) for dy, dx in offsets]


def predict_proba(model, images: np.ndarray, batch: int = 256, flip: bool = False, crops: bool = False) -> np.ndarray:
    """Class probabilities (N, C) for uint8 images (N, H, W).

    Faces larger than the network input are seen through its centre window; with `crops`, the mean over
    the four corner windows and the centre one (ten-crop with `flip`). With `flip`, the mean over each
    view and its mirror (test-time augmentation: faces are near-symmetric, so the mirror is a second look)."""
    if len(images) == 0:
        return np.zeros((0, model.output_shape[-1]), np.float32)
    images = np.asarray(images, np.uint8)
    size = int(model.input_shape[1])
    if images.shape[1] < size:
        raise PipelineError(f"faces are {images.shape[1]}x{images.shape[2]}, the classifier takes {size}x{size}")
    views = []
    for dy, dx, mirrored in eval_views(images.shape[1], size, flip, crops):
        window = centre_window(images, size, dy, dx)
        views.append(np.ascontiguousarray(window[:, :, ::-1]) if mirrored else window)
    return np.mean([np.asarray(model.predict(make_dataset(v, None, batch), verbose=0), np.float32)
                    for v in views], axis=0)


def class_weights(labels: np.ndarray, n_classes: int) -> dict:
    """Inverse-frequency weights (balanced), for classes present in `labels`."""
    counts = np.bincount(labels, minlength=n_classes).astype(float)
    present = counts > 0
    w = np.ones(n_classes)
    w[present] = counts[present].sum() / (present.sum() * counts[present])
    return {i: float(v) for i, v in enumerate(w)}


class ResumableTraining:
    """Train with a checkpoint every epoch, early stopping on val accuracy, and resume after a kill.

    `workdir` holds last.keras (model + optimizer state), best.keras and state.json. A checkpoint is
    resumed only when its fingerprint (config + data + mode) matches, so stale runs never leak in.
    """

    def __init__(self, workdir: Path | str, fingerprint: str, patience: int):
        self.workdir = Path(workdir)
        self.fingerprint = fingerprint
        self.patience = patience
        self.state_file = self.workdir / "state.json"

    def load_state(self) -> dict | None:
        if not self.state_file.is_file():
            return None
        try:
            state = json.loads(self.state_file.read_text())
        except json.JSONDecodeError:
            return None
        if state.get("fingerprint") != self.fingerprint or not (self.workdir / "last.keras").is_file():
            return None
        return state

    def fit(self, build_model, train_ds, val_ds, epochs: int, class_weight=None, verbose=1, callbacks=()):
        """Return (best model, state dict with history, best_epoch, stopped_early)."""
        import keras

        self.workdir.mkdir(parents=True, exist_ok=True)
        state = self.load_state()
        if state and state.get("done"):
            return keras.models.load_model(self.workdir / "best.keras"), state
        if state:
            model = keras.models.load_model(self.workdir / "last.keras")
            print(f"resuming {self.workdir} at epoch {state['epoch']}/{epochs}")
        else:
            model = build_model()
            state = {"fingerprint": self.fingerprint, "epoch": 0, "best_val_accuracy": None, "best_epoch": 0,
                     "wait": 0, "history": [], "done": False}
        callback = _EpochCheckpoint(self, state)
        if state["epoch"] < epochs and state["wait"] < self.patience:
            model.fit(train_ds, validation_data=val_ds, epochs=epochs, initial_epoch=state["epoch"],
                      callbacks=[callback, *callbacks], class_weight=class_weight, verbose=verbose,
                      shuffle=False)  # tf.data shuffles
        state["done"] = True
        state["stopped_early"] = state["wait"] >= self.patience and state["epoch"] < epochs
        self._write_state(state)
        best = self.workdir / "best.keras"
        return (keras.models.load_model(best) if best.is_file() else model), state

    def _write_state(self, state: dict) -> None:
        tmp = self.state_file.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(state, indent=1))
        os.replace(tmp, self.state_file)

    def _save_model(self, model, name: str) -> None:
        tmp = self.workdir / f".{name}.tmp.keras"
        model.save(tmp)
        os.replace(tmp, self.workdir / name)


def _epoch_checkpoint_base():
    import keras

    return keras.callbacks.Callback


class _EpochCheckpoint(_epoch_checkpoint_base()):
    """Saves last/best every epoch and stops training after `patience` epochs without progress."""

    def __init__(self, run: ResumableTraining, state: dict):
        super().__init__()
        self.run, self.state = run, state

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items()}
        st = self.state
        st["epoch"] = epoch + 1
        st["history"].append({"epoch": epoch + 1, **logs})
        score = logs.get("val_accuracy", logs.get("accuracy", 0.0))
        if st["best_val_accuracy"] is None or score > st["best_val_accuracy"] + 1e-4:
            st["best_val_accuracy"], st["best_epoch"], st["wait"] = score, epoch + 1, 0
            self.run._save_model(self.model, "best.keras")
        else:
            st["wait"] += 1
        self.run._save_model(self.model, "last.keras")  # model first, then the state that points at it
        self.run._write_state(st)
        if st["wait"] >= self.run.patience:
            self.model.stop_training = True


def compile_classifier(model, cfg: ClassifierConfig, steps_per_epoch: int):
    import keras

    schedule = keras.optimizers.schedules.CosineDecay(cfg.lr, decay_steps=max(1, cfg.epochs * steps_per_epoch),
                                                      alpha=0.02)
    # label smoothing needs one-hot labels (make_dataset(one_hot=n_classes)); Keras' sparse loss lacks it
    loss = (keras.losses.CategoricalCrossentropy(label_smoothing=float(cfg.label_smoothing)) if cfg.label_smoothing
            else keras.losses.SparseCategoricalCrossentropy())
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss, metrics=["accuracy"])
    return model
