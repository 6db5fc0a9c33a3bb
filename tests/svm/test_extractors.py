"""Feature extractors: discriminator layer shapes, GAN-style inputs, baselines."""

import numpy as np
import pytest

from pipeline.core.errors import PipelineError
from pipeline.data.demo import make_demo_dataset
from pipeline.svm import extractors


def test_feature_shape_follows_the_chosen_layer(discriminator_folder):
    images = make_demo_dataset(n_subjects=2, sequences_per_subject=1, seed=3).images  # 6 x 48x48
    model = discriminator_folder / "discriminator.keras"
    feats4 = extractors.discriminator_features(extractors.load_feature_extractor(model, "d_conv4"),
                                               images, batch_size=4)
    feats3 = extractors.discriminator_features(extractors.load_feature_extractor(model, "d_conv3"),
                                               images, batch_size=4)
    assert feats4.shape == (6, 4 * 4 * 16)  # 64 -> 32 -> 16 -> 8 -> 4; paper size (512 filters) = 8192
    assert feats3.shape == (6, 8 * 8 * 8)
    x = extractors.to_discriminator_input(images, 64)
    assert x.shape == (6, 64, 64, 1) and x.min() >= -1.0 and x.max() <= 1.0
    gap = extractors.discriminator_features(extractors.load_feature_extractor(model, "d_conv4_gap"), images)
    assert gap.shape == (6, 16)
    with pytest.raises(PipelineError, match="svm.features.layers"):
        extractors.load_feature_extractor(model, "d_conv9")


def test_missing_discriminator_names_the_file(tmp_path):
    with pytest.raises(PipelineError, match="nowhere/discriminator.keras: discriminator not found"):
        extractors.load_feature_extractor(tmp_path / "nowhere" / "discriminator.keras", "d_conv4")


def test_baseline_features():
    images = make_demo_dataset(n_subjects=2, sequences_per_subject=1, seed=3).images
    assert extractors.hog_features(images).shape == (6, 900)
    assert extractors.pixel_features(images).shape == (6, 48 * 48)
    assert np.array_equal(extractors.baseline_features("pixels", images), extractors.pixel_features(images))


def test_discriminator_info_reads_the_training_card(discriminator_folder, tmp_path):
    assert extractors.discriminator_info(discriminator_folder)["dataset"] == "demo"
    assert extractors.discriminator_info(tmp_path) == {}


def test_cnn_features_are_the_penultimate_dense_layer(cnn_model):
    images = make_demo_dataset(n_subjects=2, sequences_per_subject=1, seed=3).images
    ext = extractors.load_cnn_extractor(cnn_model / "model.keras")
    assert ext.layers[-1].name == "penultimate"
    assert extractors.cnn_features(ext, images, 4).shape == (6, 8)
