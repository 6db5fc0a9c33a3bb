"""One error type for every bad input, so each stage can report it as a single line."""


class PipelineError(Exception):
    """A user-facing problem with an input (missing file, bad CSV, unknown class...).

    The message must name the offending file or param and say what is wrong, on one line.
    """
