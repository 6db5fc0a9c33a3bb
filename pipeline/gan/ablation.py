"""reports/tables/gan_ablation.md: one row per GAN run (a DVC experiment or a metrics file), by hand.

    python -m pipeline.gan.ablation --out reports/tables/gan_ablation.md --exps
    python -m pipeline.gan.ablation --out reports/tables/gan_ablation.md --metrics paper=a.json da=b.json

`--exps` reads reports/gan/fer2013/metrics.json from every DVC experiment of the repository (each
`dvc exp run -n <name> ... gan_metrics` commits it under refs/exps/.../<name>, read back with git
here: no experiment is applied to the workspace); `--metrics NAME=PATH` adds files. Each row
says what its run changed (from the training cards inside the metrics: DiffAugment, EMA, D
regularisation, loss, conditional), its budget, and the issue's targets on FER-2013: pooled
Inception FID <= 60 on >= 10k fakes, GAN-train >= 0.40, GAN-test >= real-trained accuracy - 0.05.
"""

import argparse
import json
import subprocess
from pathlib import Path

from pipeline.core.cli import run_stage

METRICS_PATH = "reports/gan/fer2013/metrics.json"  # each experiment's gan_metrics@fer2013 output
TARGETS = {"fid": 60.0, "fid_min_fakes": 10_000, "gan_train": 0.40, "gan_test_gap": 0.05}


def experiment_metrics(repo: Path | str = ".", path: str = METRICS_PATH) -> dict:
    """{experiment name: metrics} for every DVC experiment ref (refs/exps/<xx>/<baseline>/<name>)."""
    from pipeline.core.errors import PipelineError

    listed = subprocess.run(["git", "-C", str(repo), "for-each-ref", "--format=%(refname) %(objectname)",
                             "refs/exps"], capture_output=True, text=True)
    if listed.returncode:
        raise PipelineError(f"{repo}: not a git repository with DVC experiments ({listed.stderr.strip()})")
    refs = listed.stdout.split("\n")
    found = {}
    for line in filter(None, refs):
        ref, sha = line.split()
        parts = ref.split("/")
        if len(parts) < 5 or parts[2] in ("exec", "runs", "celery", "temp"):
            continue  # DVC's own bookkeeping refs, not experiments
        shown = subprocess.run(["git", "-C", str(repo), "show", f"{sha}:{path}"], capture_output=True,
                               text=True)
        if shown.returncode == 0:
            found[parts[-1]] = json.loads(shown.stdout)
    return found


def row(name: str, metrics: dict) -> dict:
    """One ablation row's figures (None where the run has none)."""
    from .gan_table import run_config, variant_label

    head = metrics.get("headline", {})
    cards = metrics.get("training", {}).values()
    inc = (metrics.get("inception") or {}).get("pooled") or {}
    n_fake = (inc.get("fid") or {}).get("n_a")
    real = head.get("real_baseline_accuracy")
    cfg = run_config(metrics)
    out = {
        "name": name, "variant": variant_label(metrics), "dataset": metrics.get("dataset"),
        "profile": metrics.get("profile"), "epochs": cfg.get("epochs"), "batch": cfg.get("batch_size"),
        "hours": sum(c.get("train_seconds_total", 0.0) for c in cards) / 3600,
        "fid": head.get("fid_inception_pooled"), "n_fake_inception": n_fake,
        "floor": head.get("fid_inception_floor"), "kid": head.get("kid_inception_pooled"),
        "precision": head.get("precision_inception"), "recall": head.get("recall_inception"),
        "fid_domain": head.get("fid_domain_pooled"), "gan_train": head.get("gan_train_accuracy"),
        "gan_test": head.get("gan_test_accuracy"), "real": real,
    }
    enough = (n_fake or 0) >= TARGETS["fid_min_fakes"]
    checks = [out["fid"] is not None and enough and out["fid"] <= TARGETS["fid"],
              out["gan_train"] is not None and out["gan_train"] >= TARGETS["gan_train"],
              None not in (out["gan_test"], real) and out["gan_test"] >= real - TARGETS["gan_test_gap"]]
    out["targets_met"] = sum(checks)
    return out


def _f(x, digits=3):
    return "n/a" if x is None else f"{x:.{digits}f}"


def ablation_table(rows: list[dict]) -> str:
    lines = [
        "# GAN ablation: one option at a time against the DCGAN paper's reference",
        "",
        "| run | variant | epochs | batch | train h | Inception FID (n fakes) | floor | KID | precision | "
        "recall | domain FID | GAN-train | GAN-test | real CNN | targets |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['variant']} | {r['epochs']} | {r['batch']} | {r['hours']:.2f} | "
            f"{_f(r['fid'], 1)} (n={r['n_fake_inception'] or 'n/a'}) | {_f(r['floor'], 1)} | "
            f"{_f(r['kid'], 4)} | "
            f"{_f(r['precision'])} | {_f(r['recall'])} | {_f(r['fid_domain'], 2)} | {_f(r['gan_train'])} | "
            f"{_f(r['gan_test'])} | {_f(r['real'])} | {r['targets_met']}/3 |")
    lines += [
        "",
        f"Targets (issue, FER-2013, cpu profile): pooled Inception FID <= {TARGETS['fid']:.0f} on >= "
        f"{TARGETS['fid_min_fakes']:,} class-balanced fakes against the whole training split; GAN-train >= "
        f"{TARGETS['gan_train']:.2f}; GAN-test >= the real-trained CNN's accuracy - "
        f"{TARGETS['gan_test_gap']:.2f}. "
        "Precision is fidelity (fakes on the real manifold), recall diversity (reals on the fake "
        "manifold; Kynkaanniemi et al. 2019, k=3). Train hours add every model of the run on 2 CPU cores.",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="ablation table (.md)")
    parser.add_argument("--exps", action="store_true", help="every DVC experiment's " + METRICS_PATH)
    parser.add_argument("--repo", default=".", help="git repository of the experiments (with --exps)")
    parser.add_argument("--metrics", nargs="*", default=[], metavar="NAME=PATH", help="metrics files")
    args = parser.parse_args(argv)

    from pipeline.core.errors import PipelineError
    from pipeline.core.outputs import write_text

    runs = experiment_metrics(args.repo) if args.exps else {}
    for item in args.metrics:
        name, sep, path = item.partition("=")
        if not sep:
            raise PipelineError(f"{item}: expected NAME=PATH")
        try:
            runs[name] = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise PipelineError(f"{path}: not a readable metrics file ({exc})") from None
    if not runs:
        raise PipelineError(f"{args.out}: no runs (no DVC experiment holds {METRICS_PATH}; name files "
                            "with --metrics NAME=PATH)")
    write_text(args.out, ablation_table([row(n, m) for n, m in runs.items()]))
    print(f"ablation: {len(runs)} runs -> {args.out}")


if __name__ == "__main__":
    run_stage(main)
