"""Stage `evaluate_transfer`: SSIM / PSNR table, metrics and grids on held-out subjects."""

import json

from .conftest import write_params


def evaluate(trained, out, **params):
    from pipeline.transfer import evaluate_transfer

    write_params(out / "params.yaml", **params)
    evaluate_transfer.main([
        "--input", str(trained / "data/cropped"), "--landmarks", str(trained / "data/landmarks"),
        "--models", str(trained / "models/transfer"),
        "--training", str(trained / "reports/transfer/training.json"),
        "--metrics", "reports/transfer/metrics.json", "--grid-proposed", "reports/transfer/grid_proposed.png",
        "--grid-pix2pix", "reports/transfer/grid_pix2pix.png", "--table", "reports/tables/transfer.md"])
    return json.loads((out / "reports/transfer/metrics.json").read_text())


def test_evaluation_on_held_out_triples(trained, tmp_path):
    metrics = evaluate(trained, tmp_path)
    assert metrics["dataset"] == "demo" and metrics["test_triples"] == 8
    assert set(metrics["results"]) == {"proposed", "pix2pix", "oracle_landmarks", "copy_target"}
    assert 0 < metrics["headline"]["proposed_psnr"] < 100
    assert list(metrics["headline"]) == ["dataset", "size", "proposed_ssim", "proposed_psnr", "pix2pix_ssim",
                                         "pix2pix_psnr"]
    table = (tmp_path / "reports/tables/transfer.md").read_text()
    assert "pix2pix" in table and "demo" in table
    # the training figures come from the training card
    assert "U-Net base 4 filters, 1 fusion / 1 transfer epochs over 16 training triples" in table
    assert (tmp_path / "reports/transfer/grid_proposed.png").stat().st_size > 0
    assert (tmp_path / "reports/transfer/grid_pix2pix.png").stat().st_size > 0
    assert len(metrics["grid"]["sources"]) <= 3


def test_evaluation_keys_change_evaluation_only(trained, tmp_path):
    metrics = evaluate(trained, tmp_path, test_pairs=4, grid=2)  # the same trained models, other test set
    assert metrics["test_triples"] == 4 and len(metrics["grid"]["targets"]) <= 2
