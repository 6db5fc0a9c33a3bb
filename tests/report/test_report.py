"""Stage report: <= 40 headline numbers per dataset in reports/metrics.json, and the results table."""

import json

import pytest

from pipeline.core.errors import PipelineError
from pipeline.report import report
from pipeline.report.headline import MAX_NUMBERS, count_numbers

MODES = ("none", "classical", "random_oversample", "smote", "gan", "transfer")


@pytest.fixture(autouse=True)
def run_datasets(tmp_path):
    """The run's data.datasets (report reads only their files from a folder)."""
    (tmp_path / "params.yaml").write_text("data:\n  datasets: [fer2013, ckplus]\n")


def cnn(dataset, mode, acc):
    block = {"accuracy": acc, "macro_f1": acc - 0.1, "f1": {"happy": 0.5},
             "evaluation": f"{dataset} protocol"}
    return {"dataset": dataset, "mode": mode, "profile": "cpu", "classes": ["happy"], "official": block,
            "thesis_random_split": {"accuracy": 0.99}, "headline": {"dataset": dataset, "official": block}}


def write_run(tmp_path, datasets=("fer2013", "ckplus")):
    args = []
    for ds in datasets:
        for i, mode in enumerate(MODES):
            name = f"cnn_{ds}_{mode}"
            (tmp_path / f"{name}.json").write_text(json.dumps(cnn(ds, mode, 0.5 + i / 100)))
            args.append(f"{name}={name}.json")
    files = {
        "gan": {"headline": {"dataset": "fer2013", "fid_inception_pooled": 141.2, "gan_train_accuracy": 0.12,
                             "gan_test_accuracy": 0.37, "kid_inception_pooled": 0.15}},
        "cnn_peer": {"dataset": "fer2013", "accuracy": 0.66, "macro_f1": 0.64},
        "svm": {"headline": {"E1": {"train": "ckplus", "d_auc": 0.9, "d_accuracy": 0.8},
                             "E2": {"train": "fer2013", "d_auc": 0.7, "d_accuracy": 0.4},
                             "A1": {"train": "ckplus", "d_auc": 0.6, "d_pr_auc": 0.7}}},
        "transfer": {"headline": {"dataset": "ckplus", "proposed_ssim": 0.66, "proposed_psnr": 19.6,
                                  "pix2pix_ssim": 0.65}},
        "question": {"dataset": "fer2013", "baseline": "classical", "arms": {
            "classical": {"macro_f1": {"mean": 0.6}},
            "gan_fill": {"change": {"macro_f1": {"delta": -0.004, "interval": [-0.012, 0.003]}}},
            "smote": {"change": {"macro_f1": {"delta": 0.002, "interval": [-0.006, 0.01]}}}}},
    }
    for name, data in files.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(data))
        args.append(f"{name}={name}.json")
    return args


def test_headline_holds_per_dataset_figures_and_at_most_40_numbers(tmp_path):
    report.main(["reports/metrics.json", "--table", "results.md", *write_run(tmp_path)])
    out = json.loads((tmp_path / "reports/metrics.json").read_text())
    assert count_numbers(out) <= MAX_NUMBERS
    assert out["fer2013"]["cnn"]["smote"] == {"accuracy": 0.53, "macro_f1": 0.43}
    assert out["ckplus"]["cnn"]["none"] == {"accuracy": 0.5, "macro_f1": 0.4}
    assert out["fer2013"]["gan"] == {"fid_pooled": 141.2, "gan_train": 0.12, "gan_test": 0.37}
    assert out["fer2013"]["peer"] == {"accuracy": 0.66}
    assert out["ckplus"]["transfer"] == {"ssim": 0.66, "psnr": 19.6}
    assert out["svm"] == {"emotion_mean_auc": 0.8, "au_mean_auc": 0.6}
    assert out["fer2013"]["question"] == {  # the thesis's arm; SMOTE's change is in the question's own table
        "gan_fill": {"macro_f1_change": -0.004, "low": -0.012, "high": 0.003}}
    table = (tmp_path / "results.md").read_text()
    assert "| GAN fill -0.4 [-1.2, +0.3] | - |" in table
    assert "| figure | fer2013 | ckplus |" in table
    assert "| CNN + SMOTE: accuracy / macro-F1 | 53.00% / 0.430 | 53.00% / 0.430 |" in table
    assert "0.660 / 19.60 dB" in table and "emotion 0.800, action units 0.600" in table
    assert "- fer2013: fer2013 protocol (profile cpu)" in table


