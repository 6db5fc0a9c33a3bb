"""Stage gan_metrics: how good are the per-class DCGANs? FID, KID, domain IS/FID, GAN-train/GAN-test.

For each class of --balanced with a generator in <--models>/<class>/ (the train_gan@<class> outs),
draws `samples_per_class` fakes and up to as many real training and real test images, then per
class and pooled:
- Inception-v3 pool3 FID and unbiased KID (optional `fid` extra; skipped with a message otherwise),
- the same on real train vs real test: the real-vs-real floor, through the same code path,
- domain FID/KID/IS in the feature space of a small FER CNN trained here on the real training
  rows (its 128-d penultimate layer and softmax),
- GAN-test (real-trained CNN on fakes) and GAN-train (CNN trained on fakes, tested on real test).
Writes --metrics and --table (paper 000's Table 1 beside this run).
"""

import argparse

from pipeline.core.cli import run_stage
from pipeline.gan.config import GANMetricsKeys

PARAMS = {"gan_metrics": GANMetricsKeys}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--balanced", required=True, help="balanced dataset (.npz)")
    parser.add_argument("--models", required=True, help="folder of trained GANs, <models>/<class>/")
    parser.add_argument("--metrics", required=True, help="metrics (.json)")
    parser.add_argument("--table", required=True, help="Table 1 (.md)")
    args = parser.parse_args(argv)

    from pathlib import Path

    from pipeline.core.dataset import FaceDataset
    from pipeline.core.errors import PipelineError
    from pipeline.core.outputs import write_json, write_text
    from pipeline.core.params import load
    from pipeline.gan.gan_table import table1
    from pipeline.gan.quality import evaluate
    from pipeline.gan.saved_models import check_trained_on, load_generator

    cfg = load(GANMetricsKeys, "gan_metrics")
    ds = FaceDataset.load(args.balanced)
    folders = {c: Path(args.models) / c for c in ds.classes}
    classes = [c for c in ds.classes if (folders[c] / "generator.keras").is_file()]
    if not classes:
        raise PipelineError(f"{args.models}: no trained generators (run train_gan first)")
    cards = {c: check_trained_on(folders[c], ds.source) for c in classes}
    generators = {c: load_generator(folders[c]) for c in classes}
    metrics = evaluate(ds, classes, generators, cards, cfg)
    write_json(args.metrics, metrics)
    write_text(args.table, table1(metrics))
    print(f"gan_metrics: done in {metrics['seconds']:.0f} s -> {args.metrics}, {args.table}")


if __name__ == "__main__":
    run_stage(main)
