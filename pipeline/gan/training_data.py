"""The real faces each GAN trains on: one class of the balanced set, or whole cropped datasets."""

from pathlib import Path

import numpy as np

from pipeline.core.dataset import FaceDataset
from pipeline.core.errors import PipelineError


def class_training_images(dataset: FaceDataset, name: str, path: Path | str) -> np.ndarray:
    """Real (non-synthetic) training images of one class; unknown class -> PipelineError."""
    if name not in dataset.classes:
        raise PipelineError(f"{path}: unknown class '{name}' for train_gan "
                            f"(dataset classes: {', '.join(dataset.classes)}; check gan.classes)")
    label = dataset.classes.index(name)
    mask = (dataset.split == "train") & (dataset.labels == label) & ~dataset.synthetic
    if not mask.any():
        raise PipelineError(f"{path}: class '{name}' has no real training images")
    return dataset.images[mask]


def conditional_training_images(dataset: FaceDataset, classes, max_images: int, seed: int,
                                path: Path | str) -> tuple[np.ndarray, np.ndarray, dict]:
    """Real training images of every class in `classes`, each capped at `max_images` (0 = all) by a
    seeded choice as the per-class GANs are, with their dataset class indices and per-class counts."""
    parts, labels, counts = [], [], {}
    for name in classes:
        images = class_training_images(dataset, name, path)
        if max_images and len(images) > max_images:
            rng = np.random.default_rng(class_seed(seed, name))
            images = images[np.sort(rng.choice(len(images), max_images, replace=False))]
        parts.append(images)
        labels.append(np.full(len(images), dataset.classes.index(name), np.int32))
        counts[name] = len(images)
    return np.concatenate(parts), np.concatenate(labels), counts


def class_seed(seed: int, name: str) -> int:
    """A per-class seed, stable across runs (so classes differ but each run repeats)."""
    import zlib

    return (int(seed) * 1000003 + zlib.crc32(name.encode())) % (2 ** 31)


def load_feature_images(sources: list[str], splits, cropped: Path | str) -> tuple[np.ndarray, dict]:
    """uint8 images of the chosen splits of each source, and per-source counts."""
    parts, counts = [], {}
    for source in sources:
        path = Path(cropped) / f"{source}.npz"
        ds = FaceDataset.load(path)
        mask = np.isin(ds.split, list(splits)) & ~ds.synthetic
        if not mask.any():
            raise PipelineError(f"{path}: no rows in splits {list(splits)} (feature_gan.splits)")
        images = ds.images[mask]
        if parts and images.shape[1:] != parts[0].shape[1:]:
            import cv2

            side = parts[0].shape[1]
            images = np.stack([cv2.resize(im, (side, side), interpolation=cv2.INTER_AREA) for im in images])
        parts.append(images)
        counts[source] = int(mask.sum())
    return np.concatenate(parts), counts
