"""Stage `report`: gather every stage's headline figures into reports/metrics.json.

`dvc exp show` / `dvc metrics diff` turn this one file into columns, so it holds numbers only
(plus the dataset names), nested by stage.
Usage: python -m pipeline.report.report OUT NAME=PATH [NAME=PATH ...], where each PATH
is a stage's metrics json; a stage's `headline` block is taken when it has one.
"""

import json
import sys
from pathlib import Path

from pipeline.core.cli import run_stage
from pipeline.core.errors import PipelineError
from pipeline.core.outputs import write_json

PARAMS = {}
MAX_DEPTH = 3  # levels kept below a stage's name: enough for cnn_none.official.f1.<class>


def numbers_only(value, depth: int = MAX_DEPTH):
    """Keep the numeric leaves (and short strings such as dataset names) of a json tree.

    Deeper detail (per-class counts of every crop outcome, ...) stays in the stage's own report,
    so that `dvc exp show` gets a readable number of columns.
    """
    if isinstance(value, dict):
        if depth == 0:
            return None
        kept = {str(k): numbers_only(v, depth - 1) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not None and v != {}}
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and len(value) <= 40:
        return value
    return None


def gather(named_paths: dict[str, Path]) -> dict:
    metrics = {}
    for name, path in named_paths.items():
        if not path.is_file():
            raise PipelineError(f"{path}: metrics file not found (stage '{name}' has not run)")
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise PipelineError(f"{path}: not valid json ({exc.msg} at line {exc.lineno})") from None
        block = data.get("headline", data) if isinstance(data, dict) else data
        metrics[name] = numbers_only(block)
    return metrics


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if not args or "=" in args[0]:
        raise PipelineError("report: usage: OUT NAME=PATH [NAME=PATH ...]")
    out, named = Path(args[0]), {}
    for arg in args[1:]:
        name, sep, path = arg.partition("=")
        if not sep or not name or not path:
            raise PipelineError(f"report: argument '{arg}' is not NAME=PATH")
        named[name] = Path(path)
    if not named:
        raise PipelineError("report: no metrics files given (NAME=PATH ...)")
    write_json(out, gather(named))
    print(f"wrote {out} from {len(named)} stage(s)")


if __name__ == "__main__":
    run_stage(main)
