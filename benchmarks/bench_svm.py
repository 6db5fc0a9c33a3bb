"""Wall time of stage `svm` with the committed experiment matrix on synthetic features of the real sizes
(issue 17 budget: <= 15 min on 2 cores).

Run by hand (not in CI), from the repository root:
    python benchmarks/bench_svm.py [--params params.yaml] [--work /tmp/bench_svm] [--fer-scale 1.0]
                                   [--cnn-dims 256] [--only ID ...]
Writes, under --work, cropped stand-ins of CK+48 (981 rows, 123 subjects, 24 held out as `test`, 14 real
AU codes) and FER-2013 (28,709 Training / 3,589 PublicTest / 3,589 PrivateTest rows, times --fer-scale),
feature files of every feature set the matrix reads (D layers 8192 / 512 / 16384-d, the untrained twin,
pixels 2304, HOG 900, the CNN --cnn-dims; class-dependent signal plus noise, float16 as svm_features
writes them) and discriminator cards for the runs ckplus, ckplus_clean and fer2013; then runs
`pipeline.svm.svm` in-process with the params file's `svm` section and prints one json line: wall and
CPU seconds in all, per experiment and per run (experiment x feature set). On a shared CPU note the load.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from pipeline.core.dataset import FaceDataset  # noqa: E402
from pipeline.core.params import validate  # noqa: E402
from pipeline.svm.config import SvmKeys  # noqa: E402
from pipeline.svm.experiments import experiment_sets  # noqa: E402
from pipeline.svm.facs import PAPER_AUS  # noqa: E402
from pipeline.svm.features import save_features  # noqa: E402

CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
CK_CLASSES = ("angry", "contempt", "disgust", "fear", "happy", "sad", "surprise")
DIMS = {"d_conv4": 8192, "d_conv4_gap": 512, "d_conv3": 16384, "pixels": 2304, "hog": 900}
RUNS = {"ckplus": ("ckplus", ["train", "val", "test"]), "ckplus_clean": ("ckplus", ["train", "val"]),
        "fer2013": ("fer2013", ["train"])}


def ckplus(rng) -> FaceDataset:
    n, subjects = 981, np.array([f"S{i:03d}" for i in range(123)])
    subject = subjects[rng.integers(0, len(subjects), n)]
    held = set(rng.choice(subjects, 24, replace=False))
    labels = rng.integers(0, len(CK_CLASSES), n)
    au = (rng.random((n, len(PAPER_AUS))) < 0.25).astype(np.uint8)
    au[np.arange(n), labels % len(PAPER_AUS)] = 1
    return FaceDataset(images=rng.integers(0, 255, (n, 48, 48), dtype=np.uint8), labels=labels,
                       classes=CK_CLASSES, split=np.where(np.isin(subject, list(held)), "test", "train"),
                       ids=np.array([f"ck{i}" for i in range(n)]), source="ckplus", subject=subject,
                       sequence=np.array([f"{s}_q{i // 3}" for i, s in enumerate(subject)]),
                       au=au, au_codes=np.array(PAPER_AUS), au_known=np.ones(n, bool))


def fer(rng, scale: float) -> FaceDataset:
    sizes = {s: max(50, int(k * scale)) for s, k in (("train", 28709), ("val", 3589), ("test", 3589))}
    split = np.concatenate([np.full(k, s) for s, k in sizes.items()])
    n = len(split)
    return FaceDataset(images=rng.integers(0, 255, (n, 48, 48), dtype=np.uint8),
                       labels=rng.integers(0, len(CLASSES), n), classes=CLASSES, split=split,
                       ids=np.array([f"fer{i}" for i in range(n)]), source="fer2013")


def features(ds: FaceDataset, dims: int, rng) -> np.ndarray:
    X = rng.standard_normal((len(ds), dims), dtype=np.float32)
    X[np.arange(len(ds)), ds.labels % dims] += 1.5  # a weak class signal
    return X.astype(np.float16)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--work", default="/tmp/bench_svm")
    ap.add_argument("--fer-scale", type=float, default=1.0)
    ap.add_argument("--cnn-dims", type=int, default=256)
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args()
    params = yaml.safe_load(Path(args.params).read_text())
    cfg = validate(SvmKeys, params["svm"], "svm")
    feats = params["svm"]["features"]
    work = Path(args.work)
    rng = np.random.default_rng(0)
    data = {"ckplus": ckplus(rng), "fer2013": fer(rng, args.fer_scale)}
    for name, ds in data.items():
        ds.save(work / "cropped" / f"{name}.npz")
    index = {"layers": feats["layers"], "max_rows": 0, "seed": 0, "feature_sets": {}, "datasets": {
        k: {"rows": len(v), "of": len(v), "image_size": 48} for k, v in data.items()}}
    needed = set()
    for spec in cfg.experiments:
        if args.only and spec.id not in args.only:
            continue
        d_sets, controls = experiment_sets(spec, feats["layers"], feats["baselines"])
        for side in (spec.train, spec.test):
            source = side.split("|")[-1]
            if source in data:
                needed |= {(fs, source) for fs in d_sets + controls}
    for fs, source in sorted(needed):
        base = fs.split(".")[-1]
        dims = DIMS.get(base, args.cnn_dims)
        if fs.startswith("d-") and fs[2:].split(".")[0] not in RUNS:
            continue
        ds = data[source]
        save_features(work / "features" / fs / f"{source}.npz", features(ds, dims, rng), ds,
                      np.arange(len(ds)), {"feature_set": fs, "source": source})
        if fs.startswith("d-"):
            run = fs[2:].split(".")[0]
            index["feature_sets"][fs] = {"kind": "discriminator", "run": run, "layer": base,
                                         "trained_on": {"dataset": RUNS[run][0], "splits": RUNS[run][1]}}
    (work / "features" / "index.json").write_text(json.dumps(index))
    (work / "params.yaml").write_text(yaml.safe_dump({"svm": params["svm"]}))

    from pipeline.core.params import use_params_file
    from pipeline.svm import svm

    use_params_file(work / "params.yaml")
    out = {"fer_rows": len(data["fer2013"]), "ck_rows": len(data["ckplus"]), "cpus": os.cpu_count(),
           "load_avg_before": os.getloadavg()}
    t0, c0 = time.perf_counter(), time.process_time()
    svm.main(["--features", str(work / "features"), "--cropped", str(work / "cropped"),
              "--results", str(work / "results.json"), "--metrics", str(work / "metrics.json"),
              "--plots", str(work / "plots"), "--table", str(work / "svm_paper.md")]
             + (["--only", *args.only] if args.only else []))
    out["wall_seconds"] = round(time.perf_counter() - t0, 1)
    out["cpu_seconds"] = round(time.process_time() - c0, 1)
    results = json.loads((work / "results.json").read_text())["experiments"]
    per_id = {}
    for r in results:
        per_id[r["id"]] = round(per_id.get(r["id"], 0.0) + r["seconds"], 1)
    out["seconds_per_experiment"] = per_id  # a run shared by two experiments counts in both
    out["seconds_per_run"] = {f"{r['id']}/{r['feature_set']}": r["seconds"] for r in results}
    out["load_avg_after"] = os.getloadavg()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
