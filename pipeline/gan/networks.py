"""DCGAN networks, shared by the per-class GANs and the feature GAN.

Two variants, both trained as one Keras `DCGAN` model by `fit()`:
- `pixelnorm` (paper 000, 48x48): G = z -> Dense 6x6x512 -> PixelNorm -> LeakyReLU -> three
  Conv2DTranspose(4x4, s2) 256/128/64 each + PixelNorm + LeakyReLU -> 1-filter tanh output.
- `radford` (paper 002, 64x64): Radford et al. DCGAN, N(0, 0.02) init, BatchNorm + ReLU in G.
Both discriminators: Conv2D(4x4, s2) 64/128/256/512 named d_conv1..d_conv4, BatchNorm from the
second conv on, LeakyReLU(0.2), flatten, Dense(1, sigmoid). At 64x64 the last conv gives
4x4x512 = 8192 features (the SVM stage's feature layer, `d_act4`).

`cfg` is a `pipeline.gan.config.GANKeys` (or anything with its attributes).
"""

import keras
import tensorflow as tf

from pipeline.core.distribute import replica_part, replicas_in_sync

from .config import image_size_factor


@keras.saving.register_keras_serializable(package="pipeline")
class PixelNorm(keras.layers.Layer):
    """x / sqrt(mean over channels of x^2 + eps), per pixel (Karras et al. 2018)."""

    def __init__(self, epsilon: float = 1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def call(self, x):
        ops = keras.ops
        return x * ops.rsqrt(ops.mean(ops.square(x), axis=-1, keepdims=True) + self.epsilon)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


def _init(cfg):
    if cfg.variant == "radford":
        return keras.initializers.RandomNormal(0.0, 0.02, seed=cfg.seed)
    return "glorot_uniform"


def build_generator(cfg):
    """z (latent_dim) -> image (image_size, image_size, 1) in [-1, 1]."""
    layers = keras.layers
    dt = cfg.precision
    radford = cfg.variant == "radford"
    start = cfg.image_size // image_size_factor(cfg.variant)
    init = _init(cfg)

    def norm_act(x, i):
        if radford:
            x = layers.BatchNormalization(name=f"g_bn{i}", dtype=dt)(x)
            return layers.ReLU(name=f"g_act{i}", dtype=dt)(x)
        x = PixelNorm(name=f"g_pixelnorm{i}", dtype=dt)(x)
        return layers.LeakyReLU(0.2, name=f"g_act{i}", dtype=dt)(x)

    z = keras.Input((cfg.latent_dim,), name="z")
    x = layers.Dense(start * start * cfg.g_base, kernel_initializer=init, name="g_dense", dtype=dt)(z)
    x = layers.Reshape((start, start, cfg.g_base), name="g_reshape", dtype=dt)(x)
    x = norm_act(x, 0)
    for i, width in enumerate(cfg.g_widths, start=1):
        x = layers.Conv2DTranspose(width, 4, strides=2, padding="same", kernel_initializer=init,
                                   name=f"g_deconv{i}", dtype=dt)(x)
        x = norm_act(x, i)
    # 000: a one-filter output layer at the same size; Radford: one more 2x upsampling.
    image = layers.Conv2DTranspose(1, 4, strides=2 if radford else 1, padding="same", activation="tanh",
                                   kernel_initializer=init, name="g_out", dtype="float32")(x)
    return keras.Model(z, image, name="generator")


def build_discriminator(cfg):
    """image (image_size, image_size, 1) in [-1, 1] -> P(real); conv layers d_conv1..d_conv4."""
    layers = keras.layers
    dt = cfg.precision
    init = _init(cfg)
    image = keras.Input((cfg.image_size, cfg.image_size, 1), name="image")
    x = image
    for i, width in enumerate(cfg.d_widths, start=1):
        x = layers.Conv2D(width, 4, strides=2, padding="same", kernel_initializer=init,
                          name=f"d_conv{i}", dtype=dt)(x)
        if i > 1:
            x = layers.BatchNormalization(name=f"d_bn{i}", dtype=dt)(x)
        x = layers.LeakyReLU(0.2, name=f"d_act{i}", dtype=dt)(x)
    x = layers.Flatten(name="d_flatten", dtype=dt)(x)
    p = layers.Dense(1, activation="sigmoid", kernel_initializer=init, name="d_out", dtype="float32")(x)
    return keras.Model(image, p, name="discriminator")


def discriminator_feature_model(discriminator, layer: str = "d_act4"):
    """The discriminator cut at `layer`, flattened: 8192 features per 64x64 image at d_act4."""
    out = keras.layers.Flatten(name="features")(discriminator.get_layer(layer).output)
    return keras.Model(discriminator.input, out, name="discriminator_features")


class DCGAN(keras.Model):
    """Generator + discriminator trained by `fit()`; alternating D then G Adam steps, BCE loss.

    The D step sees the real and the fake batch separately (own BatchNorm statistics, as the G
    step's fake-only batch has); the G step reuses that fake batch, so each step runs the
    generator forward once, not twice. Its state (both networks, both Adams, the latent RNG)
    is what core.checkpoint's BackupAndRestore saves and restores.
    """

    def __init__(self, generator, discriminator, latent_dim: int, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")   # mean D(real)
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")   # mean D(G(z)) before the D step
        self.built = True  # both networks are built; BackupAndRestore refuses an unbuilt model

    def compile(self, d_optimizer, g_optimizer, loss_fn, jit_compile=False):
        super().compile(optimizer=None, jit_compile=jit_compile)  # (Keras' default RMSprop would go unused)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def build_optimizers(self):
        """Create both Adams' slots before a backup is restored into them (core.checkpoint)."""
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    def save_own_variables(self, store):
        """The latent RNG's state (Keras saves a SeedGenerator of a layer only with the layer's own)."""
        super().save_own_variables(store)
        store["latent_rng"] = self.seed_generator.state

    def load_own_variables(self, store):
        self.seed_generator.state.assign(store["latent_rng"])

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker]

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def train_step(self, real):
        if isinstance(real, tuple):
            real = real[0]
        ops = keras.ops
        n = ops.shape(real)[0]  # this replica's part of the global batch (core.distribute)
        # latent vectors drawn for the global batch, this replica's rows: the z one device would draw
        replicas = replicas_in_sync()
        z = replica_part(keras.random.normal((n * replicas, self.latent_dim), seed=self.seed_generator), n)
        # One generator forward serves both steps (as in the PyTorch DCGAN example): the tape
        # keeps its graph for the G step, which then sees the freshly updated D.
        with tf.GradientTape(persistent=True) as g_tape:
            fake = self.generator(z, training=True)
        # Real and fake go through D as separate batches: with BatchNorm, a mixed batch lets D
        # separate them by batch statistics the G step (fake-only batch) never sees, and
        # training collapses (d_loss -> 0 while g_loss -> 0 too).
        with tf.GradientTape() as tape:
            p_real = self.discriminator(real, training=True)
            p_fake_d = self.discriminator(ops.stop_gradient(fake), training=True)
            d_loss = 0.5 * (self.loss_fn(ops.ones((n, 1)), p_real)
                            + self.loss_fn(ops.zeros((n, 1)), p_fake_d))
        d_vars = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, d_vars), d_vars))

        with g_tape:
            p_fake = self.discriminator(fake, training=True)
            g_loss = self.loss_fn(ops.ones((n, 1)), p_fake)
        g_vars = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars))
        del g_tape

        # Keras losses are scaled by the global batch (the replica's mean / replicas in sync), so the
        # summed gradients are the global-batch mean's; the trackers log the replica's mean (fit()
        # averages them over replicas)
        self.d_loss_tracker.update_state(d_loss * replicas)
        self.g_loss_tracker.update_state(g_loss * replicas)
        self.d_real_tracker.update_state(ops.mean(p_real))
        self.d_fake_tracker.update_state(ops.mean(p_fake_d))
        return {m.name: m.result() for m in self.metrics}


def make_dcgan(cfg) -> DCGAN:
    """Build G and D for `cfg`, wrap them in a compiled DCGAN (Adam, BCE)."""
    gan = DCGAN(build_generator(cfg), build_discriminator(cfg), cfg.latent_dim, seed=cfg.seed)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(cfg.lr_d, beta_1=cfg.beta1, beta_2=cfg.beta2),
        g_optimizer=keras.optimizers.Adam(cfg.lr_g, beta_1=cfg.beta1, beta_2=cfg.beta2),
        loss_fn=keras.losses.BinaryCrossentropy(),
        jit_compile=cfg.jit_compile,
    )
    return gan
