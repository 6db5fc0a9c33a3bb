"""DiffAugment policies: shapes, what each does to an image, differentiability, seeded draws."""

import numpy as np
import pytest


def ramp(n=4, size=16):
    x = np.linspace(-1, 1, size * size, dtype=np.float32).reshape(1, size, size, 1)
    return np.repeat(x, n, axis=0)


def seed(value=0):
    import keras

    return keras.random.SeedGenerator(value)


def test_translation_shifts_whole_images_with_zero_padding():
    from pipeline.gan.diffaugment import translation

    x = ramp(8)
    y = np.asarray(translation(x, seed()))
    assert y.shape == x.shape
    for a, b in zip(x[..., 0], y[..., 0]):
        # some shift (dy, dx) within 1/8 of the side maps a onto b, zeros where it left the image
        found = False
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                shifted = np.zeros_like(a)
                src = a[max(0, dy):16 + min(0, dy), max(0, dx):16 + min(0, dx)]
                shifted[max(0, -dy):16 + min(0, -dy), max(0, -dx):16 + min(0, -dx)] = src
                found |= np.array_equal(shifted, b)
        assert found


def test_cutout_zeroes_one_square_of_half_the_side_at_most():
    from pipeline.gan.diffaugment import cutout

    x = np.ones((16, 16, 16, 1), np.float32)
    y = np.asarray(cutout(x, seed()))[..., 0]
    zeros = (y == 0).sum(axis=(1, 2))
    assert set(np.unique(y)) <= {0.0, 1.0}
    assert (zeros <= 64).all() and (zeros > 0).all() and (zeros == 64).any()  # 8x8, clipped at borders
    for im in y:
        rows, cols = np.nonzero(im == 0)
        assert (im[rows.min():rows.max() + 1, cols.min():cols.max() + 1] == 0).all()  # one rectangle


def test_brightness_and_contrast_ranges():
    from pipeline.gan.diffaugment import brightness, contrast

    x = ramp(64) * 0.5
    shift = np.asarray(brightness(x, seed())) - x
    per_image = shift.reshape(64, -1)
    assert np.allclose(per_image, per_image[:, :1], atol=1e-6)
    assert per_image.min() >= -0.5 and per_image.max() <= 0.5
    y = np.asarray(contrast(x, seed()))
    factor = (y[:, 0, 0, 0] - x.mean()) / (x[:, 0, 0, 0] - x.mean())
    assert factor.min() >= 0.5 - 1e-5 and factor.max() <= 1.5 + 1e-5
    np.testing.assert_allclose(y.mean(axis=(1, 2, 3)), x.mean(axis=(1, 2, 3)), atol=1e-5)


@pytest.mark.parametrize("policy", ["translation", "cutout", "brightness", "contrast"])
def test_each_policy_is_differentiable(policy):
    import tensorflow as tf

    from pipeline.gan.diffaugment import diff_augment

    x = tf.constant(ramp(4))
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(diff_augment(x, [policy], seed()) ** 2)
    grad = tape.gradient(total, x)
    assert grad is not None and float(tf.reduce_sum(tf.abs(grad))) > 0


def test_draws_follow_the_seed_and_no_policy_is_the_identity():
    from pipeline.gan.diffaugment import diff_augment

    x = ramp(4)
    policies = ["translation", "cutout", "brightness", "contrast"]
    a, b = diff_augment(x, policies, seed(3)), diff_augment(x, policies, seed(3))
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(diff_augment(x, policies, seed(4))))
    assert diff_augment(x, [], seed()) is x
