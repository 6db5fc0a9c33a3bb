"""rebalance: counts are right for each strategy, only train is touched, no row is added (oversampling
is a classifier mode, tested with the classifier)."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from pipeline.core.dataset import FaceDataset
from pipeline.core.emotions import FER2013_CLASSES
from pipeline.core.errors import PipelineError
from pipeline.data import rebalance

REPO = Path(__file__).resolve().parents[2]
ARGS = ["data/cropped", "data/balanced", "reports/rebalance"]

TRAIN_COUNTS = {"angry": 10, "disgust": 3, "happy": 6}


def imbalanced() -> FaceDataset:
    """Train: angry 10, disgust 3, happy 6 (other classes absent); val and test: 2 rows each."""
    rng = np.random.default_rng(0)
    labels = [FER2013_CLASSES.index(c) for c, n in TRAIN_COUNTS.items() for _ in range(n)] + [0, 1, 3, 3]
    split = ["train"] * sum(TRAIN_COUNTS.values()) + ["val", "val", "test", "test"]
    n = len(labels)
    return FaceDataset(images=rng.integers(0, 256, (n, 48, 48), dtype=np.uint8), labels=labels,
                       classes=FER2013_CLASSES, split=split, ids=[f"row{i}" for i in range(n)],
                       source="fer2013", subject=[f"P{i % 5}" for i in range(n)],
                       extra={"crop_outcome": np.full(n, "mtcnn")})


def run(tmp_path, datasets=("fer2013",), **params):
    section = {"strategy": "none", "cap": 4, "target": "max", "seed": 0, **params}
    params_yaml = {"data": {"datasets": list(datasets)}, "rebalance": section}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params_yaml))
    if not Path("data/cropped/fer2013.npz").exists():
        imbalanced().save("data/cropped/fer2013.npz")
    rebalance.main(ARGS)
    ds = FaceDataset.load(f"data/balanced/{datasets[0]}/dataset.npz")
    targets = json.loads(Path(f"data/balanced/{datasets[0]}/targets.json").read_text())
    return ds, targets


def train_counts(ds):
    return {c: n for c, n in ds.class_counts("train").items() if n}


def assert_eval_untouched(ds):
    original = imbalanced()
    for split in ("val", "test"):
        assert ds.of_split(split).ids.tolist() == original.of_split(split).ids.tolist()
    assert not ds.synthetic[ds.split != "train"].any()
    assert len(set(ds.ids)) == len(ds)


def test_none_keeps_everything_and_targets_the_majority(tmp_path):
    ds, targets = run(tmp_path, strategy="none")
    assert train_counts(ds) == TRAIN_COUNTS and not ds.synthetic.any()
    assert targets["dataset"] == "fer2013" and targets["classes"] == list(FER2013_CLASSES)
    assert targets["counts"] == {**dict.fromkeys(FER2013_CLASSES, 0), **TRAIN_COUNTS}
    assert targets["targets"] == {**dict.fromkeys(FER2013_CLASSES, 0),
                                  "angry": 10, "disgust": 10, "happy": 10}
    summary = json.loads(Path("reports/rebalance/fer2013/summary.json").read_text())
    assert summary["dataset"] == "fer2013" and summary["strategy"] == "none"
    assert summary["rows_removed"] == 0 and summary["rows_added_synthetic"] == 0


def test_cap_cuts_majority_classes(tmp_path):
    ds, targets = run(tmp_path, strategy="cap", cap=4)
    assert train_counts(ds) == {"angry": 4, "disgust": 3, "happy": 4}
    assert not ds.synthetic.any() and set(ds.ids) <= set(imbalanced().ids)
    assert targets["targets"]["disgust"] == 4  # max after capping
    assert_eval_untouched(ds)
    summary = json.loads(Path("reports/rebalance/fer2013/summary.json").read_text())
    assert summary["rows_removed"] == 6 + 2 and summary["rows_added_synthetic"] == 0
    assert summary["params"] == {"cap": 4, "target": "max", "seed": 0}


def test_every_listed_dataset_is_balanced_and_a_missing_one_fails(tmp_path, demo_dataset):
    demo_dataset.save("data/cropped/demo.npz")
    ds, targets = run(tmp_path, datasets=["demo", "fer2013"])
    assert targets["dataset"] == "demo" and len(ds) == len(demo_dataset)
    fer = json.loads(Path("data/balanced/fer2013/targets.json").read_text())
    assert fer["dataset"] == FaceDataset.load("data/balanced/fer2013/dataset.npz").source == "fer2013"
    assert json.loads(Path("reports/rebalance/demo/summary.json").read_text())["dataset"] == "demo"
    ds, targets = run(tmp_path, datasets=["demo"])  # the other's folder goes with the old outputs
    assert not Path("data/balanced/fer2013").exists() and not Path("reports/rebalance/fer2013").exists()
    before = sorted(p.name for p in Path("data/balanced").iterdir())
    with pytest.raises(PipelineError, match="data/cropped/ckplus.npz: not found, but params.yaml "
                                            "data.datasets lists ckplus"):
        run(tmp_path, datasets=["demo", "ckplus"])
    assert sorted(p.name for p in Path("data/balanced").iterdir()) == before  # old outputs kept
    for bad in (["imagenet"], [], ["demo", "demo"]):
        with pytest.raises(PipelineError, match="params.yaml: data.datasets"):
            run(tmp_path, datasets=bad)


def test_int_target_only_sets_the_targets(tmp_path):
    ds, targets = run(tmp_path, strategy="none", target=8)
    assert train_counts(ds) == TRAIN_COUNTS and not ds.synthetic.any()  # no row added here
    assert targets["targets"]["disgust"] == 8 and targets["fill"]["disgust"] == 5
    assert targets["fill"]["angry"] == 0 and targets["targets"]["angry"] == 8
    assert_eval_untouched(ds)


def test_per_class_target_dict(tmp_path):
    ds, targets = run(tmp_path, strategy="none", target={"disgust": 50})
    assert targets["targets"]["disgust"] == 50 and targets["targets"]["angry"] == 10
    assert targets["fill"]["disgust"] == 47


@pytest.mark.parametrize("params, key", [
    ({"strategy": "undersample"}, "rebalance.strategy"),
    ({"strategy": "smote"}, "rebalance.strategy"),  # oversampling moved to the classifier (cnn modes)
    ({"strategy": "random_oversample"}, "rebalance.strategy"),
    ({"strategy": "cap", "cap": "many"}, "rebalance.cap"),
    ({"target": {"grumpy": 5}}, "rebalance.target"),
    ({"target": "most"}, "rebalance.target"),
    ({"target": 0}, "rebalance.target"),
    ({"target": {"disgust": -1}}, "rebalance.target"),
    ({"cap": True}, "rebalance.cap"),
    ({"seed": None}, "rebalance.seed"),
])
def test_unknown_param_values(tmp_path, params, key):
    with pytest.raises(PipelineError, match=key):
        run(tmp_path, **params)
    assert not Path("data/balanced").exists()


def test_balanced_file_is_the_same_bytes_in_every_process(tmp_path):
    """The saved dataset's extra fields keep the input's order whatever Python's string-hash seed (a
    set order once made CK+'s data/balanced md5 differ between two runs on the same input)."""
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"data": {"datasets": ["fer2013"]}, "rebalance": {
        "strategy": "none", "cap": 4, "target": "max", "seed": 0}}))
    ds = imbalanced()
    ds.extra = {f"field{i}": np.full(len(ds), i) for i in range(6)}
    ds.save("data/cropped/fer2013.npz")
    digests = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        subprocess.run([sys.executable, "-m", "pipeline.data.rebalance", "data/cropped", f"out{seed}",
                        f"rep{seed}"], env=env, check=True, capture_output=True)
        digests.add(hashlib.md5(Path(f"out{seed}/fer2013/dataset.npz").read_bytes()).hexdigest())
    assert len(digests) == 1
    assert list(FaceDataset.load("out1/fer2013/dataset.npz").extra) == [f"field{i}" for i in range(6)]
