"""Landmark-guided expression transfer (Fan et al., IEEE Access 2023): pairs, networks, GAN training.

Two modules, trained one after the other as in the paper:
- feature-point fusion Φ: two encoders (source landmarks L_s, target landmarks L_t), one decoder whose
  output is added to L_t (eq. 1: J_gen = L_t + Φ(L_s, L_t)); losses adversarial + cycle + L1 (0.1/10/100);
- expression transfer Ω: a U-Net (strided convs, transposed-conv up-sampling, skips, tanh) fed the target
  face P_t and J_gen; PatchGAN discriminator with spectral normalisation on (P_t, image); cGAN + L1 (1/100).
The pix2pix baseline is the same U-Net + PatchGAN conditioned on the source face instead of J_gen.

Pairs (triples): the paper's ground truth is the target identity showing the source's expression, so a
training example is (source frame: subject A, expression e; target frame: subject B, expression e' != e;
truth frame: subject B, expression e, another sequence). Subjects are split into train/test, so test
identities (sources and targets) are never seen in training.
"""

import math

import keras
import numpy as np
import tensorflow as tf

from .core.errors import PipelineError
from .core.images import to_gan_inputs


# ---- pairs ---------------------------------------------------------------------------------
def split_subjects(subjects, test_fraction: float, seed: int) -> dict:
    """Deterministic subject -> 'train' | 'test' map (the paper's 8:2 split, by identity)."""
    names = sorted(set(np.asarray(subjects, str).tolist()))
    if len(names) < 4:
        raise PipelineError(f"transfer: need at least 4 subjects for a subject-disjoint split, found {len(names)}")
    order = np.random.default_rng(seed).permutation(len(names))
    n_test = min(len(names) - 2, max(2, int(round(test_fraction * len(names)))))
    return {names[i]: ("test" if rank < n_test else "train") for rank, i in enumerate(order)}


def make_triples(labels, subjects, sequences, rows, n: int, seed: int) -> np.ndarray:
    """Sample `n` (source, target, truth) row-index triples among `rows`.

    target and truth: same subject, different sequences, different expressions; source: another
    subject showing the truth's expression. Raises PipelineError when `rows` allow none.
    """
    labels, subjects, sequences = (np.asarray(a) for a in (labels, subjects, sequences))
    rows = np.asarray(rows, np.int64)
    rng = np.random.default_rng(seed)
    by_subject: dict = {}
    for r in rows:
        by_subject.setdefault(subjects[r], []).append(r)
    pairs = []  # (target row, truth row)
    for subj_rows in by_subject.values():
        for t in subj_rows:
            for o in subj_rows:
                if labels[t] != labels[o] and sequences[t] != sequences[o]:
                    pairs.append((t, o))
    if not pairs:
        raise PipelineError("transfer: no subject has two sequences with different expressions in this split "
                            "(CK+/RaFD-like data with subject and sequence ids is needed)")
    pairs = np.array(pairs, np.int64)
    by_label: dict = {}
    for r in rows:
        by_label.setdefault(labels[r], []).append(r)
    triples = []
    for k in rng.permutation(len(pairs) * max(1, math.ceil(n / len(pairs))))[: 4 * n]:
        t, o = pairs[k % len(pairs)]
        sources = [r for r in by_label[labels[o]] if subjects[r] != subjects[o]]
        if sources:
            triples.append((sources[rng.integers(len(sources))], t, o))
        if len(triples) == n:
            break
    if not triples:
        raise PipelineError("transfer: no other subject shows any truth expression in this split")
    return np.array(triples, np.int64)


