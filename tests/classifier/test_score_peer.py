"""score_peer writes why it was skipped when the peer cannot score the dataset."""

import json

import numpy as np

from pipeline.classifier import peer, score_peer
from pipeline.core.dataset import FaceDataset

from .helpers import write_params


def test_peer_skips_datasets_it_cannot_score(tmp_path, monkeypatch):
    write_params(tmp_path / "params.yaml")
    FaceDataset(images=np.zeros((2, 48, 48)), labels=[0, 1], classes=("calm", "tense"),
                split=["test", "test"], ids=["a", "b"], source="other").save(tmp_path / "d.npz")
    score_peer.main(["--dataset", str(tmp_path / "d.npz"), "--out", str(tmp_path / "peer/metrics.json")])
    report = json.loads((tmp_path / "peer/metrics.json").read_text())
    assert "not FER-2013's" in report["skipped"] and report["profile"] == "test" and "headline" not in report
    monkeypatch.setattr(peer, "peer_model_file", lambda: None)
    demo = FaceDataset(images=np.zeros((2, 48, 48)), labels=[0, 1], classes=("angry", "happy"),
                       split=["test", "test"], ids=["a", "b"], source="demo")
    assert "not installed" in peer.peer_report(demo, tmp_path / "x.npz", "p")["skipped"]
