"""Stage `ingest`: raw dataset layouts -> one canonical dataset per source, plus a leakage audit.

Reads `data.raw_dir`, recognises every known layout there (FER-2013 csv or image folders, CK+48
folders with optional FACS files or the Kaggle `ckextended.csv`, RaFD file names) and writes
data/canonical/<source>.npz. With no known layout it writes the embedded demo dataset instead.
Each source is audited for exact duplicates, near-duplicates and blank images; by default the
training copies of images that also sit in a val/test split, and blank training images, are
dropped (reports/ingest/audit_<source>.json|md say how many).
"""

import argparse
import hashlib
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from tqdm import tqdm

from pipeline.core.cli import run_stage
from pipeline.core.dataset import FaceDataset
from pipeline.core.demo import make_demo_dataset
from pipeline.core.emotions import CKPLUS_CLASSES, FER2013_CLASSES, RAFD_CLASSES, canonical_emotion
from pipeline.core.errors import PipelineError
from pipeline.core.outputs import atomic_path, write_json, write_text
from pipeline.core.params import choice, section

CANONICAL_DIR = Path("data/canonical")
REPORT_DIR = Path("reports/ingest")
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".pgm"}
DATASET_NAMES = {"fer2013": "FER-2013", "ckplus": "CK+ (Extended Cohn-Kanade)", "rafd": "RaFD", "demo": "demo"}
FER_USAGE_SPLIT = {"Training": "train", "PublicTest": "val", "PrivateTest": "test"}
# Kaggle ckextended.csv codes: FER-2013's seven codes plus 7 = contempt.
CKEXTENDED_CLASSES = FER2013_CLASSES + ("contempt",)
CK_NAME = re.compile(r"^(S\d+)_(\d+)_(\d+)$")
RAFD_NAME = re.compile(r"^Rafd(\d+)_(\d+)_([A-Za-z]+)_([A-Za-z]+)_([A-Za-z]+)_([A-Za-z]+)$")


