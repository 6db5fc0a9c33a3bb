"""Stage `train_classifier@<mode>` (and `train_classifier_gan` / `_transfer`): train the CNN's runs.

Usage: python -m pipeline.classifier.train_classifier MODE --dataset NPZ --models DIR --live DIR
           --checkpoints DIR [--added NPZ] [--transfer-split JSON] [--verbose 0|1|2|auto] [--params FILE]
MODE is none | classical | random_oversample | smote (stage train_classifier@<mode>) or one of the
generated modes gan | transfer (their own stages: images a trained generator made, read from --added;
transfer also reads the subjects its generator trained on, --transfer-split). Writes one model per
protocol (cnn.protocols) and fold or seed to --models, with the rows each trained on and is scored on;
evaluate_classifier scores them. Protocols and leakage rules: pipeline/classifier/protocols.py.
"""

import argparse
from pathlib import Path

from ..core.cli import run_stage
from ..core.distribute import DistributeKeys
from ..core.errors import PipelineError
from ..core.params import load
from . import train_lib
from .config import GENERATED_MODES, MODES, TRAINED_MODES, TrainKeys
from .protocols import mode_inputs

PARAMS = {"cnn": TrainKeys, "distribute": DistributeKeys}


def verbosity(text: str):
    return text if text == "auto" else int(text)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m pipeline.classifier.train_classifier",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("mode", help=" | ".join(MODES))
    parser.add_argument("--dataset", type=Path, required=True, help="canonical dataset (cnn.dataset)")
    parser.add_argument("--models", type=Path, required=True, help="folder for the trained runs")
    parser.add_argument("--live", type=Path, required=True, help="dvclive folder for per-epoch metrics")
    parser.add_argument("--checkpoints", type=Path, required=True, help="resume folder (not a DVC output)")
    parser.add_argument("--added", type=Path, default=None, help="generated images (modes gan / transfer)")
    parser.add_argument("--transfer-split", type=Path, default=None,
                        help="models/transfer/split.json: subjects the transfer generator trained on")
    parser.add_argument("--verbose", type=verbosity, default=2, choices=[0, 1, 2, "auto"],
                        help="Keras fit output")
    args = parser.parse_args(argv)
    if args.mode not in MODES:
        raise PipelineError(f"cnn mode {args.mode!r} is not one of {', '.join(MODES)}")
    if args.mode in GENERATED_MODES and args.added is None:
        raise PipelineError(f"mode {args.mode} trains on generated images and has its own stage "
                            f"(train_classifier_{args.mode}, --added); cnn.modes lists only "
                            f"{', '.join(TRAINED_MODES)}")
    if args.mode not in GENERATED_MODES and args.added is not None:
        raise PipelineError(f"mode {args.mode} adds no generated images; --added is for "
                            f"{', '.join(GENERATED_MODES)}")
    cfg = load(TrainKeys, "cnn")
    strategy = load(DistributeKeys, "distribute").strategy
    ds, generated, skip = mode_inputs(args.mode, args.dataset, args.added, cfg)
    if skip:
        train_lib.write_skipped(args.models, args.live, ds, args.mode, skip)
        return
    train_lib.train_mode(ds, args.mode, generated, cfg, args.models, args.live, args.checkpoints,
                         args.transfer_split, args.verbose, strategy=strategy)


if __name__ == "__main__":
    run_stage(main)
