"""distribute.strategy = multi_worker: two worker processes on loopback ports (CPU only, TF_CONFIG) run the
stages train_gan@happy and train_classifier@none on tiny networks (tests/scale/jobs.py), beside a
single process (strategy none) with the same global batches and, standing in for a machine with two
GPUs, one `mirrored` process whose CPU is split into two logical devices.

- every run finishes within TIMEOUT seconds (the processes are killed otherwise);
- both workers hold identical weights (the all-reduced updates are bit-for-bit the same);
- the per-epoch losses and metrics of the distributed runs match the single process's within RTOL
  (relative) and their weights within WEIGHT_ATOL: the same algorithm (global batch split, losses
  scaled by it, synchronised BatchNorm, the latent vectors of the global batch), only float sums in
  another order (measured: losses within ~1e-5).
"""

import json

import numpy as np
import pytest

from .cluster import run_jobs
from .jobs import CLASS

pytestmark = pytest.mark.scale

TIMEOUT = 150  # s, for all four processes together (about 50 s on the 2-core development VM under load)
RTOL = 1e-3
WEIGHT_ATOL = 1e-3  # distributed vs single-process weights (|w| up to about 1)
GAN_LOGS = ["train/d_loss", "train/g_loss", "train/d_real", "train/d_fake"]
CNN_LOGS = ["train/loss", "train/accuracy", "eval/loss", "eval/accuracy"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("distributed")
    return run_jobs("both", {"single": ("none", root / "single", 1, {}),
                             "multi_worker": ("multi_worker", root / "multi_worker", 2, {}),
                             "mirrored": ("mirrored", root / "mirrored", 1, {"LOGICAL_CPUS": "2"})},
                    timeout=TIMEOUT)


def weights(folder):
    import keras

    import pipeline.gan.networks  # noqa: F401  (registers PixelNorm)

    models = sorted(folder.rglob("*.keras"))
    assert models, folder
    return {p.relative_to(folder).as_posix(): keras.models.load_model(p, compile=False).get_weights()
            for p in models}


def logged(live, name) -> list[float]:
    lines = (live / "plots" / "metrics" / f"{name}.tsv").read_text().splitlines()[1:]
    return [float(line.split("\t")[1]) for line in lines]


def outputs(run: dict):
    from pathlib import Path

    work = Path(run["dir"])
    return {"gan": (work / f"models/gan/{CLASS}", work / f"reports/gan/{CLASS}/live", GAN_LOGS),
            "classifier": (work / "models/cnn/folds/none", work / "reports/cnn/none/live/official", CNN_LOGS)}


def test_every_run_finishes_on_its_replicas(runs):
    assert [r["replicas"] for r in runs["multi_worker"]] == [2, 2]
    assert runs["mirrored"][0]["replicas"] == 2 and runs["single"][0]["replicas"] == 1
    for run in runs["multi_worker"]:
        card = json.loads((outputs(run)["gan"][0] / "training.json").read_text())
        assert card["epochs"] == 3 and card["batch_size"] == 8  # the global batch


@pytest.mark.parametrize("stage", ["gan", "classifier"])
def test_both_workers_hold_identical_weights(runs, stage):
    first, second = (weights(outputs(run)[stage][0]) for run in runs["multi_worker"])
    assert first.keys() == second.keys()
    for name in first:
        for a, b in zip(first[name], second[name]):
            np.testing.assert_array_equal(a, b, err_msg=name)


@pytest.mark.parametrize("stage", ["gan", "classifier"])
@pytest.mark.parametrize("distributed", ["multi_worker", "mirrored"])
def test_loss_curves_match_a_single_process_with_the_same_global_batch(runs, stage, distributed):
    _, single_live, names = outputs(runs["single"][0])[stage]
    _, live, _ = outputs(runs[distributed][0])[stage]
    for name in names:
        reference = logged(single_live, name)
        assert len(reference) == 3
        assert logged(live, name) == pytest.approx(reference, rel=RTOL), name


@pytest.mark.parametrize("stage", ["gan", "classifier"])
def test_distributed_weights_are_the_single_process_weights(runs, stage):
    single = weights(outputs(runs["single"][0])[stage][0])
    multi = weights(outputs(runs["multi_worker"][0])[stage][0])
    for name in single:
        for a, b in zip(single[name], multi[name]):
            # measured: at most 2e-4 (discriminator), 1e-5 (classifier): float noise in near-zero
            # gradients, which Adam's first steps turn into moves of a fraction of the learning rate
            np.testing.assert_allclose(a, b, rtol=0, atol=WEIGHT_ATOL, err_msg=name)
