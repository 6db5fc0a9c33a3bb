"""The adversarial losses of the DCGANs and D's R1 penalty (`gan.loss`, `gan.d_reg`).

- `bce` on a sigmoid D (the reference): Keras' BinaryCrossentropy on probabilities, exactly as
  the DCGAN paper's code (d = (BCE(1, D(x)) + BCE(0, D(G(z)))) / 2, g = BCE(1, D(G(z))), the
  non-saturating G loss).
- `bce` on a logit D (when R1 needs the logit): the same loss from logits.
- `hinge` (Lim & Ye 2017, Miyato et al. 2018): d = (E relu(1 - D(x)) + E relu(1 + D(G(z)))) / 2,
  g = -E D(G(z)).
Every loss is a mean over the batch (`reduce`, the one place to change the reduction), divided by
the replicas in sync under tf.distribute (`distribute.strategy`), as Keras' BCE is.
"""

import keras
import tensorflow as tf

from pipeline.core.distribute import replicas_in_sync


def reduce(per_example):
    """Mean over the batch of per-example losses, scaled by the global batch under tf.distribute:
    this replica's mean / the replicas in sync (as Keras' own losses are, core.distribute), so the
    gradients the optimizer sums over replicas are those of the global batch's mean."""
    return keras.ops.mean(per_example) / replicas_in_sync()


class GANLoss:
    def __init__(self, kind: str, from_logits: bool):
        self.kind, self.from_logits = kind, from_logits
        if kind == "bce":
            self.bce = keras.losses.BinaryCrossentropy(from_logits=from_logits)
        elif not from_logits:
            raise ValueError("the hinge loss needs a logit discriminator")

    def discriminator(self, real_out, fake_out):
        ops = keras.ops
        if self.kind == "hinge":
            return 0.5 * (reduce(ops.relu(1.0 - real_out)) + reduce(ops.relu(1.0 + fake_out)))
        n = ops.shape(real_out)[0]
        return 0.5 * (self.bce(ops.ones((n, 1)), real_out) + self.bce(ops.zeros((n, 1)), fake_out))

    def generator(self, fake_out):
        ops = keras.ops
        if self.kind == "hinge":
            return -reduce(fake_out)
        return self.bce(ops.ones((ops.shape(fake_out)[0], 1)), fake_out)

    def probability(self, out):
        """D's output as P(real), for the d_real / d_fake logs."""
        return keras.ops.sigmoid(out) if self.from_logits else out


def r1_penalty(discriminate, real, gamma: float):
    """gamma / 2 * E ||grad_x D(x)||^2 on real x (Mescheder et al. 2018), D's logit; and D(real)."""
    with tf.GradientTape() as tape:
        tape.watch(real)
        out = discriminate(real)
        total = keras.ops.sum(keras.ops.cast(out, "float32"))
    grad = tape.gradient(total, real)
    norm2 = keras.ops.sum(keras.ops.square(keras.ops.cast(grad, "float32")), axis=[1, 2, 3])
    return 0.5 * gamma * reduce(norm2), out
