"""dvc.yaml declares exactly what each stage runs and reads, so an edit anywhere reruns the right stages.

Per stage (foreach stages checked on their template):
- the `python -m` entry point's import closure inside pipeline/ == the pipeline/*.py files in deps
  (no directory deps: touching a module reruns only the stages that import it);
- no stage module imports another stage module;
- every data/, models/, reports/ path on the command line is a dep or an out (the entry point opens
  only what its command names: no path constants);
- params deps are key by key and equal the fields of the entry point's `PARAMS` models;
- params.yaml validates against every stage's models.
"""

import ast
import importlib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DVC = yaml.safe_load((ROOT / "dvc.yaml").read_text())
STAGES = {name: st.get("do", st) for name, st in DVC["stages"].items()}
PATH_ROOTS = ("data/", "models/", "reports/")


def entry_module(stage: dict) -> str:
    words = stage["cmd"].split()
    return words[words.index("-m") + 1]


def module_file(name: str) -> Path | None:
    base = ROOT / name.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(path: Path, module: str) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name.split(".")[0] == "pipeline":
                found.add(name)
                found.update(f"{name}.{a.name}" for a in node.names if module_file(f"{name}.{a.name}"))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "pipeline")
    return found


def closure(module: str) -> set[str]:
    """Modules reached from `module`, with the packages on the way (their __init__ runs too)."""
    seen, todo = set(), [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        path = module_file(name)
        if path:
            todo += imported_modules(path, name)
    return {m for m in seen if module_file(m)}


def relative(module: str) -> str:
    return str(module_file(module).relative_to(ROOT))


ALWAYS_IMPORTED = {"pipeline", "pipeline.core"}  # every stage imports them: not worth a dep line each


BUNDLE = "pipeline/app/bundled"  # the shipped model (export_model's out): data inside the package, not code


def code_deps(stage: dict) -> set[str]:
    return {d for d in stage.get("deps", [])
            if isinstance(d, str) and d.startswith("pipeline") and not d.startswith(BUNDLE)}


def declared_paths(stage: dict, key: str) -> list[str]:
    return [next(iter(o)) if isinstance(o, dict) else o for o in stage.get(key, [])]


STAGE_MODULES = {name: entry_module(st) for name, st in STAGES.items()}


@pytest.mark.parametrize("name", sorted(STAGES))
def test_code_deps_are_the_import_closure(name):
    stage = STAGES[name]
    imported = {relative(m) for m in closure(STAGE_MODULES[name]) if m not in ALWAYS_IMPORTED}
    declared = code_deps(stage)
    assert not [d for d in declared if not d.endswith(".py")], f"{name}: directory deps hide what runs"
    listing = "".join(f"\n      - {f}" for f in sorted(imported))
    assert imported - declared == set(), f"{name}: imports code dvc.yaml does not declare; deps:{listing}"
    assert declared - imported == set(), f"{name}: declares code it does not import; deps:{listing}"


@pytest.mark.parametrize("name", sorted(STAGES))
def test_no_stage_imports_another_stage(name):
    others = {m for n, m in STAGE_MODULES.items() if m != STAGE_MODULES[name]}
    assert closure(STAGE_MODULES[name]) & others == set()


@pytest.mark.parametrize("name", sorted(STAGES))
def test_command_paths_are_declared(name):
    stage = STAGES[name]
    known = declared_paths(stage, "deps") + declared_paths(stage, "outs") + [
        p for key in ("metrics", "plots") for p in declared_paths(stage, key)]
    for word in stage["cmd"].split():
        path = word.split("=", 1)[-1]
        if path.startswith(PATH_ROOTS):
            assert any(path == k or path.startswith(k.rstrip("/") + "/") for k in known), \
                f"{name}: command names {path}, which is neither a dep nor an out"


def params_models(name: str) -> dict:
    module = importlib.import_module(STAGE_MODULES[name])
    return getattr(module, "PARAMS", {})


@pytest.mark.parametrize("name", sorted(STAGES))
def test_params_deps_are_the_keys_the_stage_reads(name):
    listed = set()
    for entry in STAGES[name].get("params", []):
        assert isinstance(entry, str), f"{name}: params from other files are not used here"
        assert "." in entry, f"{name}: whole section '{entry}' as a dep reruns on every key of it"
        listed.add(entry)
    models = params_models(name).items()
    read = {f"{section}.{key}" for section, model in models for key in model.model_fields}
    assert read == listed


@pytest.mark.parametrize("name", sorted(STAGES))
def test_params_yaml_validates_for_every_stage(name):
    from pipeline.core import params

    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    for section, model in params_models(name).items():
        node = raw
        for part in section.split("."):
            node = node[part]
        params.validate(model, node, section, "params.yaml")
