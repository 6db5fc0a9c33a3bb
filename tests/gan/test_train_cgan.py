"""Stage train_cgan, run in-process: one conditional model, one grid row per class, resumable."""

import json

import numpy as np
import pytest


def test_stage_writes_one_conditional_model_and_its_card(trained_cgan):
    from pipeline.gan.conditional import ClassSampler, is_conditional
    from pipeline.gan.saved_models import load_generator

    root = trained_cgan
    card = json.loads((root / "reports/cgan/training.json").read_text())
    assert card == json.loads((root / "models/cgan/training.json").read_text())
    assert card["stage"] == "train_cgan" and card["trained_classes"] == ["happy", "sad"]
    assert card["classes"][:2] and set(card["per_class_images"]) == {"happy", "sad"}
    assert card["images"] == sum(card["per_class_images"].values())
    assert card["config"]["classes"] == ["happy", "sad"] and card["config"]["ema"] == 0.9
    for path in ("models/cgan/generator.keras", "models/cgan/generator_raw.keras",
                 "models/cgan/discriminator.keras", "reports/cgan/samples.png",
                 "reports/cgan/live/plots/metrics/train/d_loss.tsv"):
        assert (root / path).is_file(), path
    assert not (root / "checkpoints/cgan").exists()
    g = load_generator(root / "models/cgan")
    assert is_conditional(g)
    z = np.random.default_rng(0).normal(size=(3, 16)).astype(np.float32)
    a = np.asarray(ClassSampler(g, card["classes"].index("happy"))(z))
    b = np.asarray(ClassSampler(g, card["classes"].index("sad"))(z))
    assert a.shape == (3, 48, 48, 1) and not np.allclose(a, b)  # the label changes the image


def test_conditional_training_resumes_to_the_uninterrupted_result(tiny, demo_dataset, tmp_path):
    from pipeline.gan.conditional import make_cgan
    from pipeline.gan.config import CGANKeys, cgan_config
    from pipeline.gan.train_lib import train_dcgan
    from pipeline.gan.training_data import conditional_training_images
    from tests.gan.test_train_lib import kill_after_first_epoch

    cfg = CGANKeys.model_validate(tiny(epochs=2, diffaugment=("translation",)).model_dump()
                                  | {"by_dataset": {}, "min_steps": 0, "cgan_embed_dim": 4})
    classes = ("happy", "sad")
    images, labels, _ = conditional_training_images(demo_dataset, classes, 8, cfg.seed, "demo")

    def run(work, **kw):
        return train_dcgan(images, cfg, work / "ck", work / "live", "test", verbose=0, run_eagerly=True,
                           labels=labels, build=lambda c: make_cgan(c, len(demo_dataset.classes), [3, 4]),
                           config=cgan_config(cfg, classes), **kw)

    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "killed", callbacks=[kill_after_first_epoch()])
    resumed, reference = run(tmp_path / "killed"), run(tmp_path / "straight")
    assert resumed.resumed_from == 1 and len(images) == 16
    assert resumed.final == pytest.approx(reference.final, rel=1e-5)
    for a, b in zip(resumed.gan.generator.weights, reference.gan.generator.weights):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


def test_projection_discriminator_depends_on_the_label(tiny):
    from pipeline.gan.conditional import build_projection_discriminator
    from pipeline.gan.config import CGANKeys

    cfg = CGANKeys.model_validate(tiny().model_dump() | {"by_dataset": {}, "min_steps": 0,
                                                         "cgan_embed_dim": 4})
    d = build_projection_discriminator(cfg, 7)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 48, 48, 1)).astype(np.float32)
    d.get_layer("d_embed").set_weights([np.random.default_rng(1).normal(size=(7, 3 * 3 * 16))])
    out0, out1 = np.asarray(d([x, np.array([0, 0])])), np.asarray(d([x, np.array([1, 1])]))
    assert out0.shape == (2, 1) and not np.allclose(out0, out1)
