import numpy as np
import pytest

from pipeline.core.dataset import FaceDataset
from pipeline.core.errors import PipelineError
from pipeline.core.outputs import atomic_path


def test_dataset_roundtrip_without_pickle(tmp_path, demo_dataset):
    path = tmp_path / "d.npz"
    demo_dataset.save(path)
    with np.load(path, allow_pickle=False) as z:  # must load without pickle
        assert z["images"].dtype == np.uint8
    back = FaceDataset.load(path)
    assert back.classes == demo_dataset.classes
    assert back.source == "demo"
    np.testing.assert_array_equal(back.images, demo_dataset.images)
    np.testing.assert_array_equal(back.subject, demo_dataset.subject)
    np.testing.assert_array_equal(back.au, demo_dataset.au)
    assert list(back.au_codes) == list(demo_dataset.au_codes)


def test_demo_splits_are_subject_independent(demo_dataset):
    by_split = {s: set(demo_dataset.subject[demo_dataset.split == s]) for s in ("train", "val", "test")}
    assert all(by_split.values())
    assert not by_split["train"] & by_split["test"]
    assert not by_split["train"] & by_split["val"]
    assert len(set(demo_dataset.ids)) == len(demo_dataset)


def test_subset_and_concat_keep_rows_aligned(demo_dataset):
    train = demo_dataset.of_split("train")
    test = demo_dataset.of_split("test")
    joined = FaceDataset.concat([train, test])
    assert len(joined) == len(train) + len(test)
    assert set(joined.split) == {"train", "test"}
    i = len(train)
    np.testing.assert_array_equal(joined.images[i], test.images[0])
    assert joined.ids[i] == test.ids[0]


def test_load_missing_and_corrupt_files_fail_clearly(tmp_path):
    with pytest.raises(PipelineError, match="not found"):
        FaceDataset.load(tmp_path / "nope.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(PipelineError, match="bad.npz"):
        FaceDataset.load(bad)


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []
    with atomic_path(target) as tmp:
        tmp.write_text("whole")
    assert target.read_text() == "whole"
