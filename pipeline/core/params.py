"""Read params.yaml: each stage reads only its own section (and `data` for shared paths)."""

from pathlib import Path

import yaml

from .errors import PipelineError

PARAMS_FILE = Path("params.yaml")


def load_params(path: Path | str = PARAMS_FILE) -> dict:
    path = Path(path)
    if not path.is_file():
        raise PipelineError(f"{path}: params file not found (run from the repository root)")
    with open(path) as f:
        params = yaml.safe_load(f) or {}
    if not isinstance(params, dict):
        raise PipelineError(f"{path}: expected a mapping of sections at top level")
    return params


def section(name: str, path: Path | str = PARAMS_FILE) -> dict:
    params = load_params(path)
    if name not in params:
        raise PipelineError(f"{path}: missing section '{name}'")
    return params[name]


def choice(value, allowed, key: str):
    """Return `value` if it is one of `allowed`, else fail naming the param."""
    if value not in allowed:
        raise PipelineError(f"params.yaml: {key}={value!r} is not one of {', '.join(map(str, allowed))}")
    return value
