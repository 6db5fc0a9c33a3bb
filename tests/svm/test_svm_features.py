"""Stage svm_features: a feature file per dataset and feature set; D runs from the models folder."""

import json

import numpy as np
import pytest

from pipeline.core.errors import PipelineError
from pipeline.data.demo import make_demo_dataset
from pipeline.svm import svm_features

FEATURES = {"layers": ["d_conv4", "d_conv4_gap"], "datasets": "auto", "max_rows": 20, "batch_size": 32,
            "baselines": ["pixels", "hog", "random_init", "cnn"]}


def args(gan_models, cnn) -> list[str]:
    return ["--cropped", "data/cropped", "--gan-models", str(gan_models), "--cnn", str(cnn),
            "--features", "data/features"]


def test_writes_every_set_on_the_same_subsampled_rows(tmp_path, stage_params, gan_models, cnn_model):
    make_demo_dataset(n_subjects=4, sequences_per_subject=2, seed=2).save("data/cropped/demo.npz")
    stage_params(FEATURES, [])
    svm_features.main(args(gan_models, cnn_model))
    index = json.loads((tmp_path / "data/features/index.json").read_text())
    sets = {"d-standin.d_conv4", "d-standin.d_conv4_gap", "random.d_conv4", "random.d_conv4_gap",
            "pixels", "hog", "cnn"}
    assert set(index["feature_sets"]) == sets
    assert index["skipped_discriminators"] == {"absent": "no data here"}
    d = index["feature_sets"]["d-standin.d_conv4"]
    assert d["model"] == f"{gan_models}/standin/discriminator.keras" and d["dims"] == 4 * 4 * 16
    assert d["trained_on"]["dataset"] == "demo" and d["trained_on"]["splits"] == ["train"]
    assert index["feature_sets"]["d-standin.d_conv4_gap"]["dims"] == 16
    assert index["feature_sets"]["random.d_conv4"]["model"].endswith("discriminator_init.keras")
    cnn = index["feature_sets"]["cnn"]
    assert cnn["dims"] == 8 and cnn["layer"] == "penultimate"
    files = {s: np.load(tmp_path / f"data/features/{s}/demo.npz") for s in sets}
    rows = [f["rows"] for f in files.values()]
    assert len(rows[0]) <= 20 + 8 and all(np.array_equal(rows[0], r) for r in rows)  # quota >= 1 per class
    trained, untrained = files["d-standin.d_conv4"]["features"], files["random.d_conv4"]["features"]
    assert trained.shape == untrained.shape and not np.array_equal(trained, untrained)
    conv4 = trained.astype(np.float32).reshape(len(trained), 4, 4, 16).mean(axis=(1, 2))
    np.testing.assert_allclose(files["d-standin.d_conv4_gap"]["features"], conv4, atol=0.02)


def test_absent_cnn_skips_that_control_and_a_bad_layer_names_the_key(tmp_path, stage_params, gan_models):
    make_demo_dataset(n_subjects=2, sequences_per_subject=1, seed=2).save("data/cropped/demo.npz")
    stage_params(FEATURES, [])
    svm_features.main(args(gan_models, tmp_path / "none"))
    index = json.loads((tmp_path / "data/features/index.json").read_text())
    assert "cnn" not in index["feature_sets"] and "train_classifier" in index["skipped_controls"]["cnn"]
    stage_params({**FEATURES, "layers": ["d_conv9"]}, [])
    with pytest.raises(PipelineError, match="svm.features.layers: 'd_conv9'"):
        svm_features.main(args(gan_models, tmp_path / "none"))


def test_no_cropped_dataset_is_one_error(stage_params, gan_models, cnn_model):
    stage_params(FEATURES, [])
    with pytest.raises(PipelineError, match="data/cropped: no cropped datasets"):
        svm_features.main(args(gan_models, cnn_model))
