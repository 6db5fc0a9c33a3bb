"""The CNN: a VGG-style network for small grayscale faces, and how it is compiled.

`cfg` is the `cnn` training keys (pipeline.classifier.config.TrainKeys) or anything with the same
attributes (benchmarks build one by hand).
"""


def set_precision(precision: str) -> None:
    import keras

    keras.mixed_precision.set_global_policy(precision)


def build_classifier(n_classes: int, size: int, cfg):
    """VGG-style blocks (conv-BN-ReLU x k, max-pool, dropout), then dense-BN-ReLU-dropout, softmax."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(cfg.seed)
    inputs = keras.Input((size, size, 1), name="face")
    x = inputs
    for b, width in enumerate(cfg.widths):
        for c in range(cfg.convs_per_block):
            x = layers.Conv2D(int(width), 3, padding="same", use_bias=False,
                              name=f"block{b + 1}_conv{c + 1}")(x)
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


def compile_classifier(model, cfg, steps_per_epoch: int):
    """Adam on a cosine-decayed learning rate; cross-entropy, label-smoothed when cfg.label_smoothing."""
    import keras

    schedule = keras.optimizers.schedules.CosineDecay(
        cfg.lr, decay_steps=max(1, cfg.epochs * steps_per_epoch), alpha=0.02)
    # label smoothing needs one-hot labels (make_dataset(one_hot=n_classes)); Keras' sparse loss lacks it
    loss = (keras.losses.CategoricalCrossentropy(label_smoothing=float(cfg.label_smoothing))
            if cfg.label_smoothing else keras.losses.SparseCategoricalCrossentropy())
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss, metrics=["accuracy"])
    return model


def step_timer(n_classes: int, size: int, cfg, steps: int = 3):
    """timer(policy) -> seconds per training step of this network at cfg.batch (precision: auto)."""
    import numpy as np

    from pipeline.core.precision import seconds_per_step

    def timer(policy: str) -> float:
        set_precision(policy)
        model = compile_classifier(build_classifier(n_classes, size, cfg), cfg, steps)
        rng = np.random.default_rng(0)
        x = rng.random((cfg.batch * steps, size, size, 1), np.float32)
        labels = rng.integers(0, n_classes, len(x))
        y = np.eye(n_classes, dtype=np.float32)[labels] if cfg.label_smoothing else labels
        return seconds_per_step(lambda: model.fit(x, y, batch_size=cfg.batch, epochs=1, verbose=0),
                                steps=1) / steps

    return timer
