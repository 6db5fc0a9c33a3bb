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


def test_table_has_a_section_per_dataset_lists_present_modes_and_gan_provenance(tmp_path):
    runs = tmp_path / "cnn"
    for path, m in {"demo/smote": metrics("smote", 0.4), "demo/none": metrics("none", 0.3),
                    "ckplus/classical": metrics("classical", 0.8, "ckplus"),
                    "tag_run": metrics("none", 0.9)}.items():
        (runs / path).mkdir(parents=True)
        (runs / path / "metrics.json").write_text(json.dumps(m))
    (runs / "demo/none/live").mkdir()
    (runs / "demo/none/live/metrics.json").write_text(json.dumps({"step": 1}))  # dvclive's summary: not a run
    (tmp_path / "gan/demo").mkdir(parents=True)
    (tmp_path / "gan/demo/metrics.json").write_text(json.dumps({"dataset": "demo", "profile": "gan-demo"}))
    (tmp_path / "params.yaml").write_text("data:\n  datasets: [demo, ckplus]\n")
    thesis_table.main(["--runs", str(runs), "--gan-metrics", str(tmp_path / "gan"),
                       "--out", str(tmp_path / "thesis.md")])
    table = (tmp_path / "thesis.md").read_text()
    assert tables.run_modes(runs / "demo") == ["none", "smote", "gan", "transfer"]
    assert [f.name for f in tables.dataset_dirs(runs)] == ["ckplus", "demo"]  # FER-2013 > CK+ > RaFD > demo
    ck, demo = table.split("\n## ckplus\n")[1].split("\n## demo\n")
    assert "80.00%" in ck and "+ classical" in ck and "gan-demo" not in ck
    assert demo.index("CNN, no augmentation") < demo.index("+ SMOTE") and "30.00%" in demo
    assert "+ classical" not in demo and "90.00%" not in table  # a folder no stage writes is not read
    assert "profile gan-demo" in demo and "gan_table1_demo.md" in demo
    assert table.count("## Notes") == 1 and table.startswith("# Thesis") and "63.39%" in table
    (tmp_path / "params.yaml").write_text("data:\n  datasets: [demo]\n")  # a demo run beside committed CK+
    thesis_table.main(["--runs", str(runs), "--out", str(tmp_path / "demo.md")])
    demo_only = (tmp_path / "demo.md").read_text()
    assert "## demo" in demo_only and "## ckplus" not in demo_only


def test_subject_kfold_columns_appear_for_a_lab_dataset_and_mark_generated_modes():
    kf = {"evaluation": "subject-independent 10-fold (...)", "folds": 10,
          "accuracy": {"mean": 0.9, "std": 0.05},
          "macro_f1": {"mean": 0.85, "std": 0.04}}
    runs = {"none": {**metrics("none", 0.8, "ckplus"), "subject_kfold": kf},
            "gan": metrics("gan", 0.82, "ckplus")}
    head, rule, none, gan = tables.main_table(runs, None)
    assert "ours: subject 10-fold (every subject), accuracy | macro-F1 |" in head
    assert rule.count("|") == head.count("|") == none.count("|") == gan.count("|")
    assert none.endswith("| 90.00% ± 5.00 | 0.850 ± 0.040 |") and "not run (generated images)" in gan
    assert tables.kfold_note([runs["none"]])[0].startswith("- **subject k-fold**")
    assert tables.main_table({"none": metrics("none", 0.8)}, None)[0].count("|") == 7  # no k-fold: as before


def test_a_table_mixing_profiles_says_it_is_not_one_run(tmp_path):
    runs = tmp_path / "cnn"
    for mode, profile in (("none", "short"), ("classical", "long")):
        (runs / "demo" / mode).mkdir(parents=True)
        m = {**metrics(mode, 0.5), "profile": profile}
        (runs / "demo" / mode / "metrics.json").write_text(json.dumps(m))
    text = "\n".join(tables.dataset_section(runs / "demo"))
    assert "Training profile: **long, short** **NOT one run**" in text
