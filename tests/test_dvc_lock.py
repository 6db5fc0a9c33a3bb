"""The committed dvc.lock describes the committed reports: every `cache: false` file that a locked stage
writes and git tracks has the md5 the lock gives it, so a report is never committed without the lock
entry of the run that made it (with the real data linked, `dvc status` then finds it up to date)."""

import hashlib
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def tracked_files() -> set[str]:
    out = subprocess.run(["git", "ls-files", "reports", "pipeline/app/bundled"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def locked_file_outs() -> list[tuple[str, str, str]]:
    """(stage, path, md5) of every file out in dvc.lock (directory outs carry a .dir md5)."""
    stages = yaml.safe_load((ROOT / "dvc.lock").read_text())["stages"]
    return [(name, out["path"], out["md5"]) for name, stage in stages.items()
            for out in stage.get("outs", []) if "md5" in out and not out["md5"].endswith(".dir")]


def test_every_committed_report_of_a_locked_stage_has_the_lock_md5():
    tracked = tracked_files()
    checked = [(stage, path, md5) for stage, path, md5 in locked_file_outs() if path in tracked]
    assert checked, "no committed file out of a locked stage: dvc.lock and git disagree on paths"
    wrong = [f"{stage}: {path}" for stage, path, md5 in checked
             if hashlib.md5((ROOT / path).read_bytes()).hexdigest() != md5]
    assert not wrong, f"committed reports that differ from dvc.lock's md5: {wrong}"
