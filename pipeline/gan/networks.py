"""DCGAN networks, shared by the per-class GANs and the feature GAN.

Two variants, both trained as one Keras `DCGAN` model by `fit()`:
- `pixelnorm` (paper 000, 48x48): G = z -> Dense 6x6x512 -> PixelNorm -> LeakyReLU -> three
  Conv2DTranspose(4x4, s2) 256/128/64 each + PixelNorm + LeakyReLU -> 1-filter tanh output.
- `radford` (paper 002, 64x64): Radford et al. DCGAN, N(0, 0.02) init, BatchNorm + ReLU in G.
Both discriminators: Conv2D(4x4, s2) 64/128/256/512 named d_conv1..d_conv4, BatchNorm from the
second conv on, LeakyReLU(0.2), flatten, Dense(1, sigmoid). At 64x64 the last conv gives
4x4x512 = 8192 features (the SVM stage's feature layer, `d_act4`).
Options (params `gan.*`, each off in the reference): `d_reg: spectral` wraps every D conv and the
output unit in spectral normalisation and drops D's BatchNorm (Miyato et al. 2018: BN's
per-batch rescaling would undo the Lipschitz bound); a logit output (no sigmoid) where the loss
needs one (`config.uses_logits`); DiffAugment, R1, hinge and a weight average of G (`ema`) live
in the `DCGAN` training step.

`cfg` is a `pipeline.gan.config.GANKeys` (or anything with its attributes).
"""

import keras
import tensorflow as tf

from pipeline.core.distribute import replica_part, replicas_in_sync

from .config import image_size_factor, uses_logits
from .diffaugment import diff_augment
from .losses import GANLoss, r1_penalty


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


def init_for(cfg):
    if cfg.variant == "radford":
        return keras.initializers.RandomNormal(0.0, 0.02, seed=cfg.seed)
    return "glorot_uniform"


def build_generator(cfg):
    """z (latent_dim) -> image (image_size, image_size, 1) in [-1, 1]."""
    z = keras.Input((cfg.latent_dim,), name="z")
    return keras.Model(z, generator_body(cfg, z), name="generator")


def generator_body(cfg, z):
    """The generator's layers from its input vector (z, or z with a class code) to the image."""
    layers = keras.layers
    dt = cfg.precision
    radford = cfg.variant == "radford"
    start = cfg.image_size // image_size_factor(cfg.variant)
    init = init_for(cfg)

    def norm_act(x, i):
        if radford:
            x = layers.BatchNormalization(name=f"g_bn{i}", dtype=dt)(x)
            return layers.ReLU(name=f"g_act{i}", dtype=dt)(x)
        x = PixelNorm(name=f"g_pixelnorm{i}", dtype=dt)(x)
        return layers.LeakyReLU(0.2, name=f"g_act{i}", dtype=dt)(x)

    x = layers.Dense(start * start * cfg.g_base, kernel_initializer=init, name="g_dense", dtype=dt)(z)
    x = layers.Reshape((start, start, cfg.g_base), name="g_reshape", dtype=dt)(x)
    x = norm_act(x, 0)
    for i, width in enumerate(cfg.g_widths, start=1):
        x = layers.Conv2DTranspose(width, 4, strides=2, padding="same", kernel_initializer=init,
                                   name=f"g_deconv{i}", dtype=dt)(x)
        x = norm_act(x, i)
    # 000: a one-filter output layer at the same size; Radford: one more 2x upsampling.
    return layers.Conv2DTranspose(1, 4, strides=2 if radford else 1, padding="same", activation="tanh",
                                  kernel_initializer=init, name="g_out", dtype="float32")(x)


def spectral(cfg, name: str, make):
    """`make(name)` (a layer), wrapped in spectral normalisation under `name` when d_reg is spectral."""
    if cfg.d_reg != "spectral":
        return make(name)
    inner = make(f"{name}_kernel")
    return keras.layers.SpectralNormalization(inner, name=name, dtype=inner.dtype_policy)


def discriminator_trunk(cfg, image):
    """D's conv layers d_conv1..d_conv4 (+ BN, LeakyReLU), flattened: the shared feature trunk."""
    layers = keras.layers
    dt = cfg.precision
    init = init_for(cfg)
    x = image
    for i, width in enumerate(cfg.d_widths, start=1):
        x = spectral(cfg, f"d_conv{i}", lambda name: layers.Conv2D(
            width, 4, strides=2, padding="same", kernel_initializer=init, name=name, dtype=dt))(x)
        if i > 1 and cfg.d_reg != "spectral":
            x = layers.BatchNormalization(name=f"d_bn{i}", dtype=dt)(x)
        x = layers.LeakyReLU(0.2, name=f"d_act{i}", dtype=dt)(x)
    return layers.Flatten(name="d_flatten", dtype=dt)(x)


