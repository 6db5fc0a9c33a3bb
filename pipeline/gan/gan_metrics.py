"""Stage gan_metrics: how good are the GANs? FID, KID, precision/recall, domain IS/FID, GAN-train/-test.

Scores the generators of `gan_metrics.generator` in --models (per_class: <models>/<class>/, the
train_gan@<class> outs; conditional: train_cgan's one model) for every class of --balanced they
cover. Per class `samples_per_class` fakes, then per class and pooled:
- Inception-v3 pool3 FID, unbiased KID and improved precision/recall (Kynkaanniemi et al. 2019)
  against --real-stats (stage real_stats: the real training rows' features, computed once);
  per-class FID only for classes with >= `per_class_fid_min` real images, KID for all;
- the same on real held-out vs real train: the real-vs-real floor, through the same code path;
- domain FID/KID/IS and precision/recall in the feature space of a small FER CNN trained here on
  the real training rows (its 128-d penultimate layer and softmax);
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
    parser.add_argument("--models", required=True,
                        help="GANs: <models>/<class>/ (per_class) or train_cgan's folder (conditional)")
    parser.add_argument("--real-stats", required=True, help="real Inception statistics (.npz, real_stats)")
    parser.add_argument("--metrics", required=True, help="metrics (.json)")
    parser.add_argument("--table", required=True, help="Table 1 (.md)")
    args = parser.parse_args(argv)

    from pipeline.core.dataset import FaceDataset
    from pipeline.core.errors import PipelineError
    from pipeline.core.outputs import write_json, write_text
    from pipeline.core.params import load
    from pipeline.gan.gan_table import table1
    from pipeline.gan.generator_sets import GeneratorSet
    from pipeline.gan.quality import evaluate
    from pipeline.gan.real_faces import load_real_stats

    cfg = load(GANMetricsKeys, "gan_metrics")
    ds = FaceDataset.load(args.balanced)
    generators = GeneratorSet(args.models, cfg.generator, ds.classes, ds.source, "gan_metrics")
    classes = generators.available
    if not classes:
        raise PipelineError(f"{args.models}: no trained generators (run train_gan first)")
    real = load_real_stats(args.real_stats, ds)
    metrics = evaluate(ds, classes, {c: generators.load(c) for c in classes}, generators.cards(), cfg, real,
                       cfg.generator)
    write_json(args.metrics, metrics)
    write_text(args.table, table1(metrics))
    print(f"gan_metrics: done in {metrics['seconds']:.0f} s -> {args.metrics}, {args.table}")


if __name__ == "__main__":
    run_stage(main)
