"""Networks of the landmark-guided expression transfer (Fan et al., IEEE Access 2023) and their GAN models.

Two modules, trained one after the other as in the paper:
- feature-point fusion Φ: two encoders (source landmarks L_s, target landmarks L_t), one decoder whose
  output is added to L_t (eq. 1: J_gen = L_t + Φ(L_s, L_t)); losses adversarial + cycle + L1 (0.1/10/100);
- expression transfer Ω: a U-Net (strided convs, transposed-conv up-sampling, skips, tanh) fed the target
  face P_t and J_gen; PatchGAN discriminator with spectral normalisation on (P_t, image); cGAN + L1 (1/100).
The pix2pix baseline is the same U-Net + PatchGAN conditioned on the source face instead of J_gen.
"""

import math

import keras
import tensorflow as tf

from ..core.errors import PipelineError


# ---- networks ------------------------------------------------------------------------------
def unet_generator(size: int, in_channels: int, base_filters: int = 64, name: str = "unet") -> keras.Model:
    """The paper's modified U-Net (Table 1, scaled to `size`): 4x4 strided-conv down-sampling to 2x2,
    a bottleneck conv, transposed-conv up-sampling with skips, tanh output."""
    layers = keras.layers
    depth = int(round(math.log2(size))) - 1
    if 2 ** (depth + 1) != size or depth < 2:
        raise PipelineError(f"params.yaml: transfer.size={size} must be a power of two >= 8")
    filters = [min(base_filters * 2 ** i, base_filters * 8) for i in range(depth)]
    inp = keras.Input((size, size, in_channels))
    x, skips = inp, []
    # down-sampling: LeakyReLU, conv stride 2, BN (no BN/activation on the input)
    for i, f in enumerate(filters):
        if i:
            x = layers.LeakyReLU(0.2)(x)
        x = layers.Conv2D(f, 4, strides=2, padding="same", use_bias=i == 0)(x)
        if i:
            x = layers.BatchNormalization()(x)
        skips.append(x)
    x = layers.LeakyReLU(0.2)(x)  # bottleneck at 2x2
    x = layers.Conv2D(filters[-1], 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    # up-sampling: ReLU, transposed conv, BN
    for f, skip in zip(reversed(filters[:-1]), reversed(skips[:-1])):
        x = layers.ReLU()(x)
        x = layers.Conv2DTranspose(f, 4, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Concatenate()([x, skip])
    x = layers.ReLU()(x)
    out = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh")(x)
    return keras.Model(inp, out, name=name)


def patch_discriminator(size: int, in_channels: int, base_filters: int = 64,
                        name: str = "patch_d") -> keras.Model:
    """Markov (PatchGAN) discriminator with spectral normalisation; outputs a map of real/fake logits."""
    layers = keras.layers
    inp = keras.Input((size, size, in_channels))
    x = layers.LeakyReLU(0.2, name="d_feat0")(layers.Conv2D(base_filters, 4, strides=2, padding="same")(inp))
    # 256 -> 3 (the paper's 30x30 patches), 64 -> 2, 32 -> 1
    n_down = max(1, min(3, int(math.log2(size)) - 4))
    for i in range(n_down):
        conv = layers.Conv2D(base_filters * 2 ** (i + 1), 4, strides=2 if i < n_down - 1 else 1,
                             padding="same")
        x = layers.LeakyReLU(0.2, name=f"d_feat{i + 1}")(layers.SpectralNormalization(conv)(x))
    out = layers.Conv2D(1, 4, padding="same")(x)  # sigmoid folded into the loss (from_logits)
    return keras.Model(inp, out, name=name)


def fusion_network(size: int, base_filters: int = 16, channels: int = 1, points: bool = False) -> keras.Model:
    """Φ with eq. 1 built in: (L_s, L_t) -> J_gen = L_t + decoder(concat(enc1(L_s), enc2(L_t))).

    `channels`: of the landmark images (transfer.landmark_encoding). `points` (beyond the paper,
    transfer.fusion_coord_weight > 0): Φ also takes the 68 source and target points and predicts the
    fused points, P_t + MLP(flattened codes, P_s, P_t) (zero-initialised, so it starts as P_t);
    inputs [L_s, L_t, P_s, P_t], outputs [J_gen, fused points].
    """
    layers = keras.layers
    n_down = min(3, int(math.log2(size)) - 2)

    def encoder(x, tag):
        for i in range(n_down):
            x = layers.Conv2D(base_filters * 2 ** i, 4, strides=2, padding="same",
                              name=f"{tag}_conv{i + 1}")(x)
            x = layers.LeakyReLU(0.2)(layers.BatchNormalization()(x) if i else x)
        return x

    l_s = keras.Input((size, size, channels), name="source_landmarks")
    l_t = keras.Input((size, size, channels), name="target_landmarks")
    code = layers.Concatenate()([encoder(l_s, "enc_source"), encoder(l_t, "enc_target")])
    x = code
    for i in reversed(range(n_down - 1)):
        x = layers.Conv2DTranspose(base_filters * 2 ** i, 4, strides=2, padding="same", use_bias=False)(x)
        x = layers.ReLU()(layers.BatchNormalization()(x))
    delta = layers.Conv2DTranspose(channels, 4, strides=2, padding="same", activation="tanh")(x)
    # landmark images span [-1, 1]: a deviation spans [-2, 2]
    delta = layers.Rescaling(2.0, name="deviation")(delta)
    j_gen = layers.Add(name="fused_landmarks")([l_t, delta])
    if not points:
        return keras.Model([l_s, l_t], j_gen, name="fusion")
    p_s = keras.Input((68, 2), name="source_points")
    p_t = keras.Input((68, 2), name="target_points")
    h = layers.Concatenate()([layers.Flatten()(code), layers.Flatten()(p_s), layers.Flatten()(p_t)])
    for width in (256, 128):
        h = layers.LeakyReLU(0.2)(layers.Dense(width)(h))
    move = layers.Dense(136, kernel_initializer="zeros", name="point_deviation")(h)
    move = layers.Reshape((68, 2))(layers.Rescaling(0.1)(move))
    fused = layers.Add(name="fused_points")([p_t, move])
    return keras.Model([l_s, l_t, p_s, p_t], [j_gen, fused], name="fusion")


# ---- GAN models ----------------------------------------------------------------------------
def _bce(logits, real: bool):
    target = tf.ones_like(logits) if real else tf.zeros_like(logits)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=logits))


