"""Stage `ablate_transfer` (beyond the paper): the conditioning variants of transfer.ablation.variants on one
short schedule, each scored like evaluate_transfer (SSIM / PSNR, expression, identity, how much Ω listens
to its landmarks), beside pix2pix on the same schedule.

Reads the input faces, landmarks and the expression judge; writes the ablation json and per-epoch logs
through dvclive into <live>/<variant>/<phase>/. Finished variants are kept under <checkpoints> (core
RunCheckpoint state), so adding a variant trains only the new one.
"""

import argparse
from pathlib import Path

from ..core.cli import run_stage
from ..core.outputs import write_json
from ..core.params import load
from .config import AblationBaseKeys, AblationKeys
from .pairs import TransferData

PARAMS = {"transfer": AblationBaseKeys, "transfer.ablation": AblationKeys}


def main(argv=None, callbacks=()):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--input", type=Path, required=True, help="folder of <source>.npz faces")
    p.add_argument("--landmarks", type=Path, required=True, help="folder of <source>.npz landmarks")
    p.add_argument("--judge", type=Path, required=True, help="folder of the expression judge")
    p.add_argument("--ablation", type=Path, required=True, help="ablation json")
    p.add_argument("--live", type=Path, required=True, help="dvclive folder (one sub-folder per variant)")
    p.add_argument("--checkpoints", type=Path, required=True, help="kept results and backups")
    args = p.parse_args(argv)
    common, schedule = load(AblationBaseKeys, "transfer"), load(AblationKeys, "transfer.ablation")
    data = TransferData.of(args.input, args.landmarks, common)

    from ..core.checkpoint import data_digest
    from .ablation import run_ablation
    from .judge import load_judge
    from .scoring import Scorer

    test = data.triples("test", common.test_pairs, common.seed + 1)
    judge = load_judge(args.judge)
    scorer = Scorer(data, test, judge)
    digest = data_digest(*judge.get_weights())
    result = run_ablation(data, common, schedule, scorer, args.checkpoints, args.live, digest, callbacks)
    write_json(args.ablation, {"dataset": data.source, "size": common.size, **result})
    print(f"ablate_transfer: {len(result['variants'])} variants -> {args.ablation}")


if __name__ == "__main__":
    run_stage(main)
