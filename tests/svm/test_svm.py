"""Stage svm end to end on demo features: tables, plots, skipped entries, a killed run resumed."""

import json

import numpy as np
import pytest

from pipeline.core.errors import PipelineError
from pipeline.data.demo import make_demo_dataset
from pipeline.svm import experiments, svm, svm_features

EXPERIMENTS = [
    {"id": "emo", "task": "emotion", "d": "standin", "train": "demo", "test": "demo", "protocol": "kfold",
     "paper": "Exp5"},
    {"id": "au", "task": "au", "d": "standin", "train": "demo", "test": "demo", "labels": "real",
     "protocol": "kfold", "paper": "Exp1"},
    {"id": "au-rules", "task": "au", "d": "standin", "train": "demo", "test": "demo", "labels": "rules",
     "test_labels": "real", "protocol": "kfold"},
    {"id": "ck", "task": "emotion", "d": "standin", "train": "ckplus", "test": "ckplus", "protocol": "kfold"},
    {"id": "no-d", "task": "emotion", "d": "absent", "train": "demo", "test": "demo", "protocol": "kfold"},
]
FEATURES = {"layers": ["d_conv4"], "datasets": "auto", "max_rows": 0, "batch_size": 32,
            "baselines": ["pixels", "hog"]}


def outputs(out: str = "reports") -> list[str]:
    return ["--features", "data/features", "--cropped", "data/cropped",
            "--results", f"{out}/svm/results.json",
            "--metrics", f"{out}/svm/metrics.json", "--plots", f"{out}/svm/plots",
            "--table", f"{out}/tables/svm_paper.md"]


def extract(gan_models, cnn="none"):
    svm_features.main(["--cropped", "data/cropped", "--gan-models", str(gan_models), "--cnn", str(cnn),
                       "--features", "data/features"])


@pytest.fixture
def demo_features(stage_params, gan_models):
    make_demo_dataset(n_subjects=9, sequences_per_subject=3, seed=2).save("data/cropped/demo.npz")
    stage_params(FEATURES, EXPERIMENTS)
    extract(gan_models)


def without_seconds(obj):
    if isinstance(obj, dict):
        return {k: without_seconds(v) for k, v in obj.items() if k != "seconds"}
    return [without_seconds(v) for v in obj] if isinstance(obj, list) else obj


def test_stage_on_demo_writes_tables_and_skips_missing_data(tmp_path, demo_features):
    svm.main(outputs() + ["--checkpoints", "checkpoints/svm"])
    metrics = json.loads((tmp_path / "reports/svm/metrics.json").read_text())
    assert set(metrics["headline"]) == {"emo", "au", "au-rules"}
    assert 0.0 <= metrics["headline"]["emo"]["d_auc"] <= 1.0 and "hog_accuracy" in metrics["headline"]["emo"]
    table = (tmp_path / "reports/tables/svm_paper.md").read_text()
    for part in ("Table II", "Table III", "Table IV", "paper Exp5", "Skipped", "ckplus", "rules vs real",
                 "standin (demo; **transductive**)", "F1-norm", "D d_conv4", "beat HOG"):
        assert part in table
    results = json.loads((tmp_path / "reports/svm/results.json").read_text())
    assert {s["id"] for s in results["skipped"]} == {"ck", "no-d"}
    assert any("D absent skipped: no data here" in s["reason"] for s in results["skipped"])
    assert (tmp_path / "reports/svm/plots/roc_emo.png").is_file()
    assert (tmp_path / "reports/svm/plots/roc_au.png").is_file()
    assert not (tmp_path / "checkpoints/svm").exists()  # a complete run leaves no checkpoints


