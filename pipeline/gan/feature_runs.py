"""One run of train_feature_gan@<run>: its data (or a skipped card), its random-init twin, its card.

Each entry of `feature_gan.runs` (name -> dataset, splits, epochs, max_images) is one DVC stage
instance. A run whose `<cropped>/<dataset>.npz` is absent (FER-2013 on the demo data) writes a
`{"skipped": reason}` card and no model, so `dvc repro` works on any subset of the datasets and
the SVM stages skip the experiments of that discriminator. Beside the trained
`discriminator.keras` every run saves `discriminator_init.keras`: the same architecture built
from the same seed, never trained (the SVM paper's random-features control).
"""

from pathlib import Path

from pipeline.core.outputs import atomic_path, write_json

from .saved_models import write_card

INIT_FILE = "discriminator_init.keras"


def skip_reason(cropped: Path | str, dataset: str) -> str | None:
    """Why a run cannot train (its cropped source is absent), or None."""
    path = Path(cropped) / f"{dataset}.npz"
    return None if path.is_file() else f"{path} not found (dataset not built here)"


def write_skipped(run: str, dataset: str, reason: str, models: Path | str, card: Path | str,
                  live: Path | str) -> dict:
    """The card of a run that did not train: in the model folder, the report card and the live folder."""
    body = {"stage": "train_feature_gan", "run": run, "dataset": dataset, "skipped": reason}
    write_card(Path(models) / "training.json", body)
    write_card(card, body)
    write_json(Path(live) / "skipped.json", body)
    return body


def save_random_init(cfg, models: Path | str) -> Path:
    """discriminator_init.keras: D of `cfg` built from cfg.seed exactly as training starts, untrained."""
    import keras

    from .networks import make_dcgan

    keras.utils.set_random_seed(cfg.seed)
    d = make_dcgan(cfg).discriminator
    path = Path(models) / INIT_FILE
    with atomic_path(path) as tmp:
        d.save(tmp)
    return path
