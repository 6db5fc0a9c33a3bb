"""core.params.distinct: a list key whose items may appear once, shared by the data and gan keys."""

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from pipeline.data.config import DatasetsKeys
from pipeline.gan.config import TrainGANKeys


def test_repeated_items_are_refused_naming_what_repeats():
    with pytest.raises(ValidationError, match="each dataset at most once"):
        DatasetsKeys.model_validate({"datasets": ["demo", "demo"]})
    assert DatasetsKeys.model_validate({"datasets": ["demo", "ckplus"]}).datasets == ["demo", "ckplus"]
    gan = yaml.safe_load((Path(__file__).parents[2] / "params.yaml").read_text())["gan"]
    with pytest.raises(ValidationError, match="each policy at most once"):
        TrainGANKeys.model_validate({**gan, "diffaugment": ["cutout", "cutout"]})
    assert TrainGANKeys.model_validate({**gan, "diffaugment": ["cutout"]}).diffaugment == ("cutout",)
