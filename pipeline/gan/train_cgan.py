"""Stage train_cgan@<dataset>: one class-conditional GAN over every class of a dataset (gan.cgan_datasets).

The per-class DCGANs' network, options and budget (`gan` section: the same epochs over the same
images cost the same as the seven per-class runs together), with a class embedding in G and a
projection discriminator (pipeline.gan.conditional). Reads the real training rows of every class
of --dataset that has some (CK+48: no neutral); writes --models (generator.keras taking [z, class],
discriminator.keras, training.json), the same card at --card, the final grid (one class per row) at
--samples, and per-epoch losses and grids through dvclive into --live. Resumes from --checkpoints
like train_gan.
"""

import argparse
import time

from pipeline.core.cli import run_stage
from pipeline.core.distribute import DistributeKeys
from pipeline.gan.config import CGANKeys
from pipeline.gan.saved_models import add_training_outputs

PARAMS = {"gan": CGANKeys, "distribute": DistributeKeys}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True, help="balanced dataset (.npz)")
    add_training_outputs(parser)
    args = parser.parse_args(argv)

    from pipeline.core.dataset import FaceDataset
    from pipeline.core.errors import PipelineError
    from pipeline.core.params import load
    from pipeline.gan.conditional import make_cgan
    from pipeline.gan.config import cgan_config, load_gan
    from pipeline.gan.saved_models import publish, run_card
    from pipeline.gan.train_lib import train_dcgan
    from pipeline.gan.training_data import conditional_training_images

    dataset = FaceDataset.load(args.dataset)
    cfg = load_gan(CGANKeys, "gan").for_dataset(dataset.source)
    real_train = (dataset.split == "train") & ~dataset.synthetic
    classes = [c for i, c in enumerate(dataset.classes) if (real_train & (dataset.labels == i)).any()]
    if not classes:
        raise PipelineError(f"{args.dataset}: no real training rows for train_cgan")
    images, labels, counts = conditional_training_images(dataset, classes, cfg.max_images, cfg.seed,
                                                         args.dataset)
    cfg = cfg.model_copy(update={"epochs": cfg.epochs_for(len(images))})
    trained = [dataset.classes.index(c) for c in classes]
    what = f"train_cgan@{dataset.source}"
    print(f"{what}: {len(images)} real training images of {len(classes)} classes from {args.dataset} "
          f"({dataset.source}), {cfg.epochs} epochs, batch {cfg.batch_size}, {cfg.precision}")

    t0 = time.time()
    strategy = load(DistributeKeys, "distribute").strategy
    result = train_dcgan(images, cfg, args.checkpoints, args.live, what, labels=labels,
                         build=lambda c: make_cgan(c, len(dataset.classes), trained),
                         config=cgan_config(cfg, classes),
                         strategy=strategy)
    card = {
        "stage": "train_cgan", "dataset": dataset.source, "data": args.dataset,
        "protocol": ("class-conditional DCGAN (class embedding in G, projection discriminator) "
                     "trained on the real training rows of every class at once"),
        "classes": list(dataset.classes), "trained_classes": list(classes), "per_class_images": counts,
        "config": cgan_config(cfg, classes),
        **run_card(result),
    }
    publish(result, args, card, result.gan.grid_sampler(64), cfg.seed, cfg.latent_dim)
    print(f"{what}: done in {time.time() - t0:.0f} s -> {args.models}, {args.card}")


if __name__ == "__main__":
    run_stage(main)
