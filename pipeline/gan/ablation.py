"""The GAN ablation's scores and table: each variant's fakes against the real faces of each class.

Inception-v3 pool3 features (the FID space) of `samples_per_class` fakes per class and variant and of
up to `real_max_images` real training faces per class; per class the unbiased KID (the figure that
stays honest on a few hundred images) and improved precision (fidelity) / recall (diversity), and a
FID marked not comparable below 2,048 images. Features are kept in pieces under the stage's
checkpoints, keyed by the generator file and the settings, so adding a variant featurises only it.
"""

import hashlib
from pathlib import Path

import numpy as np

from pipeline.core.checkpoint import fingerprint
from pipeline.core.errors import PipelineError

from .distribution_metrics import FID_MIN_SAMPLES, fid, kid, precision_recall
from .real_faces import capped_rows, dataset_digest, resumable_features
from .samples import generate_images

KID_SCALE = 1000.0  # KID is reported x 10^3, as in the DiffAugment and StyleGAN2-ADA papers


def file_digest(path: Path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def check_variant_cards(cards: dict, variant: str, options: dict, where: str) -> None:
    """The models of `variant` were trained with its options now in params (else they are stale)."""
    for name, card in cards.items():
        trained = card.get("options")
        if trained != options:
            raise PipelineError(f"{where}/{name}/training.json: trained with options {trained}, but "
                                f"gan_ablation.variants.{variant} is {options} "
                                f"(rerun train_gan_ablation@{variant})")


def real_class_features(ds, classes, cfg, extractor, folder: Path) -> dict:
    """{class: Inception features of up to real_max_images real training faces of that class}."""
    real = ~ds.synthetic & (ds.split == "train")
    key = fingerprint(dataset_digest(ds), cfg.real_max_images, cfg.seed)
    out = {}
    for name in classes:
        rows = capped_rows(real & (ds.labels == ds.classes.index(name)), cfg.real_max_images, cfg.seed)
        out[name] = resumable_features(extractor, ds.images[rows], folder / f"real_{key}", name,
                                       progress=f"gan_ablation: real {name}")
    return out


def fake_features(generators, name: str, label: int, cfg, extractor, folder: Path, variant: str):
    """Inception features of the variant's fakes of one class (seeded: every variant sees the same z)."""
    key = fingerprint(file_digest(Path(generators.where(name)) / "generator.keras"), cfg.samples_per_class,
                      cfg.seed, label)
    images = generate_images(generators.load(name), cfg.samples_per_class, seed=cfg.seed * 1000 + label + 1)
    return resumable_features(extractor, images, folder / f"fake_{variant}_{key}", name,
                              progress=f"gan_ablation: {variant} {name}")


def class_scores(real: np.ndarray, fake: np.ndarray, cfg) -> dict:
    k = kid(fake, real, subsets=cfg.kid_subsets, subset_size=cfg.kid_subset_size, seed=cfg.seed)
    pr = precision_recall(real, fake, k=cfg.pr_k)
    f = fid(fake, real)
    return {"kid_x1000": None if k["value"] is None else k["value"] * KID_SCALE,
            "kid_std_x1000": None if k["std"] is None else k["std"] * KID_SCALE,
            "kid": k, "precision": pr["precision"], "recall": pr["recall"], "pr": pr,
            "fid": f.get("value"), "fid_comparable": min(len(real), len(fake)) >= FID_MIN_SAMPLES,
            "n_real": len(real), "n_fake": len(fake)}


def summary(scores: dict, cards: dict) -> dict:
    """A variant's row: mean over classes, training work and time."""
    def mean(key):
        values = [s[key] for s in scores.values() if s.get(key) is not None]
        return float(np.mean(values)) if values else None

    seconds = sum(c.get("train_seconds_total", 0.0) for c in cards.values())
    passes = sum(c.get("images", 0) * c.get("epochs", 0) for c in cards.values())
    return {"kid_x1000_mean": mean("kid_x1000"), "precision_mean": mean("precision"),
            "recall_mean": mean("recall"), "train_seconds": seconds, "image_passes": passes,
            "images_per_second": passes / seconds if seconds else None}


def compare(variants: dict, reference: str) -> dict:
    """Per variant: KID change against the reference per class, and whether it is lower in every class.

    'Lower' counts only when the gap exceeds both runs' KID subset std (the spread of the estimate)."""
    ref = variants[reference]["classes"]
    out = {}
    for name, v in variants.items():
        deltas, better = {}, []
        for c, s in v["classes"].items():
            r = ref.get(c, {})
            if s["kid_x1000"] is None or r.get("kid_x1000") is None:
                continue
            deltas[c] = s["kid_x1000"] - r["kid_x1000"]
            noise = max(s["kid_std_x1000"] or 0.0, r["kid_std_x1000"] or 0.0)
            better.append(deltas[c] < -noise)
        out[name] = {"kid_x1000_change": deltas, "better_in_every_class": bool(better) and all(better)}
    return out


def _f(x, digits=2):
    return "n/a" if x is None else f"{x:.{digits}f}"


def ablation_table(metrics: dict) -> str:
    """reports/tables/gan_ablation.md from the gan_ablation stage's metrics."""
    classes = metrics["classes"]
    b = metrics["budget"]
    head = " | ".join(f"{c} KID x1e3 (P / R)" for c in classes)
    lines = [f"# GAN ablation: one option at a time against the DCGAN paper's reference "
             f"({metrics['dataset']})",
             "",
             f"Budget shared by every row: {b['epochs']} epochs over the real training faces of "
             f"{', '.join(f'{c} ({n:,})' for c, n in b['images'].items())} "
             f"(cap {b['max_images'] or 'none'} per class), batch {b['batch_size']}, one DCGAN per class "
             "(a conditional variant: one model over the classes, on the same images). "
             f"Scored on {metrics['samples_per_class']:,} fakes per class against up to "
             f"{metrics['real_max_images'] or 'all'} real training faces of that class, Inception-v3 pool3.",
             "",
             f"| variant | options | {head} | mean KID x1e3 | vs reference | train min | img/s |",
             "| --- | --- | " + " | ".join("---" for _ in classes) + " | --- | --- | --- | --- |"]
    for name, v in metrics["variants"].items():
        cells = []
        for c in classes:
            s = v["classes"].get(c)
            cells.append("n/a" if not s else f"{_f(s['kid_x1000'])} +- {_f(s['kid_std_x1000'])} "
                                              f"({_f(s['precision'])} / {_f(s['recall'])})")
        cmp_ = metrics["comparison"].get(name, {})
        change = cmp_.get("kid_x1000_change", {})
        vs = ("reference" if name == metrics["reference"] else
              ", ".join(f"{c} {d:+.2f}" for c, d in change.items()) +
              (" (lower in every class)" if cmp_.get("better_in_every_class") else ""))
        s = v["summary"]
        lines.append(f"| {name} | {v['label']} | " + " | ".join(cells) +
                     f" | {_f(s['kid_x1000_mean'])} | {vs or 'n/a'} | {_f(s['train_seconds'] / 60, 1)} | "
                     f"{_f(s['images_per_second'], 0)} |")
    lines += ["", metrics["verdict"], "",
              "KID: unbiased, cubic kernel, mean +- std over subsets (lower is better; ~0 for two samples of "
              "one distribution). Precision = fakes on the real manifold (fidelity), recall = reals on the "
              "fake manifold (diversity), Kynkaanniemi et al. 2019, k-NN balls. The reference set is the "
              "real *training* faces of the class (as for FID), so these figures choose among variants "
              "without touching a test face; the cpu profile's gan.* options are chosen from this table. "
              "Pooled FID-10k, GAN-train and GAN-test of the chosen variant at the full budget: "
              "reports/tables/gan_table1_fer2013.md."]
    if metrics.get("note"):
        lines += ["", metrics["note"]]
    return "\n".join(lines) + "\n"


def verdict(metrics: dict) -> str:
    helped = [n for n, c in metrics["comparison"].items()
              if n != metrics["reference"] and c["better_in_every_class"]]
    ref = metrics["reference"]
    if not metrics["comparison"]:
        return "No Inception figures, so no variant can be compared (see the note)."
    if helped:
        return (f"Lower KID than the reference ({ref}) in every class, beyond the estimate's spread: "
                f"{', '.join(helped)}.")
    return (f"No variant has a lower KID than the reference ({ref}) in every class beyond the "
            "estimate's spread.")
