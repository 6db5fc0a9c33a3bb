"""thesis_table: each column names its protocol; the table reads the runs it is given."""

import json

from pipeline.classifier import tables, thesis_table


def test_thesis_table_names_the_protocol_behind_each_column():
    def run(evaluation):
        return {"none": {"official": {"evaluation": evaluation}}}

    assert tables.protocol_label(run("FER-2013 official: train = Training")) == "official protocol"
    assert tables.protocol_label(run("subject hold-out: test = the 24 subjects")) == "subject hold-out"
    assert tables.protocol_label(run("subject-independent 10-fold (...)")) == "subject k-fold"
    assert "ours: subject hold-out, accuracy" in tables.main_table(run("subject hold-out: ...") | {}, None)[0]


def metrics(mode, accuracy, dataset="demo"):
    block = {"evaluation": "demo official split", "accuracy": accuracy, "macro_f1": 0.5,
             "f1": {"happy": 0.5}, "recall": {"happy": 0.5}}
    return {"dataset": dataset, "mode": mode, "profile": "p", "classes": ["happy"], "official": block}


def test_table_lists_present_modes_and_gan_provenance_and_ignores_other_folders(tmp_path):
    runs = tmp_path / "cnn"
    for path, m in {"smote": metrics("smote", 0.4), "none": metrics("none", 0.3),
                    "ckplus/classical": metrics("classical", 0.8, "ckplus")}.items():
        (runs / path).mkdir(parents=True)
        (runs / path / "metrics.json").write_text(json.dumps(m))
    (runs / "none/live").mkdir()
    (runs / "none/live/metrics.json").write_text(json.dumps({"step": 1}))  # dvclive's summary: not a run
    gan = tmp_path / "gan.json"
    gan.write_text(json.dumps({"dataset": "demo", "profile": "gan-demo"}))
    thesis_table.main(["--runs", str(runs), "--gan-metrics", str(gan), "--out", str(tmp_path / "thesis.md")])
    table = (tmp_path / "thesis.md").read_text()
    assert tables.run_modes(runs) == ["none", "smote", "gan", "transfer"]
    assert table.index("CNN, no augmentation") < table.index("+ SMOTE") and "30.00%" in table
    assert "+ classical" not in table  # a folder no stage writes (a run by hand) is not read
    assert "80.00%" not in table and "## Extra run" not in table
    assert "profile gan-demo" in table
