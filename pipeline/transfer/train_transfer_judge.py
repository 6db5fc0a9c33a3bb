"""Stage `train_transfer_judge`: the expression classifier that scores transferred faces (beyond the paper).

Trained on the real faces of the transfer-training subjects only (same subject split as the GANs) at the
working size; writes <models>/expression.keras, the judge card json (accuracy on the held-out subjects'
real faces) and per-epoch logs through dvclive into <live>. Backs up every epoch under <checkpoints>.
"""

import argparse
from pathlib import Path

from ..core.cli import run_stage
from ..core.outputs import atomic_path, write_json
from ..core.params import load
from .config import DataKeys, JudgeKeys
from .judge import JUDGE
from .pairs import TransferData

PARAMS = {"transfer": DataKeys, "transfer.judge": JudgeKeys}


def main(argv=None, callbacks=()):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--input", type=Path, required=True, help="folder of <source>.npz faces")
    p.add_argument("--landmarks", type=Path, required=True, help="folder of <source>.npz landmarks")
    p.add_argument("--models", type=Path, required=True, help="folder the judge model goes to")
    p.add_argument("--card", type=Path, required=True, help="judge card json")
    p.add_argument("--live", type=Path, required=True, help="dvclive folder")
    p.add_argument("--checkpoints", type=Path, required=True, help="backups of an unfinished run")
    args = p.parse_args(argv)
    keys, cfg = load(DataKeys, "transfer"), load(JudgeKeys, "transfer.judge")
    data = TransferData.of(args.input, args.landmarks, keys)

    from .judge import judge_card, train_judge

    model, run = train_judge(data, cfg, keys.seed, args.checkpoints, args.live, callbacks)
    with atomic_path(args.models / JUDGE) as tmp:
        model.save(tmp)
    card = judge_card(model, data, cfg)
    write_json(args.card, card)
    run.finish()
    print(f"train_transfer_judge: accuracy {card['test_accuracy']:.3f} on {card['test_rows']} real faces of "
          f"{card['test_subjects']} held-out subjects")


if __name__ == "__main__":
    run_stage(main)