def build_discriminator(cfg):
    """image (image_size, image_size, 1) in [-1, 1] -> P(real) (or its logit); conv layers d_conv1..4."""
    image = keras.Input((cfg.image_size, cfg.image_size, 1), name="image")
    x = discriminator_trunk(cfg, image)
    head = None if uses_logits(cfg) else "sigmoid"
    out = spectral(cfg, "d_out", lambda name: keras.layers.Dense(
        1, activation=head, kernel_initializer=init_for(cfg), name=name, dtype="float32"))(x)
    return keras.Model(image, out, name="discriminator")


def discriminator_feature_model(discriminator, layer: str = "d_act4"):
    """The discriminator cut at `layer`, flattened: 8192 features per 64x64 image at d_act4."""
    out = keras.layers.Flatten(name="features")(discriminator.get_layer(layer).output)
    return keras.Model(discriminator.input, out, name="discriminator_features")


class DCGAN(keras.Model):
    """Generator + discriminator trained by `fit()`; alternating D then G Adam steps.

    The D step sees the real and the fake batch separately (own BatchNorm statistics, as the G
    step's fake-only batch has); the G step reuses that fake batch, so each step runs the
    generator forward once, not twice. D sees every batch through `augment` (DiffAugment, when
    policies are given). With `ema` > 0 a copy of G (`generator_ema`) follows G's weights as an
    exponential moving average after every G step: `sampler` is what samples, grids and saved
    models use. Its state (both networks, the average, both Adams, the RNGs) is what
    core.checkpoint's BackupAndRestore saves and restores.
    Subclasses conditioning on labels override `unpack`, `generate` and `call_discriminator`.
    """

    def __init__(self, generator, discriminator, latent_dim: int, seed: int = 0, policies=(),
                 ema: float = 0.0, r1_gamma: float | None = None, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.augment_rng = keras.random.SeedGenerator(seed + 7919)  # own stream: latents unchanged
        self.policies = tuple(policies)
        self.ema = float(ema)
        self.generator_ema = None
        if self.ema:
            self.generator_ema = keras.models.clone_model(generator)
            self.generator_ema.name = "generator_ema"
            self.generator_ema.set_weights(generator.get_weights())
            self.generator_ema.trainable = False
        self.r1_gamma = r1_gamma
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")   # mean D(real) as P(real)
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")   # mean D(G(z)) before the D step
        self.r1_tracker = keras.metrics.Mean(name="d_r1") if r1_gamma is not None else None
        self.built = True  # both networks are built; BackupAndRestore refuses an unbuilt model

    def compile(self, d_optimizer, g_optimizer, loss_fn: GANLoss, jit_compile=False):
        super().compile(optimizer=None, jit_compile=jit_compile)  # (Keras' default RMSprop would go unused)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def build_optimizers(self):
        """Create both Adams' slots before a backup is restored into them (core.checkpoint)."""
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    def save_own_variables(self, store):
        """The RNGs' states (Keras saves a SeedGenerator of a layer only with the layer's own)."""
        super().save_own_variables(store)
        store["latent_rng"] = self.seed_generator.state
        store["augment_rng"] = self.augment_rng.state

    def load_own_variables(self, store):
        self.seed_generator.state.assign(store["latent_rng"])
        self.augment_rng.state.assign(store["augment_rng"])

    @property
    def metrics(self):
        extra = [self.r1_tracker] if self.r1_tracker is not None else []
        return [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker, *extra]

    @property
    def sampler(self):
        """The generator that makes the run's images: the weight average when there is one."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def grid_sampler(self, n: int):
        """What draws the run's sample grids of n latents (a conditional model adds the labels)."""
        return self.sampler

    # -- the pieces a conditional subclass changes ------------------------------------------
    def unpack(self, data):
        """(real images, condition) of one batch; no condition here."""
        return (data[0] if isinstance(data, tuple) else data), None

    def generate(self, z, cond, training=True):
        return self.generator(z, training=training)

    def call_discriminator(self, x, cond):
        return self.discriminator(x, training=True)

    # -- one training step ------------------------------------------------------------------
    def augment(self, x):
        return diff_augment(x, self.policies, self.augment_rng) if self.policies else x

    def discriminate(self, x, cond):
        """D's output on the (augmented) batch x."""
        return self.call_discriminator(self.augment(x), cond)

    def discriminator_step(self, real, fake, cond):
        """One Adam step of D on real vs (detached) fake; (adversarial loss, R1, D(real), D(fake))."""
        with tf.GradientTape() as tape:
            if self.r1_gamma is None:
                penalty, out_real = None, self.discriminate(real, cond)
            else:
                penalty, out_real = r1_penalty(lambda x: self.call_discriminator(x, cond),
                                               self.augment(real), self.r1_gamma)
            out_fake = self.discriminate(fake, cond)
            d_loss = self.loss_fn.discriminator(out_real, out_fake)
            total = d_loss if penalty is None else d_loss + penalty
        d_vars = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(total, d_vars), d_vars))
        return d_loss, penalty, out_real, out_fake

    def update_ema(self):
        """generator_ema <- decay * generator_ema + (1 - decay) * generator (buffers copied).

        The decay warms up as min(ema, (1 + t) / (10 + t)) over G's steps t, so early averages
        do not hold on to the random initialisation.
        """
        if self.generator_ema is None:
            return
        ops = keras.ops
        t = ops.cast(self.g_optimizer.iterations, "float32")
        decay = ops.minimum(self.ema, (1.0 + t) / (10.0 + t))
        for avg, w in zip(self.generator_ema.weights, self.generator.weights):
            avg.assign(decay * avg + (1.0 - decay) * w if w.trainable else w)

    def train_step(self, data):
        real, cond = self.unpack(data)
        ops = keras.ops
        n = ops.shape(real)[0]  # this replica's part of the global batch (core.distribute)
        # latent vectors drawn for the global batch, this replica's rows: the z one device would draw
        replicas = replicas_in_sync()
        z = replica_part(keras.random.normal((n * replicas, self.latent_dim), seed=self.seed_generator), n)
        # One generator forward serves both steps (as in the PyTorch DCGAN example): the tape
        # keeps its graph for the G step, which then sees the freshly updated D.
        with tf.GradientTape(persistent=True) as g_tape:
            fake = self.generate(z, cond)
        # Real and fake go through D as separate batches: with BatchNorm, a mixed batch lets D
        # separate them by batch statistics the G step (fake-only batch) never sees, and
        # training collapses (d_loss -> 0 while g_loss -> 0 too).
        d_loss, penalty, out_real, out_fake_d = self.discriminator_step(real, ops.stop_gradient(fake), cond)

        with g_tape:
            g_loss = self.loss_fn.generator(self.discriminate(fake, cond))
        g_vars = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars))
        del g_tape
        self.update_ema()

        # the losses are scaled by the global batch (losses.py: the replica's mean / replicas in sync),
        # so the summed gradients are the global-batch mean's; the trackers log the replica's mean
        # (fit() averages them over replicas)
        self.d_loss_tracker.update_state(d_loss * replicas)
        self.g_loss_tracker.update_state(g_loss * replicas)
        self.d_real_tracker.update_state(ops.mean(self.loss_fn.probability(out_real)))
        self.d_fake_tracker.update_state(ops.mean(self.loss_fn.probability(out_fake_d)))
        if penalty is not None:
            self.r1_tracker.update_state(penalty * replicas)
        return {m.name: m.result() for m in self.metrics}


def gan_options(cfg) -> dict:
    """The DCGAN constructor's training options for `cfg`."""
    return {"policies": cfg.diffaugment, "ema": cfg.ema,
            "r1_gamma": cfg.r1_gamma if cfg.d_reg == "r1" else None}


def compile_gan(gan, cfg, from_logits: bool | None = None):
    """Adam for both networks and the loss of `cfg` (`gan.loss`, on D's output kind)."""
    gan.compile(
        d_optimizer=keras.optimizers.Adam(cfg.lr_d, beta_1=cfg.beta1, beta_2=cfg.beta2),
        g_optimizer=keras.optimizers.Adam(cfg.lr_g, beta_1=cfg.beta1, beta_2=cfg.beta2),
        loss_fn=GANLoss(cfg.loss, from_logits=uses_logits(cfg) if from_logits is None else from_logits),
        jit_compile=cfg.jit_compile,
    )
    return gan


def make_dcgan(cfg) -> DCGAN:
    """Build G and D for `cfg`, wrap them in a compiled DCGAN (Adam; BCE or hinge)."""
    gan = DCGAN(build_generator(cfg), build_discriminator(cfg), cfg.latent_dim, seed=cfg.seed,
                **gan_options(cfg))
    return compile_gan(gan, cfg)
