"""Raw dataset layouts -> FaceDataset: FER-2013 csv or image folders, CK+48 folders with optional
FACS files or the Kaggle `ckextended.csv`, RaFD file names (pipeline.data.layouts finds them, the
text formats are parsed by pipeline.data.parsers)."""

import re
from pathlib import Path

import numpy as np

from pipeline.core.dataset import FaceDataset
from pipeline.core.emotions import CKPLUS_CLASSES, FER2013_CLASSES, RAFD_CLASSES, canonical_emotion
from pipeline.core.errors import PipelineError
from pipeline.data.parsers import FER_USAGE_SPLIT, parse_pixel_csv, read_facs
from pipeline.data.rawfiles import class_folders, list_images, read_images

DATASET_NAMES = {"fer2013": "FER-2013", "ckplus": "CK+ (Extended Cohn-Kanade)", "rafd": "RaFD",
                 "demo": "demo"}
# Kaggle ckextended.csv codes: FER-2013's seven codes plus 7 = contempt.
CKEXTENDED_CLASSES = FER2013_CLASSES + ("contempt",)
CK_NAME = re.compile(r"^(S\d+)_(\d+)_(\d+)$")
RAFD_NAME = re.compile(r"^Rafd(\d+)_(\d+)_([A-Za-z]+)_([A-Za-z]+)_([A-Za-z]+)_([A-Za-z]+)$")


# ---- csv layouts (FER-2013 and Kaggle CK+) -----------------------------------------------
def ingest_fer_csv(path: Path) -> FaceDataset:
    rows = parse_pixel_csv(path, FER2013_CLASSES)
    split = np.array([FER_USAGE_SPLIT[u] for u in rows["usage"]])
    return FaceDataset(images=rows["images"], labels=rows["labels"], classes=FER2013_CLASSES, split=split,
                       ids=rows["ids"], source="fer2013", usage=rows["usage"])


def ingest_ckextended_csv(path: Path) -> FaceDataset:
    """Kaggle CK+ csv: FER-style codes 0..6 plus 7 = contempt; no subjects, so Usage gives the split."""
    rows = parse_pixel_csv(path, CKEXTENDED_CLASSES)
    split = np.array([FER_USAGE_SPLIT[u] for u in rows["usage"]])
    return FaceDataset(images=rows["images"], labels=rows["labels"], classes=CKEXTENDED_CLASSES, split=split,
                       ids=rows["ids"], source="ckplus", usage=rows["usage"])


# ---- image-folder layouts ------------------------------------------------------------------
def ingest_fer_folders(parts: list[Path], raw: Path, max_side: int) -> FaceDataset:
    """FER-2013 export `train/<class>/*`, `test/<class>/*`; Usage from Training_/PublicTest_/PrivateTest_."""
    paths, labels, usage, split = [], [], [], []
    for root in sorted(parts, key=lambda p: p.name.lower() != "train"):  # train first
        part = root.name.lower()
        for folder, name in class_folders(root, FER2013_CLASSES):
            for p in list_images(folder):
                prefix = p.name.split("_", 1)[0]
                if prefix in FER_USAGE_SPLIT:
                    use = prefix
                else:  # no prefix: the folder decides; test is not carved into val/test
                    use = "Training" if part == "train" else ""
                paths.append(p)
                labels.append(FER2013_CLASSES.index(name))
                usage.append(use)
                split.append(FER_USAGE_SPLIT.get(use, "test"))
    images = read_images(paths, max_side)
    ids = [str(p.relative_to(raw)) for p in paths]
    return FaceDataset(images=images, labels=labels, classes=FER2013_CLASSES, split=split, ids=ids,
                       source="fer2013", usage=usage)


def ingest_ckplus_folders(ck_dir: Path, facs_dir: Path | None, max_side: int) -> FaceDataset:
    """CK+48 `CK+48/<class>/Sxxx_yyy_zzzzzzzz.png` (+ FACS AUs joined on sequence)."""
    paths, labels, subject, sequence, frame = [], [], [], [], []
    for folder, name in class_folders(ck_dir, CKPLUS_CLASSES):
        for p in list_images(folder):
            m = CK_NAME.match(p.stem)
            if not m:
                raise PipelineError(f"{p}: CK+ file name is not Sxxx_yyy_zzzzzzzz")
            paths.append(p)
            labels.append(CKPLUS_CLASSES.index(name))
            subject.append(m.group(1))
            sequence.append(f"{m.group(1)}_{m.group(2)}")
            frame.append(int(m.group(3)))
    images = read_images(paths, max_side)
    facs = read_facs(facs_dir) if facs_dir else {}
    au_codes = np.array(sorted(set().union(*facs.values())) if facs else [], np.int64)
    au = np.zeros((len(paths), len(au_codes)), np.uint8)
    au_known = np.array([s in facs for s in sequence], bool)
    for i, s in enumerate(sequence):
        for code in facs.get(s, ()):
            au[i, np.searchsorted(au_codes, code)] = 1
    ids = [str(p.relative_to(ck_dir.parent)) for p in paths]
    return FaceDataset(images=images, labels=labels, classes=CKPLUS_CLASSES,
                       split=np.full(len(paths), "train"),
                       ids=ids, source="ckplus", subject=subject, sequence=sequence, au=au, au_codes=au_codes,
                       au_known=au_known, extra={"frame": np.array(frame, np.int64)})


def ingest_rafd(paths: list[Path], raw: Path, max_side: int) -> FaceDataset:
    """RaFD `Rafd<angle>_<subject>_<ethnicity>_<gender>_<emotion>_<gaze>.jpg`."""
    meta = []
    for p in paths:
        m = RAFD_NAME.match(p.stem)
        if not m:
            raise PipelineError(f"{p}: RaFD file name is not "
                                "Rafd<angle>_<subject>_<ethnicity>_<gender>_<emotion>_<gaze>")
        name = canonical_emotion(m.group(5), str(p))
        if name not in RAFD_CLASSES:
            raise PipelineError(f"{p}: unknown RaFD class '{m.group(5)}'")
        meta.append((int(m.group(1)), m.group(2), m.group(3).lower(), m.group(4).lower(), name,
                     m.group(6).lower()))
    images = read_images(paths, max_side)
    angle, subj, ethnicity, gender, emotion, gaze = zip(*meta)
    return FaceDataset(
        images=images, labels=[RAFD_CLASSES.index(e) for e in emotion], classes=RAFD_CLASSES,
        split=np.full(len(paths), "train"), ids=[str(p.relative_to(raw)) for p in paths], source="rafd",
        subject=[f"rafd{s}" for s in subj],
        extra={"angle": np.array(angle, np.int64), "gaze": np.array(gaze), "gender": np.array(gender),
               "ethnicity": np.array(ethnicity)})


def load_source(source: str, layout: dict, raw: Path, max_side: int) -> FaceDataset:
    paths = layout["paths"]
    if source == "fer2013":
        if layout["layout"] == "fer2013.csv":
            return ingest_fer_csv(paths[0])
        return ingest_fer_folders(paths, raw, max_side)
    if source == "ckplus":
        if layout["layout"] == "ckextended.csv":
            return ingest_ckextended_csv(paths[0])
        return ingest_ckplus_folders(paths[0], paths[1] if len(paths) > 1 else None, max_side)
    return ingest_rafd(paths, raw, max_side)
