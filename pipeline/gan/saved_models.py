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


TRAINING_OUTPUTS = (("--models", "folder for the .keras models + training.json"),
                    ("--card", "training card (.json) for the reports"),
                    ("--samples", "final sample grid (.png)"),
                    ("--live", "dvclive folder (per-epoch losses, sample grids)"),
                    ("--checkpoints", "backup root of resumable runs"))


def add_training_outputs(parser) -> None:
    """The outputs every GAN training stage names on its command line."""
    for flag, help_text in TRAINING_OUTPUTS:
        parser.add_argument(flag, required=True, help=help_text)


def run_card(result) -> dict:
    """What every GAN training card says about the run itself (work, time, resume, last epoch)."""
    return {
        "images": result.images, "batch_size": result.batch_size, "epochs": result.epochs_done,
        "resumed_from_epoch": result.resumed_from,
        "train_seconds_this_process": round(result.seconds, 1),
        "train_seconds_total": result.seconds_total,
        "images_per_second": round(result.images * (result.epochs_done - result.resumed_from)
                                   / max(result.seconds, 1e-9), 1),
        "final_epoch": result.final,
        "precision": result.precision,
    }


def publish(result, args, card: dict, sampler, seed: int, latent_dim: int) -> None:
    """Sample grid, models and card of a finished run; then its backup is spent."""
    from pipeline.gan.samples import grid_latents, sample_grid, save_png

    save_png(args.samples, sample_grid(sampler, grid_latents(seed, latent_dim)))
    save_models(result.gan, args.models, card)
    write_card(args.card, card)
    result.checkpoint.finish()
