"""Shared test fixtures: small data made by the tests themselves (never ../shared).

Every test runs in its own empty working directory, so no test reads or writes the checkout's
data/, models/ or reports/ (the suite passes right after a `dvc repro` in the same checkout).
"""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import pytest  # noqa: E402

from pipeline.data.demo import make_demo_dataset  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def isolated_workdir(tmp_path, monkeypatch):
    """Run each test in a fresh folder (tmp_path), never the checkout."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def repo_params():
    """The committed params.yaml (the default profile, conf/profile/cpu.yaml), read-only."""
    return REPO / "params.yaml"


@pytest.fixture(scope="session")
def demo_params(tmp_path_factory):
    """params.yaml of the demo profile (conf/, composed as `dvc exp run -S profile=demo` does), read-only.

    Tests that run stages at demo sizes copy this, never the committed params.yaml (another profile).
    """
    from pipeline.core.profiles import compose, to_yaml

    path = tmp_path_factory.mktemp("demo_profile") / "params.yaml"
    path.write_text(to_yaml(compose("demo")))
    return path


@pytest.fixture(scope="session")
def demo_dataset():
    """A small drawn-face dataset with subjects, sequences, splits and AU labels."""
    return make_demo_dataset(n_subjects=12, sequences_per_subject=3, seed=1)
