"""Stage train_feature_gan: one unconditional 64x64 Radford DCGAN (paper 002) over a whole dataset.

Its discriminator is the SVM stages' feature extractor: <--models>/discriminator.keras, conv layers
d_conv1..d_conv4, the last one 4x4x512 = 8192 features at 64x64. Reads <--cropped>/<source>.npz
(48x48 crops are upsampled to 64 with OpenCV), labels unused; logs like train_gan (--live).
"""

import argparse

from pipeline.core.cli import run_stage
from pipeline.core.distribute import DistributeKeys
from pipeline.gan.config import FeatureGANKeys, PrimaryKeys
from pipeline.gan.saved_models import add_training_outputs

PARAMS = {"feature_gan": FeatureGANKeys, "data": PrimaryKeys, "distribute": DistributeKeys}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cropped", required=True, help="folder of cropped datasets (<source>.npz)")
    add_training_outputs(parser)
    args = parser.parse_args(argv)

    import numpy as np

    from pipeline.core.params import load
    from pipeline.gan.config import gan_config, load_gan
    from pipeline.gan.saved_models import publish, run_card
    from pipeline.gan.train_lib import train_dcgan
    from pipeline.gan.training_data import feature_gan_sources, load_feature_images

    cfg = load_gan(FeatureGANKeys, "feature_gan")
    sources = feature_gan_sources(cfg.dataset, load(PrimaryKeys, "data").datasets, args.cropped)
    images, counts = load_feature_images(sources, cfg.splits, args.cropped)
    name = "+".join(sources)
    what = "train_feature_gan"
    print(f"{what}: {len(images)} images from {name} {list(cfg.splits)} at {images.shape[1]}px -> "
          f"{cfg.image_size}px {cfg.variant}, {cfg.epochs} epochs, batch {cfg.batch_size}")
    strategy = load(DistributeKeys, "distribute").strategy
    result = train_dcgan(images, cfg, args.checkpoints, args.live, what, strategy=strategy)
    d_conv4 = result.gan.discriminator.get_layer("d_conv4")
    card = {
        "stage": "train_feature_gan", "dataset": name, "sources": counts, "splits": list(cfg.splits),
        "protocol": ("unconditional Radford DCGAN (SVM paper, Alharbawee & Pugeault), labels unused; "
                     "features = d_act4 (after d_conv4)"),
        "feature_layer": "d_conv4", "features": int(np.prod(d_conv4.output.shape[1:])),
        "config": gan_config(cfg),
        **run_card(result),
    }
    publish(result, args, card, result.gan.generator, cfg.seed, cfg.latent_dim)
    print(f"{what}: done -> {args.models}/discriminator.keras ({card['features']} features at d_conv4)")


if __name__ == "__main__":
    run_stage(main)
