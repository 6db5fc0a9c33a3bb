"""Params profiles (conf/, Hydra composition as `dvc exp run -S profile=<name>` does it).

- every profile composes and validates against the PARAMS models of every dvc.yaml stage;
- the committed params.yaml is the composition of the default profile (they cannot drift);
- `-S gan.epochs=150` reruns exactly the GAN stages and the stages reading their outputs.
"""

import importlib
import importlib.util
from pathlib import Path

import pytest
import yaml

from pipeline.core import params as core_params
from pipeline.core.profiles import PROFILES, compose, main, to_yaml

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("dvc_graph", ROOT / "tests/dvc_graph.py")
graph = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(graph)
STAGES, lookup, rerun_by = graph.STAGES, graph.lookup, graph.rerun_by


def stage_models(name: str) -> dict:
    words = STAGES[name]["cmd"].split()
    return getattr(importlib.import_module(words[words.index("-m") + 1]), "PARAMS", {})


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
    feature_runs = paper["feature_gan"]["runs"].values()
    assert {run["epochs"] for run in feature_runs if run["dataset"] != "demo"} == {300}
    assert (paper["transfer"]["fusion_epochs"], paper["transfer"]["epochs"]) == (400, 120)
    assert cpu["cnn"]["widths"] == [48, 96, 192, 384] and cpu["cnn"]["crop"] == 40


def test_overrides_go_on_top_of_a_profile_and_the_cli_writes_them(tmp_path):
    assert compose("cpu", ["gan.epochs=150"])["gan"]["epochs"] == 150
    assert compose("cpu", ["gan.epochs=150"])["cnn"] == compose("cpu")["cnn"]
    main([str(tmp_path / "p.yaml"), "profile=demo", "gan.epochs=3"])
    written = yaml.safe_load((tmp_path / "p.yaml").read_text())
    assert written["gan"]["epochs"] == 3 and written["data"]["demo"]["use"] == "always"


def test_gan_epochs_reruns_exactly_the_gan_stages_and_their_readers():
    params = compose("cpu")
    changed = compose("cpu", ["gan.epochs=150"])
    direct = {n for n, st in STAGES.items() if "gan.epochs" in st.get("params", [])}
    assert direct == {"train_gan", "train_cgan"}
    rerun = rerun_by(changed, params)
    untouched = {"ingest", "detect_faces", "crop", "rebalance", "real_stats", "train_feature_gan",
                 "svm_features", "svm", "train_classifier", "evaluate_classifier", "score_peer", "landmarks",
                 "train_transfer", "evaluate_transfer", "ablate_transfer", "transfer_table",
                 "train_transfer_judge"}
    assert rerun & untouched == set()
    assert {"synthesize", "gan_metrics", "train_classifier_gan", "evaluate_classifier_gan", "report"} <= rerun
