"""Stage train_gan@<class>: one DCGAN (paper 000: PixelNorm + LeakyReLU, 48x48) per emotion class.

Reads the real training rows of that class from --dataset and writes --models
({generator,discriminator}.keras + training.json), the same card at --card, the final sample grid
at --samples, and per-epoch losses and sample grids through dvclive into --live. A backup under
--checkpoints (not a DVC output, so `dvc repro` does not wipe it) lets a killed run resume; it is
removed once the models are written.
"""

import argparse
import time

from pipeline.core.cli import run_stage
from pipeline.core.distribute import DistributeKeys
from pipeline.gan.config import GANKeys

# not gan.classes: adding a class trains only that class
PARAMS = {"gan": GANKeys, "distribute": DistributeKeys}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("emotion", help="class name (one of params gan.classes)")
    parser.add_argument("--dataset", required=True, help="balanced dataset (.npz)")
    parser.add_argument("--models", required=True, help="folder for the .keras models + training.json")
    parser.add_argument("--card", required=True, help="training card (.json) for the reports")
    parser.add_argument("--samples", required=True, help="final sample grid (.png)")
    parser.add_argument("--live", required=True, help="dvclive folder (per-epoch losses, sample grids)")
    parser.add_argument("--checkpoints", required=True, help="backup root of resumable runs")
    args = parser.parse_args(argv)

    from pipeline.core.dataset import FaceDataset
    from pipeline.core.params import load
    from pipeline.gan.config import gan_config, load_gan
    from pipeline.gan.samples import grid_latents, sample_grid, save_png
    from pipeline.gan.saved_models import save_models, write_card
    from pipeline.gan.train_lib import train_dcgan
    from pipeline.gan.training_data import class_seed, class_training_images

    cfg = load_gan(GANKeys, "gan")
    cfg = cfg.model_copy(update={"seed": class_seed(cfg.seed, args.emotion)})
    dataset = FaceDataset.load(args.dataset)
    images = class_training_images(dataset, args.emotion, args.dataset)
    what = f"train_gan@{args.emotion}"
    print(f"{what}: {len(images)} real training images from {args.dataset} ({dataset.source}), "
          f"{cfg.epochs} epochs, batch {cfg.batch_size}, {cfg.precision}")

    t0 = time.time()
    strategy = load(DistributeKeys, "distribute").strategy
    result = train_dcgan(images, cfg, args.checkpoints, args.live, what, strategy=strategy)
    card = {
        "stage": "train_gan", "class": args.emotion, "dataset": dataset.source, "data": args.dataset,
        "protocol": "paper-000 DCGAN (PixelNorm + LeakyReLU) trained on the real training rows of one class",
        "images": result.images, "batch_size": result.batch_size, "epochs": result.epochs_done,
        "resumed_from_epoch": result.resumed_from,
        "train_seconds_this_process": round(result.seconds, 1),
        "train_seconds_total": result.seconds_total,
        "images_per_second": round(result.images * (result.epochs_done - result.resumed_from)
                                   / max(result.seconds, 1e-9), 1),
        "config": gan_config(cfg),
        "final_epoch": result.final,
    }
    save_png(args.samples, sample_grid(result.gan.generator, grid_latents(cfg.seed, cfg.latent_dim)))
    save_models(result.gan, args.models, card)
    write_card(args.card, card)
    result.checkpoint.finish()  # finished: the backup is spent
    print(f"{what}: done in {time.time() - t0:.0f} s -> {args.models}, {args.card}")


if __name__ == "__main__":
    run_stage(main)
