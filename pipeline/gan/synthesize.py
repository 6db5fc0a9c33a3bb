"""Stage synthesize: fill each class up to its rebalance target with generated faces.

For every class in --targets, generates (target - count) images with the generator of
`synthesize.generator` in --models: per_class = <models>/<class>/generator.keras (the
train_gan@<class> outs, models/gan), conditional = train_cgan's one model (models/cgan) fixed to
the class. Writes them to --out: training split only, synthetic=True, ids synth/<class>/<n>, same
classes and AU codes as the balanced dataset (AU labels unknown). --summary says how many of
each were made, and by which generator.
"""

import argparse

from pipeline.core.cli import run_stage
from pipeline.gan.config import SynthesizeKeys

PARAMS = {"synthesize": SynthesizeKeys}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--balanced", required=True, help="balanced dataset (.npz)")
    parser.add_argument("--targets", required=True, help="rebalance targets (.json)")
    parser.add_argument("--models", required=True, help="folder of trained GANs, <models>/<class>/")
    parser.add_argument("--out", required=True, help="synthetic dataset (.npz)")
    parser.add_argument("--summary", required=True, help="summary (.json)")
    args = parser.parse_args(argv)

    from pipeline.core.dataset import FaceDataset
    from pipeline.core.errors import PipelineError
    from pipeline.core.outputs import write_json
    from pipeline.core.params import load
    from pipeline.gan.generator_sets import GeneratorSet
    from pipeline.gan.synthesis import read_targets, synthesize, synthetic_counts

    cfg = load(SynthesizeKeys, "synthesize")
    balanced = FaceDataset.load(args.balanced)
    targets = read_targets(args.targets)
    need = synthetic_counts(targets, balanced.classes, args.targets)
    generators = GeneratorSet(args.models, cfg.generator, balanced.classes, balanced.source, "synthesize")
    folders = {name: generators.where(name) for name in balanced.classes}

    def generator_for(name):
        if not generators.has(name):
            what = "generator.keras" if cfg.generator == "per_class" else "training.json"
            raise PipelineError(f"{folders[name]}/{what}: no generator for class '{name}', which "
                                f"{args.targets} asks {need[name]} images of (add it to gan.classes)")
        return generators.load(name)

    synthetic = synthesize(balanced, need, generator_for, seed=cfg.seed, batch=cfg.batch,
                           where=folders, balanced_path=args.balanced)
    synthetic.save(args.out)
    made = synthetic.class_counts()
    write_json(args.summary, {
        "stage": "synthesize", "dataset": balanced.source,
        "protocol": (f"{'per-class DCGAN' if cfg.generator == 'per_class' else 'class-conditional GAN'} "
                     "samples filling rebalance targets (training split only)"),
        "generator": cfg.generator, "models": args.models,
        "synthetic_images": len(synthetic), "per_class": made,
        "targets": targets["targets"], "real_counts": targets["counts"],
    })
    print(f"synthesize: {len(synthetic)} synthetic training images -> {args.out} "
          + ", ".join(f"{c}={n}" for c, n in made.items() if n))


if __name__ == "__main__":
    run_stage(main)