def _l1(a, b):
    return tf.reduce_mean(tf.abs(a - b))


class _TwoOptimizerGAN(keras.Model):
    """Shared plumbing of the fusion and transfer GANs: one optimizer per network, loss trackers."""

    def compile(self, g_optimizer, d_optimizer, **kwargs):
        super().compile(**kwargs)
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer

    @property
    def metrics(self):
        return list(self.trackers.values())

    def build_optimizers(self):
        """Create both optimizers' variables before a backup is restored into them (core.checkpoint)."""
        self.g_optimizer.build(self._generator_net().trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)


class FusionGAN(_TwoOptimizerGAN):
    """Feature-point fusion module Φ trained with adversarial (D_J) + cycle + L1 losses (eq. 6).

    Batches are (L_s, L_t, J_o): source landmarks, target landmarks, target's landmarks showing the
    source expression. Cycle (eq. 4, read as a round trip): X = L_s + Φ(L_t, L_s) puts the target's
    expression on the source identity; Φ(J_gen, X) must give L_s back (an identity Φ gives it back
    exactly: this reading of the cycle has its zero at the identity map).
    With a points head (`coord_weight` > 0) batches are (L_s, L_t, P_s, P_t, J_o, P_o) and the loss
    adds coord_weight x the mean L1 distance in pixels between the fused and the truth's points.
    """

    def __init__(self, fusion, discriminator, weights=(0.1, 10.0, 100.0), coord_weight=0.0, **kwargs):
        super().__init__(**kwargs)
        self.fusion, self.discriminator = fusion, discriminator
        self.loss_weights_ = tuple(float(w) for w in weights)
        self.coord_weight = float(coord_weight)
        self.points = len(fusion.inputs) == 4
        names = ("d_loss", "g_adv", "cycle", "l1") + (("coord_px",) if self.points else ())
        self.trackers = {k: keras.metrics.Mean(name=k) for k in names}

    def _generator_net(self):
        return self.fusion

    def call(self, inputs, training=False):
        return self.fusion(inputs, training=training)

    def train_step(self, data):
        if self.points:
            l_s, l_t, p_s, p_t, j_o, p_o = data
        else:
            l_s, l_t, j_o = data
        w_adv, w_cyc, w_l1 = self.loss_weights_
        size = float(l_s.shape[1])
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            if self.points:
                j_gen, j_pts = self.fusion([l_s, l_t, p_s, p_t], training=True)
                swapped, swapped_pts = self.fusion([l_t, l_s, p_t, p_s], training=True)
                back, _ = self.fusion([j_gen, swapped, j_pts, swapped_pts], training=True)
            else:
                j_gen = self.fusion([l_s, l_t], training=True)
                swapped = self.fusion([l_t, l_s], training=True)
                back = self.fusion([j_gen, swapped], training=True)
            real_logits = self.discriminator(j_o, training=True)
            fake_logits = self.discriminator(j_gen, training=True)
            d_loss = _bce(real_logits, True) + _bce(fake_logits, False)
            g_adv, cycle, l1 = _bce(fake_logits, True), _l1(back, l_s), _l1(j_gen, j_o)
            g_loss = w_adv * g_adv + w_cyc * cycle + w_l1 * l1
            logs = {"d_loss": d_loss, "g_adv": g_adv, "cycle": cycle, "l1": l1}
            if self.points:
                logs["coord_px"] = _l1(j_pts, p_o) * size
                g_loss += self.coord_weight * logs["coord_px"]
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, self.fusion.trainable_weights),
                                             self.fusion.trainable_weights))
        self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, self.discriminator.trainable_weights),
                                             self.discriminator.trainable_weights))
        for k, v in logs.items():
            self.trackers[k].update_state(v)
        return {k: t.result() for k, t in self.trackers.items()}


