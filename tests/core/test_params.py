"""One config mechanism: typed keys, one error line naming the file and the key."""

import pytest
from pydantic import PositiveInt

from pipeline.core import params
from pipeline.core.errors import PipelineError


class Epochs(params.Keys):
    epochs: PositiveInt
    precision: str


def test_load_validates_and_ignores_other_keys(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("gan:\n  epochs: 3\n  precision: float32\n  other: 1\n")
    assert params.load(Epochs, "gan", path).epochs == 3


@pytest.mark.parametrize("text, message", [
    ("gan:\n  epochs: abc\n  precision: x\n", "gan.epochs: Input should be a valid integer"),
    ("gan:\n  epochs: 0\n  precision: x\n", "gan.epochs: Input should be greater than 0 (got 0)"),
    ("gan:\n  precision: x\n", "gan.epochs: Field required"),
    ("other: {}\n", "missing section 'gan'"),
    ("gan: [\n", "not valid YAML"),
])
def test_bad_params_name_the_file_and_key(tmp_path, text, message):
    path = tmp_path / "other.yaml"
    path.write_text(text)
    with pytest.raises(PipelineError) as err:
        params.load(Epochs, "gan", path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)
