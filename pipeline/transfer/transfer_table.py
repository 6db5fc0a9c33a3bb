"""Stage `transfer_table`: reports/tables/transfer.md from the transfer stages' jsons: Table 3 beside the
paper, expression and identity scores, the conditioning checks, the ablation and the diagnosis.

Reads the training card, the metrics, ablation, diagnosis and judge jsons; writes the markdown table.
"""

import argparse
import json
from pathlib import Path

from ..core.cli import run_stage
from ..core.errors import PipelineError
from ..core.outputs import write_text
from .paper_table import table_markdown

PARAMS: dict = {}


def read(path: Path, stage: str) -> dict:
    if not path.is_file():
        raise PipelineError(f"{path}: not found (run {stage} first)")
    return json.loads(path.read_text())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    stages = {"training": "train_transfer", "metrics": "evaluate_transfer", "ablation": "ablate_transfer",
              "diagnosis": "diagnose_transfer", "judge": "train_transfer_judge"}
    for flag in stages:
        p.add_argument(f"--{flag}", type=Path, required=True, help=f"json of stage {stages[flag]}")
    p.add_argument("--table", type=Path, required=True, help="markdown table")
    args = p.parse_args(argv)
    docs = {k: read(getattr(args, k), stage) for k, stage in stages.items()}
    write_text(args.table, table_markdown(docs["metrics"], docs["training"], docs["ablation"],
                                          docs["diagnosis"], docs["judge"]))
    print(f"transfer_table: {args.table}")


if __name__ == "__main__":
    run_stage(main)
