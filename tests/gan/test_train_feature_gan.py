"""Stage train_feature_gan@<run>, run in-process on a cropped demo set (tiny 64x64 Radford DCGAN)."""

import json
from pathlib import Path

import pytest

from pipeline.core.errors import PipelineError


def run_args(run="demo", dataset="demo", epochs="1") -> list[str]:
    return ["--run", run, "--dataset", dataset, "--splits", "train", "--epochs", epochs, "--max_images", "16",
            "--cropped", "cropped", "--models", f"models/feature_gan/{run}",
            "--card", f"reports/{run}/training.json", "--samples", f"models/feature_gan/{run}/samples.png",
            "--live", f"reports/{run}/live", "--checkpoints", f"checkpoints/feature_gan/{run}"]


def test_stage_trains_the_discriminator_the_svm_stages_read(tiny_params, demo_dataset):
    from pipeline.gan import train_feature_gan

    demo_dataset.save("cropped/demo.npz")
    train_feature_gan.main(run_args())
    card = json.loads(open("reports/demo/training.json").read())
    assert card["run"] == "demo" and card["dataset"] == "demo" and card["splits"] == ["train"]
    assert card["images"] == 16 and card["epochs"] == 1
    assert card["feature_layer"] == "d_conv4" and card["features"] == 4 * 4 * 16  # tiny d_widths[-1]
    assert "dataset" not in card["config"] and card["config"]["variant"] == "radford"
    assert set(card["collapse_rule"]) == {"d_loss_below", "score_gap_above", "patience"}
    import keras
    import numpy as np

    d = keras.saving.load_model("models/feature_gan/demo/discriminator.keras", compile=False)
    d0 = keras.saving.load_model("models/feature_gan/demo/discriminator_init.keras", compile=False)
    assert d.input_shape == d0.input_shape == (None, 64, 64, 1)
    assert [lyr.name for lyr in d.layers] == [lyr.name for lyr in d0.layers]
    w, w0 = d.get_layer("d_conv1").get_weights()[0], d0.get_layer("d_conv1").get_weights()[0]
    assert w.shape == w0.shape and not np.allclose(w, w0)  # the twin is untrained
    assert Path("models/feature_gan/demo/samples.png").is_file()
    assert Path("reports/demo/live/plots/metrics/train/d_loss.tsv").is_file()
    assert Path("reports/demo/live/plots/metrics/train/d_real.tsv").is_file()
    assert not Path("checkpoints/feature_gan/demo").exists()  # the finished run leaves no backup


def test_precision_auto_trains_and_saves_the_untrained_twin(tiny_params, demo_dataset):
    """precision: auto resolves at train time; the twin is built in the chosen policy (a real CK+ run
    trained 150 epochs and then failed on the unresolved 'auto' here)."""
    import yaml

    from pipeline.gan import train_feature_gan

    params = yaml.safe_load(open(tiny_params))
    params["feature_gan"]["precision"] = "auto"
    yaml.safe_dump(params, open(tiny_params, "w"))
    demo_dataset.save("cropped/demo.npz")
    train_feature_gan.main(run_args())
    card = json.loads(open("reports/demo/training.json").read())
    assert card["precision"]["requested"] == "auto"
    assert card["precision"]["chosen"] in ("float32", "mixed_bfloat16")
    assert Path("models/feature_gan/demo/discriminator_init.keras").is_file()


def test_absent_dataset_writes_a_skipped_card(tiny_params):
    from pipeline.gan import train_feature_gan

    train_feature_gan.main(run_args("fer2013", "fer2013"))
    card = json.loads(open("models/feature_gan/fer2013/training.json").read())
    assert "cropped/fer2013.npz not found" in card["skipped"] and card["run"] == "fer2013"
    assert json.loads(open("reports/fer2013/training.json").read()) == card
    assert Path("reports/fer2013/live/skipped.json").is_file()
    assert not Path("models/feature_gan/fer2013/discriminator.keras").exists()


def test_bad_run_entry_is_one_line(tiny_params):
    from pipeline.gan import train_feature_gan

    with pytest.raises(PipelineError, match="feature_gan.runs.demo.epochs"):
        train_feature_gan.main(run_args(epochs="0"))


def test_collapse_guard_names_the_epoch():
    """D winning outright (low d_loss, D(real) ~ 1, D(fake) ~ 0) `patience` epochs in a row stops the run."""
    from pipeline.gan.config import CollapseParams
    from pipeline.gan.train_lib import DivergenceGuard, _Diverged

    guard = DivergenceGuard(10, CollapseParams(d_loss_below=0.05, score_gap_above=0.95, patience=2))
    won = {"d_loss": 0.01, "g_loss": 6.0, "d_real": 0.99, "d_fake": 0.01}
    guard.on_epoch_end(0, won)
    guard.on_epoch_end(1, {**won, "d_fake": 0.3})  # not collapsed: the count starts again
    guard.on_epoch_end(2, won)
    with pytest.raises(_Diverged) as exc:
        guard.on_epoch_end(3, won)
    assert exc.value.epoch == 3 and "feature_gan.collapse" in exc.value.reason
