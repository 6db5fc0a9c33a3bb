"""Stage train_gan_ablation@<variant>: one variant of the GAN ablation, a DCGAN per gan_ablation.classes.

The variant's entry of gan_ablation.variants comes on the command line (dvc.yaml unpacks it: only the
options it turns on; the rest stay the DCGAN paper's reference). Networks, batch, learning rates and
precision are gan.*'s (the main GANs'), the data and budget gan_ablation's: dataset, classes, epochs,
max_images, so every variant trains on the same images for the same number of steps. Writes per class
<--models>/<class>/ (generator/discriminator + training.json, as train_gan does) and <--reports>/<class>/
(training.json, samples.png, dvclive log). A killed run resumes: each class keeps its backup under
<--checkpoints>/<class>/ until every class is done, so a finished class is not trained again.
A `conditional: true` variant trains instead one class-conditional GAN (train_cgan's model: class
embedding in G, projection D) on the same capped images of all the classes at once, for the same
epochs (so the same image passes and steps), into <--models>/ and <--reports>/.
"""

import argparse
import time

from pipeline.core.cli import run_stage
from pipeline.core.distribute import DistributeKeys
from pipeline.gan.config import AblationBudgetKeys, AblationGANKeys

# not gan.diffaugment/ema/d_reg/r1_gamma/loss (the variant sets them) nor gan.epochs/max_images (budget here)
PARAMS = {"gan": AblationGANKeys, "gan_ablation": AblationBudgetKeys, "distribute": DistributeKeys}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", required=True, help="its name in gan_ablation.variants")
    parser.add_argument("--diffaugment", nargs="*", default=[], help="DiffAugment policies (default off)")
    parser.add_argument("--ema", default=0.0, help="EMA decay of G's weights (default 0: off)")
    parser.add_argument("--d_reg", default="none", help="none | spectral | r1")
    parser.add_argument("--r1_gamma", default=10.0, help="R1 weight (d_reg r1)")
    parser.add_argument("--loss", default="bce", help="bce | hinge")
    parser.add_argument("--conditional", action="store_true", help="one conditional GAN over the classes")
    parser.add_argument("--dataset", required=True, help="balanced dataset (.npz)")
    parser.add_argument("--models", required=True, help="folder of the variant's models (<class>/ each)")
    parser.add_argument("--reports", required=True, help="folder of the variant's cards, grids, logs")
    parser.add_argument("--checkpoints", required=True, help="backup root (<class>/ each)")
    args = parser.parse_args(argv)

    from pipeline.core.dataset import FaceDataset
    from pipeline.core.params import load, validate
    from pipeline.gan.config import GANOptions, load_gan

    what = f"train_gan_ablation@{args.variant}"
    options = validate(GANOptions, {"diffaugment": args.diffaugment, "ema": args.ema, "d_reg": args.d_reg,
                                    "r1_gamma": args.r1_gamma, "loss": args.loss,
                                    "conditional": args.conditional},
                       f"gan_ablation.variants.{args.variant}")
    budget = load(AblationBudgetKeys, "gan_ablation")
    arch = load_gan(AblationGANKeys, "gan")
    dataset = FaceDataset.load(args.dataset)
    strategy = load(DistributeKeys, "distribute").strategy
    t0 = time.time()
    train = train_conditional if options.conditional else train_per_class
    done = train(dataset, args, arch, options, budget, what, strategy)
    print(f"{what}: {done} in {time.time() - t0:.0f} s -> {args.models}, {args.reports}")


def run_config(arch, options, budget, seed: int):
    from pipeline.gan.config import AblationRunKeys

    return AblationRunKeys.model_validate({**arch.model_dump(), **options.model_dump(exclude={"conditional"}),
                                           "epochs": budget.epochs, "max_images": budget.max_images,
                                           "seed": seed})


def ablation_card(args, dataset, options, cfg, result, **extra) -> dict:
    from pipeline.gan.config import gan_config
    from pipeline.gan.saved_models import run_card

    return {"stage": "train_gan_ablation", "variant": args.variant, "dataset": dataset.source,
            "data": args.dataset, **extra,
            "protocol": "GAN ablation: the DCGAN paper's reference with this variant's options, "
                        "gan_ablation's shared budget",
            "options": options.model_dump(mode="json"), "config": gan_config(cfg), **run_card(result)}


def train_per_class(dataset, args, arch, options, budget, what, strategy) -> str:
    """One DCGAN per class; backups are removed only once every class is done."""
    from pathlib import Path

    from pipeline.gan.samples import grid_latents, sample_grid, save_png
    from pipeline.gan.saved_models import save_models, write_card
    from pipeline.gan.train_lib import train_dcgan
    from pipeline.gan.training_data import class_seed, class_training_images

    runs = []
    for name in budget.classes:
        images = class_training_images(dataset, name, args.dataset)
        cfg = run_config(arch, options, budget, class_seed(arch.seed, name))
        print(f"{what}: {name}: {min(len(images), cfg.max_images or len(images))} of {len(images)} real "
              f"training images ({dataset.source}), {cfg.epochs} epochs, batch {cfg.batch_size}, "
              f"{cfg.precision}")
        result = train_dcgan(images, cfg, Path(args.checkpoints) / name, Path(args.reports) / name / "live",
                             f"{what}-{name}", strategy=strategy)
        card = ablation_card(args, dataset, options, cfg, result, **{"class": name})
        save_png(Path(args.reports) / name / "samples.png",
                 sample_grid(result.gan.sampler, grid_latents(cfg.seed, cfg.latent_dim)))
        save_models(result.gan, Path(args.models) / name, card)
        write_card(Path(args.reports) / name / "training.json", card)
        runs.append(result)
    for result in runs:  # only now: a kill before here resumes every class from its backup
        result.checkpoint.finish()
    return f"{len(runs)} classes"


def train_conditional(dataset, args, arch, options, budget, what, strategy) -> str:
    """One conditional GAN over the classes, each capped as the per-class runs are (same image passes)."""
    from pathlib import Path

    from pipeline.gan.conditional import make_cgan
    from pipeline.gan.config import cgan_config
    from pipeline.gan.samples import grid_latents, sample_grid, save_png
    from pipeline.gan.saved_models import save_models, write_card
    from pipeline.gan.train_lib import train_dcgan
    from pipeline.gan.training_data import conditional_training_images

    cfg = run_config(arch, options, budget, arch.seed)
    images, labels, counts = conditional_training_images(dataset, budget.classes, budget.max_images, cfg.seed,
                                                         args.dataset)
    trained = [dataset.classes.index(c) for c in budget.classes]
    print(f"{what}: one conditional GAN on {len(images)} real training images of {', '.join(budget.classes)} "
          f"({dataset.source}), {cfg.epochs} epochs, batch {cfg.batch_size}, {cfg.precision}")
    result = train_dcgan(images, cfg, args.checkpoints, Path(args.reports) / "live", what, labels=labels,
                         build=lambda c: make_cgan(c, len(dataset.classes), trained),
                         config=cgan_config(cfg, budget.classes), strategy=strategy)
    card = ablation_card(args, dataset, options, cfg, result, classes=list(dataset.classes),
                         trained_classes=list(budget.classes), per_class_images=counts)
    save_png(Path(args.reports) / "samples.png",
             sample_grid(result.gan.grid_sampler(64), grid_latents(cfg.seed, cfg.latent_dim)))
    save_models(result.gan, args.models, card)
    write_card(Path(args.reports) / "training.json", card)
    result.checkpoint.finish()
    return f"1 conditional GAN over {len(budget.classes)} classes"


if __name__ == "__main__":
    run_stage(main)
