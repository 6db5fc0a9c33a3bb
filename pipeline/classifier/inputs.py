"""What the network sees: uint8 faces -> tf.data batches in [0, 1], crop windows, classical augmentation."""

import numpy as np

from ..core.params import fail


def input_size(crop: int, image_size: int) -> int:
    """Side of the network input for faces of `image_size` pixels (the crop window, or the whole face)."""
    if int(crop) > int(image_size):
        raise fail("cnn.crop", f"{crop} is larger than the {image_size}x{image_size} faces")
    return int(crop) or int(image_size)


def classical_augmentation(cfg):
    """Random flip, shift, rotation, zoom and erasing as Keras preprocessing layers (run inside tf.data).

    `cfg` holds flip, shift, rotation, zoom, erasing and seed (the `cnn` training keys)."""
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
        steps.append(layers.RandomErasing(factor=(cfg.erasing, cfg.erasing), value_range=(0.0, 1.0),
                                          seed=cfg.seed + 4))
    # all off: nothing to run
    return keras.Sequential(steps, name="classical_augmentation") if steps else None


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
