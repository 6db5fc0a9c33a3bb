"""Raw dataset layouts -> FaceDataset: FER-2013 csv or image folders, CK+48 folders with optional
FACS files or the Kaggle `ckextended.csv`, RaFD file names; `detect_layouts` finds them in a folder."""

import re
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.core.dataset import FaceDataset
from pipeline.core.emotions import CKPLUS_CLASSES, FER2013_CLASSES, RAFD_CLASSES, canonical_emotion
from pipeline.core.errors import PipelineError
from pipeline.data.rawfiles import IMAGE_EXTENSIONS, class_folders, list_images, read_images

DATASET_NAMES = {"fer2013": "FER-2013", "ckplus": "CK+ (Extended Cohn-Kanade)", "rafd": "RaFD",
                 "demo": "demo"}
FER_USAGE_SPLIT = {"Training": "train", "PublicTest": "val", "PrivateTest": "test"}
# Kaggle ckextended.csv codes: FER-2013's seven codes plus 7 = contempt.
CKEXTENDED_CLASSES = FER2013_CLASSES + ("contempt",)
CK_NAME = re.compile(r"^(S\d+)_(\d+)_(\d+)$")
RAFD_NAME = re.compile(r"^Rafd(\d+)_(\d+)_([A-Za-z]+)_([A-Za-z]+)_([A-Za-z]+)_([A-Za-z]+)$")


# ---- csv layouts (FER-2013 and Kaggle CK+) -----------------------------------------------
def parse_pixel_csv(path: Path, classes: tuple, side: int = 48) -> dict:
    """Parse an `emotion,pixels,Usage` csv with numpy (seconds for FER-2013's 35,887 rows)."""
    try:
        df = pd.read_csv(path, dtype={"pixels": str, "Usage": str})
    except Exception as exc:  # empty file, binary garbage, bad quoting
        raise PipelineError(f"{path}: not a readable csv ({str(exc).splitlines()[0]})") from None
    expected = {"emotion", "pixels", "Usage"}
    if set(df.columns) != expected:
        raise PipelineError(f"{path}: wrong columns {list(df.columns)}; expected emotion,pixels,Usage")
    if df.empty:
        raise PipelineError(f"{path}: no rows")
    codes = pd.to_numeric(df["emotion"], errors="coerce")
    bad = np.flatnonzero(codes.isna() | ~codes.isin(range(len(classes))))
    if len(bad):
        raise PipelineError(f"{path}: line {bad[0] + 2}: emotion code {df['emotion'].iloc[bad[0]]!r} "
                            f"is not in 0..{len(classes) - 1}")
    usage = df["Usage"].fillna("").str.strip()
    bad = np.flatnonzero(~usage.isin(list(FER_USAGE_SPLIT)))
    if len(bad):
        raise PipelineError(f"{path}: line {bad[0] + 2}: Usage {usage.iloc[bad[0]]!r} "
                            f"is not one of {', '.join(FER_USAGE_SPLIT)}")
    pixels = df["pixels"].fillna("").str.strip()
    # Fast count assumes single spaces; rows that disagree are recounted exactly.
    counts = np.array(pixels.str.count(" ") + (pixels.str.len() > 0), dtype=np.int64)
    for i in np.flatnonzero(counts != side * side):
        counts[i] = len(pixels.iloc[i].split())
    bad = np.flatnonzero(counts != side * side)
    if len(bad):
        raise PipelineError(f"{path}: line {bad[0] + 2}: {int(counts[bad[0]])} pixels, "
                            f"expected {side}*{side}={side * side}")
    text = " ".join(pixels.tolist())
    if re.search(r"[^0-9\s]", text):
        raise PipelineError(f"{path}: pixel values must be integers 0..255")
    values = np.fromstring(text, dtype=np.int32, sep=" ")  # text mode: one C pass, no Python ints
    if values.size != len(df) * side * side or values.max() > 255:
        raise PipelineError(f"{path}: pixel values must be integers 0..255")
    return {
        "images": values.astype(np.uint8).reshape(len(df), side, side),
        "labels": codes.to_numpy(np.int64), "usage": usage.to_numpy(str),
        "ids": np.array([f"{path.name}#{i}" for i in range(len(df))]),
    }


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
def ingest_fer_folders(raw: Path, max_side: int) -> FaceDataset:
    """FER-2013 export `train/<class>/*`, `test/<class>/*`; Usage from Training_/PublicTest_/PrivateTest_."""
    paths, labels, usage, split = [], [], [], []
    for part in ("train", "test"):
        root = raw / part
        if not root.is_dir():
            continue
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


