"""Stage train_feature_gan@<run>: one unconditional 64x64 Radford DCGAN (paper 002) per feature_gan.runs.

Its discriminator is the SVM stages' feature extractor: <--models>/discriminator.keras, conv layers
d_conv1..d_conv4 (d_conv4 = 4x4x512 = 8192 features at 64x64), beside discriminator_init.keras
(the same network untrained). Reads the --splits rows of <--cropped>/<--dataset>.npz (48x48 crops
upsampled to 64 with OpenCV), labels unused; logs like train_gan (--live: losses, mean D(real),
mean D(fake) per epoch). dvc.yaml passes the run's entry of feature_gan.runs on the command line
(name, dataset, splits, epochs, max_images). An absent dataset writes a skipped card; a collapsed D
(feature_gan.collapse) fails the stage.
"""

import argparse

from pipeline.core.cli import run_stage
from pipeline.core.distribute import DistributeKeys
from pipeline.gan.config import FeatureGANKeys
from pipeline.gan.saved_models import add_training_outputs

PARAMS = {"feature_gan": FeatureGANKeys, "distribute": DistributeKeys}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="the run's name (its key in feature_gan.runs)")
    parser.add_argument("--dataset", required=True, help="cropped source <cropped>/<dataset>.npz")
    parser.add_argument("--splits", nargs="+", required=True, help="rows used (unlabelled)")
    parser.add_argument("--epochs", required=True)
    parser.add_argument("--max_images", required=True, help="cap on training images (0 = all)")
    parser.add_argument("--cropped", required=True, help="folder of cropped datasets (<source>.npz)")
    add_training_outputs(parser)
    args = parser.parse_args(argv)

    import numpy as np

    from pipeline.core.params import validate
    from pipeline.gan.config import FeatureRunParams, feature_run_config, load_gan
    from pipeline.gan.feature_runs import save_random_init, skip_reason, write_skipped

    what = f"train_feature_gan@{args.run}"
    run = validate(FeatureRunParams, {"dataset": args.dataset, "splits": args.splits, "epochs": args.epochs,
                                      "max_images": args.max_images}, f"feature_gan.runs.{args.run}")
    shared = load_gan(FeatureGANKeys, "feature_gan")
    reason = skip_reason(args.cropped, run.dataset)
    if reason:
        write_skipped(args.run, run.dataset, reason, args.models, args.card, args.live)
        print(f"{what}: skipped ({reason})")
        return

    from pipeline.core.params import load
    from pipeline.gan.config import gan_config
    from pipeline.gan.saved_models import publish, run_card
    from pipeline.gan.train_lib import train_dcgan
    from pipeline.gan.training_data import load_feature_images

    cfg = feature_run_config(shared, run)
    images, counts = load_feature_images([run.dataset], run.splits, args.cropped)
    print(f"{what}: {len(images)} images of {run.dataset} {list(run.splits)} at {images.shape[1]}px -> "
          f"{cfg.image_size}px {cfg.variant}, {cfg.epochs} epochs, batch {cfg.batch_size}")
    strategy = load(DistributeKeys, "distribute").strategy
    result = train_dcgan(images, cfg, args.checkpoints, args.live, what, strategy=strategy,
                         collapse=shared.collapse)
    d_conv4 = result.gan.discriminator.get_layer("d_conv4")
    card = {
        "stage": "train_feature_gan", "run": args.run, "dataset": run.dataset, "sources": counts,
        "splits": list(run.splits),
        "protocol": ("unconditional Radford DCGAN (SVM paper, Alharbawee & Pugeault), labels unused; "
                     "SVM features = the layers of svm.features.layers (d_conv4 = 8192 at 64x64)"),
        "feature_layer": "d_conv4", "features": int(np.prod(d_conv4.output.shape[1:])),
        "config": gan_config(cfg), "collapse_rule": shared.collapse.model_dump(),
        **run_card(result),
    }
    # the untrained twin in the precision training ran in (precision: auto resolves at train time)
    save_random_init(cfg.model_copy(update={"precision": result.precision["chosen"]}), args.models)
    publish(result, args, card, result.gan.generator, cfg.seed, cfg.latent_dim)
    print(f"{what}: done -> {args.models}/discriminator.keras ({card['features']} features at d_conv4)")


if __name__ == "__main__":
    run_stage(main)
