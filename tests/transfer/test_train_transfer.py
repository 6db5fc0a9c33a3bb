"""Stage `train_transfer`: models, split, training card, dvclive logs; clear errors on missing or stale
landmarks."""

import json

import pytest

from pipeline.core.errors import PipelineError

from .conftest import fake_landmarks, train_args


def test_training_writes_models_split_card_and_logs(trained):
    for name in ("fusion.keras", "generator.keras", "pix2pix.keras", "split.json"):
        assert (trained / "models/transfer" / name).is_file()
    assert not (trained / "checkpoints/transfer").exists()  # backups dropped once the models are written
    split = json.loads((trained / "models/transfer/split.json").read_text())
    assert split["dataset"] == "demo" and set(split["subjects"].values()) == {"train", "test"}
    card = json.loads((trained / "reports/transfer/training.json").read_text())
    assert card["train_triples"] == 16 and card["params"]["epochs"] == 1 and "history" not in card
    assert "grid" not in card["params"] and "test_pairs" not in card["params"]
    for phase, metric in (("fusion", "cycle"), ("proposed", "l1"), ("pix2pix", "g_gan")):
        tsv = trained / f"reports/transfer/live/{phase}/plots/metrics/train/{metric}.tsv"
        assert tsv.read_text().splitlines()[0] == f"step\t{metric}" and len(tsv.read_text().splitlines()) == 2


def test_missing_then_stale_landmarks_are_one_clear_error(tmp_path, tiny_params, demo_dataset):
    from pipeline.transfer import train_transfer

    demo_dataset.save("data/cropped/demo.npz")
    with pytest.raises(PipelineError, match="landmarks"):
        train_transfer.main(train_args(tmp_path))  # landmarks not made yet: one clear error
    fake_landmarks(demo_dataset, tmp_path / "data/landmarks")
    # the cropped faces change after the landmarks were taken: stale landmarks are refused
    demo_dataset.with_images(255 - demo_dataset.images).save("data/cropped/demo.npz")
    with pytest.raises(PipelineError, match="rerun the landmarks"):
        train_transfer.main(train_args(tmp_path))
