"""Stage `rebalance`: cap the training classes of the primary dataset, write the per-class targets.

`rebalance.strategy` is none | cap; the targets say how many rows the synthetic stage adds per class.

The primary dataset is `data.primary` among CROPPED_DIR/<source>.npz (auto = fer2013 > ckplus >
rafd > demo). Writes BALANCED_DIR/dataset.npz + targets.json and REPORT_DIR/summary.json.

    python -m pipeline.data.rebalance CROPPED_DIR BALANCED_DIR REPORT_DIR
"""

import argparse
from pathlib import Path

from pipeline.core.cli import run_stage
from pipeline.core.dataset import FaceDataset, resolve_primary
from pipeline.core.errors import PipelineError
from pipeline.core.outputs import stage_outputs, write_json
from pipeline.core.params import load
from pipeline.data.balance import rebalance
from pipeline.data.config import PrimaryKeys, RebalanceKeys

PARAMS = {"rebalance": RebalanceKeys, "data": PrimaryKeys}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cropped_dir", type=Path, help="the crop stage's <source>.npz")
    parser.add_argument("balanced_dir", type=Path, help="where dataset.npz and targets.json are written")
    parser.add_argument("report_dir", type=Path, help="where summary.json is written")
    args = parser.parse_args(argv)
    cfg = load(RebalanceKeys, "rebalance")
    primary = load(PrimaryKeys, "data")
    path = resolve_primary({"primary": primary.primary}, args.cropped_dir)
    ds = FaceDataset.load(path)
    if not (ds.split == "train").any():
        raise PipelineError(f"{path}: no training rows to rebalance")
    balanced, targets, summary = rebalance(ds, cfg, path)
    if len(set(balanced.ids)) != len(balanced):
        raise PipelineError(f"{path}: rebalancing produced duplicate row ids")
    with stage_outputs(args.balanced_dir, args.report_dir) as (balanced_dir, report_dir):
        balanced.save(balanced_dir / "dataset.npz")
        write_json(balanced_dir / "targets.json", targets)
        write_json(report_dir / "summary.json", summary)
    before, after = (sum(summary[k].values()) for k in ("train_counts_before", "train_counts_after"))
    print(f"rebalance: {ds.source} {cfg.strategy}: train {before} -> {after} rows", flush=True)


if __name__ == "__main__":
    run_stage(main)
