"""Stage `evaluate_classifier@<mode>` (and `_gan` / `_transfer`): score the trained runs of one mode.

Usage: python -m pipeline.classifier.evaluate_classifier --models DIR --metrics JSON --params-json JSON
           --confusion DIR --publish DIR [--params FILE]
Reads what train_classifier wrote to --models (every run's model and its test rows), scores each with
test-time augmentation (cnn.tta_flip, cnn.tta_crops), and writes the metrics per protocol (mean and std
over folds or seeds), one confusion csv + png per protocol, the params behind them, and publishes the
first protocol's model with how it was scored (--publish: model.keras + model.json, what fer-predict
loads). Only scoring keys are read here: changing them never retrains.
"""

import argparse
from pathlib import Path

from ..core.cli import run_stage
from ..core.outputs import write_json
from ..core.params import load
from . import scoring
from .config import EvalKeys

PARAMS = {"cnn": EvalKeys}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m pipeline.classifier.evaluate_classifier",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=Path, required=True, help="trained runs (train_classifier --models)")
    parser.add_argument("--metrics", type=Path, required=True, help="metrics.json to write")
    parser.add_argument("--params-json", type=Path, required=True, help="params.json to write (its keys)")
    parser.add_argument("--confusion", type=Path, required=True, help="folder for <protocol>.csv / .png")
    parser.add_argument("--publish", type=Path, required=True, help="folder for model.keras + model.json")
    args = parser.parse_args(argv)
    keys = load(EvalKeys, "cnn")
    metrics = scoring.evaluate(args.models, keys, args.confusion)
    write_json(args.metrics, metrics)
    write_json(args.params_json, scoring.used_params(args.models, keys))
    scoring.publish(args.models, keys, args.publish)
    return metrics


if __name__ == "__main__":
    run_stage(main)
