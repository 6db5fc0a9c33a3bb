"""The transfer Keys: one view per stage, no evaluation or augmentation key among the training keys."""

import pytest
import yaml

from pipeline.core import params
from pipeline.core.errors import PipelineError
from pipeline.transfer.config import AugmentKeys, EvaluateKeys, LandmarksKeys, TrainKeys


def test_keys_are_split_by_what_they_change():
    train = set(TrainKeys.model_fields)
    assert not train & {"test_pairs", "grid", "augment_per_subject", "input"}
    assert {"test_pairs", "grid"} <= set(EvaluateKeys.model_fields)
    assert "augment_per_subject" in AugmentKeys.model_fields and "epochs" not in AugmentKeys.model_fields
    assert set(LandmarksKeys.model_fields) == {"source"}


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
