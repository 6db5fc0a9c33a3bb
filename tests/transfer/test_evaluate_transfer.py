"""Stage `evaluate_transfer`: SSIM / PSNR, expression and identity scores, conditioning checks and grids on
held-out subjects."""

import json

from .conftest import write_params


def evaluate(trained, out, **params):
    from pipeline.transfer import evaluate_transfer

    write_params(out / "params.yaml", **params)
    evaluate_transfer.main([
        "--input", str(trained / "data/cropped"), "--landmarks", str(trained / "data/landmarks"),
        "--models", str(trained / "models/transfer"), "--judge", str(trained / "models/transfer_judge"),
        "--training", str(trained / "reports/transfer/training.json"),
        "--metrics", "reports/transfer/metrics.json", "--grid-proposed", "reports/transfer/grid_proposed.png",
        "--grid-pix2pix", "reports/transfer/grid_pix2pix.png"])
    return json.loads((out / "reports/transfer/metrics.json").read_text())


def test_evaluation_on_held_out_triples(trained, tmp_path):
    metrics = evaluate(trained, tmp_path)
    assert metrics["dataset"] == "demo" and metrics["test_triples"] == 8
    # the committed conditioning has Φ's points, so the warp to them is a row too
    assert set(metrics["results"]) == {"proposed", "pix2pix", "oracle_landmarks", "copy_target",
                                       "warp_true_points", "warp_fused_points", "truth_real"}
    assert 0 < metrics["headline"]["proposed_psnr"] < 100
    assert list(metrics["headline"]) == ["dataset", "size", "proposed_ssim", "proposed_psnr", "pix2pix_ssim",
                                         "pix2pix_psnr"]
    for row in ("proposed", "pix2pix", "copy_target", "truth_real"):
        r = metrics["results"][row]
        assert 0 <= r["expression"] <= 1 and 0 <= r["target_expression"] <= 1
        assert set(r["identity"]) == {"distance_target", "kept", "distance_others", "rank1",
                                      "closer_to_source"}
    assert "ssim" not in metrics["results"]["truth_real"]  # a reference for the scores, not for SSIM
    assert metrics["sensitivity"]["proposed"] >= 0 and metrics["sensitivity"]["pix2pix"] >= 0
    assert "points_error_px" in metrics["fusion"] and metrics["fusion"]["fused_minus_target"] >= 0
    assert metrics["conditioning"]["points"] is True
    assert (tmp_path / "reports/transfer/grid_proposed.png").stat().st_size > 0
    assert (tmp_path / "reports/transfer/grid_pix2pix.png").stat().st_size > 0
    assert len(metrics["grid"]["sources"]) <= 3


def test_evaluation_keys_change_evaluation_only(trained, tmp_path):
    metrics = evaluate(trained, tmp_path, test_pairs=4, grid=2)  # the same trained models, other test set
    assert metrics["test_triples"] == 4 and len(metrics["grid"]["targets"]) <= 2
