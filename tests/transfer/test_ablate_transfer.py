"""Stage `ablate_transfer`: variants on a short schedule, scored on the held-out triples; finished variants
are kept, so a rerun trains only what changed."""

import json

import yaml

from .conftest import PAPER, write_params


def epoch_counter():
    import keras

    class Count(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epochs = 0

        def on_epoch_end(self, epoch, logs=None):
            self.epochs += 1

    return Count()


def ablate(trained, out, variants, callbacks=()):
    from pipeline.transfer import ablate_transfer

    params = write_params(out / "params.yaml")
    raw = yaml.safe_load(params.read_text())
    raw["transfer"]["ablation"] = {"fusion_epochs": 1, "epochs": 1, "train_pairs": 8, "pix2pix": True,
                                   "variants": variants}
    params.write_text(yaml.safe_dump(raw))
    ablate_transfer.main([
        "--input", str(trained / "data/cropped"), "--landmarks", str(trained / "data/landmarks"),
        "--judge", str(trained / "models/transfer_judge"), "--ablation", "reports/transfer/ablation.json",
        "--live", "reports/transfer/ablation_live", "--checkpoints", "checkpoints/transfer_ablation"],
        callbacks=callbacks)
    return json.loads((out / "reports/transfer/ablation.json").read_text())


def test_variants_are_scored_and_kept(trained, tmp_path):
    points = {**PAPER, "landmark_encoding": "heatmap", "fusion_coord_weight": 1.0, "displacement": True}
    first = epoch_counter()
    result = ablate(trained, tmp_path, {"paper": PAPER, "points": points}, [first])
    assert set(result["variants"]) == {"paper", "points"} and result["test_triples"] == 8
    assert first.epochs == 2 + 2 + 1  # Φ + Ω per variant, pix2pix
    for name, r in result["variants"].items():
        assert r["spec"]["landmark_encoding"] == ("polyline" if name == "paper" else "heatmap")
        assert set(r["proposed"]) >= {"ssim", "psnr", "expression", "identity"}
        assert "ssim" in r["oracle_landmarks"] and r["sensitivity"] >= 0
    assert "points_error_px" in result["variants"]["points"]["fusion"]
    assert "points_error_px" not in result["variants"]["paper"]["fusion"]
    assert 0 < result["pix2pix"]["pix2pix"]["ssim"] <= 1
    live = tmp_path / "reports/transfer/ablation_live"
    assert (live / "points/fusion/plots/metrics/train/coord_px.tsv").is_file()

    # a rerun with one more variant trains only that one (its Φ is the 'points' variant's: restored)
    again = epoch_counter()
    truth = {**points, "omega_landmarks": "truth"}
    rerun = ablate(trained, tmp_path, {"paper": PAPER, "points": points, "truth": truth}, [again])
    assert again.epochs == 1
    assert rerun["variants"]["paper"] == result["variants"]["paper"]
    assert rerun["pix2pix"] == result["pix2pix"]
