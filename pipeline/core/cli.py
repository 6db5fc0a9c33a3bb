"""Entry-point wrapper: bad input ends a stage with one clear line and a non-zero exit."""

import os
import sys

from .errors import PipelineError


def run_stage(main, argv=None) -> None:
    """Call `main(argv)`; turn PipelineError into `error: <message>` on stderr and exit 1."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        main(argv)
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("error: interrupted; outputs of this stage were not written", file=sys.stderr)
        sys.exit(130)
