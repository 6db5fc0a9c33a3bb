"""Expression score (beyond the paper): a small CNN trained on the transfer-training subjects' real faces
labels each transferred face; the score is the fraction labelled with the source expression.

The judge never sees a held-out subject; its accuracy on their real faces (reports/transfer/judge.json)
is the ceiling the transferred faces are read against. Trained by fit() with online flips and shifts,
class-balanced, resumed through core RunCheckpoint, logged through dvclive.
"""

from pathlib import Path

import numpy as np

from ..core.checkpoint import RunCheckpoint, data_digest, fingerprint
from ..core.errors import PipelineError
from ..core.live import keras_callback, open_live
from .pairs import TransferData

JUDGE = "expression.keras"  # name inside the judge's --models folder


def judge_network(size: int, n_classes: int, filters: int):
    import keras

    layers = keras.layers
    inp = keras.Input((size, size, 1))
    x = layers.RandomFlip("horizontal")(inp)
    x = layers.RandomTranslation(0.06, 0.06, fill_mode="nearest")(x)
    for i in range(3):
        for _ in range(2):
            x = layers.Conv2D(filters * 2 ** i, 3, padding="same", use_bias=False)(x)
            x = layers.ReLU()(layers.BatchNormalization()(x))
        x = layers.MaxPooling2D()(x)
    x = layers.Dropout(0.3)(layers.GlobalAveragePooling2D()(x))
    out = layers.Dense(n_classes)(x)
    return keras.Model(inp, out, name="expression_judge")


def class_weights(labels: np.ndarray, n_classes: int) -> dict:
    counts = np.bincount(labels, minlength=n_classes).astype(float)
    present = counts > 0
    w = np.zeros(n_classes)
    w[present] = counts[present].sum() / (present.sum() * counts[present])
    return {i: float(v) for i, v in enumerate(w)}


def train_judge(data: TransferData, cfg, seed: int, checkpoints: Path, live_dir: Path, callbacks=()):
    """The judge trained on every real face of the transfer-training subjects: (model, RunCheckpoint)."""
    import keras
    import tensorflow as tf

    rows = data.rows["train"]
    x, y = data.faces[rows], data.data.labels[rows]
    n_classes = len(data.data.classes)
    keras.utils.set_random_seed(seed)
    model = judge_network(data.faces.shape[1], n_classes, cfg.filters)
    model.compile(keras.optimizers.Adam(float(cfg.lr)),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    run = RunCheckpoint(checkpoints, fingerprint("judge", cfg.model_dump(mode="json", exclude={"epochs"}),
                                                 seed, data_digest(x, y)))
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed).batch(cfg.batch_size)
    live = open_live(live_dir, resume=run.resuming)
    model.fit(ds, epochs=cfg.epochs, verbose=2, class_weight=class_weights(y, n_classes),
              callbacks=[run.callback(), keras_callback(live), *callbacks])
    return model, run


def load_judge(models_dir: Path | str):
    import keras

    path = Path(models_dir) / JUDGE
    if not path.is_file():
        raise PipelineError(f"{path}: expression judge not found (run train_transfer_judge first)")
    return keras.models.load_model(path, compile=False)


def predict_labels(model, faces: np.ndarray) -> np.ndarray:
    return np.argmax(model.predict(faces, batch_size=128, verbose=0), -1)


def judge_card(model, data: TransferData, cfg) -> dict:
    """reports/transfer/judge.json: what the judge was trained on and its accuracy on held-out real faces."""
    rows = data.rows["test"]
    pred = predict_labels(model, data.faces[rows])
    truth = data.data.labels[rows]
    per_class = {c: round(float((pred[truth == k] == k).mean()), 4) if np.any(truth == k) else None
                 for k, c in enumerate(data.data.classes)}
    return {"dataset": data.source, "size": int(data.faces.shape[1]),
            "train_rows": int(len(data.rows["train"])), "train_subjects": data.count("train"),
            "test_rows": int(len(rows)), "test_subjects": data.count("test"),
            "test_accuracy": round(float((pred == truth).mean()), 4), "test_accuracy_per_class": per_class,
            "params": cfg.model_dump(mode="json")}
