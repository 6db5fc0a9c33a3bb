"""reports/tables/gan_table1.md: paper 000's Table 1 as published, with this run's rows beside it."""

from .distribution_metrics import FID_MIN_SAMPLES, value

# Paper 000, Table 1 (as published).
_COLUMNS = ("run", "dataset", "epochs", "batch", "fid", "is", "time")
PUBLISHED = [dict(zip(_COLUMNS, row)) for row in (
    ("000 Ex1", "FER-2013", 100, 8, "111", "2", "10 h (TPU v5e-1)"),
    ("000 Ex2", "FER-2013", 100, 16, "88", "3.0", "4 h 7 min (TPU v2-8)"),
    ("000 Ex3", "FER-2013", 150, 16, "107", "1.85", "15 h"),
    ("000 Ex4", "CK+", 50, 8, "50", "1.9", "1 h (TPU v2-8)"),
    ("000 Ex5", "CK+", 100, 8, "0.5", "2.0", "1 h 30 min (TPU v2-8)"),
)]


def fmt(x, digits=2):
    return "n/a" if x is None else f"{x:.{digits}f}"


REFERENCE = "reference (paper)"


def run_config(metrics: dict) -> dict:
    """The training config of a scored run (the per-class GANs share it but for their seeds)."""
    cards = list(metrics["training"].values())
    return cards[0].get("config", {}) if cards else {}


def variant_label(metrics: dict) -> str:
    """What a run changed against the DCGAN paper's reference: its generator kind and options."""
    cfg = run_config(metrics)
    parts = ["conditional (projection D)"] if metrics.get("generator") == "conditional" else []
    if cfg.get("diffaugment"):
        parts.append("DiffAugment " + "+".join(cfg["diffaugment"]))
    if cfg.get("ema"):
        parts.append(f"EMA {cfg['ema']}")
    if cfg.get("d_reg") == "spectral":
        parts.append("spectral norm")
    elif cfg.get("d_reg") == "r1":
        parts.append(f"R1 gamma {cfg.get('r1_gamma')}")
    if cfg.get("loss") == "hinge":
        parts.append("hinge loss")
    return ", ".join(parts) or REFERENCE


def is_conditional(metrics: dict) -> bool:
    """One conditional GAN over every class made the fakes (not one DCGAN per class)."""
    return metrics.get("generator") == "conditional"


def models_label(metrics: dict) -> str:
    cards = metrics["training"]
    if is_conditional(metrics):
        return f"1 conditional GAN, {len(metrics['classes'])} classes"
    return f"{len(cards)} per-class GANs"


def budget_note(metrics: dict) -> str:
    """What the epochs, batch and time cells count: per-class DCGANs and one conditional GAN differ."""
    if is_conditional(metrics):
        return ("Epochs and batch size are those of the one conditional GAN, whose epochs pass over the "
                "images of every class; train time is its total.")
    return "Epochs and batch sizes are per class (one GAN per class); train time is the sum over the classes."


