"""Small data and params for the classifier tests: a tiny network, the demo faces, stand-ins for the
generators' outputs, and the train -> evaluate stage pair run in-process."""

import numpy as np
import yaml

from pipeline.classifier import evaluate_classifier, train_classifier
from pipeline.classifier.config import TRAINED_MODES, EvalKeys, TrainKeys
from pipeline.core.dataset import FaceDataset

TINY = {"profile": "test", "dataset": "data/balanced/dataset.npz", "modes": list(TRAINED_MODES),
        "protocols": ["official", "thesis_random_split"], "evaluation": "auto", "folds": 3, "repeats": 1,
        "classical_in": ["classical"], "smote_k": 5, "flip": True, "shift": 0.1, "rotation": 10.0,
        "zoom": 0.1, "erasing": 0.0, "crop": 0, "label_smoothing": 0.0, "widths": [4], "convs_per_block": 1,
        "dense": 8, "dropout": 0.1, "bn_momentum": 0.9, "epochs": 1, "batch": 64, "lr": 0.01, "patience": 2,
        "seed": 0, "precision": "float32", "tta_flip": False, "tta_crops": False}


def keys(**changes) -> TrainKeys:
    return TrainKeys.model_validate({**TINY, **changes})


def eval_keys(**changes) -> EvalKeys:
    return EvalKeys.model_validate({**TINY, **changes})


def synthetic_rows(ds: FaceDataset, n: int = 20, prefix: str = "gan") -> FaceDataset:
    """Stand-in for the GAN stage's output: noisy copies of training images, fresh ids."""
    train = ds.of_split("train")
    rng = np.random.default_rng(0)
    pick = rng.choice(len(train), n)
    images = np.clip(train.images[pick] + rng.normal(0, 10, train.images[pick].shape), 0, 255)
    return FaceDataset(images=images.astype(np.uint8), labels=train.labels[pick], classes=ds.classes,
                       split=["train"] * n, ids=[f"{prefix}/{i}" for i in range(n)], source=ds.source,
                       synthetic=np.ones(n, bool))


def transferred_rows(ds: FaceDataset) -> FaceDataset:
    """Stand-in for augment_transfer: one face per (identity, donor) pair, some donors held out."""
    out = synthetic_rows(ds, n=len(ds), prefix="transfer")
    out.images = ds.images.copy()
    out.labels = ds.labels.copy()
    out.subject = ds.subject.copy()  # identity: every subject, val/test ones included
    out.extra = {"source_subject": np.roll(ds.subject, 7)}
    return out


def held_out_copy(ds: FaceDataset, every: int = 4) -> FaceDataset:
    """The demo with a subject hold-out instead of FER-style usage (CK+ with data.subject_holdout):
    every `every`-th subject is test, the rest train."""
    ds = ds.subset(np.ones(len(ds), bool))  # a copy: the fixture is shared
    ds.usage = np.full(len(ds), "")
    test = sorted(set(ds.subject.tolist()))[::every]
    ds.split = np.where(np.isin(ds.subject, test), "test", "train")
    return ds


def write_params(path, strategy: str = "none", **changes) -> None:
    path.write_text(yaml.safe_dump({"cnn": {**TINY, **changes}, "distribute": {"strategy": strategy}}))


def train_args(mode: str, *extra, dataset: str = "data/balanced/dataset.npz") -> list[str]:
    return [mode, "--dataset", dataset, "--models", f"models/cnn/folds/{mode}",
            "--live", f"reports/cnn/{mode}/live", "--checkpoints", f"checkpoints/cnn/{mode}",
            "--verbose", "0", *extra]


def evaluate_args(mode: str) -> list[str]:
    return ["--models", f"models/cnn/folds/{mode}", "--metrics", f"reports/cnn/{mode}/metrics.json",
            "--params-json", f"reports/cnn/{mode}/params.json",
            "--confusion", f"reports/cnn/{mode}/confusion", "--publish", f"models/cnn/{mode}"]


def train_and_evaluate(mode: str, *extra, dataset: str = "data/balanced/dataset.npz") -> dict:
    """The stage pair train_classifier@mode -> evaluate_classifier@mode, as dvc.yaml runs them."""
    train_classifier.main(train_args(mode, *extra, dataset=dataset))
    return evaluate_classifier.main(evaluate_args(mode))
