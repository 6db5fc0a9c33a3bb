"""Entry-point wrapper: bad input ends a stage with one clear line and a non-zero exit."""

import os
import sys

from .errors import PipelineError
from .params import use_params_file


def run_stage(main, argv=None) -> None:
    """Call `main(argv)`; turn PipelineError into `error: <message>` on stderr and exit 1.

    `--params PATH` anywhere in argv reads that file instead of params.yaml (for scratch
    profiles run by hand; `dvc repro` always uses params.yaml).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    argv = list(sys.argv[1:] if argv is None else argv)
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
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("error: interrupted; outputs of this stage were not written", file=sys.stderr)
        sys.exit(130)
