"""Training logs through dvclive: per-epoch metrics and images where `dvc exp show`/`dvc plots` read them.

Each training stage logs into `<report dir>/live/` (`metrics.json`, `plots/metrics/*.tsv`,
`plots/images/*.png`), declared in dvc.yaml with `persist: true` so a resumed run appends to the
epochs it already logged; a fresh run (no backup to resume) starts the log anew.
"""

from pathlib import Path


def open_live(directory: Path | str, resume: bool):
    """A dvclive Live that never edits dvc.yaml or makes experiments of its own (DVC runs the stage)."""
    from dvclive import Live

    return Live(str(directory), resume=resume, dvcyaml=None, save_dvc_exp=False, report=None)


def keras_callback(live):
    """Logs every epoch's Keras logs (losses, metrics) as one dvclive step."""
    from dvclive.keras import DVCLiveCallback

    return DVCLiveCallback(live=live)
