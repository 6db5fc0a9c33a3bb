"""DiffAugment (Zhao et al. 2020): differentiable augmentations of every batch D sees, real and fake.

D only ever sees T(x), for real and generated x alike, in its own step and in G's step; as T is
differentiable, G's gradient flows through it. With few images per class this keeps D from
memorising the training set (the reason small-data GANs collapse). Policies, applied in the
order given (`gan.diffaugment`), on (N, H, W, C) images in [-1, 1]:
- `translation`: shift by up to 1/8 of the side in each direction, zero (= mid-grey) padding;
- `cutout`: zero a square of half the side at a random centre (clipped at the border);
- `brightness`: add U(-0.5, 0.5) per image (the paper's range on [-1, 1] images);
- `contrast`: scale the deviation from each image's mean by U(0.5, 1.5).
(The paper's `color` also changes saturation, meaningless for grey faces.) Draws come from the
SeedGenerator passed in (the DCGAN's own, so a resumed run draws what an uninterrupted one did),
for the global batch under tf.distribute, each replica taking its images' rows (`per_image`), so
N replicas draw what one device would.
"""

import keras
import tensorflow as tf

from pipeline.core.distribute import replica_part, replicas_in_sync

TRANSLATION_RATIO = 0.125
CUTOUT_RATIO = 0.5


def per_image(draw, n, *shape):
    """draw((images, *shape)) for the global batch; this replica's n rows (core.distribute)."""
    return replica_part(draw((n * replicas_in_sync(), *shape)), n)


def translation(x, seed, ratio: float = TRANSLATION_RATIO):
    n, h, w = tf.shape(x)[0], x.shape[1], x.shape[2]
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ty = per_image(lambda s: keras.random.randint(s, -sh, sh + 1, seed=seed, dtype="int32"), n, 1)
    tx = per_image(lambda s: keras.random.randint(s, -sw, sw + 1, seed=seed, dtype="int32"), n, 1)
    # one zero row/column on each side; indices out of the image read it
    rows = tf.clip_by_value(tf.range(h)[None] + ty + 1, 0, h + 1)
    cols = tf.clip_by_value(tf.range(w)[None] + tx + 1, 0, w + 1)
    x = tf.gather(tf.pad(x, [[0, 0], [1, 1], [0, 0], [0, 0]]), rows, axis=1, batch_dims=1)
    return tf.gather(tf.pad(x, [[0, 0], [0, 0], [1, 1], [0, 0]]), cols, axis=2, batch_dims=1)


def cutout(x, seed, ratio: float = CUTOUT_RATIO):
    n, h, w = tf.shape(x)[0], x.shape[1], x.shape[2]
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = per_image(lambda s: keras.random.randint(s, 0, h + (1 - ch % 2), seed=seed, dtype="int32"), n, 1, 1)
    cx = per_image(lambda s: keras.random.randint(s, 0, w + (1 - cw % 2), seed=seed, dtype="int32"), n, 1, 1)
    ys = tf.range(h)[None, :, None] - cy + ch // 2   # position inside the square, 0..ch-1
    xs = tf.range(w)[None, None, :] - cx + cw // 2
    inside = (ys >= 0) & (ys < ch) & (xs >= 0) & (xs < cw)
    return x * tf.cast(~inside, x.dtype)[..., None]


def brightness(x, seed):
    shift = per_image(lambda s: keras.random.uniform(s, -0.5, 0.5, seed=seed, dtype=x.dtype),
                      tf.shape(x)[0], 1, 1, 1)
    return x + shift


def contrast(x, seed):
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    factor = per_image(lambda s: keras.random.uniform(s, 0.5, 1.5, seed=seed, dtype=x.dtype),
                       tf.shape(x)[0], 1, 1, 1)
    return (x - mean) * factor + mean


POLICIES = {"translation": translation, "cutout": cutout, "brightness": brightness, "contrast": contrast}


def diff_augment(x, policies, seed):
    """x with each policy of `policies` applied in turn (no-op for an empty list)."""
    for name in policies:
        x = POLICIES[name](x, seed)
    return x
