"""The transfer Keys: one view per stage, no evaluation or augmentation key among the training keys."""

import pytest
import yaml

from pipeline.core import params
from pipeline.core.errors import PipelineError
from pipeline.transfer.config import (
    AblationBaseKeys,
    AblationKeys,
    AugmentKeys,
    EvaluateKeys,
    LandmarksKeys,
    TrainKeys,
    VariantKeys,
    train_keys,
)


def test_keys_are_split_by_what_they_change():
    train = set(TrainKeys.model_fields)
    assert not train & {"test_pairs", "grid", "augment_per_subject", "input"}
    assert {"test_pairs", "grid"} <= set(EvaluateKeys.model_fields)
    assert "augment_per_subject" in AugmentKeys.model_fields and "epochs" not in AugmentKeys.model_fields
    assert set(LandmarksKeys.model_fields) == {"source"}
    # the ablation shares the training keys but not the trained run's schedule or conditioning
    trained_only = set(VariantKeys.model_fields) | {"epochs", "train_pairs"}
    assert not set(AblationBaseKeys.model_fields) & trained_only


def test_committed_params_validate_and_bad_values_name_the_key(repo_params, tmp_path):
    raw = yaml.safe_load(repo_params.read_text())
    cfg = params.validate(TrainKeys, raw["transfer"], "transfer")
    assert cfg.fusion_weights == (0.1, 10.0, 100.0) and cfg.flip is True
    for key, value, message in (("size", 48, "transfer.size: Value error, must be a power of two"),
                                ("test_fraction", 1.0, "transfer.test_fraction"),
                                ("transfer_weights", [1, 2, 3], "transfer.transfer_weights"),
                                ("source", "fer2013", "transfer.source")):
        bad = {**raw, "transfer": {**raw["transfer"], key: value}}
        (tmp_path / "p.yaml").write_text(yaml.safe_dump(bad))
        with pytest.raises(PipelineError, match=message):
            params.load(TrainKeys, "transfer", tmp_path / "p.yaml")


def test_variants_need_points_for_displacement_and_warp_and_build_train_keys(repo_params, tmp_path):
    raw = yaml.safe_load(repo_params.read_text())
    schedule = params.validate(AblationKeys, raw["transfer"]["ablation"], "transfer.ablation")
    assert "paper" in schedule.variants and schedule.variants["paper"].landmark_encoding == "polyline"
    common = params.validate(AblationBaseKeys, raw["transfer"], "transfer")
    cfg = train_keys(common, schedule, schedule.variants["paper"])
    assert cfg.epochs == schedule.epochs and cfg.train_pairs == schedule.train_pairs
    assert cfg.variant() == schedule.variants["paper"]
    bad = {**raw, "transfer": {**raw["transfer"], "fusion_coord_weight": 0.0, "displacement": True}}
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(bad))
    with pytest.raises(PipelineError, match="displacement needs"):
        params.load(TrainKeys, "transfer", tmp_path / "p.yaml")
    variants = dict(raw["transfer"]["ablation"]["variants"])
    variants["paper"] = {**variants["paper"], "typo_key": 1}
    ablation = {**raw["transfer"]["ablation"], "variants": variants}
    bad = {**raw, "transfer": {**raw["transfer"], "ablation": ablation}}
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(bad))
    with pytest.raises(PipelineError, match="transfer.ablation.variants.paper.typo_key"):
        params.load(AblationKeys, "transfer.ablation", tmp_path / "p.yaml")
