"""Stage `rebalance`: cap the training classes of every chain dataset, write the per-class targets.

`rebalance.strategy` is none | cap; the targets say how many rows the synthetic stage adds per class.

Each dataset of `data.datasets` is CROPPED_DIR/<name>.npz; a listed one that is absent is an error
(the list is explicit: drop the name, or give ingest its raw data). Writes
BALANCED_DIR/<name>/dataset.npz + targets.json and REPORT_DIR/<name>/summary.json.

    python -m pipeline.data.rebalance CROPPED_DIR BALANCED_DIR REPORT_DIR
"""

import argparse
from pathlib import Path

from pipeline.core.cli import run_stage
from pipeline.core.dataset import FaceDataset
from pipeline.core.errors import PipelineError
from pipeline.core.outputs import stage_outputs, write_json
from pipeline.core.params import load, params_path
from pipeline.data.balance import rebalance
from pipeline.data.config import DatasetsKeys, RebalanceKeys

PARAMS = {"rebalance": RebalanceKeys, "data": DatasetsKeys}


def chain_datasets(names: list[str], cropped_dir: Path) -> dict[str, Path]:
    """name -> CROPPED_DIR/<name>.npz for every listed dataset; one line naming the first absent one."""
    paths = {name: cropped_dir / f"{name}.npz" for name in names}
    for name, path in paths.items():
        if not path.is_file():
            raise PipelineError(f"{path}: not found, but {params_path()} data.datasets lists {name} (run "
                                f"ingest + crop with its raw data, or drop it from data.datasets)")
    return paths


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cropped_dir", type=Path, help="the crop stage's <source>.npz")
    parser.add_argument("balanced_dir", type=Path, help="where <name>/dataset.npz and targets.json are written")
    parser.add_argument("report_dir", type=Path, help="where <name>/summary.json is written")
    args = parser.parse_args(argv)
    cfg = load(RebalanceKeys, "rebalance")
    paths = chain_datasets(load(DatasetsKeys, "data").datasets, args.cropped_dir)
    results = {}
    for name, path in paths.items():
        ds = FaceDataset.load(path)
        if not (ds.split == "train").any():
            raise PipelineError(f"{path}: no training rows to rebalance")
        balanced, targets, summary = rebalance(ds, cfg, path)
        if len(set(balanced.ids)) != len(balanced):
            raise PipelineError(f"{path}: rebalancing produced duplicate row ids")
        results[name] = (ds, balanced, targets, summary)
    with stage_outputs(args.balanced_dir, args.report_dir) as (balanced_dir, report_dir):
        for name, (_, balanced, targets, summary) in results.items():
            (balanced_dir / name).mkdir(parents=True, exist_ok=True)
            (report_dir / name).mkdir(parents=True, exist_ok=True)
            balanced.save(balanced_dir / name / "dataset.npz")
            write_json(balanced_dir / name / "targets.json", targets)
            write_json(report_dir / name / "summary.json", summary)
    for name, (ds, _, _, summary) in results.items():
        before, after = (sum(summary[k].values()) for k in ("train_counts_before", "train_counts_after"))
        print(f"rebalance: {ds.source} {cfg.strategy}: train {before} -> {after} rows", flush=True)


if __name__ == "__main__":
    run_stage(main)
