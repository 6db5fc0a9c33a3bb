"""Stage svm_features: a feature file per dataset and feature set; discriminators from the command line."""

import json

import numpy as np
import pytest

from pipeline.core.errors import PipelineError
from pipeline.data.demo import make_demo_dataset
from pipeline.svm import svm_features

FEATURES = {"layer": "d_conv4", "datasets": "auto", "max_rows": 20, "batch_size": 32,
            "baselines": ["pixels", "hog"]}


def args(discriminators: dict) -> list[str]:
    out = ["--cropped", "data/cropped", "--features", "data/features"]
    for name, folder in discriminators.items():
        out += ["--discriminator", f"{name}={folder}"]
    return out


def test_writes_every_set_on_the_same_subsampled_rows(tmp_path, stage_params, discriminator_folder):
    make_demo_dataset(n_subjects=4, sequences_per_subject=2, seed=2).save("data/cropped/demo.npz")
    stage_params({**FEATURES, "discriminators": {"standin": str(discriminator_folder)}}, [])
    svm_features.main(args({"standin": discriminator_folder}))
    index = json.loads((tmp_path / "data/features/index.json").read_text())
    assert set(index["feature_sets"]) == {"d-standin", "pixels", "hog"}
    d = index["feature_sets"]["d-standin"]
    assert d["model"] == f"{discriminator_folder}/discriminator.keras" and d["dims"] == 4 * 4 * 16
    assert d["trained_on"]["dataset"] == "standin-data"
    rows = [np.load(tmp_path / f"data/features/{s}/demo.npz")["rows"] for s in ("d-standin", "pixels", "hog")]
    assert len(rows[0]) <= 20 + 8 and all(np.array_equal(rows[0], r) for r in rows)  # quota >= 1 per class


def test_command_line_and_params_list_the_same_discriminators(stage_params, discriminator_folder):
    make_demo_dataset(n_subjects=2, sequences_per_subject=1, seed=2).save("data/cropped/demo.npz")
    stage_params({**FEATURES, "discriminators": {"standin": str(discriminator_folder)}}, [])
    with pytest.raises(PipelineError, match="discriminators.standin: not on the svm_features command line"):
        svm_features.main(args({}))
    with pytest.raises(PipelineError, match="svm.features.discriminators: has no entry 'other'"):
        svm_features.main(args({"standin": discriminator_folder, "other": discriminator_folder}))
    with pytest.raises(PipelineError, match="but the command line says elsewhere"):
        svm_features.main(args({"standin": "elsewhere"}))


def test_no_cropped_dataset_is_one_error(stage_params):
    stage_params({**FEATURES, "discriminators": {}}, [])
    with pytest.raises(PipelineError, match="data/cropped: no cropped datasets"):
        svm_features.main(args({}))
