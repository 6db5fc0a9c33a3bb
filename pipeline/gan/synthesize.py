"""Stage synthesize: fill each class up to its rebalance target with images from its DCGAN.

For every class in --targets, generates (target - count) images with <--models>/<class>/generator.keras
(the train_gan@<class> outs) and writes them to --out: training
split only, synthetic=True, ids synth/<class>/<n>, same classes and AU codes as the balanced
dataset (AU labels unknown). --summary says how many of each were made.
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

    from pathlib import Path

    from pipeline.core.dataset import FaceDataset
    from pipeline.core.errors import PipelineError
    from pipeline.core.outputs import write_json
    from pipeline.core.params import load
    from pipeline.gan.saved_models import check_trained_on, load_generator
    from pipeline.gan.synthesis import read_targets, synthesize, synthetic_counts

    cfg = load(SynthesizeKeys, "synthesize")
    balanced = FaceDataset.load(args.balanced)
    targets = read_targets(args.targets)
    need = synthetic_counts(targets, balanced.classes, args.targets)
    folders = {name: Path(args.models) / name for name in balanced.classes}

    def generator_for(name):
        path = folders[name] / "generator.keras"
        if not path.is_file():
            raise PipelineError(f"{path}: no generator for class '{name}', which {args.targets} asks "
                                f"{need[name]} images of (add it to gan.classes)")
        check_trained_on(folders[name], balanced.source)
        return load_generator(folders[name])

    synthetic = synthesize(balanced, need, generator_for, seed=cfg.seed, batch=cfg.batch,
                           where=folders, balanced_path=args.balanced)
    synthetic.save(args.out)
    made = synthetic.class_counts()
    write_json(args.summary, {
        "stage": "synthesize", "dataset": balanced.source,
        "protocol": "per-class DCGAN samples filling rebalance targets (training split only)",
        "synthetic_images": len(synthetic), "per_class": made,
        "targets": targets["targets"], "real_counts": targets["counts"],
    })
    print(f"synthesize: {len(synthetic)} synthetic training images -> {args.out} "
          + ", ".join(f"{c}={n}" for c, n in made.items() if n))


if __name__ == "__main__":
    run_stage(main)
