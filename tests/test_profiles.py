"""Params profiles (conf/, Hydra composition as `dvc exp run -S profile=<name>` does it).

- every profile composes and validates against the PARAMS models of every dvc.yaml stage;
- the committed params.yaml is the composition of the default profile (they cannot drift);
- `-S gan.epochs=150` reruns exactly the GAN stages and the stages reading their outputs.
"""

import importlib
import re
from pathlib import Path

import pytest
import yaml

from pipeline.core import params as core_params
from pipeline.core.profiles import PROFILES, compose, main, to_yaml

ROOT = Path(__file__).resolve().parents[1]
DVC = yaml.safe_load((ROOT / "dvc.yaml").read_text())
STAGES = {name: st.get("do", st) for name, st in DVC["stages"].items()}


def stage_models(name: str) -> dict:
    words = STAGES[name]["cmd"].split()
    return getattr(importlib.import_module(words[words.index("-m") + 1]), "PARAMS", {})


def lookup(params: dict, dotted: str):
    node = params
    for part in dotted.split("."):
        node = node[part]
    return node


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_validates_for_every_stage(profile):
    composed = compose(profile)
    assert "defaults" not in composed and "profile" not in composed
    for name in STAGES:
        for section, model in stage_models(name).items():
            core_params.validate(model, lookup(composed, section), section, f"conf/profile/{profile}.yaml")


def test_the_committed_params_yaml_is_the_default_profile():
    committed = yaml.safe_load((ROOT / "params.yaml").read_text())
    assert committed == compose(), "params.yaml drifted: python -m pipeline.core.profiles params.yaml"
    assert committed == compose("cpu")
    assert (ROOT / "params.yaml").read_text() == to_yaml(compose())  # the bytes dvc exp run writes


def test_the_demo_runs_on_the_embedded_data_and_the_real_profiles_refuse_it():
    demo, cpu, paper = (compose(p) for p in PROFILES)
    assert demo["data"]["demo"]["use"] == "always" and demo["gan"]["epochs"] <= 2
    assert cpu["data"]["demo"]["use"] == paper["data"]["demo"]["use"] == "never"
    assert paper["gan"]["epochs"] == 100 and paper["gan"]["batch_size"] == 16
    assert paper["feature_gan"]["epochs"] == 300
    assert (paper["transfer"]["fusion_epochs"], paper["transfer"]["epochs"]) == (400, 120)
    assert cpu["cnn"]["widths"] == [48, 96, 192, 384] and cpu["cnn"]["crop"] == 40


def test_overrides_go_on_top_of_a_profile_and_the_cli_writes_them(tmp_path):
    assert compose("cpu", ["gan.epochs=150"])["gan"]["epochs"] == 150
    assert compose("cpu", ["gan.epochs=150"])["cnn"] == compose("cpu")["cnn"]
    main([str(tmp_path / "p.yaml"), "profile=demo", "gan.epochs=3"])
    written = yaml.safe_load((tmp_path / "p.yaml").read_text())
    assert written["gan"]["epochs"] == 3 and written["data"]["demo"]["use"] == "always"


def resolved(text: str, params: dict, item: str | None = None) -> str:
    """A dvc.yaml path with ${item} and ${section.key} filled in."""
    text = text.replace("${item}", str(item))
    return re.sub(r"\$\{([^}]+)\}", lambda m: str(lookup(params, m.group(1))), text).rstrip("/")


def instances(params: dict) -> dict:
    """name -> (stage, item): foreach stages expanded over their items (name@item)."""
    found = {}
    for name, st in DVC["stages"].items():
        if "foreach" in st:
            for item in lookup(params, st["foreach"].strip("${}")):
                found[f"{name}@{item}"] = (st["do"], item)
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


def test_gan_epochs_reruns_exactly_the_gan_stages_and_their_readers():
    params = compose("cpu")
    changed = compose("cpu", ["gan.epochs=150"])
    direct = {n for n, st in STAGES.items() if "gan.epochs" in st.get("params", [])}
    assert direct == {"train_gan", "train_cgan"}
    rerun = rerun_by(changed, params)
    untouched = {"ingest", "crop", "rebalance", "real_stats", "train_feature_gan", "svm_features", "svm",
                 "train_classifier", "evaluate_classifier", "score_peer", "landmarks", "train_transfer",
                 "evaluate_transfer", "ablate_transfer", "transfer_table", "train_transfer_judge"}
    assert rerun & untouched == set()
    assert {"synthesize", "gan_metrics", "train_classifier_gan", "evaluate_classifier_gan", "report"} <= rerun
