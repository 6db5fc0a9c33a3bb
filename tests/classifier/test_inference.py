"""Test-time augmentation (mirror, five crops) and loading a published model."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from pipeline.classifier import inference
from pipeline.classifier.networks import build_classifier
from pipeline.core.errors import PipelineError

NET = SimpleNamespace(widths=[4], convs_per_block=1, dense=4, dropout=0.4, bn_momentum=0.9, seed=0)


def test_flip_tta_averages_a_face_and_its_mirror():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 255, (6, 16, 16), dtype=np.uint8)
    model = build_classifier(3, 16, NET)
    proba = inference.predict_proba
    plain, mirrored = proba(model, x), proba(model, x[:, :, ::-1])
    np.testing.assert_allclose(proba(model, x, flip=True), (plain + mirrored) / 2, atol=1e-6)
    # the mirror of a symmetric face is itself: TTA changes nothing there
    sym = np.concatenate([x[:, :, :8], x[:, :, :8][:, :, ::-1]], axis=2)
    np.testing.assert_allclose(proba(model, sym, flip=True), proba(model, sym), atol=1e-6)


def test_crop_tta_scores_the_centre_or_the_five_crops():
    x = (np.arange(2 * 12 * 12).reshape(2, 12, 12) % 251).astype(np.uint8)
    model = build_classifier(3, 8, NET)
    proba = inference.predict_proba
    np.testing.assert_allclose(proba(model, x), proba(model, x[:, 2:10, 2:10]), atol=1e-6)
    windows = [(2, 2), (0, 0), (0, 4), (4, 0), (4, 4)]
    five = np.mean([proba(model, x[:, t:t + 8, c:c + 8]) for t, c in windows], axis=0)
    np.testing.assert_allclose(proba(model, x, crops=True), five, atol=1e-6)
    ten = (five + np.mean([proba(model, x[:, t:t + 8, c:c + 8][:, :, ::-1]) for t, c in windows], axis=0)) / 2
    np.testing.assert_allclose(proba(model, x, flip=True, crops=True), ten, atol=1e-6)
    assert len(inference.eval_views(12, 8, True, True)) == 10
    assert len(inference.eval_views(12, 12, True, True)) == 2  # no margin: the centre window and its mirror
    assert proba(model, x[:0]).shape == (0, 3)
    with pytest.raises(PipelineError, match="classifier takes 8x8"):
        proba(model, x[:, :6, :6])


def test_load_classifier_reads_the_model_and_how_it_was_scored(tmp_path):
    build_classifier(3, 16, NET).save(tmp_path / "model.keras")
    with pytest.raises(PipelineError, match="model.json: missing"):
        inference.load_classifier(tmp_path / "model.keras")
    (tmp_path / "model.json").write_text(json.dumps({"classes": ["a", "b", "c"], "image_size": 16}))
    model, info = inference.load_classifier(tmp_path / "model.keras")
    assert model.input_shape[1:3] == (16, 16) and info["tta_flip"] is False and info["tta_crops"] is False
    with pytest.raises(PipelineError, match="model not found"):
        inference.load_classifier(tmp_path / "other.keras")
