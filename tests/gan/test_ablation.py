"""The GAN ablation stages: train_gan_ablation@<variant> (resumable per class), gan_ablation (scoring)."""

import json

import numpy as np
import pytest
import yaml

from pipeline.core.errors import PipelineError

from .conftest import write_tiny_params

CLASSES = ["happy", "sad"]


@pytest.fixture
def ablation_params(committed_params, isolated_workdir, demo_dataset):
    path = write_tiny_params(committed_params, isolated_workdir)
    params = yaml.safe_load(path.read_text())
    params["gan_ablation"].update(dataset="demo", classes=CLASSES, epochs=1, max_images=16,
                                  samples_per_class=12, real_max_images=12, kid_subsets=3, kid_subset_size=8,
                                  variants={"paper": {}, "da": {"diffaugment": ["translation"]}})
    path.write_text(yaml.safe_dump(params))
    demo_dataset.save("data/balanced/demo/dataset.npz")
    return path


def train(variant: str, *options: str):
    from pipeline.gan import train_gan_ablation

    train_gan_ablation.main(["--variant", variant, *options, "--dataset", "data/balanced/demo/dataset.npz",
                             "--models", f"models/gan_ablation/{variant}",
                             "--reports", f"reports/gan/ablation/{variant}",
                             "--checkpoints", f"checkpoints/gan_ablation/{variant}"])


def card(variant: str, name: str) -> dict:
    return json.loads(open(f"reports/gan/ablation/{variant}/{name}/training.json").read())


def test_a_variant_trains_every_class_with_its_options_and_a_killed_run_keeps_finished_classes(
        ablation_params, monkeypatch, isolated_workdir):
    from pipeline.gan import train_lib

    real_train = train_lib.train_dcgan
    calls = []

    def killed_on_second(images, cfg, *args, **kwargs):
        calls.append(cfg.seed)
        if len(calls) == 2:
            raise KeyboardInterrupt  # a kill while the second class trains
        return real_train(images, cfg, *args, **kwargs)

    monkeypatch.setattr(train_lib, "train_dcgan", killed_on_second)
    with pytest.raises(KeyboardInterrupt):
        train("da", "--diffaugment", "translation")
    assert (isolated_workdir / "checkpoints/gan_ablation/da/happy").is_dir()  # kept until every class is done
    monkeypatch.setattr(train_lib, "train_dcgan", real_train)
    train("da", "--diffaugment", "translation")
    happy, sad = card("da", "happy"), card("da", "sad")
    assert happy["resumed_from_epoch"] == 1 and sad["resumed_from_epoch"] == 0  # happy was not retrained
    assert happy["options"]["diffaugment"] == ["translation"] and happy["options"]["ema"] == 0.0
    assert happy["config"]["diffaugment"] == ["translation"] and happy["config"]["epochs"] == 1
    assert happy["images"] == 16 and happy["config"]["seed"] != sad["config"]["seed"]
    for name in CLASSES:
        assert (isolated_workdir / f"models/gan_ablation/da/{name}/generator.keras").is_file()
        assert (isolated_workdir / f"reports/gan/ablation/da/{name}/samples.png").is_file()
    assert not (isolated_workdir / "checkpoints/gan_ablation/da").exists() or not any(
        (isolated_workdir / "checkpoints/gan_ablation/da").rglob("*.json"))


def test_bad_variant_options_fail_naming_the_variant(ablation_params):
    with pytest.raises(PipelineError, match="gan_ablation.variants.odd.d_reg"):
        train("odd", "--d_reg", "weird")


class PixelFeatures:
    """A stand-in for Inception-v3 in tests: 64 block means of each image."""

    def __init__(self, batch=32):
        pass

    def __call__(self, images, progress=None):
        x = np.asarray(images, np.float32)
        n, h = len(x), x.shape[1] // 8
        return x[:, :h * 8, :h * 8].reshape(n, 8, h, 8, h).mean(axis=(2, 4)).reshape(n, 64) / 255.0


def score(tmp="checkpoints/gan_ablation_scores"):
    from pipeline.gan import gan_ablation

    gan_ablation.main(["--balanced", "data/balanced/demo/dataset.npz", "--models", "models/gan_ablation",
                       "--metrics", "reports/gan/ablation/metrics.json",
                       "--table", "reports/tables/gan_ablation.md",
                       "--checkpoints", tmp])
    return json.loads(open("reports/gan/ablation/metrics.json").read())


