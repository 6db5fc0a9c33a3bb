"""Time the ingest and crop stages on one raw folder (run by hand; not a test).

Runs `python -m pipeline.data.ingest` then `python -m pipeline.data.crop` (this checkout's code) in a
scratch working directory whose params.yaml is this repo's with data.raw_dir pointed at RAW (or at an
empty folder for the demo), and prints wall-clock and CPU seconds per stage plus the crop outcomes.

    python benchmarks/bench_ingest_crop.py --raw /path/to/folder/with/fer2013.csv
    python benchmarks/bench_ingest_crop.py --demo
    python benchmarks/bench_ingest_crop.py --raw ... --set crop.detectors=[haar]   # other profile
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def set_param(params: dict, assignment: str) -> None:
    key, value = assignment.split("=", 1)
    *path, last = key.split(".")
    node = params
    for part in path:
        node = node.setdefault(part, {})
    node[last] = yaml.safe_load(value)


STAGE_ARGS = {"ingest": ["RAW", "data/canonical", "reports/ingest"],
              "crop": ["data/canonical", "data/cropped", "reports/crop"]}


def run_stage(stage: str, cwd: Path, raw: Path) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    args = [str(raw) if a == "RAW" else a for a in STAGE_ARGS[stage]]
    result = subprocess.run([sys.executable, "-m", f"pipeline.data.{stage}", *args], cwd=cwd,
                            capture_output=True, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)})
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode:
        sys.exit(f"{stage} failed:\n{result.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--raw", type=Path, help="raw folder (e.g. one holding only fer2013.csv)")
    group.add_argument("--demo", action="store_true", help="empty raw folder: the embedded demo dataset")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=YAML", help="param override")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_ingest_crop.") as scratch:
        work = Path(scratch)
        raw = work / "empty_raw" if args.demo else args.raw.resolve()
        raw.mkdir(exist_ok=True)
        params = yaml.safe_load((REPO / "params.yaml").read_text())
        params["data"]["raw_dir"] = str(raw)
        for assignment in args.set:
            set_param(params, assignment)
        (work / "params.yaml").write_text(yaml.safe_dump(params))
        result = {"raw": "demo" if args.demo else str(raw), "overrides": args.set, "cores": os.cpu_count(),
                  "load_average_before": [round(x, 1) for x in os.getloadavg()]}
        for stage in ("ingest", "crop"):
            result[stage] = run_stage(stage, work, raw)
        result["total_wall_s"] = round(result["ingest"]["wall_s"] + result["crop"]["wall_s"], 1)
        result["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
        summary = json.loads((work / "reports/ingest/summary.json").read_text())
        outcomes = json.loads((work / "reports/crop/outcomes.json").read_text())
        result["rows"] = {s: v["rows"] for s, v in summary["sources"].items()}
        result["crop_outcomes"] = {s: v["totals"] for s, v in outcomes["datasets"].items()}
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
