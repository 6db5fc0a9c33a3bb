"""Stage gan_ablation: score every variant of train_gan_ablation@<variant> and write the ablation table.

Reads <--models>/<variant>/<class>/ (a conditional variant: <--models>/<variant>/, one model) for each
variant in gan_ablation.variants (refusing models trained
with other options than params now name) and the real training faces of --balanced; writes --metrics
(per variant and class: Inception KID x 10^3, precision, recall, small-sample FID; training time) and
--table. Features are kept under --checkpoints (pieces per class and variant) so a killed run, or a
run after adding one variant, featurises only what it has not done.
"""

import argparse

from pipeline.core.cli import run_stage
from pipeline.gan.config import AblationScoreKeys

PARAMS = {"gan_ablation": AblationScoreKeys}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--balanced", required=True, help="balanced dataset the variants trained on (.npz)")
    parser.add_argument("--models", required=True, help="folder of the variants (<variant>/<class>/)")
    parser.add_argument("--metrics", required=True, help="metrics (.json)")
    parser.add_argument("--table", required=True, help="ablation table (.md)")
    parser.add_argument("--checkpoints", required=True, help="cached features (not a DVC output)")
    args = parser.parse_args(argv)

    import time
    from pathlib import Path

    from pipeline.core.dataset import FaceDataset
    from pipeline.core.errors import PipelineError
    from pipeline.core.outputs import write_json, write_text
    from pipeline.core.params import load
    from pipeline.gan import ablation
    from pipeline.gan.gan_table import variant_label
    from pipeline.gan.generator_sets import GeneratorSet
    from pipeline.gan.inception import InceptionFeatures, inception_available

    t0 = time.time()
    cfg = load(AblationScoreKeys, "gan_ablation")
    ds = FaceDataset.load(args.balanced)
    missing = [c for c in cfg.classes if c not in ds.classes]
    if missing:
        raise PipelineError(f"{args.balanced}: no class {', '.join(missing)} (gan_ablation.classes; "
                            f"the dataset has {', '.join(ds.classes)})")
    variants, cards = {}, {}
    for name, options in cfg.variants.items():
        kind = "conditional" if options.conditional else "per_class"
        generators = GeneratorSet(Path(args.models) / name, kind, ds.classes, ds.source, "gan_ablation")
        absent = [c for c in cfg.classes if not generators.has(c)]
        if absent:
            raise PipelineError(f"{generators.models}: no generator for {', '.join(absent)} "
                                f"(run train_gan_ablation@{name})")
        cards[name] = {c: card for c, card in generators.cards().items()
                       if c in cfg.classes or kind == "conditional"}
        ablation.check_variant_cards(cards[name], name, options.model_dump(mode="json"),
                                     str(generators.models))
        variants[name] = generators
    first = next(iter(cards[cfg.reference].values()))
    budget = {"epochs": first["epochs"], "batch_size": first["batch_size"],
              "max_images": first["config"]["max_images"],
              "images": {c: card["images"] for c, card in cards[cfg.reference].items()}}
    metrics = {"stage": "gan_ablation", "dataset": ds.source, "classes": list(cfg.classes),
               "reference": cfg.reference, "samples_per_class": cfg.samples_per_class,
               "real_max_images": cfg.real_max_images, "budget": budget, "variants": {}, "comparison": {}}
    available, why = inception_available()
    extractor = InceptionFeatures(batch=cfg.fid_batch) if available else None
    folder = Path(args.checkpoints)
    real = ablation.real_class_features(ds, cfg.classes, cfg, extractor, folder) if available else {}
    for name, generators in variants.items():
        scores = {}
        if available:
            for c in cfg.classes:
                fake = ablation.fake_features(generators, c, ds.classes.index(c), cfg, extractor, folder,
                                              name)
                scores[c] = ablation.class_scores(real[c], fake, cfg)
                print(f"gan_ablation: {name} {c}: KID x1e3 {scores[c]['kid_x1000']:.2f}, precision "
                      f"{scores[c]['precision']:.3f}, recall {scores[c]['recall']:.3f}")
        label = variant_label({"training": cards[name], "generator": generators.kind})
        metrics["variants"][name] = {"label": label, "classes": scores,
                                     "summary": ablation.summary(scores, cards[name]),
                                     "training": cards[name]}
    if available:
        metrics["comparison"] = ablation.compare(metrics["variants"], cfg.reference)
    else:
        metrics["note"] = why
    metrics["verdict"] = ablation.verdict(metrics)
    metrics["seconds"] = time.time() - t0
    write_json(args.metrics, metrics)
    write_text(args.table, ablation.ablation_table(metrics))
    print(f"gan_ablation: {len(variants)} variants in {metrics['seconds']:.0f} s -> {args.metrics}, "
          f"{args.table}")


if __name__ == "__main__":
    run_stage(main)
