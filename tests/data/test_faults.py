"""The fault table ("Bad input and faults: no silent wrong result, no traceback, nothing lost, also under
`dvc repro`"): one test per row, run through run_stage as from the command line. Every failure is one
`error:` line, exit 1, and the previous outputs of the stage are left exactly as they were."""

import contextlib
import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from pipeline.core import dataset as core_dataset
from pipeline.core import outputs
from pipeline.core.cli import run_stage
from pipeline.core.dataset import FaceDataset
from pipeline.core.params import use_params_file
from pipeline.core.profiles import compose
from pipeline.data import crop, ingest, rebalance

REPO = Path(__file__).resolve().parents[2]
ARGS = ["data/raw", "data/canonical", "reports/ingest"]
OUTPUTS = ("data/canonical", "reports/ingest")
RECOVERY = "git checkout -- reports/ dvc.lock && dvc checkout"


def face(seed: int, size: int = 48) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size, size), dtype=np.uint8)


def write_params(root: Path, **keys) -> None:
    """The committed params.yaml with a small demo and the dotted `keys` replaced."""
    committed = compose("demo", ["data.demo.use=auto"])
    committed["data"]["demo"].update(subjects=4, sequences_per_subject=1)
    for key, value in keys.items():
        node = committed
        *parents, last = key.split(".")
        for part in parents:
            node = node[part]
        node[last] = value
    (root / "params.yaml").write_text(yaml.safe_dump(committed))