class TransferGAN(_TwoOptimizerGAN):
    """Expression transfer module Ω (or the pix2pix baseline): cGAN + L1 (eq. 9).

    Batches are (condition, P_t, I_o): condition = the landmark channels (proposed) or the source
    face (pix2pix); P_t the target face; I_o the target identity showing the source expression.
    `feature_matching` > 0 (beyond the paper) adds that weight x the mean L1 distance between the
    discriminator's features (every LeakyReLU output) of the real and the generated pair.
    """

    def __init__(self, generator, discriminator, weights=(1.0, 100.0), feature_matching=0.0, **kwargs):
        super().__init__(**kwargs)
        self.generator, self.discriminator = generator, discriminator
        self.loss_weights_ = tuple(float(w) for w in weights)
        self.feature_matching = float(feature_matching)
        feats = [layer.output for layer in discriminator.layers if layer.name.startswith("d_feat")]
        self.d_features = keras.Model(discriminator.inputs, [*feats, discriminator.outputs[0]])
        names = ("d_loss", "g_gan", "l1") + (("fm",) if self.feature_matching else ())
        self.trackers = {k: keras.metrics.Mean(name=k) for k in names}

    def _generator_net(self):
        return self.generator

    def call(self, inputs, training=False):
        condition, p_t = inputs
        return self.generator(tf.concat([p_t, condition], axis=-1), training=training)

    def train_step(self, data):
        condition, p_t, i_o = data
        w_gan, w_l1 = self.loss_weights_
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.generator(tf.concat([p_t, condition], axis=-1), training=True)
            if self.feature_matching:
                *real_feats, real_logits = self.d_features(tf.concat([p_t, i_o], axis=-1), training=True)
                *fake_feats, fake_logits = self.d_features(tf.concat([p_t, fake], axis=-1), training=True)
            else:
                real_logits = self.discriminator(tf.concat([p_t, i_o], axis=-1), training=True)
                fake_logits = self.discriminator(tf.concat([p_t, fake], axis=-1), training=True)
            d_loss = _bce(real_logits, True) + _bce(fake_logits, False)
            g_gan, l1 = _bce(fake_logits, True), _l1(fake, i_o)
            g_loss = w_gan * g_gan + w_l1 * l1
            logs = {"d_loss": d_loss, "g_gan": g_gan, "l1": l1}
            if self.feature_matching:
                logs["fm"] = tf.add_n([_l1(tf.stop_gradient(r), f) for r, f in zip(real_feats, fake_feats)]) \
                    / len(real_feats)
                g_loss += self.feature_matching * logs["fm"]
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, self.generator.trainable_weights),
                                             self.generator.trainable_weights))
        self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, self.discriminator.trainable_weights),
                                             self.discriminator.trainable_weights))
        for k, v in logs.items():
            self.trackers[k].update_state(v)
        return {k: t.result() for k, t in self.trackers.items()}
