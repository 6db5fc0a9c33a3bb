"""Stage synthesize, run in-process with the generators of the `trained` fixture."""

import json

import pytest

from pipeline.core.dataset import FaceDataset
from pipeline.core.errors import PipelineError


def args(trained, targets):
    return ["--balanced", str(trained / "data/balanced/dataset.npz"), "--targets", str(targets),
            "--models", str(trained / "models/gan"), "--out", "synthetic.npz", "--summary", "summary.json"]


def test_stage_fills_targets_from_the_class_generators(tiny_params, trained, demo_dataset):
    from pipeline.gan import synthesize

    counts = demo_dataset.class_counts("train")
    wanted = {"happy": counts["happy"] + 3, "sad": counts["sad"] + 2, "angry": 0}
    targets = {"targets": wanted, "counts": counts}
    with open("targets.json", "w") as f:
        json.dump(targets, f)
    synthesize.main(args(trained, "targets.json"))
    synth = FaceDataset.load("synthetic.npz")
    assert synth.class_counts()["happy"] == 3 and synth.class_counts()["sad"] == 2 and len(synth) == 5
    summary = json.loads(open("summary.json").read())
    assert summary["synthetic_images"] == 5 and summary["dataset"] == "demo"


def test_a_class_without_a_generator_fails(tiny_params, trained, demo_dataset):
    from pipeline.gan import synthesize

    with open("targets.json", "w") as f:
        json.dump({"targets": {"angry": 10**6}, "counts": {}}, f)
    with pytest.raises(PipelineError, match=r"angry/generator.keras: no generator for class 'angry'"):
        synthesize.main(args(trained, "targets.json"))
