"""dvc.yaml as a graph, for tests: stages expanded over their foreach / matrix items, paths resolved
against a params mapping, and what reruns when params change (the reasoning `dvc status` does on params
deps)."""

import itertools
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DVC = yaml.safe_load((ROOT / "dvc.yaml").read_text())
STAGES = {name: st.get("do", st) for name, st in DVC["stages"].items()}


def lookup(params: dict, dotted: str):
    node = params
    for part in dotted.split("."):
        node = node[part.split("[")[0]]
        for i in re.findall(r"\[(\d+)\]", part):
            node = node[int(i)]
    return node


def resolved(text: str, params: dict, item=None) -> str:
    """A dvc.yaml path with ${item}, ${item.field}, ${key} and ${section.key} filled in."""
    key, value = item if isinstance(item, tuple) else (item, item)
    text = text.replace("${key}", str(key))
    if isinstance(value, dict):
        for field, v in value.items():
            text = text.replace(f"${{item.{field}}}", str(v))
    text = text.replace("${item}", str(value))
    return re.sub(r"\$\{([^}]+)\}", lambda m: str(lookup(params, m.group(1))), text).rstrip("/")


def instances(params: dict) -> dict:
    """name -> (stage, item): foreach stages expanded over their items (name@key for a dict, name@item
    for a list), matrix stages over every combination (name@<value>-<value>, item a dict)."""
    found = {}
    for name, st in DVC["stages"].items():
        if "foreach" in st:
            items = lookup(params, st["foreach"].strip("${}"))
            pairs = items.items() if isinstance(items, dict) else ((i, i) for i in items)
            for key, value in pairs:
                found[f"{name}@{key}"] = (st["do"], (key, value))
        elif "matrix" in st:
            axes = {axis: lookup(params, values.strip("${}")) for axis, values in st["matrix"].items()}
            for combo in itertools.product(*axes.values()):
                found[f"{name}@{'-'.join(map(str, combo))}"] = (st, dict(zip(axes, combo)))
        else:
            found[name] = (st, None)
    return found


def paths(stage: dict, item, key: str, params: dict) -> list[str]:
    return [resolved(next(iter(o)) if isinstance(o, dict) else o, params, item) for o in stage.get(key, [])]


def rerun_by(changed: dict, params: dict) -> set[str]:
    """Stages whose params deps change, plus every stage reading (transitively) what they write."""
    every = instances(params)
    todo = {n for n, (st, _) in every.items()
            if any(lookup(changed, k) != lookup(params, k) for k in st.get("params", []))}
    seen = set()
    while todo:
        name = todo.pop()
        seen.add(name)
        st, item = every[name]
        written = paths(st, item, "outs", params) + paths(st, item, "metrics", params)
        for other, (ost, oitem) in every.items():
            deps = [d for d in paths(ost, oitem, "deps", params) if not d.startswith("pipeline/")]
            if other not in seen and any(d == o or o.startswith(d + "/") or d.startswith(o + "/")
                                         for d in deps for o in written):
                todo.add(other)
    return {name.split("@")[0] for name in seen}
