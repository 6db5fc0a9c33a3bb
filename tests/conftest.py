"""Shared test fixtures: small data made by the tests themselves (never ../shared)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import pytest  # noqa: E402

from pipeline.core.demo import make_demo_dataset  # noqa: E402


@pytest.fixture(scope="session")
def demo_dataset():
    """A small drawn-face dataset with subjects, sequences, splits and AU labels."""
    return make_demo_dataset(n_subjects=12, sequences_per_subject=3, seed=1)
