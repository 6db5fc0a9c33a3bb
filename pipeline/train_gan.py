"""Stage train_gan@<class>: one DCGAN (paper 000: PixelNorm + LeakyReLU, 48x48) per emotion class.

Reads the real training rows of that class from data/balanced/dataset.npz and writes
models/gan/<class>/{generator,discriminator}.keras + training.json and reports/gan/<class>/
(loss_history.csv, loss_curve.png, samples.png, samples/epoch_*.png, training.json).
A checkpoint in checkpoints/gan/<class>/ (not a DVC output, so `dvc repro` does not wipe it)
lets a killed run resume; it is removed once the models are written.
"""

import argparse
import json
import shutil
import time
from pathlib import Path

from pipeline.core.cli import run_stage
from pipeline.core.dataset import FaceDataset
from pipeline.core.errors import PipelineError
from pipeline.core.outputs import write_text
from pipeline.core.params import section

DATASET = Path("data/balanced/dataset.npz")
MODELS = Path("models/gan")
REPORTS = Path("reports/gan")
WORK = Path("checkpoints/gan")


def class_training_images(dataset: FaceDataset, name: str, path: Path | str = DATASET):
    """Real (non-synthetic) training images of one class; unknown class -> PipelineError."""
    if name not in dataset.classes:
        raise PipelineError(f"{path}: unknown class '{name}' for train_gan "
                            f"(dataset classes: {', '.join(dataset.classes)}; check gan.classes)")
    label = dataset.classes.index(name)
    mask = (dataset.split == "train") & (dataset.labels == label) & ~dataset.synthetic
    if not mask.any():
        raise PipelineError(f"{path}: class '{name}' has no real training images")
    return dataset.images[mask]


def class_seed(seed: int, name: str) -> int:
    """A per-class seed, stable across runs (so classes differ but each run repeats)."""
    import zlib

    return (int(seed) * 1000003 + zlib.crc32(name.encode())) % (2 ** 31)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("emotion", help="class name (one of params gan.classes)")
    args = parser.parse_args(argv)

    from pipeline.core.gan import GANConfig, save_models, train_dcgan, write_training_reports

    params = section("gan")
    if args.emotion not in params.get("classes", []):
        raise PipelineError(f"params.yaml: gan.classes has no class '{args.emotion}'")
    cfg = GANConfig.from_params(params, "gan")
    cfg.seed = class_seed(cfg.seed, args.emotion)
    dataset = FaceDataset.load(DATASET)
    images = class_training_images(dataset, args.emotion)
    what = f"train_gan@{args.emotion}"
    print(f"{what}: {len(images)} real training images from {DATASET} ({dataset.source}), "
          f"{cfg.epochs} epochs, batch {cfg.batch_size}, {cfg.precision}")

    t0 = time.time()
    result = train_dcgan(images, cfg, WORK / args.emotion, what)
    card = {
        "stage": "train_gan", "class": args.emotion, "dataset": dataset.source, "data": str(DATASET),
        "protocol": "paper-000 DCGAN (PixelNorm + LeakyReLU) trained on the real training rows of one class",
        "images": result.images, "batch_size": result.batch_size, "epochs": result.epochs_done,
        "resumed_from_epoch": result.resumed_from,
        "train_seconds_this_process": round(result.seconds, 1),
        "train_seconds_total": result.history[-1]["seconds"] if result.history else 0.0,
        "images_per_second": round(result.images * (result.epochs_done - result.resumed_from)
                                   / max(result.seconds, 1e-9), 1),
        "config": {**cfg.__dict__, "g_widths": list(cfg.g_widths), "d_widths": list(cfg.d_widths)},
    }
    final = write_training_reports(result, REPORTS / args.emotion, f"{dataset.source} {args.emotion}")
    card["final_epoch"] = final
    save_models(result, MODELS / args.emotion, card)
    write_text(REPORTS / args.emotion / "training.json", json.dumps(card, indent=2, default=str) + "\n")
    shutil.rmtree(WORK / args.emotion, ignore_errors=True)  # finished: the checkpoint is spent
    print(f"{what}: done in {time.time() - t0:.0f} s -> {MODELS / args.emotion}, {REPORTS / args.emotion}")


if __name__ == "__main__":
    run_stage(main)
