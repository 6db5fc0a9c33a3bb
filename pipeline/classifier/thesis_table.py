"""Stage `thesis_table`: the thesis's published CNN figures beside ours (reports/tables/thesis.md).

Usage: python -m pipeline.classifier.thesis_table --runs reports/cnn --gan-metrics reports/gan
           --out reports/tables/thesis.md
--runs holds <dataset>/<mode>/metrics.json (every mode present) and <dataset>/peer/metrics.json; one
section per dataset of `data.datasets`, the GANs of each named from --gan-metrics <dataset>/metrics.json.
"""

import argparse
from pathlib import Path

from ..core.cli import run_stage
from ..core.outputs import write_text
from ..core.params import load
from ..data.config import DatasetsKeys
from .tables import build

PARAMS = {"data": DatasetsKeys}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m pipeline.classifier.thesis_table",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=Path, required=True, help="holds <dataset>/<mode>/metrics.json")
    parser.add_argument("--gan-metrics", type=Path, default=None,
                        help="reports/gan, holding <dataset>/metrics.json (which GANs made the gan images)")
    parser.add_argument("--out", type=Path, required=True, help="markdown file to write")
    args = parser.parse_args(argv)
    write_text(args.out, build(args.runs, args.gan_metrics, load(DatasetsKeys, "data").datasets))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    run_stage(main)
