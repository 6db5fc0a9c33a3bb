"""Stage `train_question@<dataset>-<arm>` (and `train_question_gan`): one arm of the thesis question.

The arms and their comparison: pipeline/classifier/question.py.

Usage: python -m pipeline.classifier.train_question ARM --dataset NPZ [--added NPZ] --models DIR --live DIR
           --checkpoints DIR [--params FILE]
ARM is one of question.arms (classical | smote) or question.gan_arms (gan_fill | gan_half; stage
train_question_gan@<dataset>-<arm>, with --added). Trains question.seeds runs of the
cnn network with online classical augmentation on the dataset's own split (FER-2013 official, CK+
subject hold-out), plus the arm's added rows (--added: the synthesize stage's faces, read by the gan
arms only), and writes them as train_classifier does (question_table scores them). Resumable.
"""

import argparse
from pathlib import Path

from ..core.cli import run_stage
from ..core.distribute import DistributeKeys
from ..core.errors import PipelineError
from ..core.params import fail, load
from . import train_lib
from .config import ARM_MODES, ArmCnnKeys, QuestionTrainKeys
from .protocols import evaluation_kind, mode_inputs
from .question import arm_config, arm_rows

PARAMS = {"cnn": ArmCnnKeys, "question": QuestionTrainKeys, "distribute": DistributeKeys}


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.classifier.train_question", description=__doc__.split("\n")[0]
    )
    parser.add_argument("arm", help=" | ".join(ARM_MODES))
    parser.add_argument("--dataset", type=Path, required=True, help="data/balanced/<dataset>/dataset.npz")
    parser.add_argument(
        "--added",
        type=Path,
        default=None,
        help="data/synthetic/<dataset>/dataset.npz (the gan arms: stage train_question_gan)",
    )
    parser.add_argument("--models", type=Path, required=True, help="folder for the trained runs")
    parser.add_argument("--live", type=Path, required=True, help="dvclive folder for per-epoch metrics")
    parser.add_argument("--checkpoints", type=Path, required=True, help="resume folder (not a DVC output)")
    args = parser.parse_args(argv)
    q = load(QuestionTrainKeys, "question")
    if args.arm not in ARM_MODES:
        raise PipelineError(f"question arm {args.arm!r} is not one of {', '.join(ARM_MODES)}")
    cfg = arm_config(args.arm, load(ArmCnnKeys, "cnn"), q)
    mode = ARM_MODES[args.arm]
    if (mode == "gan") != (args.added is not None):
        raise PipelineError(
            f"question arm {args.arm}: --added (the synthetic faces) is for the gan arms only"
        )
    ds, generated, skip = mode_inputs(mode, args.dataset, args.added if mode == "gan" else None, cfg)
    if evaluation_kind(ds, cfg.evaluation) == "subject_kfold":
        raise fail("cnn.evaluation", f"{ds.source} is scored by subject k-fold, and the question pairs seeds "
                                     f"on one split: hold subjects out (data.subject_holdout.test > 0)")
    if skip:
        train_lib.write_skipped(args.models, args.live, ds, args.arm, skip)
        return
    train_lib.train_mode(
        ds,
        mode,
        arm_rows(args.arm, generated, cfg.seed),
        cfg,
        args.models,
        args.live,
        args.checkpoints,
        strategy=load(DistributeKeys, "distribute").strategy,
    )


if __name__ == "__main__":
    run_stage(main)
