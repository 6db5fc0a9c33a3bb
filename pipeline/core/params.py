"""Read params.yaml: each stage reads only its own section (and `data` for shared paths)."""

from pathlib import Path

import yaml

from .errors import PipelineError

PARAMS_FILE = Path("params.yaml")
_override: Path | None = None


def use_params_file(path: Path | str | None) -> None:
    """Read params from `path` instead of params.yaml (scratch profiles outside DVC runs)."""
    global _override
    _override = Path(path) if path else None


def load_params(path: Path | str | None = None) -> dict:
    path = Path(path) if path else (_override or PARAMS_FILE)
    if not path.is_file():
        raise PipelineError(f"{path}: params file not found (run from the repository root)")
    with open(path) as f:
        params = yaml.safe_load(f) or {}
    if not isinstance(params, dict):
        raise PipelineError(f"{path}: expected a mapping of sections at top level")
    return params


def section(name: str, path: Path | str | None = None) -> dict:
    params = load_params(path)
    if name not in params:
        raise PipelineError(f"{path or _override or PARAMS_FILE}: missing section '{name}'")
    return params[name]


def choice(value, allowed, key: str):
    """Return `value` if it is one of `allowed`, else fail naming the param."""
    if value not in allowed:
        raise PipelineError(f"params.yaml: {key}={value!r} is not one of {', '.join(map(str, allowed))}")
    return value
