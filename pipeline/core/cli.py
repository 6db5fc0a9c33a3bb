"""Entry-point wrapper: bad input or a fault ends a stage with one clear line and a non-zero exit."""

import errno
import os
import sys
import traceback
from pathlib import Path

from .errors import PipelineError
from .params import use_params_file


def stage_name(main) -> str:
    """`ingest` for pipeline.data.ingest.main (also when run as `python -m`, module `__main__`)."""
    module = getattr(main, "__module__", "") or ""
    if module == "__main__":
        module = Path(getattr(sys.modules.get("__main__"), "__file__", "") or "stage").stem
    return module.rpartition(".")[2] or "stage"


def fault_message(exc: BaseException) -> str:
    """One line for an exception that is not a PipelineError (disk full, permissions, a bug)."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        where = f" writing {exc.filename}" if exc.filename else ""
        return f"disk full{where} (no space left on device)"
    if isinstance(exc, MemoryError):
        return "out of memory"
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}" + (f": {text[0]}" if text else "")


def run_stage(main, argv=None, name: str | None = None) -> None:
    """Call `main(argv)`; every failure ends as one `error:` line on stderr and a non-zero exit.

    PipelineError (bad input, bad params): `error: <message>`, exit 1. Any other exception:
    `error: <stage>: <what happened>`, exit 1 (disk full names the file being written); add
    `--debug` anywhere in argv for the Python traceback. KeyboardInterrupt: exit 130.
    `--params PATH` anywhere in argv reads that file instead of params.yaml (for scratch
    profiles run by hand; `dvc repro` always uses params.yaml).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    argv = list(sys.argv[1:] if argv is None else argv)
    name = name or stage_name(main)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    if "--params" in argv:
        i = argv.index("--params")
        if i + 1 >= len(argv):
            print("error: --params needs a file path", file=sys.stderr)
            sys.exit(2)
        use_params_file(argv[i + 1])
        del argv[i:i + 2]
    try:
        main(argv)
    except PipelineError as exc:
        if debug:
            traceback.print_exc()
        print(f"error: {' '.join(str(exc).splitlines())}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"error: {name}: interrupted; outputs of this stage were not written", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the one place every other fault becomes one line
        if debug:
            traceback.print_exc()
        hint = "" if debug else " (rerun with --debug for the traceback)"
        print(f"error: {name}: {fault_message(exc)}{hint}", file=sys.stderr)
        sys.exit(1)