# ---- image reading -----------------------------------------------------------------------
def read_gray(path: Path) -> np.ndarray:
    """Read one image file as uint8 grayscale, or fail naming the file.

    OpenCV decodes a truncated JPEG or PNG without complaint (grey fill), so the end marker is
    checked first.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PipelineError(f"{path}: unreadable image ({exc.strerror})") from None
    suffix = path.suffix.lower()
    truncated = (suffix in (".jpg", ".jpeg") and b"\xff\xd9" not in data[-4096:]) or \
        (suffix == ".png" and b"IEND" not in data[-4096:])
    image = None if truncated else cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None or image.size == 0:
        raise PipelineError(f"{path}: unreadable or corrupted image")
    return image


def read_images(paths: list[Path], max_side: int) -> np.ndarray:
    """Read files (threaded: decoding releases the GIL) into one (N, H, W) array.

    Images larger than `max_side` or of another shape than the first are resized to the first
    image's shape scaled to fit `max_side`, so one source always stacks into one array.
    """
    with ThreadPoolExecutor(max_workers=4) as pool:
        images = list(tqdm(pool.map(read_gray, paths), total=len(paths), desc="read images", unit="img",
                           mininterval=2, disable=len(paths) < 2000))
    h, w = images[0].shape
    scale = min(1.0, max_side / max(h, w))
    shape = (max(1, round(h * scale)), max(1, round(w * scale)))
    out = np.empty((len(images), *shape), np.uint8)
    for i, image in enumerate(images):
        out[i] = image if image.shape == shape else cv2.resize(image, shape[::-1], interpolation=cv2.INTER_AREA)
    return out


def list_images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)


def class_folders(root: Path, allowed: tuple) -> list[tuple[Path, str]]:
    """Sub-folders of `root` as (folder, canonical class); unknown or empty class folders fail."""
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        name = canonical_emotion(folder.name, str(folder))
        if name not in allowed:
            raise PipelineError(f"{folder}: unknown class folder '{folder.name}' for this dataset (known: {', '.join(allowed)})")
        if not list_images(folder):
            raise PipelineError(f"{folder}: empty class folder (no images)")
        found.append((folder, name))
    if not found:
        raise PipelineError(f"{root}: no class folders")
    return found


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
        raise PipelineError(f"{path}: line {bad[0] + 2}: emotion code {df['emotion'].iloc[bad[0]]!r} is not in 0..{len(classes) - 1}")
    usage = df["Usage"].fillna("").str.strip()
    bad = np.flatnonzero(~usage.isin(list(FER_USAGE_SPLIT)))
    if len(bad):
        raise PipelineError(f"{path}: line {bad[0] + 2}: Usage {usage.iloc[bad[0]]!r} is not one of {', '.join(FER_USAGE_SPLIT)}")
    pixels = df["pixels"].fillna("").str.strip()
    # Fast count assumes single spaces; rows that disagree are recounted exactly.
    counts = np.array(pixels.str.count(" ") + (pixels.str.len() > 0), dtype=np.int64)
    for i in np.flatnonzero(counts != side * side):
        counts[i] = len(pixels.iloc[i].split())
    bad = np.flatnonzero(counts != side * side)
    if len(bad):
        raise PipelineError(f"{path}: line {bad[0] + 2}: {int(counts[bad[0]])} pixels, expected {side}*{side}={side * side}")
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
    return FaceDataset(images=images, labels=labels, classes=CKPLUS_CLASSES, split=np.full(len(paths), "train"),
                       ids=ids, source="ckplus", subject=subject, sequence=sequence, au=au, au_codes=au_codes,
                       au_known=au_known, extra={"frame": np.array(frame, np.int64)})


def ingest_rafd(paths: list[Path], raw: Path, max_side: int) -> FaceDataset:
    """RaFD `Rafd<angle>_<subject>_<ethnicity>_<gender>_<emotion>_<gaze>.jpg`."""
    meta = []
    for p in paths:
        m = RAFD_NAME.match(p.stem)
        if not m:
            raise PipelineError(f"{p}: RaFD file name is not Rafd<angle>_<subject>_<ethnicity>_<gender>_<emotion>_<gaze>")
        name = canonical_emotion(m.group(5), str(p))
        if name not in RAFD_CLASSES:
            raise PipelineError(f"{p}: unknown RaFD class '{m.group(5)}'")
        meta.append((int(m.group(1)), m.group(2), m.group(3).lower(), m.group(4).lower(), name, m.group(6).lower()))
    images = read_images(paths, max_side)
    angle, subj, ethnicity, gender, emotion, gaze = zip(*meta)
    return FaceDataset(
        images=images, labels=[RAFD_CLASSES.index(e) for e in emotion], classes=RAFD_CLASSES,
        split=np.full(len(paths), "train"), ids=[str(p.relative_to(raw)) for p in paths], source="rafd",
        subject=[f"rafd{s}" for s in subj],
        extra={"angle": np.array(angle, np.int64), "gaze": np.array(gaze), "gender": np.array(gender),
               "ethnicity": np.array(ethnicity)})


# ---- layout detection -----------------------------------------------------------------------
def detect_layouts(raw: Path) -> dict[str, dict]:
    """{source: {"layout": ..., "paths": [...]}} for every known layout under `raw`."""
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
        return ingest_fer_csv(paths[0]) if layout["layout"] == "fer2013.csv" else ingest_fer_folders(raw, max_side)
    if source == "ckplus":
        if layout["layout"] == "ckextended.csv":
            return ingest_ckextended_csv(paths[0])
        return ingest_ckplus_folders(paths[0], paths[1] if len(paths) > 1 else None, max_side)
    return ingest_rafd(paths, raw, max_side)


# ---- subject hold-out (optional) ------------------------------------------------------------
def hold_out_subjects(ds: FaceDataset, val: float, test: float, seed: int) -> FaceDataset:
    """Move whole subjects into val/test (only for sources that ship with no split of their own)."""
    if (val <= 0 and test <= 0) or not ds.has_subjects or np.any(ds.split != "train"):
        return ds
    subjects = np.unique(ds.subject)
    order = np.random.default_rng(seed).permutation(len(subjects))
    n_val, n_test = int(round(val * len(subjects))), int(round(test * len(subjects)))
    which = {subjects[i]: "val" if r < n_val else "test" if r < n_val + n_test else "train" for r, i in enumerate(order)}
    ds.split = np.array([which[s] for s in ds.subject])
    return ds


# ---- leakage audit --------------------------------------------------------------------------
def image_hashes(images: np.ndarray) -> np.ndarray:
    """Exact-content hash per image (hex)."""
    return np.array([hashlib.blake2b(im.tobytes(), digest_size=12).hexdigest() for im in images])


def average_hashes(images: np.ndarray) -> np.ndarray:
    """64-bit average hash of the 8x8 downsample: equal for near-identical images (re-encodes, tiny edits)."""
    small = np.stack([cv2.resize(im, (8, 8), interpolation=cv2.INTER_AREA) for im in images]).reshape(len(images), 64)
    bits = small > small.mean(axis=1, keepdims=True)
    return np.packbits(bits, axis=1).view(">u8").ravel()


def group_stats(keys: np.ndarray, ds: FaceDataset, skip: np.ndarray) -> dict:
    """Groups of rows sharing a key: how many, extra copies, spanning splits, conflicting labels."""
    keep = np.flatnonzero(~skip)
    _, inv, counts = np.unique(keys[keep], return_inverse=True, return_counts=True)
    dup = counts > 1

    def distinct_per_group(values):
        pairs = np.unique(np.stack([inv, values[keep]]), axis=1)
        return np.bincount(pairs[0], minlength=len(counts))

    split_code = np.searchsorted(np.array(sorted(set(ds.split))), ds.split)
    spanning = dup & (distinct_per_group(split_code) > 1)
    conflicting = dup & (distinct_per_group(ds.labels) > 1)
    row_group = np.full(len(ds), -1)
    row_group[keep] = inv
    return {"groups": int(dup.sum()), "extra_copies": int((counts[dup] - 1).sum()),
            "rows_in_groups": int(counts[dup].sum()), "groups_spanning_splits": int(spanning.sum()),
            "groups_with_conflicting_labels": int(conflicting.sum()),
            "_row_group": row_group, "_spanning": spanning}


def train_rows_sharing_eval(row_group: np.ndarray, split: np.ndarray) -> np.ndarray:
    """Training rows in a group (row_group >= 0) that also holds a val/test row."""
    grouped = row_group >= 0
    group_has_eval = np.zeros(row_group.max() + 2, bool)
    np.logical_or.at(group_has_eval, row_group[grouped & (split != "train")], True)
    return grouped & (split == "train") & group_has_eval[row_group]


def audit(ds: FaceDataset, params: dict) -> tuple[dict, np.ndarray]:
    """Leakage audit of one source; returns (report, mask of rows to keep)."""
    policy = params.get("drop") or {}
    blank_policy = choice(policy.get("blank", "train"), ("train", "all", "none"), "data.audit.drop.blank")
    drop_exact = bool(policy.get("train_copies_of_eval", True))
    drop_near = bool(policy.get("train_near_copies_of_eval", False))
    flat = ds.images.reshape(len(ds), -1)
    blank = flat.max(axis=1).astype(int) - flat.min(axis=1) <= int(params.get("blank_tolerance", 8))
    exact = group_stats(image_hashes(ds.images), ds, np.zeros(len(ds), bool))
    report = {"dataset": ds.source, "rows": len(ds),
              "exact_duplicates": {k: v for k, v in exact.items() if not k.startswith("_")}}
    # Training copies of an image that also sits in a val/test split leak test data into training.
    leaked = train_rows_sharing_eval(exact["_row_group"], ds.split)
    near_leaked = np.zeros(len(ds), bool)
    if params.get("near_duplicates", True) or drop_near:
        near = group_stats(average_hashes(ds.images), ds, blank)
        near_leaked = train_rows_sharing_eval(near["_row_group"], ds.split)
        report["near_duplicates"] = {k: v for k, v in near.items() if not k.startswith("_")}
        report["near_duplicates"]["train_rows_sharing_eval"] = int(near_leaked.sum())
        report["near_duplicates"]["method"] = "equal 64-bit average hash of the 8x8 downsample (blank images excluded)"
    drop = np.zeros(len(ds), bool)
    if drop_exact:
        drop |= leaked
    if drop_near:
        drop |= near_leaked
    if blank_policy == "train":
        drop |= blank & (ds.split == "train")
    elif blank_policy == "all":
        drop |= blank
    report["blank_images"] = {"count": int(blank.sum()), "ids": ds.ids[blank].tolist(),
                              "by_split": {s: int((blank & (ds.split == s)).sum()) for s in np.unique(ds.split)}}
    report["train_copies_of_eval_images"] = int(leaked.sum())
    report["dropped"] = {
        "total": int(drop.sum()),
        "train_copies_of_eval_images": int((drop & leaked).sum()),
        "train_near_copies_of_eval_images": int((drop & near_leaked & ~leaked).sum()),
        "blank": int((drop & blank).sum()),
        "by_class": {c: int((drop & (ds.labels == i)).sum()) for i, c in enumerate(ds.classes)},
        "by_split": {s: int((drop & (ds.split == s)).sum()) for s in np.unique(ds.split)},
        "policy": {"train_copies_of_eval": drop_exact, "train_near_copies_of_eval": drop_near, "blank": blank_policy},
    }
    return report, ~drop


def audit_markdown(source: str, report: dict) -> str:
    e, d = report["exact_duplicates"], report["dropped"]
    lines = [f"# Leakage audit: {DATASET_NAMES[source]} (`{source}`)", "",
             f"Dataset: {source}. Rows read: {report['rows']}.", "",
             "| check | count |", "|---|---|",
             f"| exact-duplicate groups | {e['groups']} |",
             f"| extra copies | {e['extra_copies']} |",
             f"| groups spanning splits | {e['groups_spanning_splits']} |",
             f"| groups with conflicting labels | {e['groups_with_conflicting_labels']} |",
             f"| blank images (grey range <= blank_tolerance) | {report['blank_images']['count']} |",
             f"| training copies of val/test images | {report['train_copies_of_eval_images']} |"]
    if "near_duplicates" in report:
        n = report["near_duplicates"]
        lines += [f"| near-duplicate groups (8x8 average hash) | {n['groups']} |",
                  f"| near-duplicate groups spanning splits | {n['groups_spanning_splits']} |"]
    lines += ["", f"Dropped {d['total']} rows ({d['train_copies_of_eval_images']} training copies of val/test images, "
              f"{d['train_near_copies_of_eval_images']} more near copies, {d['blank']} blank); policy {d['policy']}.", ""]
    return "\n".join(lines)


# ---- stage ----------------------------------------------------------------------------------
def summarize(ds: FaceDataset, kept: FaceDataset, layout: str, seconds: float) -> dict:
    splits = sorted(set(kept.split), key=("train", "val", "test").index)
    return {
        "dataset": ds.source, "name": DATASET_NAMES[ds.source], "layout": layout,
        "rows_read": len(ds), "rows": len(kept), "image_shape": list(kept.images.shape[1:]),
        "classes": list(kept.classes),
        "class_counts_read": ds.class_counts(), "usage_counts_read": _value_counts(ds.usage),
        "class_counts": kept.class_counts(),
        "split_counts": {s: int((kept.split == s).sum()) for s in splits},
        "class_counts_by_split": {s: kept.class_counts(s) for s in splits},
        "subjects": int(len(set(kept.subject) - {""})), "sequences": int(len(set(kept.sequence) - {""})),
        "au_codes": kept.au_codes.tolist(), "au_known_rows": int(kept.au_known.sum()),
        "seconds": round(seconds, 2),
    }


def _value_counts(values: np.ndarray) -> dict:
    names, counts = np.unique(values, return_counts=True)
    return {str(n): int(c) for n, c in zip(names, counts)}


def main(argv=None) -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    params = section("data")
    raw = Path(params.get("raw_dir", "data/raw"))
    if not raw.is_dir():
        raise PipelineError(f"{raw}: raw data directory (data.raw_dir) not found")
    audit_params = params.get("audit") or {}
    max_side = int(params.get("max_image_side", 256))
    holdout = params.get("subject_holdout") or {}
    layouts, ignored = detect_layouts(raw)
    datasets, summary, audits = {}, {"raw_dir": str(raw), "sources": {}, "ignored_layouts": ignored}, {}
    if not layouts:
        demo = params.get("demo") or {}
        layouts = {"demo": {"layout": "embedded demo (no known layout in raw_dir)", "paths": []}}
    for source, layout in layouts.items():
        t0 = time.perf_counter()
        print(f"ingest: {source} <- {layout['layout']}", flush=True)
        if source == "demo":
            ds = make_demo_dataset(n_subjects=int(demo.get("subjects", 24)),
                                   sequences_per_subject=int(demo.get("sequences_per_subject", 4)),
                                   seed=int(demo.get("seed", 0)))
        else:
            ds = load_source(source, layout, raw, max_side)
            if not len(ds):
                raise PipelineError(f"{layout['paths'][0]}: no images")
            ds = hold_out_subjects(ds, float(holdout.get("val", 0)), float(holdout.get("test", 0)),
                                   int(holdout.get("seed", 0)))
        report, keep = audit(ds, audit_params)
        kept = ds.subset(keep)
        datasets[source] = kept
        audits[source] = report
        summary["sources"][source] = summarize(ds, kept, layout["layout"], time.perf_counter() - t0)
        print(f"ingest: {source}: {len(ds)} rows read, {len(kept)} kept "
              f"({time.perf_counter() - t0:.1f}s)", flush=True)
    summary["datasets"] = list(datasets)
    # All outputs appear together or not at all.
    with atomic_path(CANONICAL_DIR, is_dir=True) as tmp_dir:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        for source, ds in datasets.items():
            ds.save(tmp_dir / f"{source}.npz")
    with atomic_path(REPORT_DIR, is_dir=True) as tmp_dir:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        for source, report in audits.items():
            write_json(tmp_dir / f"audit_{source}.json", report)
            write_text(tmp_dir / f"audit_{source}.md", audit_markdown(source, report))
        write_json(tmp_dir / "summary.json", summary)


if __name__ == "__main__":
    run_stage(main)
