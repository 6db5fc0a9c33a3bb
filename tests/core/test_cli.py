"""run_stage: every failure of a stage ends as one `error:` line and a non-zero exit, never a traceback
(unless --debug asks for it)."""

import errno

import pytest

from pipeline.core import params
from pipeline.core.cli import run_stage
from pipeline.core.errors import PipelineError


def run(main, argv=(), name=None):
    with pytest.raises(SystemExit) as exc:
        run_stage(main, list(argv), name=name)
    return exc.value.code


def raising(exc):
    def main(argv):
        raise exc
    return main


@pytest.fixture(autouse=True)
def default_params_file():
    yield
    params.use_params_file(None)  # --params in a test must not leak into the next one


HINT = " (rerun with --debug for the traceback)"


@pytest.mark.parametrize("exc, line", [
    (PipelineError("data/raw/x.csv: line 3: bad"), "error: data/raw/x.csv: line 3: bad"),
    (ValueError("cannot convert float NaN to integer"),
     "error: test_cli: ValueError: cannot convert float NaN to integer" + HINT),
    (OSError(errno.ENOSPC, "No space left on device", "data/canonical/fer2013.npz"),
     "error: test_cli: disk full writing data/canonical/fer2013.npz (no space left on device)" + HINT),
    (PermissionError(errno.EACCES, "Permission denied", "reports/ingest"),
     "error: test_cli: Permission denied: reports/ingest" + HINT),
    (MemoryError(), "error: test_cli: out of memory" + HINT),
])
def test_every_failure_is_one_line(capsys, exc, line):
    assert run(raising(exc)) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [line]


def test_multi_line_messages_are_joined(capsys):
    assert run(raising(PipelineError("x.csv: first\nsecond"))) == 1
    assert capsys.readouterr().err.splitlines() == ["error: x.csv: first second"]


def test_debug_prints_the_traceback(capsys):
    assert run(raising(ValueError("boom")), ["--debug"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.splitlines()[-1] == "error: test_cli: ValueError: boom"


def test_interrupt_names_the_stage(capsys):
    assert run(raising(KeyboardInterrupt()), name="ingest") == 130
    assert capsys.readouterr().err.splitlines() == [
        "error: ingest: interrupted; outputs of this stage were not written"]


def test_params_option_is_consumed_and_named_in_errors(tmp_path, capsys):
    (tmp_path / "other.yaml").write_text("gan:\n  epochs: abc\n")

    class Epochs(params.Keys):
        epochs: int

    seen = []

    def main(argv):
        seen.append(argv)
        params.load(Epochs, "gan")

    assert run(main, ["a", "--params", "other.yaml", "b"]) == 1
    assert seen == [["a", "b"]]
    err = capsys.readouterr().err
    assert err.startswith("error: other.yaml: gan.epochs: Input should be a valid integer")
