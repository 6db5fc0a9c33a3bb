"""stage_outputs: a stage's outputs are replaced as one unit - the old set or the new set, never a mix,
and no temporary folder left behind."""

import errno
import os
from pathlib import Path

import pytest

from pipeline.core import outputs
from pipeline.core.outputs import stage_outputs, write_json


def tree(*roots) -> dict:
    """{path: bytes} of every file under the roots (a file root is itself)."""
    found = {}
    for root in map(Path, roots):
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        found.update({str(p): p.read_bytes() for p in files})
    return found


def leftovers() -> list[str]:
    return sorted(str(p) for p in Path(".").rglob(".*.tmp"))


@pytest.fixture
def old():
    """Previous outputs: two folders and a file."""
    for d in ("data/out", "reports/out"):
        Path(d).mkdir(parents=True)
        (Path(d) / "old.txt").write_text(f"old {d}")
    Path("reports/table.csv").write_text("old table")
    return tree("data/out", "reports/out", "reports/table.csv")


def write_new(data, report, table):
    (data / "new.txt").write_text("new data")
    write_json(report / "summary.json", {"rows": 1})
    table.write_text("new table")


def test_success_replaces_every_output(old):
    with stage_outputs("data/out", "reports/out", files=["reports/table.csv"]) as (data, report, table):
        assert data.is_dir() and report.is_dir() and not table.exists()
        write_new(data, report, table)
    assert tree("data/out", "reports/out", "reports/table.csv") == {
        "data/out/new.txt": b"new data", "reports/out/summary.json": b'{\n  "rows": 1\n}\n',
        "reports/table.csv": b"new table"}
    assert leftovers() == []


def test_first_run_creates_the_outputs():
    with stage_outputs("a/b/out", files=["a/t.txt"]) as (out, t):
        (out / "x").write_text("x")
        t.write_text("t")
    assert tree("a") == {"a/b/out/x": b"x", "a/t.txt": b"t"}


@pytest.mark.parametrize("fault", [ValueError("bug"), KeyboardInterrupt()])
def test_failure_or_kill_inside_the_block_keeps_every_old_output(old, fault):
    with pytest.raises(type(fault)):
        with stage_outputs("data/out", "reports/out", files=["reports/table.csv"]) as (data, report, table):
            (data / "new.txt").write_text("new data")  # one output written, the others not yet
            raise fault
    assert tree("data/out", "reports/out", "reports/table.csv") == old
    assert leftovers() == []


def test_a_failed_rename_during_the_commit_is_undone(old, monkeypatch):
    real = os.replace

    def flaky(src, dst):  # the old outputs go aside, data/out comes in, then reports/out fails
        if str(dst) == "reports/out" and Path(src).name == "new":
            raise OSError(errno.EIO, "Input/output error", str(dst))
        real(src, dst)

    monkeypatch.setattr(outputs.os, "replace", flaky)
    with pytest.raises(OSError, match="Input/output error"):
        with stage_outputs("data/out", "reports/out", files=["reports/table.csv"]) as temps:
            write_new(*temps)
    monkeypatch.setattr(outputs.os, "replace", real)  # (not undo(): that would also undo the tmp cwd)
    assert tree("data/out", "reports/out", "reports/table.csv") == old
    assert leftovers() == []


def test_disk_full_names_the_output_not_the_temporary_file(old):
    with pytest.raises(OSError) as err:
        with stage_outputs("data/out", "reports/out") as (data, report):
            with outputs.atomic_path(report / "summary.json") as tmp, open(tmp, "w"):
                raise OSError(errno.ENOSPC, "No space left on device")  # f.write: no file name
    assert err.value.errno == errno.ENOSPC and err.value.filename == "reports/out/summary.json"
    assert tree("data/out", "reports/out") == {k: v for k, v in old.items() if "table" not in k}
    assert leftovers() == []


def test_an_output_the_block_did_not_write_replaces_nothing(old):
    with pytest.raises(RuntimeError, match="did not write reports/table.csv"):
        with stage_outputs("data/out", files=["reports/table.csv"]) as (data, _):
            (data / "new.txt").write_text("new")
    assert tree("data/out", "reports/table.csv") == {k: v for k, v in old.items() if "reports/out" not in k}


def test_the_same_output_twice_is_refused():
    with pytest.raises(ValueError, match="twice"):
        with stage_outputs("out", "./out"):
            pass