def write_fer_csv(path: Path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["emotion,pixels,Usage"] + [f"{e},{' '.join(map(str, img.ravel()))},{u}" for e, img, u in rows]
    path.write_text("\n".join(lines) + "\n")


def fer_rows(n: int = 3):
    return [(i % 7, face(i), ("Training", "PublicTest", "PrivateTest")[i % 3]) for i in range(n)]


def make_ckplus(raw: Path, facs_lines: list[str], image: bytes | None = None) -> Path:
    """CK+48 with one happy sequence, its FACS file holding `facs_lines`; returns the FACS file."""
    (raw / "CK+48/happy").mkdir(parents=True)
    path = raw / "CK+48/happy/S010_004_00000017.png"
    cv2.imwrite(str(path), face(1))
    if image is not None:
        path.write_bytes(image)
    facs = raw / "FACS/S010/004/S010_004_00000017_facs.txt"
    facs.parent.mkdir(parents=True)
    facs.write_text("\n".join(facs_lines) + "\n")
    return facs


def snapshot(*roots) -> dict:
    return {str(p): p.read_bytes() for root in map(Path, roots) if root.exists()
            for p in sorted(root.rglob("*")) if p.is_file()}


def cli(main, args, capsys, name=None) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of the stage run as from the command line."""
    try:
        run_stage(main, list(args), name=name)
        code = 0
    except SystemExit as exc:
        code = exc.code
    finally:
        use_params_file(None)
    out = capsys.readouterr()
    return code, out.out, out.err


def one_error_line(err: str, *names) -> str:
    """The one `error:` line of stderr, which is its last line (progress bars may come before)."""
    lines = err.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], err
    assert "Traceback" not in err and "np.int64" not in err and "np.float" not in err
    for name in names:
        assert name in errors[0], (name, errors[0])
    return errors[0]


@pytest.fixture
def raw(tmp_path):
    write_params(tmp_path)
    (tmp_path / "data/raw").mkdir(parents=True)
    return tmp_path / "data/raw"


@pytest.fixture
def previous(raw):
    """A good ingest of real data: its outputs must survive every failure below, byte for byte."""
    write_fer_csv(raw / "fer2013.csv", fer_rows())
    ingest.main(ARGS)
    (raw / "fer2013.csv").unlink()
    before = snapshot(*OUTPUTS)
    assert "data/canonical/fer2013.npz" in before
    return before


def leftovers() -> list[str]:
    return sorted(str(p) for p in Path(".").rglob(".*.tmp"))


# ---- row: raw_dir in a layout ingest does not recognise --------------------------------------
def test_files_in_no_known_layout_fail_listing_them_and_keep_the_real_data(raw, previous, capsys):
    (raw / "notes.txt").write_text("where I got the data")
    (raw / "icml_face_data.csv").write_text("emotion, Usage, pixels\n")
    (raw / "faces").mkdir()
    cv2.imwrite(str(raw / "faces/a.png"), face(1))
    code, out, err = cli(ingest.main, ARGS, capsys)
    assert code == 1 and "demo" not in out
    line = one_error_line(err, "data/raw: no known dataset layout", "faces/, icml_face_data.csv, notes.txt",
                          "fer2013.csv", "CK+48", "ckextended.csv", "Rafd", "data.demo.use: always")
    assert "README" not in line
    assert snapshot(*OUTPUTS) == previous


@pytest.mark.parametrize("where", ["fer2013/fer2013.csv", "FER2013.csv", "archive/Fer2013.CSV"])
def test_kaggle_archive_unpacked_as_is_is_recognised(raw, capsys, where):
    write_fer_csv(raw / where, fer_rows())
    code, out, err = cli(ingest.main, ARGS, capsys)
    assert code == 0, err
    assert f"ingest: fer2013 <- fer2013.csv ({where})" in out.splitlines()
    assert sorted(p.name for p in Path("data/canonical").iterdir()) == ["fer2013.npz"]
    assert len(FaceDataset.load("data/canonical/fer2013.npz")) == 3


@pytest.mark.parametrize("use, content, outcome", [
    ("auto", [], "demo"),
    ("auto", ["README.md", ".gitkeep"], "demo"),        # a fresh clone's data/raw
    ("never", ["README.md"], "error: data/raw: raw data directory is empty and data.demo.use is never"),
    ("always", ["fer2013.csv"], "demo"),                # asked for: raw_dir is not read
    ("auto", ["fer2013.csv"], "fer2013"),
])
def test_demo_only_when_asked_or_raw_dir_is_empty(raw, capsys, use, content, outcome):
    write_params(raw.parents[1], **{"data.demo.use": use})
    for name in content:
        if name == "fer2013.csv":
            write_fer_csv(raw / name, fer_rows())
        else:
            (raw / name).write_text("put data here")
    code, out, err = cli(ingest.main, ARGS, capsys)
    if outcome.startswith("error"):
        assert code == 1 and one_error_line(err).startswith(outcome)
        assert one_error_line(err).endswith("the demo: dvc exp run -S profile=demo)")
        return
    assert code == 0, err
    assert [p.stem for p in Path("data/canonical").iterdir()] == [outcome]
    if outcome == "demo":
        reason = "data.demo.use: always" if use == "always" else "data/raw is empty"
        assert f"ingest: demo <- embedded demo dataset ({reason})" in out.splitlines()


# ---- row: a stage fails or is killed (by hand and under dvc repro) ---------------------------
@contextlib.contextmanager
def fault_when_writing(monkeypatch, name: str, fault: BaseException):
    """`fault` raised when the file `name` has been written but not yet closed into place."""
    real = outputs.atomic_path

    @contextlib.contextmanager
    def atomic_path(path, is_dir=False):
        with real(path, is_dir) as tmp:
            yield tmp
            if Path(path).name == name:
                raise fault

    for module in (outputs, core_dataset):
        monkeypatch.setattr(module, "atomic_path", atomic_path)
    yield


@pytest.mark.parametrize("name, line", [
    ("fer2013.npz", "error: ingest: disk full writing data/canonical/fer2013.npz (no space left on device)"),
    ("audit_fer2013.md", "error: ingest: disk full writing reports/ingest/audit_fer2013.md"),
    ("summary.json", "error: ingest: disk full writing reports/ingest/summary.json"),  # data written
])
def test_disk_full_at_any_point_is_one_line_and_leaves_the_old_outputs(raw, previous, monkeypatch, capsys,
                                                                       name, line):
    write_fer_csv(raw / "fer2013.csv", fer_rows(5))
    with fault_when_writing(monkeypatch, name, OSError(errno.ENOSPC, "No space left on device")):
        code, _, err = cli(ingest.main, ARGS, capsys)
    assert code == 1 and one_error_line(err).startswith(line)
    assert snapshot(*OUTPUTS) == previous and leftovers() == []


def test_killed_while_writing_leaves_the_old_outputs(raw, previous, monkeypatch, capsys):
    write_fer_csv(raw / "fer2013.csv", fer_rows(5))
    with fault_when_writing(monkeypatch, "summary.json", KeyboardInterrupt()):
        code, _, err = cli(ingest.main, ARGS, capsys)
    assert code == 130 and one_error_line(err, "ingest: interrupted")
    assert snapshot(*OUTPUTS) == previous and leftovers() == []


def test_failing_crop_and_rebalance_leave_their_old_outputs(raw, capsys):
    write_params(raw.parents[1], **{"crop.detectors": []})  # tight demo faces pass through: fast
    ingest.main(ARGS)  # the demo
    crop.main(["data/canonical", "data/cropped", "reports/crop"])
    rebalance.main(["data/cropped", "data/balanced", "reports/rebalance"])
    before = snapshot("data/cropped", "reports/crop", "data/balanced", "reports/rebalance")
    Path("data/canonical/demo.npz").write_bytes(b"PK\x03\x04 cut")
    code, _, err = cli(crop.main, ["data/canonical", "data/cropped", "reports/crop"], capsys)
    assert code == 1 and one_error_line(err, "data/canonical/demo.npz: not a readable canonical dataset")
    write_params(raw.parents[1], **{"crop.detectors": [], "data.datasets": ["demo", "rafd"]})
    code, _, err = cli(rebalance.main, ["data/cropped", "data/balanced", "reports/rebalance"], capsys)
    assert code == 1 and one_error_line(
        err, "data/cropped/rafd.npz: not found, but params.yaml data.datasets lists rafd")
    assert snapshot("data/cropped", "reports/crop", "data/balanced", "reports/rebalance") == before


def dvc(*args, cwd):
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True)


def test_documented_recovery_step_restores_every_output_after_a_failed_dvc_repro(tmp_path):
    """DVC deletes a stage's outputs before running it; cached ones come back with `dvc checkout`,
    the git-tracked `cache: false` reports with git. docs/recovery.md gives the one step for both."""
    pytest.importorskip("dvc", reason="dvc is not installed")
    assert RECOVERY in (REPO / "docs/recovery.md").read_text()
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"ingest": {
        "cmd": f"{sys.executable} stage.py", "deps": ["stage.py", "raw.txt"],
        "outs": ["data/canonical", {"reports/ingest": {"cache": False}}]}}}))
    (repo / "stage.py").write_text(
        "import pathlib, sys\n"
        "raw = pathlib.Path('raw.txt').read_text()\n"
        "if raw.startswith('bad'):\n    sys.exit('error: raw.txt: bad input')\n"
        "for d in ('data/canonical', 'reports/ingest'):\n"
        "    pathlib.Path(d).mkdir(parents=True, exist_ok=True)\n"
        "    (pathlib.Path(d) / 'out.txt').write_text(raw)\n")
    (repo / "raw.txt").write_text("good")
    python_dvc = [sys.executable, "-m", "dvc"]
    for step in (["git", "init", "-q"], [*python_dvc, "init", "-q"], [*python_dvc, "repro", "-q"],
                 ["git", "add", "."], ["git", "commit", "-qm", "good run"]):
        result = dvc(*step, cwd=repo)
        assert result.returncode == 0, result.stderr
    good = snapshot(repo / "data/canonical", repo / "reports/ingest")
    assert len(good) == 2
    (repo / "raw.txt").write_text("bad")
    failed = dvc(*python_dvc, "repro", "-q", cwd=repo)
    assert failed.returncode != 0 and "error: raw.txt: bad input" in failed.stderr
    assert snapshot(repo / "data/canonical", repo / "reports/ingest") == {}  # DVC removed them first
    step = RECOVERY.replace("dvc checkout", f"{sys.executable} -m dvc checkout -q")
    result = subprocess.run(step, shell=True, cwd=repo, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert snapshot(repo / "data/canonical", repo / "reports/ingest") == good


# ---- rows: FACS lines -----------------------------------------------------------------------
@pytest.mark.parametrize("line, problem", [
    ("nan   0.0000000e+00", "expected '<AU code> <intensity>' as two numbers, got 'nan   0.0000000e+00'"),
    ("inf   0.0000000e+00", "expected '<AU code> <intensity>' as two numbers"),
    ("9.0000100e+00   0.0000000e+00", "'9.0000100e+00' is not a FACS action unit code"),  # not AU 900001
])
def test_bad_facs_lines_are_one_error_line(raw, previous, capsys, line, problem):
    facs = make_ckplus(raw, ["4.0000000e+00   0.0000000e+00", line])
    code, _, err = cli(ingest.main, ARGS, capsys)
    assert code == 1 and one_error_line(err, f"{facs.relative_to(raw.parents[1])}: line 2: {problem}")
    assert snapshot(*OUTPUTS) == previous


# ---- rows: bad params value, error texts ------------------------------------------------------
def test_bad_param_value_as_from_dvc_exp_run_S(raw, capsys):
    """`dvc exp run -S crop.size=abc` writes `size: abc` into params.yaml, then crop runs."""
    ingest.main(ARGS)
    committed = yaml.safe_load(Path("params.yaml").read_text())
    committed["crop"]["size"] = "abc"
    Path("params.yaml").write_text(yaml.safe_dump(committed))
    code, _, err = cli(crop.main, ["data/canonical", "data/cropped", "reports/crop"], capsys)
    assert code == 1
    assert one_error_line(err) == "error: params.yaml: crop.size: Input should be a valid integer (got 'abc')"


def test_errors_name_the_params_file_in_force_and_print_plain_numbers(raw, capsys):
    committed = yaml.safe_load(Path("params.yaml").read_text())
    committed["data"]["audit"]["drop"]["blank"] = "sometimes"
    Path("other.yaml").write_text(yaml.safe_dump(committed))
    code, _, err = cli(ingest.main, [*ARGS, "--params", "other.yaml"], capsys)
    assert code == 1 and one_error_line(err).startswith("error: other.yaml: data.audit.drop.blank: ")
    write_fer_csv(raw / "fer2013.csv", [(0, face(1), "Training"), (9, face(2), "Training")])
    code, _, err = cli(ingest.main, ARGS, capsys)
    assert code == 1 and one_error_line(err) == \
        "error: data/raw/fer2013.csv: line 3: emotion code '9' is not in 0..6"


# ---- rows: csv cut in a row, non-numeric pixel ------------------------------------------------
def test_csv_cut_in_the_middle_of_a_row_is_reported_as_cut(raw, previous, capsys):
    write_fer_csv(raw / "fer2013.csv", fer_rows(4))
    text = (raw / "fer2013.csv").read_text()
    (raw / "fer2013.csv").write_text(text[: len(text) - 3000])
    code, _, err = cli(ingest.main, ARGS, capsys)
    assert code == 1 and one_error_line(err, "data/raw/fer2013.csv: line 5: the file ends in the middle of "
                                             "this row (cut short")
    assert snapshot(*OUTPUTS) == previous


def test_non_numeric_pixel_names_the_line(raw, previous, capsys):
    write_fer_csv(raw / "fer2013.csv", fer_rows(4))
    lines = (raw / "fer2013.csv").read_text().split("\n")
    lines[2] = lines[2].replace(" ", " 1O ", 1)  # a letter O among the pixels
    (raw / "fer2013.csv").write_text("\n".join(lines))
    code, _, err = cli(ingest.main, ARGS, capsys)
    assert code == 1 and one_error_line(err, "data/raw/fer2013.csv: line 3: pixel values must be integers "
                                             "0..255 separated by spaces (found 'O')")
    assert snapshot(*OUTPUTS) == previous


# ---- rows that already worked: keep them green ----------------------------------------------
def corrupt_png(raw):
    make_ckplus(raw, ["4 0"], image=b"\x89PNG\r\n\x1a\n broken")


def empty_png(raw):
    make_ckplus(raw, ["4 0"], image=b"")


def unknown_class(raw):
    (raw / "train/grumpy").mkdir(parents=True)
    cv2.imwrite(str(raw / "train/grumpy/Training_1.png"), face(1))


def empty_class(raw):
    make_ckplus(raw, ["4 0"])
    (raw / "CK+48/fear").mkdir()


def wrong_columns(raw):
    (raw / "fer2013.csv").write_text("label,image\n0,1 2 3\n")


def wrong_pixel_count(raw):
    write_fer_csv(raw / "fer2013.csv", [(0, face(1), "Training"), (1, face(2, size=40), "Training")])


def unknown_code(raw):
    write_fer_csv(raw / "ckextended.csv", [(8, face(1), "Training")])


def bad_param(raw):
    write_fer_csv(raw / "fer2013.csv", fer_rows())
    write_params(raw.parents[1], **{"data.max_image_side": 0})


@pytest.mark.parametrize("setup, args, names", [
    (None, ["nowhere", *ARGS[1:]], ["nowhere: raw data directory (data.raw_dir) not found"]),
    (wrong_columns, ARGS, ["fer2013.csv: wrong columns ['label', 'image']"]),
    (wrong_pixel_count, ARGS, ["fer2013.csv: line 3: 1600 pixels, expected 48*48=2304"]),
    (unknown_code, ARGS, ["ckextended.csv: line 2: emotion code '8' is not in 0..7"]),
    (corrupt_png, ARGS, ["S010_004_00000017.png: unreadable or corrupted image"]),
    (empty_png, ARGS, ["S010_004_00000017.png: unreadable or corrupted image"]),
    (unknown_class, ARGS, ["train/grumpy: unknown class"]),
    (empty_class, ARGS, ["CK+48/fear: empty class folder"]),
    (bad_param, ARGS, ["params.yaml: data.max_image_side: Input should be greater than 0 (got 0)"]),
])
def test_known_bad_input_still_fails_in_one_line(raw, previous, capsys, setup, args, names):
    if setup:
        setup(raw)
    code, _, err = cli(ingest.main, args, capsys)
    assert code == 1 and one_error_line(err, *names)
    assert snapshot(*OUTPUTS) == previous


def test_a_real_process_prints_one_line_and_keeps_the_outputs(raw, previous):
    (raw / "notes.txt").write_text("x")
    result = subprocess.run([sys.executable, "-m", "pipeline.data.ingest", *ARGS], capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 1 and result.stdout == ""
    one_error_line(result.stderr, "data/raw: no known dataset layout; found notes.txt")
    assert snapshot(*OUTPUTS) == previous
    shutil.rmtree(raw)


def test_an_npz_that_is_not_a_canonical_dataset_names_the_file(raw, capsys):
    np.savez("data/canonical.npz", images=np.zeros((2, 4, 4), np.uint8))
    Path("data/canonical").mkdir()
    shutil.move("data/canonical.npz", "data/canonical/fer2013.npz")
    code, _, err = cli(crop.main, ["data/canonical", "data/cropped", "reports/crop"], capsys)
    assert code == 1 and one_error_line(err, "data/canonical/fer2013.npz: not a canonical dataset (KeyError")
