"""Synthetic training rows: each class filled up to its rebalance target with its DCGAN's faces."""

import json
from pathlib import Path

import numpy as np

from pipeline.core.dataset import FaceDataset
from pipeline.core.errors import PipelineError

from .samples import generate_images


def read_targets(path: Path | str) -> dict:
    try:
        targets = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise PipelineError(f"{path}: not found (run the rebalance stage first)") from None
    except ValueError as exc:
        raise PipelineError(f"{path}: not valid JSON ({exc})") from None
    for key in ("targets", "counts"):
        if not isinstance(targets.get(key), dict):
            raise PipelineError(f"{path}: missing the '{key}' mapping of class -> count")
    return targets


def synthetic_counts(targets: dict, classes, path: Path | str = "targets") -> dict:
    """Images to generate per class: max(0, target - count); classes outside `classes` fail."""
    need = {}
    for name, target in targets["targets"].items():
        if name not in classes:
            raise PipelineError(f"{path}: unknown class '{name}' (dataset classes: {', '.join(classes)})")
        need[name] = max(0, int(target) - int(targets["counts"].get(name, 0)))
    return need


def synthesize(balanced: FaceDataset, need: dict, generator_for, seed: int = 0, batch: int = 256,
               where: dict | None = None, balanced_path: str = "the balanced dataset") -> FaceDataset:
    """A FaceDataset of generated training rows; `generator_for(class)` returns a Keras generator.

    `where` (class -> generator folder) and `balanced_path` only name the files in errors.
    """
    size = balanced.image_size
    images, labels, ids = [], [], []
    for i, name in enumerate(balanced.classes):
        n = need.get(name, 0)
        if n <= 0:
            continue
        generator = generator_for(name)
        out_size = int(generator.output_shape[1])
        if out_size != size:
            model = f"{(where or {}).get(name, name)}/generator.keras"
            raise PipelineError(f"{model} makes {out_size}px images but {balanced_path} holds {size}px "
                                f"images (gan.image_size vs crop.size)")
        images.append(generate_images(generator, n, seed=seed * 1000 + i, batch=batch))
        labels += [balanced.classes.index(name)] * n
        ids += [f"synth/{name}/{k:06d}" for k in range(n)]
    n = len(labels)
    k = balanced.au.shape[1]
    return FaceDataset(
        images=np.concatenate(images) if images else np.zeros((0, size, size), np.uint8),
        labels=np.asarray(labels, np.int64), classes=balanced.classes, split=np.full(n, "train"),
        ids=np.asarray(ids), source=balanced.source, usage=np.full(n, "synthetic"),
        au=np.zeros((n, k), np.uint8), au_codes=balanced.au_codes, au_known=np.zeros(n, bool),
        synthetic=np.ones(n, bool),
    )
