"""Stage gan_metrics, run in-process: it reads only the files on its command line."""

import json
from pathlib import Path


def test_stage_scores_the_trained_classes_and_writes_this_runs_table(tiny_params, trained):
    from pipeline.gan import gan_metrics

    # a metrics file of another run under the reports folder is no longer read ("extra runs")
    Path("reports/gan/ckplus").mkdir(parents=True)
    other_run = {"stage": "gan_metrics", "dataset": "ckplus"}
    Path("reports/gan/ckplus/metrics.json").write_text(json.dumps(other_run))
    gan_metrics.main(["--balanced", str(trained / "data/balanced/dataset.npz"),
                      "--models", str(trained / "models/gan"),
                      "--metrics", "reports/gan/metrics.json", "--table", "table.md"])
    metrics = json.loads(Path("reports/gan/metrics.json").read_text())
    assert metrics["classes"] == ["happy", "sad"] and metrics["samples_per_class"] == 4
    assert metrics["inception"] is None and "off" in metrics["inception_note"]
    assert metrics["profile"] == "demo" and metrics["headline"]["n_fake_pooled"] == 8
    assert set(metrics["domain"]) == {"happy", "sad", "pooled"}
    table = Path("table.md").read_text()
    assert "| this pipeline, demo | demo (2 per-class GANs) |" in table and "ckplus" not in table