def to_unit(images: np.ndarray, size: int) -> np.ndarray:
    """uint8 (N, H, W) faces -> float32 (N, size, size, 1) in [-1, 1] (cubic up-, area down-sampling)."""
    return to_gan_inputs(images, size, upsample="cubic")


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
    for i, f in enumerate(filters):  # down-sampling: LeakyReLU, conv stride 2, BN (no BN/activation on the input)
        if i:
            x = layers.LeakyReLU(0.2)(x)
        x = layers.Conv2D(f, 4, strides=2, padding="same", use_bias=i == 0)(x)
        if i:
            x = layers.BatchNormalization()(x)
        skips.append(x)
    x = layers.LeakyReLU(0.2)(x)  # bottleneck at 2x2
    x = layers.Conv2D(filters[-1], 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    for f, skip in zip(reversed(filters[:-1]), reversed(skips[:-1])):  # up-sampling: ReLU, transposed conv, BN
        x = layers.ReLU()(x)
        x = layers.Conv2DTranspose(f, 4, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Concatenate()([x, skip])
    x = layers.ReLU()(x)
    out = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh")(x)
    return keras.Model(inp, out, name=name)


def patch_discriminator(size: int, in_channels: int, base_filters: int = 64, name: str = "patch_d") -> keras.Model:
    """Markov (PatchGAN) discriminator with spectral normalisation; outputs a map of real/fake logits."""
    layers = keras.layers
    inp = keras.Input((size, size, in_channels))
    x = layers.LeakyReLU(0.2)(layers.Conv2D(base_filters, 4, strides=2, padding="same")(inp))
    n_down = max(1, min(3, int(math.log2(size)) - 4))  # 256 -> 3 (the paper's 30x30 patches), 64 -> 2, 32 -> 1
    for i in range(n_down):
        conv = layers.Conv2D(base_filters * 2 ** (i + 1), 4, strides=2 if i < n_down - 1 else 1, padding="same")
        x = layers.LeakyReLU(0.2)(layers.SpectralNormalization(conv)(x))
    out = layers.Conv2D(1, 4, padding="same")(x)  # sigmoid folded into the loss (from_logits)
    return keras.Model(inp, out, name=name)


def fusion_network(size: int, base_filters: int = 16) -> keras.Model:
    """Φ with eq. 1 built in: (L_s, L_t) -> J_gen = L_t + decoder(concat(enc1(L_s), enc2(L_t)))."""
    layers = keras.layers
    n_down = min(3, int(math.log2(size)) - 2)

    def encoder(x, tag):
        for i in range(n_down):
            x = layers.Conv2D(base_filters * 2 ** i, 4, strides=2, padding="same", name=f"{tag}_conv{i + 1}")(x)
            x = layers.LeakyReLU(0.2)(layers.BatchNormalization()(x) if i else x)
        return x

    l_s = keras.Input((size, size, 1), name="source_landmarks")
    l_t = keras.Input((size, size, 1), name="target_landmarks")
    x = layers.Concatenate()([encoder(l_s, "enc_source"), encoder(l_t, "enc_target")])
    for i in reversed(range(n_down - 1)):
        x = layers.Conv2DTranspose(base_filters * 2 ** i, 4, strides=2, padding="same", use_bias=False)(x)
        x = layers.ReLU()(layers.BatchNormalization()(x))
    delta = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh")(x)
    delta = layers.Rescaling(2.0, name="deviation")(delta)  # landmark images span [-1, 1]: a deviation spans [-2, 2]
    j_gen = layers.Add(name="fused_landmarks")([l_t, delta])
    return keras.Model([l_s, l_t], j_gen, name="fusion")


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


class FusionGAN(_TwoOptimizerGAN):
    """Feature-point fusion module Φ trained with adversarial (D_J) + cycle + L1 losses (eq. 6).

    Batches are (L_s, L_t, J_o): source landmarks, target landmarks, target's landmarks showing the
    source expression. Cycle (eq. 4, read as a round trip): X = L_s + Φ(L_t, L_s) puts the target's
    expression on the source identity; Φ(J_gen, X) must give L_s back.
    """

    def __init__(self, fusion, discriminator, weights=(0.1, 10.0, 100.0), **kwargs):
        super().__init__(**kwargs)
        self.fusion, self.discriminator = fusion, discriminator
        self.loss_weights_ = tuple(float(w) for w in weights)
        self.trackers = {k: keras.metrics.Mean(name=k) for k in ("d_loss", "g_adv", "cycle", "l1")}

    def call(self, inputs, training=False):
        return self.fusion(inputs, training=training)

    def train_step(self, data):
        l_s, l_t, j_o = data
        w_adv, w_cyc, w_l1 = self.loss_weights_
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            j_gen = self.fusion([l_s, l_t], training=True)
            swapped = self.fusion([l_t, l_s], training=True)
            back = self.fusion([j_gen, swapped], training=True)
            real_logits = self.discriminator(j_o, training=True)
            fake_logits = self.discriminator(j_gen, training=True)
            d_loss = _bce(real_logits, True) + _bce(fake_logits, False)
            g_adv, cycle, l1 = _bce(fake_logits, True), _l1(back, l_s), _l1(j_gen, j_o)
            g_loss = w_adv * g_adv + w_cyc * cycle + w_l1 * l1
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, self.fusion.trainable_weights),
                                             self.fusion.trainable_weights))
        self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, self.discriminator.trainable_weights),
                                             self.discriminator.trainable_weights))
        for k, v in (("d_loss", d_loss), ("g_adv", g_adv), ("cycle", cycle), ("l1", l1)):
            self.trackers[k].update_state(v)
        return {k: t.result() for k, t in self.trackers.items()}


