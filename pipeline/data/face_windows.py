"""The face-window files of the detect_faces stage (where crop cuts each canonical image), and the
canonical datasets both stages read.

The detectors (MTCNN's networks above all) are floating-point work that differs in the last bits
between CPU kinds, which flips a face near a threshold (measured: one CK+48 and one FER-2013 face of
~36k, MTCNN on one machine, Haar on another) and so changes data/cropped and every stage after it.
Their result is therefore kept apart, small (integers and outcomes, no pixels) and tracked in git, so
that `crop` and everything downstream reproduce bit for bit on any machine without rerunning them.
"""

import hashlib
from pathlib import Path

import numpy as np

from pipeline.core.dataset import FaceDataset
from pipeline.core.errors import PipelineError
from pipeline.core.outputs import atomic_path


def canonical_datasets(canonical_dir: Path):
    """(path, dataset) of every canonical <source>.npz, the input of both face stages."""
    inputs = sorted(Path(canonical_dir).glob("*.npz"))
    if not inputs:
        raise PipelineError(f"{canonical_dir}: no canonical datasets (run the ingest stage first)")
    for path in inputs:
        ds = FaceDataset.load(path)
        if not len(ds):
            raise PipelineError(f"{path}: dataset has no rows")
        yield path, ds


def images_md5(ds: FaceDataset) -> str:
    return hashlib.md5(np.ascontiguousarray(ds.images).tobytes()).hexdigest()


def save(path: Path | str, ds: FaceDataset, outcome: np.ndarray, windows: np.ndarray, seconds: float) -> None:
    """outcome (n,), windows (n, 3) left, top, side, the md5 of the images they were found on, and the
    detection time (for reports/crop/outcomes.json)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, outcome=outcome, window=windows, images_md5=np.asarray(images_md5(ds)),
                                seconds=np.asarray(float(seconds)))


def load(path: Path | str, ds: FaceDataset) -> tuple[np.ndarray, np.ndarray, float]:
    """(outcome, windows, seconds) of `ds`; a missing, unreadable or other images' file names itself."""
    path = Path(path)
    if not path.is_file():
        raise PipelineError(f"{path}: face windows not found (run the detect_faces stage first)")
    try:
        with np.load(path, allow_pickle=False) as z:
            outcome, windows = z["outcome"], z["window"]
            md5, seconds = str(z["images_md5"]), float(z["seconds"])
    except Exception as exc:  # zipfile/KeyError/ValueError: truncated, not an npz or other fields
        raise PipelineError(f"{path}: not a readable face-windows file ({type(exc).__name__}: {exc})") from None
    if outcome.shape != (len(ds),) or windows.shape != (len(ds), 3):
        raise PipelineError(f"{path}: {len(outcome)} face windows for {len(ds)} images of {ds.source} "
                            "(rerun the detect_faces stage)")
    if md5 != images_md5(ds):
        raise PipelineError(f"{path}: found on other images than the canonical {ds.source} "
                            "(rerun the detect_faces stage)")
    return outcome, windows, seconds
