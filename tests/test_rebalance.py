"""rebalance: counts are right for each strategy, only train is touched, new rows are marked synthetic."""

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from pipeline import rebalance
from pipeline.core.dataset import FaceDataset, resolve_primary
from pipeline.core.emotions import FER2013_CLASSES
from pipeline.core.errors import PipelineError

TRAIN_COUNTS = {"angry": 10, "disgust": 3, "happy": 6}


def imbalanced() -> FaceDataset:
    """Train: angry 10, disgust 3, happy 6 (other classes absent); val and test: 2 rows each."""
    rng = np.random.default_rng(0)
    labels = [FER2013_CLASSES.index(c) for c, n in TRAIN_COUNTS.items() for _ in range(n)] + [0, 1, 3, 3]
    split = ["train"] * sum(TRAIN_COUNTS.values()) + ["val", "val", "test", "test"]
    n = len(labels)
    return FaceDataset(images=rng.integers(0, 256, (n, 48, 48), dtype=np.uint8), labels=labels,
                       classes=FER2013_CLASSES, split=split, ids=[f"row{i}" for i in range(n)], source="fer2013",
                       subject=[f"P{i % 5}" for i in range(n)], extra={"crop_outcome": np.full(n, "mtcnn")})


def run(tmp_path, monkeypatch, primary="auto", **params):
    monkeypatch.chdir(tmp_path)
    section = {"strategy": "none", "cap": 4, "target": "max", "smote_k": 5, "seed": 0, **params}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"data": {"primary": primary}, "rebalance": section}))
    if not Path("data/cropped/fer2013.npz").exists():
        imbalanced().save("data/cropped/fer2013.npz")
    rebalance.main([])
    ds = FaceDataset.load("data/balanced/dataset.npz")
    targets = json.loads(Path("data/balanced/targets.json").read_text())
    return ds, targets


def train_counts(ds):
    return {c: n for c, n in ds.class_counts("train").items() if n}


def assert_eval_untouched(ds):
    original = imbalanced()
    for split in ("val", "test"):
        assert ds.of_split(split).ids.tolist() == original.of_split(split).ids.tolist()
    assert not ds.synthetic[ds.split != "train"].any()
    assert len(set(ds.ids)) == len(ds)


def test_none_keeps_everything_and_targets_the_majority(tmp_path, monkeypatch):
    ds, targets = run(tmp_path, monkeypatch, strategy="none")
    assert train_counts(ds) == TRAIN_COUNTS and not ds.synthetic.any()
    assert targets["dataset"] == "fer2013" and targets["classes"] == list(FER2013_CLASSES)
    assert targets["counts"] == {**dict.fromkeys(FER2013_CLASSES, 0), **TRAIN_COUNTS}
    assert targets["targets"] == {**dict.fromkeys(FER2013_CLASSES, 0), "angry": 10, "disgust": 10, "happy": 10}
    summary = json.loads(Path("reports/rebalance/summary.json").read_text())
    assert summary["dataset"] == "fer2013" and summary["strategy"] == "none"


def test_cap_cuts_majority_classes(tmp_path, monkeypatch):
    ds, targets = run(tmp_path, monkeypatch, strategy="cap", cap=4)
    assert train_counts(ds) == {"angry": 4, "disgust": 3, "happy": 4}
    assert not ds.synthetic.any() and set(ds.ids) <= set(imbalanced().ids)
    assert targets["targets"]["disgust"] == 4  # max after capping
    assert_eval_untouched(ds)


def test_random_oversample_adds_marked_copies(tmp_path, monkeypatch):
    ds, _ = run(tmp_path, monkeypatch, strategy="random_oversample")
    assert train_counts(ds) == {"angry": 10, "disgust": 10, "happy": 10}
    new = ds.subset(ds.synthetic)
    assert len(new) == 7 + 4
    assert all("#oversample" in i for i in new.ids)
    original = imbalanced()
    for row in range(len(new)):  # a copy: same pixels, label and subject as a real training row
        src = original.ids.tolist().index(new.ids[row].split("#")[0])
        assert np.array_equal(new.images[row], original.images[src]) and new.subject[row] == original.subject[src]
    assert len(new.extra["crop_outcome"]) == len(new)
    assert_eval_untouched(ds)


def test_smote_interpolates_up_to_an_int_target(tmp_path, monkeypatch):
    ds, targets = run(tmp_path, monkeypatch, strategy="smote", target=8)
    assert train_counts(ds) == {"angry": 10, "disgust": 8, "happy": 8}
    new = ds.subset(ds.synthetic)
    assert len(new) == 5 + 2 and set(new.subject) == {""} and not new.au_known.any()
    assert set(new.extra["crop_outcome"]) == {""}
    assert targets["fill"]["angry"] == 0 and targets["targets"]["angry"] == 8
    assert_eval_untouched(ds)


def test_per_class_target_dict(tmp_path, monkeypatch):
    ds, targets = run(tmp_path, monkeypatch, strategy="none", target={"disgust": 50})
    assert targets["targets"]["disgust"] == 50 and targets["targets"]["angry"] == 10
    assert targets["fill"]["disgust"] == 47


@pytest.mark.parametrize("params, key", [
    ({"strategy": "undersample"}, "rebalance.strategy"),
    ({"strategy": "cap", "cap": "many"}, "rebalance.cap"),
    ({"target": {"grumpy": 5}}, "rebalance.target"),
    ({"target": "most"}, "rebalance.target"),
])
def test_unknown_param_values(tmp_path, monkeypatch, params, key):
    with pytest.raises(PipelineError, match=key):
        run(tmp_path, monkeypatch, **params)
    assert not Path("data/balanced").exists()


def test_resolve_primary(tmp_path):
    for name in ("demo", "ckplus"):
        (tmp_path / f"{name}.npz").write_bytes(b"")
    assert resolve_primary({"primary": "auto"}, tmp_path).name == "ckplus.npz"
    assert resolve_primary({"primary": "demo"}, tmp_path).name == "demo.npz"
    with pytest.raises(PipelineError, match="data.primary=rafd"):
        resolve_primary({"primary": "rafd"}, tmp_path)
    with pytest.raises(PipelineError, match="data.primary='imagenet'"):
        resolve_primary({"primary": "imagenet"}, tmp_path)
