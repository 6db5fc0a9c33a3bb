"""Typed svm params: bad values fail with one line naming the key."""

import pytest
import yaml

from pipeline.core.errors import PipelineError
from pipeline.core.params import validate
from pipeline.svm.config import FeatureKeys, SvmKeys


def svm_section(repo_params):
    return yaml.safe_load(repo_params.read_text())["svm"]


def test_committed_params_validate(repo_params):
    raw = svm_section(repo_params)
    cfg = validate(SvmKeys, raw, "svm")
    assert cfg.large.method == raw["large"]["method"] and len(cfg.experiments) == len(raw["experiments"])
    au = [e for e in cfg.experiments if e.task == "au"]
    assert au and all(e.labels in ("auto", "real", "rules") for e in au)
    assert validate(FeatureKeys, raw["features"], "svm.features").baselines == raw["features"]["baselines"]


@pytest.mark.parametrize("edit, key", [
    (lambda s: s["large"].update(method="svd"), "svm.large.method"),
    (lambda s: s.update(folds=1), "svm.folds"),
    (lambda s: s["experiments"].append({"id": "x", "task": "au", "d": "a", "train": "b", "test": "b",
                                        "protocol": "kfold"}), "svm.experiments.{last}.au.labels"),
    (lambda s: s["experiments"].append({"id": "x", "task": "emotion", "d": "a", "train": "b", "test": "b",
                                        "protocol": "holdout"}), "svm.experiments.{last}.emotion.protocol"),
    (lambda s: s["experiments"].append({"id": "x", "task": "pose", "d": "a", "train": "b", "test": "b"}),
     "svm.experiments.{last}"),
])
def test_bad_values_name_the_key(repo_params, edit, key):
    raw = svm_section(repo_params)
    edit(raw)
    key = key.format(last=len(raw["experiments"]) - 1)
    with pytest.raises(PipelineError, match=f"params.yaml: {key}"):
        validate(SvmKeys, raw, "svm", "params.yaml")
    raw = svm_section(repo_params)
    raw["features"]["baselines"] = ["sift"]
    with pytest.raises(PipelineError, match="svm.features.baselines.0"):
        validate(FeatureKeys, raw["features"], "svm.features", "params.yaml")
