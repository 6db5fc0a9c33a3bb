"""Stage train_feature_gan: one unconditional 64x64 Radford DCGAN (paper 002) over a whole dataset.

Its discriminator is the SVM stages' feature extractor: models/feature_gan/discriminator.keras,
conv layers d_conv1..d_conv4, the last one 4x4x512 = 8192 features at 64x64. Reads
data/cropped/<source>.npz (48x48 crops are upsampled to 64 with OpenCV), labels unused.
"""

import argparse
import json
import shutil
from pathlib import Path

import numpy as np

from pipeline.core.cli import run_stage
from pipeline.core.dataset import FaceDataset, resolve_primary
from pipeline.core.errors import PipelineError
from pipeline.core.outputs import write_text
from pipeline.core.params import choice, section

CROPPED = Path("data/cropped")
MODELS = Path("models/feature_gan")
REPORTS = Path("reports/feature_gan")
WORK = Path("checkpoints/feature_gan")


def feature_gan_sources(dataset: str, data_params: dict, cropped: Path = CROPPED) -> list[str]:
    """Which cropped sources feed the feature GAN: fer2013 | ckplus | both | primary (data.primary)."""
    choice(dataset, ("fer2013", "ckplus", "both", "primary"), "feature_gan.dataset")
    if dataset == "both":
        return ["fer2013", "ckplus"]
    if dataset == "primary":
        return [resolve_primary(data_params, cropped).stem]
    return [dataset]


def load_feature_images(sources: list[str], splits, cropped: Path = CROPPED) -> tuple[np.ndarray, dict]:
    """uint8 images of the chosen splits of each source, and per-source counts."""
    parts, counts = [], {}
    for source in sources:
        path = cropped / f"{source}.npz"
        ds = FaceDataset.load(path)
        mask = np.isin(ds.split, list(splits)) & ~ds.synthetic
        if not mask.any():
            raise PipelineError(f"{path}: no rows in splits {list(splits)} (feature_gan.splits)")
        images = ds.images[mask]
        if parts and images.shape[1:] != parts[0].shape[1:]:
            import cv2

            side = parts[0].shape[1]
            images = np.stack([cv2.resize(im, (side, side), interpolation=cv2.INTER_AREA) for im in images])
        parts.append(images)
        counts[source] = int(mask.sum())
    return np.concatenate(parts), counts


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    from pipeline.core.gan import GANConfig, save_models, train_dcgan, write_training_reports

    params = section("feature_gan")
    cfg = GANConfig.from_params(params, "feature_gan")
    sources = feature_gan_sources(params.get("dataset", "primary"), section("data"))
    splits = params.get("splits", ["train"])
    images, counts = load_feature_images(sources, splits)
    name = "+".join(sources)
    what = "train_feature_gan"
    print(f"{what}: {len(images)} images from {name} {splits} at {images.shape[1]}px -> {cfg.image_size}px "
          f"{cfg.variant}, {cfg.epochs} epochs, batch {cfg.batch_size}")
    result = train_dcgan(images, cfg, WORK, what)
    card = {
        "stage": "train_feature_gan", "dataset": name, "sources": counts, "splits": list(splits),
        "protocol": "unconditional Radford DCGAN (paper 002), labels unused; features = d_act4 (after d_conv4)",
        "feature_layer": "d_conv4", "features": int(np.prod(result.gan.discriminator.get_layer("d_conv4").output.shape[1:])),
        "images": result.images, "batch_size": result.batch_size, "epochs": result.epochs_done,
        "resumed_from_epoch": result.resumed_from,
        "train_seconds_total": result.history[-1]["seconds"] if result.history else 0.0,
        "config": {**cfg.__dict__, "g_widths": list(cfg.g_widths), "d_widths": list(cfg.d_widths)},
    }
    card["final_epoch"] = write_training_reports(result, REPORTS, f"feature GAN ({name})")
    save_models(result, MODELS, card)
    write_text(REPORTS / "training.json", json.dumps(card, indent=2, default=str) + "\n")
    shutil.rmtree(WORK, ignore_errors=True)
    print(f"{what}: done -> {MODELS}/discriminator.keras ({card['features']} features at d_conv4)")


if __name__ == "__main__":
    run_stage(main)
