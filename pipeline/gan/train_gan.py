"""Stage train_gan@<dataset>-<class>: one DCGAN (paper 000: PixelNorm + LeakyReLU, 48x48) per class.

Reads the real training rows of that class from --dataset (gan.by_dataset.<its source> replaces
gan.epochs, gan.batch_size and gan.min_steps when listed; a class too small for min_steps steps in
gan.epochs trains more epochs) and writes --models
({generator,discriminator}.keras + training.json), the same card at --card, the final sample grid
at --samples, and per-epoch losses and sample grids through dvclive into --live. A backup under
--checkpoints (not a DVC output, so `dvc repro` does not wipe it) lets a killed run resume; it is
removed once the models are written.
"""

import argparse
import time

from pipeline.core.cli import run_stage
from pipeline.core.distribute import DistributeKeys
from pipeline.gan.config import TrainGANKeys
from pipeline.gan.saved_models import add_training_outputs

# not gan.runs: adding a run trains only that run
PARAMS = {"gan": TrainGANKeys, "distribute": DistributeKeys}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("emotion", help="class name (the class of a gan.runs entry)")
    parser.add_argument("--dataset", required=True, help="balanced dataset (.npz)")
    add_training_outputs(parser)
    args = parser.parse_args(argv)

    from pipeline.core.dataset import FaceDataset
    from pipeline.core.params import load
    from pipeline.gan.config import gan_config, load_gan
    from pipeline.gan.saved_models import publish, run_card
    from pipeline.gan.train_lib import train_dcgan
    from pipeline.gan.training_data import class_seed, class_training_images

    dataset = FaceDataset.load(args.dataset)
    cfg = load_gan(TrainGANKeys, "gan").for_dataset(dataset.source)
    images = class_training_images(dataset, args.emotion, args.dataset)
    n_used = min(len(images), cfg.max_images or len(images))
    cfg = cfg.model_copy(update={"seed": class_seed(cfg.seed, args.emotion),
                                 "epochs": cfg.epochs_for(n_used)})
    what = f"train_gan@{dataset.source}-{args.emotion}"
    print(f"{what}: {len(images)} real training images from {args.dataset} ({dataset.source}), "
          f"{cfg.epochs} epochs, batch {cfg.batch_size}, {cfg.precision}")

    t0 = time.time()
    strategy = load(DistributeKeys, "distribute").strategy
    result = train_dcgan(images, cfg, args.checkpoints, args.live, what, strategy=strategy)
    card = {
        "stage": "train_gan", "class": args.emotion, "dataset": dataset.source, "data": args.dataset,
        "protocol": ("DCGAN paper (Ghanim & Abdulmunem: PixelNorm + LeakyReLU) trained on the real "
                     "training rows of one class"),
        "config": gan_config(cfg), "min_steps": cfg.min_steps,
        **run_card(result),
    }
    publish(result, args, card, result.gan.generator, cfg.seed, cfg.latent_dim)
    print(f"{what}: done in {time.time() - t0:.0f} s -> {args.models}, {args.card}")


if __name__ == "__main__":
    run_stage(main)
