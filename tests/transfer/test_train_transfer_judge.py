"""Stage `train_transfer_judge`: the expression CNN on the training subjects' real faces, its card and log."""

import json

import numpy as np

from pipeline.transfer.judge import class_weights


def test_judge_model_card_and_log(trained):
    assert (trained / "models/transfer_judge/expression.keras").is_file()
    assert not (trained / "checkpoints/transfer_judge").exists()
    card = json.loads((trained / "reports/transfer/judge.json").read_text())
    split = json.loads((trained / "models/transfer/split.json").read_text())["subjects"]
    assert card["train_subjects"] == sum(v == "train" for v in split.values())
    assert 0 <= card["test_accuracy"] <= 1 and card["params"]["epochs"] == 1
    assert (trained / "reports/transfer/judge_live/plots/metrics/train/loss.tsv").is_file()


def test_class_weights_balance_the_classes():
    w = class_weights(np.array([0, 0, 0, 1]), 3)
    assert w[0] * 3 == w[1] and w[2] == 0