def test_the_cpu_run_fits_in_40_numbers():
    """Both datasets at the cpu profile: FER-2013 5 modes (no transfer), CK+ 6, a peer, GAN, thesis question
    each, CK+ transfer, the SVMs: exactly the 40 numbers `dvc exp show` is sized for."""
    from pipeline.report.headline import headline

    files = {}
    for ds, modes in (("fer2013", MODES[:-1]), ("ckplus", MODES)):
        files |= {f"cnn_{m}@{ds}": cnn(ds, m, 0.6) for m in modes}
        files[f"cnn_peer@{ds}"] = {"dataset": ds, "accuracy": 0.6, "macro_f1": 0.5}
        files[f"gan@{ds}"] = {"headline": {"dataset": ds, "fid_inception_pooled": 60.0,
                                           "gan_train_accuracy": 0.4, "gan_test_accuracy": 0.5}}
        files[f"question@{ds}"] = {"dataset": ds, "arms": {
            "gan_fill": {"change": {"macro_f1": {"delta": 0.01, "interval": [0.0, 0.02]}}},
            "gan_half": {"change": {"macro_f1": {"delta": 0.01, "interval": [0.0, 0.02]}}},
            "smote": {"change": {"macro_f1": {"delta": 0.0, "interval": [-0.01, 0.01]}}}}}
    files["transfer"] = {"headline": {"dataset": "ckplus", "proposed_ssim": 0.7, "proposed_psnr": 20.0}}
    files["svm"] = {"headline": {"E1": {"d_auc": 0.9, "d_accuracy": 0.8},
                                 "A1": {"d_auc": 0.9, "d_pr_auc": 0.7}}}
    files["gan_ablation"] = {"reference": "paper",
                             "variants": {"paper": {"summary": {"kid_x1000_mean": 1.0}}}}
    assert count_numbers(headline(files)) == MAX_NUMBERS == 40


def test_skipped_modes_are_left_out(tmp_path):
    skipped = {"dataset": "demo", "mode": "gan", "skipped": "no GANs"}
    (tmp_path / "gan_mode.json").write_text(json.dumps(skipped))
    (tmp_path / "none.json").write_text(json.dumps(cnn("demo", "none", 0.4)))
    report.main(["m.json", "--table", "t.md", "cnn_gan=gan_mode.json", "cnn_none=none.json"])
    assert json.loads((tmp_path / "m.json").read_text()) == {"demo": {"cnn": {"none": {"accuracy": 0.4,
                                                                                        "macro_f1": 0.3}}}}


def test_report_missing_or_bad_input_names_the_file(tmp_path):
    with pytest.raises(PipelineError, match="missing.json"):
        report.main(["reports/metrics.json", "--table", "t.md", "gan=missing.json"])
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(PipelineError, match="bad.json"):
        report.main(["reports/metrics.json", "--table", "t.md", "gan=bad.json"])
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(PipelineError, match="unknown metrics name 'crop'"):
        report.main(["reports/metrics.json", "--table", "t.md", "crop=x.json"])
    with pytest.raises(PipelineError, match="is not NAME=PATH"):
        report.main(["reports/metrics.json", "--table", "t.md", "gan"])
    assert not (tmp_path / "reports/metrics.json").exists()


