"""Experiment sweeps on DVC's queue, as docs/scale.md runs them on the pipeline:

    dvc exp run --queue -S 'gan.epochs=50,100'   # one queued experiment per value
    dvc queue start -j 2                         # two workers run them side by side
    dvc exp show --sort-by metrics.json:score

on a tiny DVC project made in the test's folder (one stage turning `gan.epochs` into a metric), so the
sweep takes seconds; DVC's own queue (celery workers) runs it.
"""

import csv
import io
import subprocess
import sys
import time

import pytest

from .shell import ENV, dvc, git

pytestmark = pytest.mark.scale

TIMEOUT = 120  # s for the whole sweep
TRAIN = """import json

import yaml

epochs = yaml.safe_load(open("params.yaml"))["gan"]["epochs"]
json.dump({"score": epochs / 100}, open("metrics.json", "w"))
"""
DVC_YAML = """stages:
  train:
    cmd: python train.py
    deps:
      - train.py
    params:
      - gan.epochs
    metrics:
      - metrics.json:
          cache: false
"""
@pytest.fixture
def project(tmp_path):
    """git + DVC project: params.yaml (gan.epochs: 1), one stage writing metrics.json from it."""
    git("init", "-q", cwd=tmp_path)
    dvc("init", "-q", cwd=tmp_path)
    (tmp_path / "params.yaml").write_text("gan:\n  epochs: 1\n")
    (tmp_path / "train.py").write_text(TRAIN)
    (tmp_path / "dvc.yaml").write_text(DVC_YAML)
    git("add", "params.yaml", "train.py", "dvc.yaml", ".dvc", ".dvcignore", cwd=tmp_path)
    git("commit", "-q", "-m", "tiny project", cwd=tmp_path)
    yield tmp_path
    subprocess.run([sys.executable, "-m", "dvc", "queue", "stop", "--kill"], cwd=tmp_path, env=ENV,
                   capture_output=True, timeout=60)  # workers left by a failed test


def shown(project, *args) -> list[dict]:
    rows = csv.DictReader(io.StringIO(dvc("exp", "show", "--csv", *args, cwd=project)))
    return [r for r in rows if r["Experiment"]]  # queued / run experiments (not workspace, main)


def test_a_queued_sweep_runs_on_two_workers_and_shows_sorted(project):
    t0 = time.time()
    out = dvc("exp", "run", "--queue", "-S", "gan.epochs=50,100", cwd=project)
    assert out.count("Queued experiment") == 2
    out = dvc("queue", "start", "-j", "2", cwd=project, timeout=TIMEOUT)
    assert "Started '2' new experiments task queue workers" in out
    while "Queued" in (status := dvc("queue", "status", cwd=project)) or "Running" in status:
        assert time.time() - t0 < TIMEOUT, status
        time.sleep(1)
    assert status.count("Success") == 2, status
    rows = shown(project, "--sort-by", "metrics.json:score", "--sort-order", "desc")
    assert [(r["gan.epochs"], r["score"]) for r in rows] == [("100", "1.0"), ("50", "0.5")]
    assert len({r["Experiment"] for r in rows}) == 2
    # the workspace keeps its own params: a sweep never edits it
    assert (project / "params.yaml").read_text() == "gan:\n  epochs: 1\n"
