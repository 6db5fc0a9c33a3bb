"""Stage `augment_transfer`: transferred faces for training subjects only."""

import json

import numpy as np

from pipeline.core.dataset import FaceDataset

from .conftest import write_params


def test_augmented_faces_use_training_subjects_only(trained, tmp_path, demo_dataset):
    from pipeline.transfer import augment_transfer

    write_params(tmp_path / "params.yaml")
    augment_transfer.main(["--input", str(trained / "data/cropped"),
                           "--landmarks", str(trained / "data/landmarks"),
                           "--models", str(trained / "models/transfer"), "--out", "data/transfer/dataset.npz",
                           "--report", "reports/transfer/augment.json"])
    aug = FaceDataset.load("data/transfer/dataset.npz")
    split = json.loads((trained / "models/transfer/split.json").read_text())["subjects"]
    assert len(aug) > 0 and aug.synthetic.all() and set(aug.split) == {"train"}
    assert len(set(aug.ids)) == len(aug) and aug.image_size == demo_dataset.image_size
    assert {split[s] for s in aug.subject} | {split[s] for s in aug.extra["source_subject"]} == {"train"}
    assert np.all(aug.subject != aug.extra["source_subject"])
    report = json.loads((tmp_path / "reports/transfer/augment.json").read_text())
    assert report["rows"] == len(aug) and sum(report["counts"].values()) == len(aug)
