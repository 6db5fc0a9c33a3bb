"""The cnn keys are split by what they change: scoring keys never reach a training stage."""

import pytest
import yaml

from pipeline.classifier import evaluate_classifier, score_peer, thesis_table, train_classifier
from pipeline.classifier.config import PROTOCOL_KEYS, EvalKeys, TrainKeys, run_config
from pipeline.core import params
from pipeline.core.checkpoint import fingerprint
from pipeline.core.distribute import DistributeKeys
from pipeline.core.errors import PipelineError
from pipeline.data.config import DatasetsKeys

from .helpers import TINY, keys


def test_scoring_and_label_keys_are_not_training_keys():
    not_training = {"tta_flip", "tta_crops", "profile", "verbose", "modes", "dataset"}
    assert not_training.isdisjoint(TrainKeys.model_fields)
    assert set(EvalKeys.model_fields) == {"profile", "tta_flip", "tta_crops"}
    assert train_classifier.PARAMS == {"cnn": TrainKeys, "distribute": DistributeKeys}
    assert evaluate_classifier.PARAMS == {"cnn": EvalKeys}
    assert set(score_peer.PARAMS["cnn"].model_fields) == {"profile"}
    assert thesis_table.PARAMS == {"data": DatasetsKeys}


def test_repo_params_validate(repo_params):
    raw = yaml.safe_load(repo_params.read_text())["cnn"]
    assert TrainKeys.model_validate(raw).smote_k == 5
    EvalKeys.model_validate(raw)


def test_a_run_is_fingerprinted_by_what_trains_it():
    base = fingerprint(run_config(keys()), "m")
    for changed in ({"erasing": 0.5}, {"crop": 40}, {"label_smoothing": 0.1}, {"widths": [8]}, {"seed": 1}):
        assert fingerprint(run_config(keys(**changed)), "m") != base, changed
    # protocol-level keys reach a run through its rows (hashed as data) or its online flag
    assert fingerprint(run_config(keys(folds=5, smote_k=3, repeats=2)), "m") == base
    assert not set(PROTOCOL_KEYS) & set(run_config(keys()))


@pytest.mark.parametrize("key, value, message", [
    ("epochs", 0, "cnn.epochs: Input should be greater than 0"),
    ("precision", "fp8", "cnn.precision: Input should be"),
    ("protocols", ["leaky"], "cnn.protocols.0: Input should be"),
    ("label_smoothing", 1.0, "cnn.label_smoothing: Input should be less than 1"),
    ("crop", -1, "cnn.crop: Input should be greater than or equal to 0"),
])
def test_bad_keys_are_one_line_errors(tmp_path, key, value, message):
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump({"cnn": {**TINY, key: value}}))
    with pytest.raises(PipelineError, match=message.replace(".", r"\.")) as err:
        params.load(TrainKeys, "cnn", path)
    assert "\n" not in str(err.value)
