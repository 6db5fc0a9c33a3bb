"""Stage train_feature_gan, run in-process on a cropped demo set (tiny 64x64 Radford DCGAN)."""

import json


def test_stage_trains_the_discriminator_the_svm_stages_read(tiny_params, demo_dataset):
    from pipeline.gan import train_feature_gan

    demo_dataset.save("cropped/demo.npz")
    train_feature_gan.main(["--cropped", "cropped", "--models", "models/feature_gan",
                            "--card", "reports/training.json", "--samples", "reports/samples.png",
                            "--live", "reports/live", "--checkpoints", "checkpoints/feature_gan"])
    card = json.loads(open("reports/training.json").read())
    assert card["dataset"] == "demo" and card["splits"] == ["train"] and card["images"] == 16
    assert card["feature_layer"] == "d_conv4" and card["features"] == 4 * 4 * 16  # tiny d_widths[-1]
    assert "dataset" not in card["config"] and card["config"]["variant"] == "radford"
    import keras

    d = keras.saving.load_model("models/feature_gan/discriminator.keras", compile=False)
    assert d.input_shape == (None, 64, 64, 1)
    from pathlib import Path

    assert Path("reports/samples.png").is_file()
    assert Path("reports/live/plots/metrics/train/d_loss.tsv").is_file()
    assert not Path("checkpoints/feature_gan").exists()  # the finished run leaves no backup
