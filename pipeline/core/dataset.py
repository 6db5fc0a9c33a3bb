"""The canonical dataset: one .npz per source, plain arrays only, so it loads without pickle.

Every stage after ingest reads and writes this format. Rows are images; string columns are
numpy unicode arrays. `ids` are unique per row and survive every stage, so tests can prove
that no synthetic or oversampled row reaches validation or test data.
"""

from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np

from .errors import PipelineError
from .outputs import atomic_path

SPLITS = ("train", "val", "test")


@dataclass
class FaceDataset:
    images: np.ndarray                 # uint8 (N, H, W) grayscale
    labels: np.ndarray                 # int64 (N,) index into `classes`
    classes: tuple                     # canonical emotion names, index = label
    split: np.ndarray                  # 'train' | 'val' | 'test' (what the pipeline uses)
    ids: np.ndarray                    # unique row id (source file name or csv row)
    source: str = "unknown"            # fer2013 | ckplus | rafd | demo
    usage: np.ndarray | None = None    # the source's own split name (FER-2013 Training/PublicTest/...)
    subject: np.ndarray | None = None  # subject id, '' where unknown
    sequence: np.ndarray | None = None # sequence id (CK+), '' where unknown
    au: np.ndarray | None = None       # uint8 (N, K) binary AU presence, K = len(au_codes)
    au_codes: np.ndarray | None = None # int (K,) FACS AU numbers
    au_known: np.ndarray | None = None # bool (N,) rows whose AU labels are real
    synthetic: np.ndarray | None = None  # bool (N,) rows made by a generator or oversampler
    extra: dict = field(default_factory=dict)  # other per-row arrays (e.g. rafd angle, gaze)

    def __post_init__(self):
        n = len(self.images)
        self.images = np.asarray(self.images, dtype=np.uint8)
        self.labels = np.asarray(self.labels, dtype=np.int64)
        self.classes = tuple(str(c) for c in self.classes)
        self.split = np.asarray(self.split, dtype=str) if n else np.zeros(0, dtype="<U5")
        self.ids = np.asarray(self.ids, dtype=str) if n else np.zeros(0, dtype="<U1")
        empty = np.full(n, "", dtype="<U1")
        self.usage = empty.copy() if self.usage is None else np.asarray(self.usage, dtype=str)
        self.subject = empty.copy() if self.subject is None else np.asarray(self.subject, dtype=str)
        self.sequence = empty.copy() if self.sequence is None else np.asarray(self.sequence, dtype=str)
        if self.au is None:
            self.au = np.zeros((n, 0), dtype=np.uint8)
            self.au_codes = np.zeros(0, dtype=np.int64)
        self.au_codes = np.asarray(self.au_codes, dtype=np.int64)
        self.au = np.asarray(self.au, dtype=np.uint8).reshape(n, len(self.au_codes))
        if self.au_known is None:
            self.au_known = np.full(n, self.au.shape[1] > 0)
        self.au_known = np.asarray(self.au_known, dtype=bool)
        self.synthetic = np.zeros(n, bool) if self.synthetic is None else np.asarray(self.synthetic, bool)
        for name in ("labels", "split", "ids", "usage", "subject", "sequence", "au", "au_known", "synthetic"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"FaceDataset.{name} has {len(getattr(self, name))} rows, images has {n}")
        if self.au.shape[1] != len(self.au_codes):
            raise ValueError("FaceDataset.au columns do not match au_codes")

    # ---- basic views -------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.images)

    @property
    def image_size(self) -> int:
        return int(self.images.shape[1]) if len(self) else 0

    @property
    def has_subjects(self) -> bool:
        return bool(len(self)) and bool(np.all(self.subject != ""))

    def class_counts(self, split: str | None = None) -> dict:
        mask = self.split == split if split else np.ones(len(self), bool)
        counts = np.bincount(self.labels[mask], minlength=len(self.classes))
        return {c: int(n) for c, n in zip(self.classes, counts)}

    def subset(self, mask_or_index) -> "FaceDataset":
        idx = np.asarray(mask_or_index)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        kwargs = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "extra":
                kwargs["extra"] = {k: v[idx] for k, v in value.items()}
            elif isinstance(value, np.ndarray) and f.name != "au_codes":
                kwargs[f.name] = value[idx]
            else:
                kwargs[f.name] = value
        return FaceDataset(**kwargs)

    def of_split(self, split: str) -> "FaceDataset":
        return self.subset(self.split == split)

    def with_images(self, images: np.ndarray) -> "FaceDataset":
        """Same rows, new pixels (e.g. after cropping or resizing)."""
        return replace(self, images=images)

    @staticmethod
    def concat(parts: list["FaceDataset"]) -> "FaceDataset":
        first = parts[0]
        for p in parts[1:]:
            if p.classes != first.classes:
                raise PipelineError(f"cannot join datasets with classes {p.classes} and {first.classes}")
            if not np.array_equal(p.au_codes, first.au_codes):
                raise PipelineError("cannot join datasets with different AU codes")
        cat = lambda name: np.concatenate([getattr(p, name) for p in parts])  # noqa: E731
        extra_keys = set.intersection(*(set(p.extra) for p in parts)) if parts else set()
        return FaceDataset(
            images=cat("images"), labels=cat("labels"), classes=first.classes, split=cat("split"),
            ids=cat("ids"), source=first.source, usage=cat("usage"), subject=cat("subject"),
            sequence=cat("sequence"), au=cat("au"), au_codes=first.au_codes, au_known=cat("au_known"),
            synthetic=cat("synthetic"),
            extra={k: np.concatenate([p.extra[k] for p in parts]) for k in extra_keys},
        )

    # ---- files -------------------------------------------------------------------------
    def save(self, path: Path | str) -> None:
        skip = ("extra", "classes", "source")
        arrays = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}
        arrays["classes"] = np.asarray(self.classes, dtype=str)
        arrays["source"] = np.asarray(self.source, dtype=str)
        for key, value in self.extra.items():
            arrays[f"extra_{key}"] = value
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                np.savez_compressed(f, **arrays)

    @classmethod
    def load(cls, path: Path | str) -> "FaceDataset":
        path = Path(path)
        if not path.is_file():
            raise PipelineError(f"{path}: dataset file not found (run the stage that makes it first)")
        try:
            with np.load(path, allow_pickle=False) as z:
                data = {k: z[k] for k in z.files}
        except Exception as exc:  # zipfile/ValueError: truncated or not an npz
            raise PipelineError(f"{path}: not a readable canonical dataset ({exc})") from None
        try:  # a readable npz that is not a canonical dataset (wrong fields or row counts)
            extra = {k[len("extra_"):]: data.pop(k) for k in list(data) if k.startswith("extra_")}
            data["classes"] = tuple(data["classes"].tolist())
            data["source"] = str(data["source"])
            return cls(**data, extra=extra)
        except (KeyError, TypeError, ValueError) as exc:
            raise PipelineError(f"{path}: not a canonical dataset ({type(exc).__name__}: {exc})") from None
