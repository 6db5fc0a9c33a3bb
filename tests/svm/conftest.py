"""Fixtures of the svm family's tests: a stand-in discriminator, planted separable data, small settings."""

import json

import numpy as np
import pytest
import yaml

from pipeline.core.params import validate
from pipeline.svm.config import SvmKeys
from pipeline.svm.facs import PAPER_AUS

SMALL = {"folds": 3, "inner_folds": 2, "search_iter": 2, "C_range": [1.0, 10.0],
         "gamma_scale_range": [0.5, 2.0],
         "large": {"max_train": 1000, "method": "nystroem", "components": 30, "max_iter": 20},
         "au": {"codes": list(PAPER_AUS), "C": 0.1, "class_weight": "balanced"}}


def standin_discriminator(filters=(4, 8, 8, 16), size=64):
    """A tiny discriminator with the feature GAN's layer names (d_conv1..d_conv4)."""
    import keras

    layers = [keras.Input((size, size, 1))]
    for i, f in enumerate(filters):
        layers += [keras.layers.Conv2D(f, 5, strides=2, padding="same", name=f"d_conv{i + 1}"),
                   keras.layers.LeakyReLU(0.2, name=f"d_act{i + 1}")]
    layers += [keras.layers.Flatten(name="d_flat"), keras.layers.Dense(1, name="d_logit")]
    return keras.Sequential(layers, name="discriminator")


@pytest.fixture(scope="session")
def gan_models(tmp_path_factory):
    """models/feature_gan as the train_feature_gan@<run> stages write it: run `standin` trained
    (discriminator.keras, discriminator_init.keras, training.json) and run `absent` skipped (card only)."""
    import keras

    root = tmp_path_factory.mktemp("feature_gan")
    folder = root / "standin"
    folder.mkdir()
    keras.utils.set_random_seed(1)
    standin_discriminator().save(folder / "discriminator.keras")
    keras.utils.set_random_seed(2)
    standin_discriminator().save(folder / "discriminator_init.keras")
    card = {"stage": "train_feature_gan", "run": "standin", "dataset": "demo", "splits": ["train"]}
    (folder / "training.json").write_text(json.dumps(card))
    (root / "absent").mkdir()
    (root / "absent" / "training.json").write_text(json.dumps({"run": "absent", "skipped": "no data here"}))
    return root


@pytest.fixture(scope="session")
def discriminator_folder(gan_models):
    """One trained run's model folder: discriminator.keras + training.json."""
    return gan_models / "standin"


@pytest.fixture(scope="session")
def cnn_model(tmp_path_factory):
    """A bundle folder with a tiny stand-in FER CNN (model.keras: 48x48 faces -> dense(8) -> softmax(3))."""
    import keras

    path = tmp_path_factory.mktemp("bundled") / "model.keras"
    keras.Sequential([keras.Input((48, 48, 1)), keras.layers.Flatten(),
                      keras.layers.Dense(8, activation="relu", name="penultimate"),
                      keras.layers.Dense(3, activation="softmax", name="out")]).save(path)
    return path.parent


def kfold(y, groups, cfg, seed=0):
    """protocols.Fold list of the kfold protocol (what run_emotion / run_au take)."""
    from pipeline.svm.folds import group_folds
    from pipeline.svm.protocols import Fold

    return [Fold(tr, te) for tr, te in group_folds(y, groups, cfg.folds, seed)]


@pytest.fixture
def planted():
    def make(n_groups=12, per_group=6, n_classes=3, dims=20, seed=0):
        """Separable data: class k shifts feature k by +8; rows come in groups (subjects)."""
        rng = np.random.default_rng(seed)
        groups = np.repeat([f"S{i:02d}" for i in range(n_groups)], per_group)
        y = np.tile(np.arange(n_classes), len(groups) // n_classes + 1)[:len(groups)]
        X = rng.normal(size=(len(y), dims)).astype(np.float32)
        X[np.arange(len(y)), y] += 8.0
        return X, y, groups

    return make


@pytest.fixture
def small_cfg(demo_params):
    """The committed svm settings with small folds and searches (and no experiments)."""
    def make(**overrides) -> SvmKeys:
        raw = yaml.safe_load(demo_params.read_text())["svm"]
        raw.update(SMALL, experiments=[], **overrides)
        return validate(SvmKeys, raw, "svm")

    return make


@pytest.fixture
def stage_params(demo_params, tmp_path):
    """Write params.yaml (the committed one, svm section edited) into the test's folder."""
    def write(features: dict, experiments: list, **svm) -> dict:
        params = yaml.safe_load(demo_params.read_text())
        params["svm"].update(SMALL, seed=0, experiments=experiments, **svm)
        params["svm"]["features"].update(features)
        (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
        return params

    return write
