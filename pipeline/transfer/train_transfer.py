"""Stage `train_transfer`: train the fusion module Φ, then the transfer U-Net Ω and the pix2pix baseline.

Reads <input>/<source>.npz and <landmarks>/<source>.npz; writes <models>/ (fusion.keras, generator.keras,
pix2pix.keras, split.json: the subject split, read by the classifier's transfer mode), the training card
json and per-epoch losses of each phase through dvclive into <live>/<phase>/. Each phase backs up every
epoch under <checkpoints>/<phase>/ (core RunCheckpoint), so a killed run resumes where it stopped.
"""

import argparse
from pathlib import Path

from ..core.cli import run_stage
from ..core.outputs import write_json
from ..core.params import load
from .config import TrainKeys
from .pairs import TransferData

PARAMS = {"transfer": TrainKeys}


def main(argv=None, callbacks=()):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--input", type=Path, required=True, help="folder of <source>.npz faces")
    p.add_argument("--landmarks", type=Path, required=True, help="folder of <source>.npz landmarks")
    p.add_argument("--models", type=Path, required=True, help="folder the models and split.json go to")
    p.add_argument("--training", type=Path, required=True, help="training card json")
    p.add_argument("--live", type=Path, required=True, help="dvclive folder (one sub-folder per phase)")
    p.add_argument("--checkpoints", type=Path, required=True, help="backups of unfinished phases")
    args = p.parse_args(argv)
    cfg = load(TrainKeys, "transfer")
    data = TransferData.of(args.input, args.landmarks, cfg)

    from .inference import save_models
    from .train_lib import finish, train_models, training_card

    trained = train_models(data, cfg, args.checkpoints, args.live, callbacks)
    save_models(args.models, trained)
    write_json(args.models / "split.json", data.split_card())
    write_json(args.training, training_card(data, cfg, trained["triples"], trained["final_losses"]))
    finish(trained["runs"], args.checkpoints)
    print(f"train_transfer: {data.source} at {cfg.size}px, {len(trained['triples'])} training triples; "
          f"models in {args.models}")


if __name__ == "__main__":
    run_stage(main)
