"""Stage `landmarks`: dlib points for every face of the input folder, summary and sample sheet."""

import json

import numpy as np
import pytest

from .conftest import write_params


def test_landmarks_stage_on_the_demo_faces(tmp_path, demo_dataset):
    pytest.importorskip("dlib")
    from pipeline.transfer import landmarks

    write_params(tmp_path / "params.yaml")
    demo_dataset.subset(np.arange(12)).save("data/canonical/demo.npz")
    landmarks.main(["--input", "data/canonical", "--landmarks", "data/landmarks", "--samples",
                    "reports/landmarks/samples.png", "--summary", "reports/landmarks/summary.json"])
    with np.load("data/landmarks/demo.npz") as z:
        assert z["points"].shape == (12, 68, 2) and z["detected"].shape == (12,)
    summary = json.loads((tmp_path / "reports/landmarks/summary.json").read_text())
    assert summary["dataset"] == "demo" and summary["input"] == "data/canonical/demo.npz"
    assert summary["images"] == 12
    assert (tmp_path / "reports/landmarks/samples.png").stat().st_size > 0
