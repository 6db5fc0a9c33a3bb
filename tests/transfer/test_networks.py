"""U-Net, PatchGAN and fusion network shapes; the two GAN models' losses and optimizers."""

import numpy as np
import pytest

from pipeline.core.errors import PipelineError
from pipeline.transfer.networks import (
    FusionGAN,
    TransferGAN,
    fusion_network,
    patch_discriminator,
    unet_generator,
)


def test_networks_shapes_and_eq1_fusion():
    g = unet_generator(32, 2, base_filters=4)
    out = g(np.zeros((2, 32, 32, 2), np.float32))
    assert out.shape == (2, 32, 32, 1) and float(np.abs(out).max()) <= 1.0
    assert g.layers[-1].__class__.__name__ == "Conv2DTranspose"
    d = patch_discriminator(32, 2, base_filters=4)
    assert d(np.zeros((2, 32, 32, 2), np.float32)).shape[1:3] == (16, 16)  # a patch map, not a scalar
    assert any(layer.__class__.__name__ == "SpectralNormalization" for layer in d.layers)
    f = fusion_network(32, base_filters=4)
    l_s = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 1)).astype(np.float32)
    l_t = -np.ones_like(l_s)
    j_gen = f([l_s, l_t]).numpy()
    deviation = f.get_layer("deviation").output
    assert j_gen.shape == (2, 32, 32, 1)
    # J_gen = L_t + bounded deviation
    assert deviation is not None and np.all(np.abs(j_gen - l_t) <= 2.0 + 1e-5)
    with pytest.raises(PipelineError):
        unet_generator(48, 2)


def test_gan_losses_are_finite_and_weighted():
    import keras

    rng = np.random.default_rng(0)
    a, b, c = (rng.uniform(-1, 1, (8, 16, 16, 1)).astype(np.float32) for _ in range(3))
    fusion = FusionGAN(fusion_network(16, 4), patch_discriminator(16, 1, 4), weights=(0.1, 10, 100))
    fusion.compile(keras.optimizers.Adam(2e-4, 0.5), keras.optimizers.Adam(1e-4, 0.5))
    logs = fusion.train_step((a, b, c))
    assert set(logs) == {"d_loss", "g_adv", "cycle", "l1"}
    assert all(np.isfinite(float(v)) for v in logs.values())
    gan = TransferGAN(unet_generator(16, 2, 4), patch_discriminator(16, 2, 4), weights=(1, 100))
    gan.compile(keras.optimizers.Adam(2e-4, 0.5), keras.optimizers.Adam(1e-4, 0.5))
    logs = gan.train_step((a, b, c))
    assert set(logs) == {"d_loss", "g_gan", "l1"} and np.isfinite(float(logs["l1"]))
    assert gan((a, b)).shape == (8, 16, 16, 1)


def test_build_optimizers_creates_both_optimizers_state():
    import keras

    gan = TransferGAN(unet_generator(16, 2, 4), patch_discriminator(16, 2, 4))
    gan.compile(keras.optimizers.Adam(2e-4, 0.5), keras.optimizers.Adam(1e-4, 0.5))
    assert not gan.g_optimizer.built and not gan.d_optimizer.built
    gan.build_optimizers()
    assert gan.g_optimizer.built and gan.d_optimizer.built
    n_g = len(gan.generator.trainable_variables)
    assert len(gan.g_optimizer.variables) > 2 * n_g  # Adam: two moments per generator variable (+ counters)


def test_fusion_points_head_starts_at_the_target_points_and_its_loss_is_logged():
    import keras

    rng = np.random.default_rng(0)
    f = fusion_network(16, 4, channels=6, points=True)
    imgs = [rng.uniform(-1, 1, (8, 16, 16, 6)).astype(np.float32) for _ in range(3)]
    pts = [rng.uniform(0, 1, (8, 68, 2)).astype(np.float32) for _ in range(3)]
    j_gen, fused = f([imgs[0], imgs[1], pts[0], pts[1]])
    assert j_gen.shape == (8, 16, 16, 6)
    np.testing.assert_allclose(fused.numpy(), pts[1], atol=1e-6)  # zero-initialised deviation
    gan = FusionGAN(f, patch_discriminator(16, 6, 4), coord_weight=1.0)
    gan.compile(keras.optimizers.Adam(2e-4, 0.5), keras.optimizers.Adam(1e-4, 0.5))
    logs = gan.train_step((imgs[0], imgs[1], pts[0], pts[1], imgs[2], pts[2]))
    assert set(logs) == {"d_loss", "g_adv", "cycle", "l1", "coord_px"} and float(logs["coord_px"]) > 0


def test_feature_matching_term_is_logged_when_weighted():
    import keras

    rng = np.random.default_rng(0)
    a, b, c = (rng.uniform(-1, 1, (8, 16, 16, 1)).astype(np.float32) for _ in range(3))
    gan = TransferGAN(unet_generator(16, 2, 4), patch_discriminator(16, 2, 4), feature_matching=10.0)
    gan.compile(keras.optimizers.Adam(2e-4, 0.5), keras.optimizers.Adam(1e-4, 0.5))
    logs = gan.train_step((a, b, c))
    assert set(logs) == {"d_loss", "g_gan", "l1", "fm"} and float(logs["fm"]) > 0
