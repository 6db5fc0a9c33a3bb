"""The real faces each GAN trains on."""

import numpy as np
import pytest

from pipeline.core.errors import PipelineError
from pipeline.gan.training_data import (
    class_seed,
    class_training_images,
    load_feature_images,
)


def test_unknown_class_is_a_pipeline_error(demo_dataset):
    with pytest.raises(PipelineError, match="unknown class 'contempt'"):
        class_training_images(demo_dataset, "contempt", "data/balanced/dataset.npz")
    happy = class_training_images(demo_dataset, "happy", "data/balanced/dataset.npz")
    label = demo_dataset.classes.index("happy")
    assert len(happy) == int(((demo_dataset.split == "train") & (demo_dataset.labels == label)).sum()) > 0


def test_class_seeds_differ_per_class_and_repeat():
    assert class_seed(0, "happy") == class_seed(0, "happy") != class_seed(0, "sad")
    assert class_seed(1, "happy") != class_seed(0, "happy")


def test_feature_gan_reads_the_chosen_splits_of_each_source(demo_dataset, tmp_path):
    demo_dataset.save(tmp_path / "demo.npz")
    images, counts = load_feature_images(["demo"], ("train", "val"), tmp_path)
    assert counts == {"demo": int(np.isin(demo_dataset.split, ["train", "val"]).sum())}
    assert len(images) == counts["demo"]