def run_rows(metrics: dict) -> tuple[list[str], str]:
    """One run's Table 1 rows (pipeline + real-vs-real floor) and its sentence of other figures."""
    cards = metrics["training"]
    epochs = sorted({c["epochs"] for c in cards.values()})
    batches = sorted({c["batch_size"] for c in cards.values()})
    hours = sum(c.get("train_seconds_total", 0.0) for c in cards.values()) / 3600
    pooled_inc = metrics.get("inception", {}).get("pooled") if metrics.get("inception") else None
    dom = metrics["domain"]["pooled"]
    pooled = metrics["classifier"]["pooled"]
    dom_is = pooled["domain_is"]
    n_fake = pooled["n_fake"]
    if pooled_inc:
        f = pooled_inc["fid"]
        fid_cell = (f"{fmt(f['value'], 1)} (n={f['n_a']} vs {f['n_b']}"
                    f"{'' if f['comparable'] else ', not comparable'})")
        floor = pooled_inc["floor_fid"]
        floor_cell = (f"{fmt(floor['value'], 1)} (n={floor['n_a']} vs {floor['n_b']}"
                      f"{'' if floor.get('comparable', True) else ', not comparable'})")
    else:
        fid_cell = floor_cell = "skipped (see inception_note in metrics.json)"
    profile = f", {metrics['profile']}" if metrics.get("profile") else ""
    variant = "" if variant_label(metrics) == REFERENCE else f": {variant_label(metrics)}"
    rows = [
        f"| this pipeline{profile}{variant} | {metrics['dataset']} ({models_label(metrics)}) | "
        f"{'/'.join(map(str, epochs))} | {'/'.join(map(str, batches))} | Inception {fid_cell} | "
        f"domain IS {fmt(value(dom_is))} of {dom_is['max_possible']} (n={dom_is['n']}) | "
        f"{hours:.2f} h total, {metrics['hardware']} |",
        f"| real-vs-real floor | {metrics['dataset']} train vs {metrics['eval_rows']} | - | - | "
        f"Inception {floor_cell} | domain IS {fmt(value(pooled['floor_domain_is']))} | - |",
    ]
    sentence = (
        f"{metrics['dataset']}: domain FID ({metrics['dataset']}-CNN 128-d features, pooled, "
        f"n={dom['fid']['n_a']} fakes) {fmt(value(dom['fid']), 2)}, floor {fmt(value(dom['floor_fid']), 2)}; "
        f"{precision_recall_text(pooled_inc, dom)}"
        f"GAN-test accuracy {fmt(pooled['gan_test_accuracy'], 3)} (n={n_fake}), "
        f"GAN-train accuracy {fmt(pooled['gan_train_accuracy'], 3)} "
        f"(n={pooled['gan_train_n_test']} real), "
        f"real-trained baseline {fmt(metrics['classifier']['real_baseline']['accuracy'], 3)}.")
    return rows, sentence


def precision_recall_text(pooled_inc: dict | None, dom: dict) -> str:
    parts = []
    for space, block in (("Inception", pooled_inc), ("domain", dom)):
        pr = (block or {}).get("precision_recall")
        if pr and pr.get("precision") is not None:
            parts.append(f"{space} precision {fmt(pr['precision'], 3)} / recall {fmt(pr['recall'], 3)} "
                         f"(k={pr['k']}, n={pr['n_fake']} fakes vs {pr['n_real']} real)")
    return "; ".join(parts) + "; " if parts else ""


def table1(metrics: dict) -> str:
    """Paper 000's Table 1 and this run's rows (other runs: `dvc exp show` / DVC experiments)."""
    lines = [
        f"# GAN quality: paper 000 Table 1 beside this pipeline ({metrics['dataset']})",
        "",
        "| run | dataset | epochs | batch | FID | IS | train time |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in PUBLISHED:
        lines.append(f"| {row['run']} (published) | {row['dataset']} | {row['epochs']} | {row['batch']} | "
                     f"{row['fid']} | {row['is']} | {row['time']} |")
    rows, sentence = run_rows(metrics)
    lines += [
        *rows,
        "",
        f"- {sentence}",
        "",
        "Ablation (each option alone against the reference at a short shared budget, stages "
        "train_gan_ablation@<variant> + gan_ablation, docs/gan.md): reports/tables/gan_ablation.md.",
        "",
        "**Comparability.** The published FIDs come with no sample count, reference set or extractor "
        "details; ours is the standard TF Inception-v3 pool3 FID of class-balanced fakes against real "
        f"training images, and only figures on >= {FID_MIN_SAMPLES} images per side can be set beside "
        "published FIDs at all (small sets inflate FID by tens of points; the real-vs-real floor "
        "shows how far from 0 a perfect generator would land with these sample counts). A CK+ FID of "
        "0.5 is below the floor that any few-hundred-image set reaches, so it cannot be matched by "
        "this protocol. Our IS is a *domain* IS from a CNN trained on the same dataset's classes (max = "
        "number of classes), not the ImageNet Inception Score of the paper: compare it only across runs "
        f"of this pipeline. {budget_note(metrics)}",
    ]
    return "\n".join(lines) + "\n"