class TransferGAN(_TwoOptimizerGAN):
    """Expression transfer module Ω (or the pix2pix baseline): cGAN + L1 (eq. 9).

    Batches are (condition, P_t, I_o): condition = fused landmark image J_gen (proposed) or the source
    face (pix2pix); P_t the target face; I_o the target identity showing the source expression.
    """

    def __init__(self, generator, discriminator, weights=(1.0, 100.0), **kwargs):
        super().__init__(**kwargs)
        self.generator, self.discriminator = generator, discriminator
        self.loss_weights_ = tuple(float(w) for w in weights)
        self.trackers = {k: keras.metrics.Mean(name=k) for k in ("d_loss", "g_gan", "l1")}

    def call(self, inputs, training=False):
        condition, p_t = inputs
        return self.generator(tf.concat([p_t, condition], axis=-1), training=training)

    def train_step(self, data):
        condition, p_t, i_o = data
        w_gan, w_l1 = self.loss_weights_
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.generator(tf.concat([p_t, condition], axis=-1), training=True)
            real_logits = self.discriminator(tf.concat([p_t, i_o], axis=-1), training=True)
            fake_logits = self.discriminator(tf.concat([p_t, fake], axis=-1), training=True)
            d_loss = _bce(real_logits, True) + _bce(fake_logits, False)
            g_gan, l1 = _bce(fake_logits, True), _l1(fake, i_o)
            g_loss = w_gan * g_gan + w_l1 * l1
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, self.generator.trainable_weights),
                                             self.generator.trainable_weights))
        self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, self.discriminator.trainable_weights),
                                             self.discriminator.trainable_weights))
        for k, v in (("d_loss", d_loss), ("g_gan", g_gan), ("l1", l1)):
            self.trackers[k].update_state(v)
        return {k: t.result() for k, t in self.trackers.items()}


def adam_pair(params: dict):
    """(generator, discriminator) Adam optimizers: lr 2e-4 / 1e-4, betas 0.5 / 0.999 by default."""
    b1, b2 = float(params.get("beta_1", 0.5)), float(params.get("beta_2", 0.999))
    return (keras.optimizers.Adam(float(params.get("g_lr", 2e-4)), beta_1=b1, beta_2=b2),
            keras.optimizers.Adam(float(params.get("d_lr", 1e-4)), beta_1=b1, beta_2=b2))


def paired_dataset(arrays: tuple, batch_size: int, flip: bool, seed: int):
    """tf.data of shuffled batches of aligned image tuples; optional joint left-right flip (the paper's
    training augmentation: every image of a tuple flips together)."""
    ds = tf.data.Dataset.from_tensor_slices(tuple(arrays)).shuffle(len(arrays[0]), seed=seed)
    if flip:
        def joint_flip(*xs):
            do = tf.random.uniform(()) < 0.5
            return tuple(tf.cond(do, lambda x=x: tf.reverse(x, axis=[1]), lambda x=x: x) for x in xs)
        ds = ds.map(joint_flip, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size, drop_remainder=len(arrays[0]) >= batch_size).prefetch(tf.data.AUTOTUNE)


# ---- evaluation ----------------------------------------------------------------------------
def ssim_psnr(generated: np.ndarray, real: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-image SSIM and PSNR (dB) of images in [-1, 1], computed on [0, 1] (max_val 1, 11x11 window)."""
    a = tf.convert_to_tensor((np.asarray(generated, np.float32) + 1) / 2)
    b = tf.convert_to_tensor((np.asarray(real, np.float32) + 1) / 2)
    a, b = tf.clip_by_value(a, 0, 1), tf.clip_by_value(b, 0, 1)
    return tf.image.ssim(a, b, max_val=1.0).numpy(), tf.image.psnr(a, b, max_val=1.0).numpy()
