"""The real faces the GAN metrics compare against, and their Inception features cached on disk.

`evaluation_split` picks the real training rows (the reference) and the held-out rows (the
real-vs-real floor); stage real_stats featurises both once into one .npz (`save_real_stats`),
which gan_metrics reads back (`load_real_stats`), refusing it when the dataset changed since.
"""

import hashlib
import json
from pathlib import Path

import numpy as np

from pipeline.core.dataset import FaceDataset
from pipeline.core.errors import PipelineError
from pipeline.core.outputs import atomic_path


def pick(images: np.ndarray, n: int, rng) -> np.ndarray:
    if len(images) <= n:
        return images
    return images[np.sort(rng.choice(len(images), n, replace=False))]


def evaluation_split(ds: FaceDataset) -> tuple[np.ndarray, np.ndarray, str]:
    """(train mask, eval mask, description): real test rows, else val, else 20% of train subjects."""
    real = ~ds.synthetic
    train = real & (ds.split == "train")
    for split in ("test", "val"):
        held = real & (ds.split == split)
        if held.any():
            usage = sorted(set(ds.usage[held]) - {""})
            return train, held, f"split '{split}'" + (f" ({', '.join(usage)})" if usage else "")
    rng = np.random.default_rng(0)
    groups = ds.subject if ds.has_subjects else ds.ids
    names = np.unique(groups[train])
    held_names = rng.choice(names, max(1, len(names) // 5), replace=False)
    held = train & np.isin(groups, held_names)
    return train & ~held, held, "20% of training subjects held out here (dataset has no val/test rows)"


def capped_rows(mask: np.ndarray, cap: int, seed: int) -> np.ndarray:
    """Indices of the rows in `mask`, at most `cap` of them (a seeded choice, in order; 0 = all)."""
    rows = np.flatnonzero(mask)
    if cap and len(rows) > cap:
        rows = np.sort(np.random.default_rng(seed).choice(rows, cap, replace=False))
    return rows


def dataset_digest(ds: FaceDataset) -> str:
    """A digest of the real rows (pixels, labels, splits) the statistics depend on."""
    h = hashlib.sha1()
    real = ~ds.synthetic
    for array in (ds.images[real], ds.labels[real], ds.split[real].astype(str)):
        h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()[:16]


CHUNK = 1024  # images per saved piece of a resumable featurisation


def resumable_features(extractor, images: np.ndarray, folder: Path | str, name: str,
                       progress: str | None = None) -> np.ndarray:
    """extractor(images) in pieces of CHUNK, each kept in `folder` as it is done: a killed run
    recomputes only the pieces it had not finished."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    parts = []
    for i, start in enumerate(range(0, len(images), CHUNK)):
        path = folder / f"{name}_{i:05d}.npy"
        if not path.is_file():
            part = extractor(images[start:start + CHUNK], progress=progress and f"{progress} {i + 1}")
            tmp = folder / f".{name}_{i:05d}.tmp.npy"
            np.save(tmp, np.asarray(part, np.float32))
            tmp.replace(path)
        parts.append(np.load(path))
    return np.concatenate(parts) if parts else np.zeros((0, 2048), np.float32)


STAT_ARRAYS = ("train_features", "train_labels", "eval_features", "eval_labels", "train_mu", "train_sigma")


def save_real_stats(path: Path | str, info: dict, arrays: dict | None = None) -> None:
    """info (JSON-able: available, note, counts, digest) + the feature arrays when available."""
    arrays = arrays or {}
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, info=np.asarray(json.dumps(info)), **arrays)


def load_real_stats(path: Path | str, ds: FaceDataset) -> tuple[dict, dict]:
    """(info, arrays) of a real_stats file made from this dataset; fails naming the file otherwise."""
    try:
        with np.load(path, allow_pickle=False) as z:
            info = json.loads(str(z["info"]))
            arrays = {k: z[k] for k in STAT_ARRAYS if k in z.files}
    except (OSError, ValueError, KeyError) as exc:
        raise PipelineError(f"{path}: missing or unreadable real statistics ({exc}); "
                            "run real_stats") from None
    if info.get("dataset_digest") != dataset_digest(ds):
        raise PipelineError(f"{path}: computed from other real faces than {ds.source}'s balanced dataset "
                            "(rerun real_stats)")
    return info, arrays
