"""Typed params: every stage reads its keys of params.yaml through a pydantic model.

Defaults live in params.yaml only (the models declare types and bounds, no values), and every
bad value fails with one line naming the file and the key: `params.yaml: gan.epochs: ...`.
"""

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from .errors import PipelineError

PARAMS_FILE = Path("params.yaml")
_override: Path | None = None


class Params(BaseModel):
    """Base of every params model: unknown keys and wrong types are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())


def distinct(what: str) -> AfterValidator:
    """A list/tuple key whose items may each appear once: Annotated[list[X], distinct("dataset")]."""
    def check(value):
        if len(set(value)) != len(value):
            raise ValueError(f"each {what} at most once")
        return value

    return AfterValidator(check)


class Keys(Params):
    """A stage's view of a section: only the keys it reads (others in the section are ignored).

    dvc.yaml lists exactly these keys as the stage's params deps (tests/test_dvc_deps.py checks).
    """

    model_config = ConfigDict(extra="ignore", frozen=True, protected_namespaces=())


P = TypeVar("P", bound=BaseModel)


def use_params_file(path: Path | str | None) -> None:
    """Read params from `path` instead of params.yaml (scratch profiles outside DVC runs)."""
    global _override
    _override = Path(path) if path else None


def params_path() -> Path:
    """The params file in force: --params FILE when given, else params.yaml."""
    return _override or PARAMS_FILE


def load_params(path: Path | str | None = None) -> dict:
    path = Path(path) if path else params_path()
    if not path.is_file():
        raise PipelineError(f"{path}: params file not found (run from the repository root)")
    try:
        with open(path) as f:
            params = yaml.safe_load(f) or {}
    except yaml.YAMLError as exc:
        raise PipelineError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(params, dict):
        raise PipelineError(f"{path}: expected a mapping of sections at top level")
    return params


def section(name: str, path: Path | str | None = None) -> dict:
    """The raw mapping of one section (dotted names reach into nested sections)."""
    where = Path(path) if path else params_path()
    node = load_params(where)
    for part in name.split("."):
        if not isinstance(node, dict) or part not in node:
            raise PipelineError(f"{where}: missing section '{name}'")
        node = node[part]
    return node


def validate(model: type[P], raw, name: str, where: Path | str | None = None) -> P:
    """`model` built from `raw`; the first problem becomes one line naming `name.<key>`."""
    where = where or params_path()
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join([name, *(str(p) for p in err["loc"])])
        got = "" if err["type"] == "missing" else f" (got {_plain(err.get('input'))!r})"
        raise PipelineError(f"{where}: {key}: {err['msg']}{got}") from None


def load(model: type[P], name: str, path: Path | str | None = None) -> P:
    """Section `name` of the params file, validated by `model`."""
    return validate(model, section(name, path), name, path)


def fail(key: str, problem: str) -> PipelineError:
    """A params error raised after validation (a check that needs the data)."""
    return PipelineError(f"{params_path()}: {key}: {problem}")


def _plain(value):
    """Numpy scalars print as plain numbers in messages (`9`, not `np.int64(9)`)."""
    return value.item() if hasattr(value, "item") and not isinstance(value, (list, dict, str)) else value


def choice(value, allowed, key: str):
    """Return `value` if it is one of `allowed`, else fail naming the param (pre-pydantic helper)."""
    if value not in allowed:
        raise fail(key, f"{value!r} is not one of {', '.join(map(str, allowed))}")
    return value
