"""The ablation table: rows from DVC experiment refs (read with git) and from named metrics files."""

import json
import subprocess

import pytest

from pipeline.core.errors import PipelineError


def metrics(fid=None, n_fake=10_003, gan_train=0.45, gan_test=0.60, real=0.62, generator="per_class", **cfg):
    config = {"epochs": 40, "batch_size": 32, "diffaugment": [], "ema": 0.0, "d_reg": "none", "loss": "bce",
              **cfg}
    inception = None if fid is None else {"pooled": {"fid": {"value": fid, "n_a": n_fake}}}
    return {"dataset": "fer2013", "profile": "cpu", "generator": generator, "inception": inception,
            "training": {"happy": {"config": config, "train_seconds_total": 1800.0},
                         "sad": {"config": config, "train_seconds_total": 1800.0}},
            "headline": {"fid_inception_pooled": fid, "gan_train_accuracy": gan_train,
                         "gan_test_accuracy": gan_test, "real_baseline_accuracy": real,
                         "precision_inception": 0.7, "recall_inception": 0.3}}


def test_rows_say_what_each_run_changed_and_which_targets_it_meets():
    from pipeline.gan.ablation import ablation_table, row

    reference = row("paper", metrics(fid=141.2, gan_train=0.118, gan_test=0.3))
    assert reference["variant"] == "reference (paper)" and reference["targets_met"] == 0
    assert reference["hours"] == pytest.approx(1.0)
    best = row("da-ema", metrics(fid=55.0, diffaugment=["translation", "cutout"], ema=0.999))
    assert best["variant"] == "DiffAugment translation+cutout, EMA 0.999" and best["targets_met"] == 3
    few = row("few-fakes", metrics(fid=55.0, n_fake=2000))  # FID target needs >= 10k fakes
    assert few["targets_met"] == 2
    cond = row("cgan", metrics(generator="conditional", d_reg="spectral", loss="hinge"))
    assert cond["variant"] == "conditional (projection D), spectral norm, hinge loss" and cond["fid"] is None
    table = ablation_table([reference, best, cond])
    assert "| paper | reference (paper) | 40 | 32 | 1.00 | 141.2 (n=10003) |" in table
    assert "| cgan | conditional (projection D), spectral norm, hinge loss |" in table
    assert table.count("\n| ") == 5  # header, separator, three rows


def test_experiments_are_read_from_their_git_refs(tmp_path):
    from pipeline.gan.ablation import experiment_metrics

    def git(*args):
        return subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True,
                              text=True).stdout.strip()

    git("init", "-q")
    git("config", "user.email", "t@example.org")
    git("config", "user.name", "t")
    (tmp_path / "reports/gan/fer2013").mkdir(parents=True)
    refs = {}
    for name, fid in (("paper", 140.0), ("diffaug", 90.0)):
        (tmp_path / "reports/gan/fer2013/metrics.json").write_text(json.dumps(metrics(fid=fid)))
        git("add", "reports/gan/fer2013/metrics.json")
        git("commit", "-q", "-m", name)
        refs[name] = git("rev-parse", "HEAD")
    base = refs["paper"]
    for name, sha in refs.items():
        git("update-ref", f"refs/exps/{base[:2]}/{base[2:]}/{name}", sha)
    git("update-ref", "refs/exps/exec/EXEC_BRANCH", refs["paper"])  # DVC's bookkeeping: skipped
    found = experiment_metrics(tmp_path)
    assert set(found) == {"paper", "diffaug"}
    assert found["diffaug"]["headline"]["fid_inception_pooled"] == 90.0


def test_stage_writes_the_table_from_named_files(tmp_path):
    from pipeline.gan import ablation

    (tmp_path / "a.json").write_text(json.dumps(metrics(fid=100.0)))
    ablation.main(["--out", str(tmp_path / "t.md"), "--metrics", f"ref={tmp_path / 'a.json'}"])
    assert "| ref | reference (paper) |" in (tmp_path / "t.md").read_text()
    with pytest.raises(PipelineError, match="expected NAME=PATH"):
        ablation.main(["--out", str(tmp_path / "t.md"), "--metrics", "nonsense"])
    with pytest.raises(PipelineError, match="not a git repository"):
        ablation.main(["--out", str(tmp_path / "t.md"), "--exps", "--repo", str(tmp_path)])
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    with pytest.raises(PipelineError, match="no runs"):
        ablation.main(["--out", str(tmp_path / "t.md"), "--exps", "--repo", str(tmp_path)])
