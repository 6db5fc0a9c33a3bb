"""Transfer-family fixtures: tiny params, landmarks without dlib, and one trained tiny demo run per module."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from pipeline.core.dataset import FaceDataset
from pipeline.core.profiles import compose
from pipeline.transfer.face_landmarks import N_POINTS, save_landmarks

TINY = {"size": 16, "base_filters": 4, "fusion_filters": 4, "fusion_epochs": 1, "epochs": 1,
        "train_pairs": 16, "test_pairs": 8, "grid": 3,
        "judge": {"epochs": 1, "batch_size": 16, "lr": 0.001, "filters": 4}}
PAPER = {"landmark_encoding": "polyline", "fusion_coord_weight": 0.0, "displacement": False,
         "warp_input": False, "feature_matching_weight": 0.0, "omega_landmarks": "fused"}


def mean_face_points() -> np.ndarray:
    """A plausible 68-point layout: jaw arc, brows, nose, eyes and lips in [0, 1]."""
    pts = np.zeros((N_POINTS, 2), np.float32)
    t = np.linspace(np.pi, 0, 17)
    pts[0:17] = np.stack([0.5 + 0.4 * np.cos(t), 0.45 + 0.45 * np.sin(t)], 1)
    pts[17:22] = np.stack([np.linspace(0.2, 0.42, 5), np.full(5, 0.3)], 1)
    pts[22:27] = np.stack([np.linspace(0.58, 0.8, 5), np.full(5, 0.3)], 1)
    pts[27:31] = np.stack([np.full(4, 0.5), np.linspace(0.4, 0.55, 4)], 1)
    pts[31:36] = np.stack([np.linspace(0.42, 0.58, 5), np.full(5, 0.6)], 1)
    for first, cx in ((36, 0.32), (42, 0.68)):
        a = np.linspace(0, 2 * np.pi, 6, endpoint=False)
        pts[first:first + 6] = np.stack([cx + 0.07 * np.cos(a), 0.4 + 0.03 * np.sin(a)], 1)
    a = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    pts[48:60] = np.stack([0.5 + 0.15 * np.cos(a), 0.75 + 0.06 * np.sin(a)], 1)
    a = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    pts[60:68] = np.stack([0.5 + 0.1 * np.cos(a), 0.75 + 0.03 * np.sin(a)], 1)
    return pts


def write_params(path: Path, **transfer) -> Path:
    """The committed params.yaml with the transfer section made tiny (+ `transfer` overrides)."""
    params = compose("demo")
    params["transfer"].update(TINY, **transfer)
    Path(path).write_text(yaml.safe_dump(params))
    return Path(path)


def fake_landmarks(dataset: FaceDataset, folder: Path, seed: int = 0) -> Path:
    """A landmarks file for `dataset` without dlib: the mean face, jittered per image."""
    rng = np.random.default_rng(seed)
    points = np.clip(mean_face_points()[None] + rng.normal(0, 0.02, (len(dataset), N_POINTS, 2)), 0, 1)
    path = Path(folder) / f"{dataset.source}.npz"
    save_landmarks(path, dataset.ids, points.astype(np.float32), np.ones(len(dataset), bool), dataset.source,
                   dataset.images)
    return path


def judge_args(base: Path) -> list[str]:
    """train_transfer_judge's command line with every path under `base`."""
    paths = {"input": "data/cropped", "landmarks": "data/landmarks", "models": "models/transfer_judge",
             "card": "reports/transfer/judge.json", "live": "reports/transfer/judge_live",
             "checkpoints": "checkpoints/transfer_judge"}
    return [a for k, v in paths.items() for a in (f"--{k}", str(Path(base) / v))]


def train_args(base: Path, **dirs) -> list[str]:
    """train_transfer's command line with every path under `base` (`dirs` renames models/live/checkpoints)."""
    paths = {"input": "data/cropped", "landmarks": "data/landmarks", "models": "models/transfer",
             "training": "reports/transfer/training.json", "live": "reports/transfer/live",
             "checkpoints": "checkpoints/transfer", **dirs}
    return [a for k, v in paths.items() for a in (f"--{k}", str(Path(base) / v))]


@pytest.fixture
def tiny_params(tmp_path):
    """params.yaml in the test's own folder with a tiny transfer section."""
    return write_params(tmp_path / "params.yaml")


@pytest.fixture(scope="module")
def trained(tmp_path_factory, demo_dataset):
    """One tiny demo run of landmarks (fake, no dlib) + train_transfer (the committed conditioning keys)
    + train_transfer_judge: the folder holding data/, models/, reports/."""
    from pipeline.transfer import train_transfer, train_transfer_judge

    base = tmp_path_factory.mktemp("trained")
    demo_dataset.save(base / "data/cropped/demo.npz")
    fake_landmarks(demo_dataset, base / "data/landmarks")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(base)
        write_params(base / "params.yaml")
        train_transfer.main(train_args(base))
        train_transfer_judge.main(judge_args(base))
    return base