def test_scoring_compares_every_variant_with_the_reference_and_refuses_stale_models(ablation_params,
                                                                                    monkeypatch):
    from pipeline.gan import inception

    train("paper")
    train("da", "--diffaugment", "translation")
    monkeypatch.setattr(inception, "inception_available", lambda: (True, "test features"))
    monkeypatch.setattr(inception, "InceptionFeatures", PixelFeatures)
    metrics = score()
    assert set(metrics["variants"]) == {"paper", "da"} and metrics["reference"] == "paper"
    for name in ("paper", "da"):
        for c in CLASSES:
            s = metrics["variants"][name]["classes"][c]
            assert s["n_fake"] == 12 and s["n_real"] == 12 and s["kid_x1000"] is not None
            assert 0 <= s["precision"] <= 1 and 0 <= s["recall"] <= 1 and s["fid_comparable"] is False
    assert metrics["comparison"]["paper"]["kid_x1000_change"] == {"happy": 0.0, "sad": 0.0}
    assert metrics["budget"]["images"] == {"happy": 16, "sad": 15}  # capped at 16; sad has 15
    assert metrics["budget"]["epochs"] == 1
    table = open("reports/tables/gan_ablation.md").read()
    assert "| paper | reference (paper) |" in table and "| da | DiffAugment translation |" in table
    assert metrics["verdict"] in table

    params = yaml.safe_load(ablation_params.read_text())  # the variant's options changed since it trained
    params["gan_ablation"]["variants"]["da"] = {"diffaugment": ["cutout"]}
    ablation_params.write_text(yaml.safe_dump(params))
    with pytest.raises(PipelineError, match="da/happy/training.json: trained with options"):
        score()


def test_a_conditional_variant_trains_one_gan_on_the_same_images_and_is_scored_per_class(ablation_params,
                                                                                        monkeypatch):
    from pipeline.gan import inception

    params = yaml.safe_load(ablation_params.read_text())
    params["gan_ablation"]["variants"] = {"paper": {}, "cgan": {"conditional": True}}
    ablation_params.write_text(yaml.safe_dump(params))
    train("paper")
    train("cgan", "--conditional")
    top = json.loads(open("models/gan_ablation/cgan/training.json").read())
    assert top["trained_classes"] == CLASSES and top["per_class_images"] == {"happy": 16, "sad": 15}
    assert top["images"] == 31 and top["options"]["conditional"] is True  # the per-class runs' images
    assert open("reports/gan/ablation/cgan/training.json").read() == open(
        "models/gan_ablation/cgan/training.json").read()
    monkeypatch.setattr(inception, "inception_available", lambda: (True, "test features"))
    monkeypatch.setattr(inception, "InceptionFeatures", PixelFeatures)
    metrics = score()
    cgan = metrics["variants"]["cgan"]
    assert cgan["label"].startswith("conditional") and set(cgan["classes"]) == set(CLASSES)
    assert cgan["summary"]["image_passes"] == 31 == metrics["variants"]["paper"]["summary"]["image_passes"]


def test_scoring_without_inception_says_why_and_compares_nothing(ablation_params, monkeypatch):
    from pipeline.gan import inception

    params = yaml.safe_load(ablation_params.read_text())
    params["gan_ablation"]["variants"] = {"paper": {}}
    ablation_params.write_text(yaml.safe_dump(params))
    train("paper")
    monkeypatch.setattr(inception, "inception_available", lambda: (False, "Inception FID skipped: no torch"))
    metrics = score()
    assert metrics["note"] == "Inception FID skipped: no torch" and metrics["comparison"] == {}
    assert metrics["variants"]["paper"]["classes"] == {}
    assert "No Inception figures" in open("reports/tables/gan_ablation.md").read()


def test_a_missing_variant_names_its_training_stage(ablation_params):
    train("paper")
    with pytest.raises(PipelineError, match=r"models/gan_ablation/da: no generator for happy, sad "
                                            r"\(run train_gan_ablation@da\)"):
        score()
