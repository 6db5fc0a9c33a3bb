"""Tiny untrained CNNs with their model.json: enough to check the plumbing of the app, not accuracy."""

import json
from types import SimpleNamespace

import pytest

from pipeline.classifier.networks import build_classifier
from pipeline.core.profiles import compose

CLASSES = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]


def tiny_model(folder, input_size=48, **info):
    """model.keras (VGG with one 4-filter block) + model.json {classes, image_size 48, **info}."""
    folder.mkdir(parents=True, exist_ok=True)
    cfg = SimpleNamespace(widths=[4], convs_per_block=1, dense=8, dropout=0.3, bn_momentum=0.9, seed=0)
    build_classifier(len(CLASSES), input_size, cfg).save(folder / "model.keras")
    (folder / "model.json").write_text(json.dumps({"classes": CLASSES, "image_size": 48, **info}))
    return folder / "model.keras"


@pytest.fixture(scope="session")
def model_path(tmp_path_factory):
    """A model as evaluate_classifier publishes it: no crop section (the checkout's params.yaml)."""
    return tiny_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="session")
def carried_model(tmp_path_factory):
    """A model as export_model bundles it: 40x40 windows of 48x48 faces, ten-crop views, and the crop
    section it was trained with inside model.json (no params.yaml needed)."""
    crop = compose("demo")["crop"]
    return tiny_model(tmp_path_factory.mktemp("carried"), 40, tta_flip=True, tta_crops=True, crop=crop,
                      detect_side=640, dataset="fer2013")
