"""Stage `report`: the run's headline figures in reports/metrics.json and the README results table.

`dvc exp show` / `dvc metrics diff` turn reports/metrics.json into columns, so it holds at most 40
numbers (pipeline.report.headline: per dataset the classifiers' accuracy and macro-F1 per mode, the
peer's accuracy, the GANs' pooled FID and GAN-train / GAN-test, the thesis question's GAN-fill change and
interval, transfer SSIM / PSNR; the SVMs' mean AUCs); the detail
stays in each stage's metrics file. --table writes the results table README embeds.
Usage: python -m pipeline.report.report OUT --table TABLE NAME=PATH [NAME=PATH ...], NAME one of
cnn_<mode>, cnn_peer, gan, gan_ablation, question, svm, transfer. A folder stands for the files of every
dataset under it:
cnn=reports/cnn reads <dataset>/<mode>/metrics.json (as cnn_<mode>@<dataset>, peer as cnn_peer@<dataset>),
gan=reports/gan and question=reports/question read <dataset>/metrics.json (as gan@<dataset>, ...; not
reports/gan/ablation/, which gan_ablation= names). Only the datasets of `data.datasets` are read from a
folder, so a demo experiment's table does not show the committed real run's files beside its own.
"""

import argparse
import json
from pathlib import Path

from pipeline.core.cli import run_stage
from pipeline.core.errors import PipelineError
from pipeline.core.outputs import write_json, write_text
from pipeline.core.params import load
from pipeline.data.config import DatasetsKeys
from pipeline.report.headline import (
    MODE_LABELS,
    ablation_line,
    generator_kinds,
    headline,
    protocols,
    results_table,
)

PARAMS = {"data": DatasetsKeys}


def expand(name: str, path: Path, datasets: list[str]) -> dict[str, Path]:
    """NAME=FOLDER -> the metrics files under it of each of `datasets` (cnn: <dataset>/<mode>/, gan:
    <dataset>/)."""
    if not path.is_dir():
        return {name: path}
    if name == "cnn":
        order = [*MODE_LABELS, "peer"]  # pipeline order of the modes, then any other, per dataset

        def rank(p: Path):
            mode = p.parent.name
            return datasets.index(p.parent.parent.name), order.index(mode) if mode in order else len(order), p

        ours = [p for p in path.glob("*/*/metrics.json") if p.parent.parent.name in datasets]
        files = sorted(ours, key=rank)
        found = {f"cnn_{p.parent.name}@{p.parent.parent.name}": p for p in files}
    elif name in ("gan", "question"):
        found = {f"{name}@{p.parent.name}": p for p in sorted(path.glob("*/metrics.json"))
                 if p.parent.name in datasets}  # reports/gan/ablation is no dataset: gan_ablation= reads it
    else:
        raise PipelineError(f"report: {name}={path} is a folder (only cnn=, gan= and question= may name one)")
    if not found:
        raise PipelineError(f"{path}: no metrics files of {', '.join(datasets)} under it "
                            f"(stage '{name}' has not run)")
    return found


def read(named_paths: dict[str, Path]) -> dict:
    files = {}
    for name, path in named_paths.items():
        if not path.is_file():
            raise PipelineError(f"{path}: metrics file not found (stage '{name}' has not run)")
        try:
            files[name] = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise PipelineError(f"{path}: not valid json ({exc.msg} at line {exc.lineno})") from None
    return files


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="reports/metrics.json")
    parser.add_argument("--table", type=Path, required=True, help="reports/tables/results.md")
    parser.add_argument("metrics", nargs="+", help="NAME=PATH of each stage's metrics file")
    args = parser.parse_args(argv)
    datasets = load(DatasetsKeys, "data").datasets
    named = {}
    for arg in args.metrics:
        name, sep, path = arg.partition("=")
        if not sep or not name or not path:
            raise PipelineError(f"report: argument '{arg}' is not NAME=PATH")
        named.update(expand(name, Path(path), datasets))
    files = read(named)
    head = headline(files)
    write_json(args.out, head)
    notes = [line for line in (ablation_line(files),) if line]
    write_text(args.table, results_table(head, protocols(files), generator_kinds(files), notes))
    print(f"wrote {args.out} and {args.table} from {len(named)} stage(s)")


if __name__ == "__main__":
    run_stage(main)
