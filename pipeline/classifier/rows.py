"""Rows: the columns a training run needs (real rows plus added ones), and generated rows read in.

Every row keeps its id from the dataset (or a fresh one for added rows), so the tests and the
saved fold assignment can show that no synthetic or oversampled row reaches val or test.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.checkpoint import data_digest
from ..core.dataset import FaceDataset
from ..core.errors import PipelineError


@dataclass
class Rows:
    """The columns a training run needs, for one split (real rows plus any added ones)."""
    images: np.ndarray
    labels: np.ndarray
    ids: np.ndarray
    synthetic: np.ndarray
    subject: np.ndarray
    donor: np.ndarray  # transferred faces: the subject whose expression was copied ('' otherwise)

    FIELDS = ("images", "labels", "ids", "synthetic", "subject", "donor")

    @classmethod
    def of(cls, ds: FaceDataset, mask=None) -> "Rows":
        idx = np.flatnonzero(np.ones(len(ds), bool) if mask is None else mask)
        return cls(ds.images[idx], ds.labels[idx], ds.ids[idx], ds.synthetic[idx], ds.subject[idx],
                   np.full(len(idx), "", "<U1"))

    @classmethod
    def empty(cls, size: int) -> "Rows":
        return cls(np.zeros((0, size, size), np.uint8), np.zeros(0, np.int64), np.zeros(0, "<U1"),
                   np.zeros(0, bool), np.zeros(0, "<U1"), np.zeros(0, "<U1"))

    def __len__(self):
        return len(self.labels)

    def take(self, idx) -> "Rows":
        return Rows(*(getattr(self, k)[idx] for k in self.FIELDS))

    def __add__(self, other: "Rows") -> "Rows":
        return Rows(*(np.concatenate([getattr(self, k), getattr(other, k)]) for k in self.FIELDS))

    def tied_to(self, subjects) -> np.ndarray:
        """Rows whose identity or copied expression comes from one of `subjects`."""
        subjects = np.asarray(sorted(set(subjects) - {""}), dtype=str)
        return np.isin(self.subject, subjects) | np.isin(self.donor, subjects)

    def digest(self) -> str:
        """Ids, labels and pixels: regenerated images under the same ids (a retrained GAN) are new data."""
        return data_digest(self.ids, self.labels, np.ascontiguousarray(self.images))


def load_generated(path: Path, primary: FaceDataset, mode: str) -> Rows:
    """Generated images (mode gan or transfer), relabelled into the primary dataset's class order and size."""
    path = Path(path)
    return generated_rows(FaceDataset.load(path) if path.is_file() else None, path, primary, mode)


def generated_rows(syn: FaceDataset | None, path: Path, primary: FaceDataset, mode: str) -> Rows:
    """`load_generated` on a dataset already read from `path` (None: the file is missing).

    Transferred faces keep their identity (`subject`) and the expression donor
    (`extra['source_subject']`), so folds can drop rows tied to their val/test subjects.
    """
    if syn is None:
        raise PipelineError(f"{path}: missing; mode {mode} reads the images its generator made "
                            f"(run the {'synthesize' if mode == 'gan' else 'augment_transfer'} stage)")
    if len(syn) and not (np.all(syn.synthetic) and np.all(syn.split == "train")):
        raise PipelineError(f"{path}: synthetic dataset must hold rows with synthetic=True and "
                            f"split='train' only")
    missing = sorted(set(syn.classes) - set(primary.classes))
    if missing:
        raise PipelineError(f"{path}: classes {missing} are not in the primary dataset {primary.classes}")
    remap = np.array([primary.classes.index(c) for c in syn.classes], np.int64)
    images = syn.images
    size = primary.image_size
    if len(syn) and syn.image_size != size:
        import cv2

        images = np.stack([cv2.resize(im, (size, size), interpolation=cv2.INTER_AREA) for im in images])
    clash = np.intersect1d(syn.ids, primary.ids)
    if len(clash):
        raise PipelineError(f"{path}: {len(clash)} synthetic ids also name real rows (e.g. {clash[0]})")
    n = len(syn)
    transfer = mode == "transfer"
    donor = np.asarray(syn.extra.get("source_subject", np.full(n, "")), str) if transfer else np.full(n, "")
    subject = syn.subject if transfer else np.full(n, "")
    return Rows(images, remap[syn.labels] if n else syn.labels, syn.ids, np.ones(n, bool),
                np.asarray(subject, str), np.asarray(donor, str))
