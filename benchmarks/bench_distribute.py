"""Overhead of distribute.strategy = multi_worker (2 local CPU workers) against one process, same tiny job.

Run by hand (not in CI):  python benchmarks/bench_distribute.py [--rounds 3] [--epochs 3 12]

The job is tests/scale/jobs.py's (the test's): train_gan@happy (24 images, global batch 8, 3 steps per
epoch) and train_classifier@none (72 rows, global batch 24, 3 steps per epoch) on tiny networks, run as
the stages' entry points. Per round, interleaved so that a CPU shared with other jobs hits both alike:
one process with strategy none, then two worker processes on loopback ports (multi_worker, TF_CONFIG),
each pinned to one thread. Times are each stage's wall time inside its process (model build, fit,
saving; not the TensorFlow import); for multi_worker the slower worker. Two epoch counts separate the
fixed cost (cluster start, tracing the collectives) from the cost per training step.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.scale.cluster import run_job  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, nargs="+", default=[3, 12])
    args = parser.parse_args()
    times = {}  # (epochs, strategy, stage) -> [seconds]
    with tempfile.TemporaryDirectory() as tmp:
        for epochs in args.epochs:
            os.environ["JOB_EPOCHS"] = str(epochs)
            for r in range(args.rounds):
                for strategy, workers in (("none", 1), ("multi_worker", 2)):
                    t0 = time.time()
                    work = Path(tmp) / f"{epochs}-{strategy}-{r}"
                    runs = run_job("both", work, strategy, workers, timeout=600)
                    for stage in ("gan", "classifier"):
                        times.setdefault((epochs, strategy, stage), []).append(
                            max(run["seconds"][stage] for run in runs))
                    print(f"epochs {epochs} round {r} {strategy}: {[run['seconds'] for run in runs]} "
                          f"({time.time() - t0:.0f} s with start-up)", flush=True)
    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; median of {args.rounds} rounds")
    print("| stage | epochs (steps) | none s | multi_worker s | ratio |")
    print("|---|---|---|---|---|")
    table = {}
    for epochs in args.epochs:
        for stage in ("gan", "classifier"):
            one = statistics.median(times[(epochs, "none", stage)])
            two = statistics.median(times[(epochs, "multi_worker", stage)])
            table[f"{stage}/{epochs}"] = {"none": one, "multi_worker": two}
            print(f"| {stage} | {epochs} ({3 * epochs}) | {one:.1f} | {two:.1f} | {two / one:.2f} |")
    if len(args.epochs) >= 2:
        a, b = min(args.epochs), max(args.epochs)
        for stage in ("gan", "classifier"):
            steps = 3 * (b - a)
            per_step = {s: (table[f"{stage}/{b}"][s] - table[f"{stage}/{a}"][s]) / steps * 1000
                        for s in ("none", "multi_worker")}
            print(f"{stage}: {per_step['none']:.0f} ms per step in one process, "
                  f"{per_step['multi_worker']:.0f} ms with 2 workers")
    print(json.dumps({k: v for k, v in table.items()}))


if __name__ == "__main__":
    main()
