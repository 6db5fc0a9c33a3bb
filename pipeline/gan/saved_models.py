"""A finished GAN on disk: generator.keras, discriminator.keras and training.json (its model card)."""

import json
from pathlib import Path

from pipeline.core.errors import PipelineError
from pipeline.core.outputs import atomic_path, write_text


def save_models(gan, model_dir: Path | str, card: dict) -> None:
    """generator.keras, discriminator.keras and training.json (what was trained, how long).

    generator.keras is the model's `sampler` (G's weight average when `gan.ema` > 0), what
    synthesize and gan_metrics load; the trained G itself is then generator_raw.keras.
    """
    model_dir = Path(model_dir)
    models = [("generator", gan.sampler), ("discriminator", gan.discriminator)]
    if gan.sampler is not gan.generator:
        models.append(("generator_raw", gan.generator))
    for name, model in models:
        with atomic_path(model_dir / f"{name}.keras") as tmp:
            model.save(tmp)
    write_card(model_dir / "training.json", card)


def write_card(path: Path | str, card: dict) -> None:
    write_text(path, json.dumps(card, indent=2, default=str) + "\n")


def check_trained_on(model_dir: Path | str, source: str) -> dict:
    """The model card of a trained GAN; fails when it was trained on another dataset than `source`."""
    card_path = Path(model_dir) / "training.json"
    try:
        card = json.loads(card_path.read_text())
    except (OSError, ValueError):
        raise PipelineError(f"{card_path}: missing or unreadable (rerun train_gan)") from None
    if card.get("dataset") != source:
        raise PipelineError(f"{card_path}: generator was trained on '{card.get('dataset')}' but the "
                            f"balanced dataset is '{source}' (retrain it: train_gan)")
    return card


def load_generator(model_dir: Path | str):
    """<model_dir>/generator.keras (PixelNorm registered by importing the networks)."""
    import keras

    from . import networks  # noqa: F401  registers PixelNorm for loading

    return keras.saving.load_model(Path(model_dir) / "generator.keras", compile=False)