def test_killed_run_resumes_finished_runs(tmp_path, demo_features, monkeypatch):
    svm.main(outputs("uninterrupted"))
    expected = json.loads((tmp_path / "uninterrupted/svm/results.json").read_text())
    real_run, calls = experiments.run_experiment, []

    def run_then_kill(*args, **kwargs):
        if len(calls) == 2:
            raise KeyboardInterrupt  # killed during the third run
        calls.append(args[1:4])
        return real_run(*args, **kwargs)

    monkeypatch.setattr(experiments, "run_experiment", run_then_kill)
    with pytest.raises(KeyboardInterrupt):
        svm.main(outputs() + ["--checkpoints", "checkpoints/svm"])
    assert len(calls) == 2 and len(list((tmp_path / "checkpoints/svm").iterdir())) == 2

    # a stopped run reports what it finished
    svm.main(outputs("bounded") + ["--checkpoints", "checkpoints/svm", "--cached-only"])
    bounded = json.loads((tmp_path / "bounded/svm/results.json").read_text())
    finished = [(r["id"], r["feature_set"]) for r in bounded["experiments"]]
    assert finished == [("emo", "d-standin.d_conv4"), ("emo", "pixels")]
    assert sum(s["reason"] == "not run in this bounded run" for s in bounded["skipped"]) == 7

    def counted(*args, **kwargs):
        calls.append(args[1:4])
        return real_run(*args, **kwargs)

    monkeypatch.setattr(experiments, "run_experiment", counted)
    svm.main(outputs() + ["--checkpoints", "checkpoints/svm"])
    assert len(calls) == 2 + 7  # the two finished runs were not repeated
    resumed = json.loads((tmp_path / "reports/svm/results.json").read_text())
    assert without_seconds(resumed) == without_seconds(expected)
    assert (json.loads((tmp_path / "reports/svm/metrics.json").read_text())["headline"]
            == json.loads((tmp_path / "uninterrupted/svm/metrics.json").read_text())["headline"])
    assert not (tmp_path / "checkpoints/svm").exists()


def test_changed_settings_do_not_reuse_a_finished_run(tmp_path, demo_features, stage_params):
    svm.main(outputs() + ["--checkpoints", "checkpoints/svm", "--only", "emo"])  # hand run: checkpoints kept
    assert len(list((tmp_path / "checkpoints/svm").iterdir())) == 3
    svm.main(outputs() + ["--checkpoints", "checkpoints/svm", "--cached-only"])
    assert set(json.loads((tmp_path / "reports/svm/metrics.json").read_text())["headline"]) == {"emo"}
    stage_params({}, EXPERIMENTS, C_range=[2.0, 20.0])
    with pytest.raises(PipelineError, match="ran nothing"):
        svm.main(outputs() + ["--checkpoints", "checkpoints/svm", "--cached-only"])


def test_missing_features_name_the_file(tmp_path, stage_params):
    stage_params({}, [])
    with pytest.raises(PipelineError, match="data/features/index.json"):
        svm.main(outputs())
    assert not (tmp_path / "reports").exists()


def test_controls_protocols_and_d_kind_on_demo(tmp_path, stage_params, gan_models, cnn_model):
    """Every control beside D; split = train -> test rows (fold-clean: D's card has no test split);
    loso; the generated HOG paragraph compares the numbers of the results."""
    make_demo_dataset(n_subjects=9, sequences_per_subject=3, seed=2).save("data/cropped/demo.npz")
    matrix = [
        {"id": "emo-split", "task": "emotion", "d": "standin", "train": "demo", "test": "demo",
         "protocol": "split"},
        {"id": "au-loso", "task": "au", "d": "standin", "train": "demo", "test": "demo", "labels": "real",
         "protocol": "loso"},
    ]
    stage_params({**FEATURES, "layers": ["d_conv4", "d_conv4_gap"],
                  "baselines": ["pixels", "hog", "random_init", "cnn"]}, matrix)
    extract(gan_models, cnn_model)
    svm.main(outputs())
    results = json.loads((tmp_path / "reports/svm/results.json").read_text())
    got = {(r["id"], r["feature_set"]): r for r in results["experiments"]}
    sets = ["d-standin.d_conv4", "d-standin.d_conv4_gap", "random.d_conv4", "random.d_conv4_gap", "pixels",
            "hog", "cnn"]
    assert sorted(got) == sorted((i, s) for i in ("emo-split", "au-loso") for s in sets)
    split = got[("emo-split", "d-standin.d_conv4")]
    assert split["d_kind"] == "fold-clean" and split["protocol"].startswith("own split")
    assert np.array(split["confusion"]).sum() == (make_demo_dataset(n_subjects=9, sequences_per_subject=3,
                                                                     seed=2).split == "test").sum()
    loso = got[("au-loso", "d-standin.d_conv4")]
    assert loso["d_kind"] == "transductive" and loso["folds"] == 9 and "average_f1_norm" in loso
    table = (tmp_path / "reports/tables/svm_paper.md").read_text()
    assert "random.d_conv4_gap" in table and " cnn |" in table
    hog = got[("emo-split", "hog")]["average_auc"]
    best = max(got[("emo-split", s)]["average_auc"] for s in sets[:2])
    assert f"vs HOG {hog:.3f} ({best - hog:+.3f}" in table