def read_facs(facs_dir: Path) -> dict[str, set[int]]:
    """CK+ FACS files `FACS/Sxxx/yyy/*_facs.txt` (AU code, intensity per line) -> {sequence: AU codes}."""
    sequences = {}
    for path in sorted(facs_dir.glob("S*/*/*_facs.txt")):
        codes = set()
        try:
            lines = path.read_text().split("\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise PipelineError(f"{path}: unreadable FACS file ({exc})") from None
        for n, line in enumerate(lines, 1):
            fields_ = line.split()
            if not fields_:
                continue
            try:
                value = float(fields_[0])
            except ValueError:
                raise PipelineError(f"{path}: line {n}: AU code {fields_[0]!r} is not a number") from None
            # One original file writes AU17 as "1.7"; a non-integer code is read with its dot removed.
            code = int(value) if value == int(value) else int(f"{value:g}".replace(".", ""))
            codes.add(code)
        sequences[f"{path.parent.parent.name}_{path.parent.name}"] = codes
    return sequences


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


# ---- layout detection -----------------------------------------------------------------------
def detect_layouts(raw: Path) -> tuple[dict[str, dict], list[str]]:
    """({source: {"layout": ..., "paths": [...]}} for every known layout under `raw`, layouts ignored)."""
    found, ignored = {}, []
    fer_csv = raw / "fer2013.csv"
    fer_folders = [raw / p for p in ("train", "test") if (raw / p).is_dir()]
    if fer_csv.is_file():
        found["fer2013"] = {"layout": "fer2013.csv", "paths": [fer_csv]}
        ignored += [str(p) for p in fer_folders]
    elif fer_folders:
        found["fer2013"] = {"layout": "train/<class>, test/<class> image folders", "paths": fer_folders}
    ck_dir, facs_dir, ck_csv = raw / "CK+48", raw / "FACS", raw / "ckextended.csv"
    if ck_dir.is_dir():
        found["ckplus"] = {"layout": "CK+48/<class> folders" + (" + FACS files" if facs_dir.is_dir() else ""),
                           "paths": [ck_dir] + ([facs_dir] if facs_dir.is_dir() else [])}
        if ck_csv.is_file():
            ignored.append(str(ck_csv))
    elif ck_csv.is_file():
        found["ckplus"] = {"layout": "ckextended.csv", "paths": [ck_csv]}
    rafd = sorted(p for p in raw.rglob("Rafd*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
    if rafd:
        found["rafd"] = {"layout": "Rafd<angle>_<subject>_..._<emotion>_<gaze> file names", "paths": rafd}
    return found, ignored


def load_source(source: str, layout: dict, raw: Path, max_side: int) -> FaceDataset:
    paths = layout["paths"]
    if source == "fer2013":
        if layout["layout"] == "fer2013.csv":
            return ingest_fer_csv(paths[0])
        return ingest_fer_folders(raw, max_side)
    if source == "ckplus":
        if layout["layout"] == "ckextended.csv":
            return ingest_ckextended_csv(paths[0])
        return ingest_ckplus_folders(paths[0], paths[1] if len(paths) > 1 else None, max_side)
    return ingest_rafd(paths, raw, max_side)
