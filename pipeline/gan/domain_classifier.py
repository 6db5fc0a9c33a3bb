"""A small FER CNN trained inside gan_metrics: its 128-d features and softmax give the domain
FID/KID/IS, and its accuracies GAN-test (real-trained, scored on fakes) and GAN-train."""

import numpy as np


def build_domain_classifier(n_classes: int, size: int):
    """A small FER CNN: 3 conv blocks, global pooling, a 128-d `features` layer, softmax."""
    import keras
    from keras import layers

    x_in = keras.Input((size, size, 1))
    x = x_in
    for width in (32, 64, 128):
        x = layers.Conv2D(width, 3, padding="same", activation="relu")(x)
        x = layers.BatchNormalization(momentum=0.9)(x)  # short trainings: moving stats must settle
        x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    feats = layers.Dense(128, activation="relu", name="features")(x)
    out = layers.Dense(n_classes, activation="softmax", name="probs")(layers.Dropout(0.3)(feats))
    model = keras.Model(x_in, out, name="domain_classifier")
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def train_domain_classifier(images, labels, n_classes, epochs, seed, what):
    import keras

    keras.utils.set_random_seed(seed)
    model = build_domain_classifier(n_classes, images.shape[1])
    print(f"gan_metrics: training the {what} classifier on {len(images)} images, {epochs} epochs")
    model.fit(images[..., None].astype(np.float32) / 255.0, labels, batch_size=64, epochs=epochs,
              shuffle=True, verbose=2)
    return model


def features_and_probs(model, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import keras

    both = getattr(model, "features_and_probs", None)  # one model per classifier: no retracing
    if both is None:
        both = model.features_and_probs = keras.Model(model.input, [model.get_layer("features").output,
                                                                    model.output])
    if len(images) == 0:  # e.g. a class with no test rows (Keras predict fails on empty input)
        return (np.zeros((0, both.outputs[0].shape[-1]), np.float32),
                np.zeros((0, both.outputs[1].shape[-1]), np.float32))
    feats, probs = both.predict(images[..., None].astype(np.float32) / 255.0, batch_size=256, verbose=0)
    return feats, probs


def capped(images, labels, cap, seed):
    """At most `cap` rows (a seeded choice, in order); all when cap is 0."""
    if cap and len(images) > cap:
        idx = np.sort(np.random.default_rng(seed).choice(len(images), cap, replace=False))
        return images[idx], labels[idx]
    return images, labels
