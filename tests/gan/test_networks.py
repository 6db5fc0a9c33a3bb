"""Paper 000's and paper 002's networks: shapes, PixelNorm, the 8192 discriminator features."""

import numpy as np


def test_pixelnorm_matches_formula():
    from pipeline.gan.networks import PixelNorm

    x = np.random.default_rng(0).normal(size=(2, 3, 3, 5)).astype(np.float32) * 4
    y = np.asarray(PixelNorm()(x))
    expected = x / np.sqrt(np.mean(x ** 2, axis=-1, keepdims=True) + 1e-8)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.mean(y ** 2, axis=-1), 1.0, rtol=1e-4)


def test_paper_000_shapes_and_ranges(paper_cfg):
    from pipeline.gan.networks import PixelNorm, build_discriminator, build_generator

    g, d = build_generator(paper_cfg), build_discriminator(paper_cfg)  # the paper's full architecture
    assert g.get_layer("g_dense").output.shape[-1] == 6 * 6 * 512
    assert [g.get_layer(f"g_deconv{i}").filters for i in (1, 2, 3)] == [256, 128, 64]
    assert isinstance(g.get_layer("g_pixelnorm0"), PixelNorm)
    z = np.random.default_rng(0).normal(size=(3, 100)).astype(np.float32) * 5
    img = np.asarray(g(z))
    assert img.shape == (3, 48, 48, 1) and img.min() >= -1 and img.max() <= 1
    assert [d.get_layer(f"d_conv{i}").filters for i in (1, 2, 3, 4)] == [64, 128, 256, 512]
    assert "d_bn1" not in [layer.name for layer in d.layers] and d.get_layer("d_bn2")
    p = np.asarray(d(img))
    assert p.shape == (3, 1) and ((p >= 0) & (p <= 1)).all()


def test_radford_64_discriminator_gives_8192_features(paper_cfg):
    from pipeline.gan.networks import build_discriminator, build_generator, discriminator_feature_model

    cfg = paper_cfg.model_copy(update={"variant": "radford", "image_size": 64})
    g, d = build_generator(cfg), build_discriminator(cfg)
    assert g.output_shape == (None, 64, 64, 1)
    feats = discriminator_feature_model(d)
    assert feats.output_shape == (None, 8192)
    assert abs(float(np.std(np.asarray(d.get_layer("d_conv3").kernel))) - 0.02) < 0.002


def test_build_optimizers_creates_both_adams_slots(tiny):
    from pipeline.gan.networks import make_dcgan

    gan = make_dcgan(tiny())
    gan.build_optimizers()
    assert gan.built and gan.d_optimizer.built and gan.g_optimizer.built
    assert len(gan.g_optimizer.variables) > len(gan.generator.trainable_variables)


def test_spectral_discriminator_keeps_the_layer_names_and_drops_batchnorm(tiny):
    import keras

    from pipeline.gan.networks import build_discriminator

    d = build_discriminator(tiny(d_reg="spectral"))
    for i in (1, 2, 3, 4):
        assert isinstance(d.get_layer(f"d_conv{i}"), keras.layers.SpectralNormalization)
    assert not [layer for layer in d.layers if layer.name.startswith("d_bn")]
    assert d.get_layer("d_act4")  # the SVM feature layer is still there


def test_the_output_unit_is_a_logit_where_the_loss_needs_one(tiny):
    from pipeline.gan.networks import build_discriminator

    x = np.full((2, 48, 48, 1), 0.5, np.float32)
    for cfg, sigmoid in ((tiny(), True), (tiny(d_reg="spectral"), True), (tiny(loss="hinge"), False),
                         (tiny(d_reg="r1"), False)):
        d = build_discriminator(cfg)
        out = d.get_layer("d_out")
        out = getattr(out, "layer", out)  # the Dense inside a spectral-norm wrapper
        assert (out.get_config()["activation"] == "sigmoid") == sigmoid
        assert np.asarray(d(x)).shape == (2, 1)
