"""reports/ holds only what the pipeline writes: every committed file there is a dvc.yaml stage's
output (or inside an output folder) for the committed params.yaml; no hand-run tag folders."""

import importlib.util
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("dvc_graph", ROOT / "tests/dvc_graph.py")
graph = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(graph)


def committed_reports() -> list[str]:
    try:
        listed = subprocess.run(["git", "ls-files", "reports"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return listed


def stage_outputs(params: dict) -> set[str]:
    found = set()
    for stage, item in graph.instances(params).values():
        for key in ("outs", "metrics", "plots"):
            found.update(p for p in graph.paths(stage, item, key, params) if p.startswith("reports/"))
    return found


def test_every_committed_report_is_a_stage_output():
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    outs = stage_outputs(params)
    strays = [f for f in committed_reports()
              if not any(f == o or f.startswith(o + "/") for o in outs)]
    assert strays == [], f"files under reports/ that no dvc.yaml stage writes: {strays[:20]}"


def committed_text(path: str) -> str:
    """The committed version of a file (git HEAD), so a local demo `dvc repro` does not change it."""
    try:
        return subprocess.run(["git", "show", f"HEAD:{path}"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return (ROOT / path).read_text()


def test_readme_embeds_the_results_table_the_report_stage_wrote():
    readme = (ROOT / "README.md").read_text()
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    assert readme.count(start) == readme.count(end) == 1
    embedded = readme.split(start)[1].split(end)[0].strip()
    generated = committed_text("reports/tables/results.md").strip()
    assert embedded == generated, "README's results table differs from reports/tables/results.md: paste it in"
