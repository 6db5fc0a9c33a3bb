"""One class-conditional GAN for every class at once (stage train_cgan), beside the per-class DCGANs.

G: [z, class] -> the DCGAN generator body on concat(z, embedding(class)) (`gan.cgan_embed_dim`).
D: [image, class] -> the DCGAN discriminator trunk phi(x) (d_conv1..d_conv4, flattened), then the
projection head of Miyato & Koyama 2018: D(x, y) = w . phi(x) + embed(y) . phi(x), a logit (so
the BCE is taken from logits; `gan.loss: hinge` works as for the per-class GANs). Every other
option (DiffAugment, EMA, spectral norm, R1) and the training loop are the per-class GANs' own:
`ConditionalDCGAN` only says how a batch carries its labels. Labels are indices into the
dataset's classes; fakes in a step take the real batch's labels, so D cannot tell fakes by
their class mix. `ClassSampler` makes the model look like a per-class generator (z -> image)
for one class, which is all synthesize, gan_metrics and the sample grids need.
"""

import keras
import numpy as np

from .networks import DCGAN, compile_gan, discriminator_trunk, gan_options, generator_body, spectral


def build_conditional_generator(cfg, n_classes: int):
    """[z (latent_dim), class (int)] -> image (image_size, image_size, 1) in [-1, 1]."""
    layers = keras.layers
    z = keras.Input((cfg.latent_dim,), name="z")
    label = keras.Input((), dtype="int32", name="label")
    code = layers.Embedding(n_classes, cfg.cgan_embed_dim, name="g_embed", dtype=cfg.precision)(label)
    x = layers.Concatenate(name="g_z_code", dtype=cfg.precision)([z, code])
    return keras.Model([z, label], generator_body(cfg, x), name="generator")


def build_projection_discriminator(cfg, n_classes: int):
    """[image, class] -> logit w.phi(x) + embed(class).phi(x) (projection discriminator)."""
    layers = keras.layers
    image = keras.Input((cfg.image_size, cfg.image_size, 1), name="image")
    label = keras.Input((), dtype="int32", name="label")
    phi = discriminator_trunk(cfg, image)
    phi32 = layers.Activation("linear", name="d_phi", dtype="float32")(phi)
    linear = spectral(cfg, "d_out", lambda name: layers.Dense(1, name=name, dtype="float32"))(phi32)
    embed = spectral(cfg, "d_embed", lambda name: layers.Embedding(
        n_classes, int(phi.shape[-1]), name=name, dtype="float32"))(label)
    projection = layers.Dot(axes=-1, name="d_projection", dtype="float32")([embed, phi32])
    out = layers.Add(name="d_logit", dtype="float32")([linear, projection])
    return keras.Model([image, label], out, name="discriminator")


class ConditionalDCGAN(DCGAN):
    """A DCGAN whose batches are (images, labels): G and D both see the label."""

    def __init__(self, generator, discriminator, latent_dim: int, trained_labels=(), **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.trained_labels = [int(v) for v in trained_labels]

    def unpack(self, data):
        images, labels = data
        return images, labels

    def generate(self, z, cond, training=True):
        return self.generator([z, cond], training=training)

    def call_discriminator(self, x, cond):
        return self.discriminator([x, cond], training=True)

    def grid_sampler(self, n: int):
        """Sample grids of 8 columns: one trained class per row, in turn."""
        rows = [self.trained_labels[(i // 8) % len(self.trained_labels)] for i in range(n)]
        return ClassSampler(self.sampler, rows)


def make_cgan(cfg, n_classes: int, trained_labels) -> ConditionalDCGAN:
    """G, projection D and the compiled ConditionalDCGAN for `cfg` (config.CGANKeys)."""
    gan = ConditionalDCGAN(build_conditional_generator(cfg, n_classes),
                           build_projection_discriminator(cfg, n_classes), cfg.latent_dim,
                           trained_labels=trained_labels, seed=cfg.seed, **gan_options(cfg))
    return compile_gan(gan, cfg, from_logits=True)  # a projection D ends in a logit


class ClassSampler:
    """A conditional generator seen as z -> image for fixed labels (one class, or one per row)."""

    def __init__(self, generator, label):
        self.generator, self.label = generator, label
        self.input_shape = generator.input_shape[0]
        self.output_shape = generator.output_shape

    def labels(self, n: int) -> np.ndarray:
        if isinstance(self.label, (int, np.integer)):
            return np.full(n, int(self.label), np.int32)
        return np.asarray(self.label[:n], np.int32)

    def __call__(self, z, training=False):
        return self.generator([z, self.labels(len(z))], training=training)


def is_conditional(generator) -> bool:
    """Whether a loaded generator takes [z, class] (train_cgan) rather than z (train_gan)."""
    return isinstance(generator.input, (list, tuple)) and len(generator.input) == 2