def test_folders_stand_for_every_dataset_under_them(tmp_path):
    """cnn=reports/cnn and gan=reports/gan: the stages' per-dataset layout (reports/cnn/<dataset>/<mode>)."""
    for ds in ("fer2013", "ckplus"):
        for i, mode in enumerate(MODES):
            (tmp_path / f"reports/cnn/{ds}/{mode}").mkdir(parents=True)
            metrics = json.dumps(cnn(ds, mode, 0.5 + i / 100))
            (tmp_path / f"reports/cnn/{ds}/{mode}/metrics.json").write_text(metrics)
        (tmp_path / f"reports/cnn/{ds}/peer").mkdir()
        (tmp_path / f"reports/cnn/{ds}/peer/metrics.json").write_text(
            json.dumps({"dataset": ds, "accuracy": 0.66, "macro_f1": 0.64}))
        (tmp_path / f"reports/gan/{ds}/angry/live").mkdir(parents=True)  # train_gan's outs: not read
        (tmp_path / f"reports/gan/{ds}/metrics.json").write_text(json.dumps(
            {"headline": {"dataset": ds, "fid_inception_pooled": 100.0, "gan_train_accuracy": 0.1,
                          "gan_test_accuracy": 0.2}}))
    (tmp_path / "reports/gan/ablation").mkdir()  # gan_ablation's folder inside reports/gan: not a dataset
    ablation = tmp_path / "reports/gan/ablation/metrics.json"
    ablation.write_text(json.dumps({"reference": "paper", "variants": {
        "paper": {"summary": {"kid_x1000_mean": 278.2}}, "ema": {"summary": {"kid_x1000_mean": 229.0}},
        "cgan": {"summary": {"kid_x1000_mean": 117.3}}, "spectral": {"summary": {"kid_x1000_mean": None}}}}))
    report.main(["reports/metrics.json", "--table", "results.md", "cnn=reports/cnn", "gan=reports/gan",
                 "gan_ablation=reports/gan/ablation/metrics.json"])
    out = json.loads((tmp_path / "reports/metrics.json").read_text())
    assert "ablation" not in out and "gan_ablation" not in out  # a line under the table, not headline numbers
    table = (tmp_path / "results.md").read_text()
    assert "mean KID x1e3 over its classes (lower is better): paper 278.2, cgan 117.3" in table
    assert "| per-class GANs: pooled Inception FID |" in table and "gan_ablation |" not in table
    assert list(out["fer2013"]["cnn"]) == list(MODES) and out["ckplus"]["cnn"]["smote"]["accuracy"] == 0.53
    assert out["ckplus"]["gan"]["fid_pooled"] == 100.0 and out["fer2013"]["peer"]["accuracy"] == 0.66
    assert count_numbers(out) <= MAX_NUMBERS
    (tmp_path / "empty").mkdir()
    with pytest.raises(PipelineError, match="empty: no metrics files of fer2013, ckplus"):
        report.main(["m.json", "--table", "t.md", "cnn=empty"])


def test_a_folder_gives_only_the_runs_datasets(tmp_path):
    """A demo experiment's table holds the demo alone, not the committed real run's files beside it."""
    for ds in ("fer2013", "demo"):
        (tmp_path / f"reports/cnn/{ds}/none").mkdir(parents=True)
        (tmp_path / f"reports/cnn/{ds}/none/metrics.json").write_text(json.dumps(cnn(ds, "none", 0.6)))
    (tmp_path / "params.yaml").write_text("data:\n  datasets: [demo]\n")
    report.main(["m.json", "--table", "t.md", "cnn=reports/cnn"])
    out = json.loads((tmp_path / "m.json").read_text())
    assert list(out) == ["demo"]
    assert "fer2013" not in (tmp_path / "t.md").read_text()
    (tmp_path / "params.yaml").write_text("data:\n  datasets: [ckplus]\n")
    with pytest.raises(PipelineError, match="reports/cnn: no metrics files of ckplus under it"):
        report.main(["m.json", "--table", "t.md", "cnn=reports/cnn"])


def test_modes_from_different_profiles_are_named_in_the_protocol_line(tmp_path):
    args = write_run(tmp_path, datasets=("fer2013",))
    m = json.loads((tmp_path / "cnn_fer2013_classical.json").read_text())
    (tmp_path / "cnn_fer2013_classical.json").write_text(json.dumps({**m, "profile": "longer"}))
    report.main(["reports/metrics.json", "--table", "results.md", *args])
    table = (tmp_path / "results.md").read_text()
    assert ("NOT one run, the modes come from 2 profiles: profile cpu: none, random_oversample, smote, gan, "
            "transfer; profile longer: classical") in table
