"""Stage train_gan@<class>, run in-process: models, card, final grid, dvclive log; backup removed."""

import json

import pytest

from pipeline.core.errors import PipelineError


def test_stage_writes_models_card_samples_and_live_log(trained):
    for name in ("happy", "sad"):
        card = json.loads((trained / f"reports/gan/{name}/training.json").read_text())
        assert card == json.loads((trained / f"models/gan/{name}/training.json").read_text())
        assert card["class"] == name and card["dataset"] == "demo" and card["epochs"] == 1
        assert card["resumed_from_epoch"] == 0
        assert set(card["final_epoch"]) == {"d_loss", "g_loss", "d_real", "d_fake"}
        assert card["config"]["g_widths"] == [16, 8, 8] and "classes" not in card["config"]
        live = f"reports/gan/{name}/live/plots"
        for path in (f"models/gan/{name}/generator.keras", f"models/gan/{name}/discriminator.keras",
                     f"reports/gan/{name}/samples.png", f"{live}/metrics/train/g_loss.tsv",
                     f"{live}/images/samples/epoch_0001.png"):
            assert (trained / path).is_file(), path
        assert not list((trained / f"reports/gan/{name}").glob("loss_*"))  # dvclive replaces them
    assert not list((trained / "checkpoints/gan").glob("*"))  # finished runs leave no backup
    seeds = {json.loads((trained / f"models/gan/{n}/training.json").read_text())["config"]["seed"]
             for n in ("happy", "sad")}
    assert len(seeds) == 2  # one seed per class


def test_unknown_class_fails_naming_the_dataset(tiny_params, demo_dataset):
    from pipeline.gan import train_gan

    demo_dataset.save("balanced.npz")
    with pytest.raises(PipelineError, match="balanced.npz: unknown class 'joy'"):
        train_gan.main(["joy", "--dataset", "balanced.npz", "--models", "m", "--card", "c.json",
                        "--samples", "s.png", "--live", "live", "--checkpoints", "ck"])
