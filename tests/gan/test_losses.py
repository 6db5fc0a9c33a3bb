"""GAN losses and the R1 penalty against their closed forms."""

import numpy as np
import pytest


def test_hinge_losses_match_their_formulas():
    from pipeline.gan.losses import GANLoss

    real = np.array([[2.0], [0.5], [-1.0]], np.float32)
    fake = np.array([[-2.0], [0.0], [1.5]], np.float32)
    loss = GANLoss("hinge", from_logits=True)
    d = 0.5 * (np.maximum(0, 1 - real).mean() + np.maximum(0, 1 + fake).mean())
    assert float(loss.discriminator(real, fake)) == pytest.approx(d)
    assert float(loss.generator(fake)) == pytest.approx(-fake.mean())
    np.testing.assert_allclose(np.asarray(loss.probability(real)), 1 / (1 + np.exp(-real)), rtol=1e-6)


def test_bce_from_logits_equals_bce_on_probabilities():
    from pipeline.gan.losses import GANLoss

    logits = np.array([[1.0], [-0.5]], np.float32)
    fake = np.array([[0.3], [-2.0]], np.float32)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    a = GANLoss("bce", from_logits=True)
    b = GANLoss("bce", from_logits=False)
    expected = float(b.discriminator(sig(logits), sig(fake)))
    assert float(a.discriminator(logits, fake)) == pytest.approx(expected, rel=1e-5)
    assert float(a.generator(fake)) == pytest.approx(-np.log(sig(fake)).mean(), rel=1e-5)
    with pytest.raises(ValueError):
        GANLoss("hinge", from_logits=False)


def test_r1_penalty_of_a_linear_critic_is_gamma_half_its_squared_weight_norm():
    import tensorflow as tf

    from pipeline.gan.losses import r1_penalty

    w = tf.constant(np.arange(1, 5, dtype=np.float32).reshape(1, 2, 2, 1))
    x = tf.constant(np.random.default_rng(0).normal(size=(3, 2, 2, 1)).astype(np.float32))

    def critic(images):
        return tf.reduce_sum(images * w, axis=[1, 2, 3])[:, None]

    penalty, out = r1_penalty(critic, x, gamma=10.0)
    assert float(penalty) == pytest.approx(0.5 * 10.0 * (1 + 4 + 9 + 16))
    np.testing.assert_allclose(np.asarray(out), np.asarray(critic(x)))
