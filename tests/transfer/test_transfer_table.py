"""Stage `transfer_table`: reports/tables/transfer.md from the stages' jsons."""

import json

import pytest

from pipeline.core.errors import PipelineError

from .conftest import PAPER
from .test_ablate_transfer import ablate
from .test_evaluate_transfer import evaluate


def test_table_has_table3_scores_ablation_and_diagnosis(trained, tmp_path, demo_dataset):
    from pipeline.transfer import diagnose_transfer, transfer_table

    evaluate(trained, tmp_path)
    ablate(trained, tmp_path, {"paper": PAPER})
    diagnose_transfer.main(["--input", str(trained / "data/cropped"),
                            "--landmarks", str(trained / "data/landmarks"),
                            "--diagnosis", "reports/transfer/diagnosis.json"])
    args = ["--training", str(trained / "reports/transfer/training.json"),
            "--metrics", "reports/transfer/metrics.json", "--ablation", "reports/transfer/ablation.json",
            "--diagnosis", "reports/transfer/diagnosis.json",
            "--judge", str(trained / "reports/transfer/judge.json"),
            "--table", "reports/tables/transfer.md"]
    transfer_table.main(args)
    table = (tmp_path / "reports/tables/transfer.md").read_text()
    assert "pix2pix" in table and "demo" in table and "0.805" in table  # beside the paper's Table 3
    # the training figures come from the training card
    assert "U-Net base 4 filters, 1 fusion / 1 transfer epochs over 16 training triples" in table
    for section in ("## Expression and identity", "## Ablation", "## Diagnosis", "| paper | polyline |",
                    "Target face warped to the TRUE points", "Loss balance of Ω's last epoch"):
        assert section in table
    card = json.loads((trained / "reports/transfer/training.json").read_text())
    assert set(card["final_losses"]) == {"fusion", "proposed", "pix2pix"}
    with pytest.raises(PipelineError, match="run ablate_transfer first"):
        transfer_table.main([a if a != "reports/transfer/ablation.json" else "missing.json" for a in args])
