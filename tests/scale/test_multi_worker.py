"""distribute.strategy = multi_worker: two worker processes on loopback ports (CPU only, TF_CONFIG) run the
stages train_gan@happy and train_classifier@none on tiny networks (tests/scale/jobs.py), beside a
single process (strategy none) with the same global batches and, standing in for a machine with two
GPUs, one `mirrored` process whose CPU is split into two logical devices.

- every run finishes within TIMEOUT seconds (the processes are killed otherwise);
- both workers hold identical weights (the all-reduced updates are bit-for-bit the same);
- the per-epoch losses and metrics of the distributed runs match the single process's within RTOL
  (relative), and their models' outputs within OUT_ATOL: the same algorithm (global batch split, losses
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
OUT_ATOL = 1e-3  # distributed vs single-process model outputs (images in [-1, 1], probabilities)
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
@pytest.mark.parametrize("distributed", ["multi_worker", "mirrored"])
def test_distributed_models_compute_what_the_single_process_model_computes(runs, stage, distributed):
    import keras

    import pipeline.gan.networks  # noqa: F401  (registers PixelNorm)

    def load(run, name):
        return keras.models.load_model(outputs(run)[stage][0] / name, compile=False)

    # the function, not each weight: a conv bias followed by BatchNorm gets a zero gradient up to float
    # noise, which Adam's first steps turn into moves of a fraction of the learning rate
    name = "generator.keras" if stage == "gan" else "official/model.keras"
    single, multi = load(runs["single"][0], name), load(runs[distributed][0], name)
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((16, single.input_shape[-1])) if stage == "gan"
         else rng.uniform(0, 1, (16, *single.input_shape[1:]))).astype(np.float32)
    np.testing.assert_allclose(multi.predict(x, verbose=0), single.predict(x, verbose=0),
                               rtol=0, atol=OUT_ATOL)
