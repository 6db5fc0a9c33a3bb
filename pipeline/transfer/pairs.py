"""Training and test examples of the transfer paper: subject split, (source, target, truth) triples.

The paper's ground truth is the target identity showing the source's expression, so an example is a
triple (source frame: subject A, expression e; target frame: subject B, expression e' != e; truth
frame: subject B, expression e, another sequence). Subjects are split into train/test, so test
identities (sources and targets) are never seen in training.
"""

import math
from pathlib import Path

import numpy as np

from ..core.dataset import FaceDataset
from ..core.errors import PipelineError
from ..core.images import to_gan_inputs
from .encodings import render
from .face_landmarks import load_landmarks
from .inputs import load_input


def split_subjects(subjects, test_fraction: float, seed: int) -> dict:
    """Deterministic subject -> 'train' | 'test' map (the paper's 8:2 split, by identity)."""
    names = sorted(set(np.asarray(subjects, str).tolist()))
    if len(names) < 4:
        raise PipelineError("transfer: need at least 4 subjects for a subject-disjoint split, "
                            f"found {len(names)}")
    order = np.random.default_rng(seed).permutation(len(names))
    n_test = min(len(names) - 2, max(2, int(round(test_fraction * len(names)))))
    return {names[i]: ("test" if rank < n_test else "train") for rank, i in enumerate(order)}


def dataset_or_own_split(data: FaceDataset, test_fraction: float, seed: int) -> dict:
    """subject -> 'train' | 'test'. When ingest held subjects out (val/test rows), those are the test
    subjects, so the generator never sees the subjects a classifier is scored on; else an own 8:2 split."""
    if np.any(data.split != "train"):
        held = set(data.subject[data.split != "train"].tolist())
        return {s: ("test" if s in held else "train") for s in sorted(set(data.subject.tolist()))}
    return split_subjects(data.subject, test_fraction, seed)


def make_triples(labels, subjects, sequences, rows, n: int, seed: int) -> np.ndarray:
    """Sample `n` (source, target, truth) row-index triples among `rows`.

    target and truth: same subject, different sequences, different expressions; source: another
    subject showing the truth's expression. Raises PipelineError when `rows` allow none.
    """
    labels, subjects, sequences = (np.asarray(a) for a in (labels, subjects, sequences))
    rows = np.asarray(rows, np.int64)
    rng = np.random.default_rng(seed)
    by_subject: dict = {}
    for r in rows:
        by_subject.setdefault(subjects[r], []).append(r)
    pairs = []  # (target row, truth row)
    for subj_rows in by_subject.values():
        for t in subj_rows:
            for o in subj_rows:
                if labels[t] != labels[o] and sequences[t] != sequences[o]:
                    pairs.append((t, o))
    if not pairs:
        raise PipelineError("transfer: no subject has two sequences with different expressions in this split "
                            "(CK+/RaFD-like data with subject and sequence ids is needed)")
    pairs = np.array(pairs, np.int64)
    by_label: dict = {}
    for r in rows:
        by_label.setdefault(labels[r], []).append(r)
    triples = []
    for k in rng.permutation(len(pairs) * max(1, math.ceil(n / len(pairs))))[: 4 * n]:
        t, o = pairs[k % len(pairs)]
        sources = [r for r in by_label[labels[o]] if subjects[r] != subjects[o]]
        if sources:
            triples.append((sources[rng.integers(len(sources))], t, o))
        if len(triples) == n:
            break
    if not triples:
        raise PipelineError("transfer: no other subject shows any truth expression in this split")
    return np.array(triples, np.int64)


def to_unit(images: np.ndarray, size: int) -> np.ndarray:
    """uint8 (N, H, W) faces -> float32 (N, size, size, 1) in [-1, 1] (cubic up-, area down-sampling)."""
    return to_gan_inputs(images, size, upsample="cubic")


class TransferData:
    """The transfer dataset at working resolution: faces, landmark images, subject split."""

    def __init__(self, input_dir: Path | str, landmark_dir: Path | str, source: str, size: int,
                 test_fraction: float, seed: int):
        self.source, self.path, self.data = load_input(input_dir, source)
        if not self.data.has_subjects or not np.all(self.data.sequence != ""):
            raise PipelineError(f"{self.path}: transfer needs subject and sequence ids on every row")
        self.points = load_landmarks(Path(landmark_dir) / f"{self.source}.npz", self.data)
        self.faces = to_unit(self.data.images, size)
        self._encoded: dict = {}
        self.subject_split = dataset_or_own_split(self.data, test_fraction, seed)
        self.rows = {s: np.flatnonzero([self.subject_split[x] == s for x in self.data.subject])
                     for s in ("train", "test")}

    @classmethod
    def of(cls, input_dir, landmark_dir, keys) -> "TransferData":
        """Built from a stage's `DataKeys` (source, size, test_fraction, seed)."""
        return cls(input_dir, landmark_dir, keys.source, keys.size, keys.test_fraction, keys.seed)

    def encoded(self, encoding: str = "polyline", sigma: float = 1.0) -> np.ndarray:
        """Every row's landmark image (N, size, size, channels) in `encoding` (encodings.py), cached."""
        key = (encoding, float(sigma) if encoding == "heatmap" else None)
        if key not in self._encoded:
            self._encoded[key] = render(self.points, self.faces.shape[1], encoding, sigma)
        return self._encoded[key]

    @property
    def marks(self) -> np.ndarray:
        """The paper's polyline landmark images (N, size, size, 1)."""
        return self.encoded("polyline")

    def triples(self, split: str, n: int, seed: int) -> np.ndarray:
        d = self.data
        return make_triples(d.labels, d.subject, d.sequence, self.rows[split], n, seed)

    def split_card(self) -> dict:
        """models/transfer/split.json (read by the classifier's transfer mode: path and format fixed)."""
        return {"dataset": self.source, "subjects": self.subject_split}

    def count(self, part: str) -> int:
        """Subjects in 'train' or 'test'."""
        return sum(v == part for v in self.subject_split.values())
