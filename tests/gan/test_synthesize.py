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


def conditional_params(generator="conditional"):
    import yaml

    params = yaml.safe_load(open("params.yaml"))
    params["synthesize"]["generator"] = generator
    with open("params.yaml", "w") as f:
        yaml.safe_dump(params, f)


def test_stage_fills_targets_from_the_conditional_gan(tiny_params, trained_cgan, demo_dataset):
    from pipeline.gan import synthesize

    conditional_params()
    counts = demo_dataset.class_counts("train")
    with open("targets.json", "w") as f:
        json.dump({"targets": {"happy": counts["happy"] + 4, "sad": counts["sad"] + 1}, "counts": counts}, f)
    argv = args(trained_cgan, "targets.json")
    argv[argv.index("--models") + 1] = str(trained_cgan / "models/cgan")
    synthesize.main(argv)
    synth = FaceDataset.load("synthetic.npz")
    assert synth.class_counts()["happy"] == 4 and synth.class_counts()["sad"] == 1
    summary = json.loads(open("summary.json").read())
    assert summary["generator"] == "conditional" and "class-conditional" in summary["protocol"]


def test_the_generator_param_and_the_models_folder_must_agree(tiny_params, trained_cgan):
    from pipeline.gan import synthesize

    with open("targets.json", "w") as f:
        json.dump({"targets": {"happy": 1}, "counts": {}}, f)
    argv = args(trained_cgan, "targets.json")
    conditional_params()
    with pytest.raises(PipelineError, match=r"models/gan/training.json: no conditional GAN here"):
        synthesize.main(argv)  # conditional asked, per-class folder given
    conditional_params("per_class")
    argv[argv.index("--models") + 1] = str(trained_cgan / "models/cgan")
    with pytest.raises(PipelineError, match=r"this is the conditional GAN \(train_cgan\)"):
        synthesize.main(argv)
