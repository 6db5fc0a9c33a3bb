import json

import pytest

from pipeline.core.errors import PipelineError
from pipeline.report import report


def test_report_gathers_headlines_numbers_only(tmp_path):
    a = {"headline": {"accuracy": 0.7, "dataset": "demo"}, "big": [1, 2]}
    (tmp_path / "a.json").write_text(json.dumps(a))
    (tmp_path / "b.json").write_text(json.dumps({"auc": {"happy": 0.9}, "note": "x" * 200, "ok": True}))
    report.main(["reports/metrics.json", "cnn=a.json", "svm=b.json"])
    out = json.loads((tmp_path / "reports/metrics.json").read_text())
    assert out == {"cnn": {"accuracy": 0.7, "dataset": "demo"}, "svm": {"auc": {"happy": 0.9}, "ok": 1}}


def test_report_missing_or_bad_input_names_the_file(tmp_path):
    with pytest.raises(PipelineError, match="missing.json"):
        report.main(["reports/metrics.json", "cnn=missing.json"])
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(PipelineError, match="bad.json"):
        report.main(["reports/metrics.json", "cnn=bad.json"])
    assert not (tmp_path / "reports/metrics.json").exists()


def test_report_keeps_three_levels_below_each_stage(tmp_path):
    tree = {"datasets": {"demo": {"rows": 5, "by_class": {"happy": 3}}}}
    (tmp_path / "c.json").write_text(json.dumps(tree))
    report.main(["reports/metrics.json", "crop=c.json"])
    out = json.loads((tmp_path / "reports/metrics.json").read_text())
    assert out == {"crop": {"datasets": {"demo": {"rows": 5}}}}


def test_report_needs_an_output_path():
    with pytest.raises(PipelineError, match="usage"):
        report.main(["cnn=a.json"])
