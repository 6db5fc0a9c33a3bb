"""`fer-predict`: emotion probabilities for every face in a folder of photos.

Photos of any size, colour or grayscale -> grayscale -> the crop stage's face path
(pipeline.data.faces with params.yaml's `crop` section: same detector chain, padding, margin,
confidence and size, so faces look exactly like the training crops) -> the trained CNN -> one CSV
row per face with the probability of each emotion. Unreadable and non-image files are skipped and
listed, never fatal; annotated copies are named `<name>_<suffix>.jpg`, so none overwrites another.
A tight face crop with no detected face passes through whole (detector_score 0), as in crop.

    fer-predict PHOTOS_DIR [--model models/cnn/classical/model.keras] [--out predictions.csv]
                [--annotate OUT_DIR] [--detector mtcnn|haar] [--batch 64] [--params params.yaml]
"""

import argparse
import contextlib
import csv
import os
import shutil
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from pipeline.core.cli import run_stage
from pipeline.core.errors import PipelineError
from pipeline.core.outputs import stage_outputs
from pipeline.core.params import load
from pipeline.data.config import CropKeys
from pipeline.data.faces import FaceCropper

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}


def face_cropper(crop: CropKeys, detector: str | None = None) -> FaceCropper:
    """The crop stage's face path; `detector` (mtcnn | haar) replaces the crop.detectors chain."""
    return FaceCropper(crop if detector is None else crop.model_copy(update={"detectors": [detector]}))


def photo_faces(cropper: FaceCropper, path: Path) -> tuple[np.ndarray, list[tuple], np.ndarray] | None:
    """(rgb photo, face boxes x1, y1, x2, y2, score, grayscale crops) of one file; None if unreadable."""
    rgb = read_rgb(path)
    if rgb is None:
        return None
    return rgb, *cropper.faces(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))


def read_rgb(path: Path) -> np.ndarray | None:
    """RGB uint8 image, or None when the file cannot be decoded."""
    data = np.fromfile(path, np.uint8) if path.is_file() else None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data is not None and data.size else None
    return None if image is None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def annotate(rgb: np.ndarray, boxes, probs, classes) -> np.ndarray:
    out = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    thick = max(1, int(round(min(out.shape[:2]) / 300)))
    for (x1, y1, x2, y2, _), p in zip(boxes, probs):
        k = int(np.argmax(p))
        cv2.rectangle(out, (int(x1), int(y1)), (int(x2), int(y2)), (0, 220, 0), thick)
        cv2.putText(out, f"{classes[k]} {p[k]:.2f}", (int(x1), max(12, int(y1) - 4)),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.4 * thick + 0.2, (0, 220, 0), thick)
    return out


def predict_folder(folder: Path, model_path: Path, out_csv: Path, annotate_dir: Path | None = None,
                   detector: str | None = None, batch: int = 64, crop: CropKeys | None = None) -> dict:
    """Write one CSV row per detected face; return {"faces": n, "images": n, "no_face": [...],
    "unreadable": [...]}. `crop`: the crop section (default: the params file in force)."""
    from pipeline.classifier.inference import load_classifier, predict_proba

    if not folder.is_dir():
        raise PipelineError(f"{folder}: not a folder of photos")
    files, others = list_photos(folder, [out_csv] + ([annotate_dir] if annotate_dir is not None else []))
    if not files:
        raise PipelineError(f"{folder}: no image files ({', '.join(sorted(IMAGE_SUFFIXES))})"
                            + (f"; found only {', '.join(others[:5])}" if others else ""))
    cropper = face_cropper(crop or load(CropKeys, "crop"), detector)
    model, info = load_classifier(model_path)
    if int(info["image_size"]) != cropper.size:
        raise PipelineError(f"{model_path}: the model takes {info['image_size']}px faces but crop.size is "
                            f"{cropper.size} (use the params it was trained with: --params FILE)")
    classes = list(info["classes"])
    tta_flip, tta_crops = bool(info["tta_flip"]), bool(info["tta_crops"])  # as the model was scored
    summary = {"images": 0, "faces": 0, "no_face": [], "unreadable": [], "not_images": others,
               "annotated": {}}
    pending = []  # (file, rgb, boxes, crops) waiting for a full batch of faces
    names = annotated_names([p.relative_to(folder) for p in files])

    def flush(writer):
        crops = [c for *_, c in pending]
        faces = crops and sum(map(len, crops))
        probs = predict_proba(model, np.concatenate(crops), batch, flip=tta_flip, crops=tta_crops) \
            if faces else []
        start = 0
        for path, rgb, boxes, crop in pending:
            p = probs[start:start + len(crop)]
            start += len(crop)
            for face, (box, row) in enumerate(zip(boxes, p)):
                writer.writerow([str(path.relative_to(folder)), face, *[int(v) for v in box[:4]],
                                 f"{box[4]:.3f}", classes[int(np.argmax(row))], *[f"{v:.5f}" for v in row]])
            if staged is not None:
                name = names[path.relative_to(folder)]
                write_jpeg(staged / name, annotate(rgb, boxes, p, classes))
                summary["annotated"][str(path)] = str(annotate_dir / name)
        pending.clear()

    # Nothing is written unless every photo went through: the CSV and the annotated copies are staged
    # and moved into place at the end (annotated copies join whatever else OUT_DIR holds).
    with stage_outputs(files=[out_csv]) as (tmp,), staging(annotate_dir) as staged, \
            open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "face", "x1", "y1", "x2", "y2", "detector_score", "emotion", *classes])
        for path in tqdm(files, desc="predict", unit="img"):
            found = photo_faces(cropper, path)
            if found is None:
                summary["unreadable"].append(str(path))
                continue
            rgb, boxes, crops = found
            summary["images"] += 1
            if not len(boxes):
                summary["no_face"].append(str(path))
            summary["faces"] += len(boxes)
            pending.append((path, rgb, boxes, crops))
            if sum(len(c) for *_, c in pending) >= batch:
                flush(writer)
        flush(writer)
        f.close()
        if staged is not None:
            for src in sorted(q for q in staged.rglob("*") if q.is_file()):
                target = annotate_dir / src.relative_to(staged)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, target)
    return summary


def list_photos(folder: Path, outputs: list[Path]) -> tuple[list[Path], list[str]]:
    """(image files, other files) under `folder`, recursively; this run's own outputs are left out."""
    outputs = [o.resolve() for o in outputs]
    files, others = [], []
    for p in sorted(folder.rglob("*")):
        if not p.is_file() or any(o == p.resolve() or o in p.resolve().parents for o in outputs):
            continue
        (files if p.suffix.lower() in IMAGE_SUFFIXES else others).append(p)
    return files, [str(p) for p in others]


def annotated_names(paths: list[Path]) -> dict[Path, Path]:
    """Annotated copy of each photo: `sub/grace.jpg` -> `sub/grace_jpg.jpg`, `grace.png` -> `grace_png.jpg`.

    The source suffix stays in the name, so same-stem photos never share a copy; two names equal
    but for case (a clash on case-insensitive disks) get `-2`, `-3`, ... appended.
    """
    names, taken = {}, set()
    for rel in paths:
        stem = f"{rel.stem}_{rel.suffix[1:]}"
        name, k = rel.with_name(f"{stem}.jpg"), 1
        while str(name).casefold() in taken:
            k += 1
            name = rel.with_name(f"{stem}-{k}.jpg")
        taken.add(str(name).casefold())
        names[rel] = name
    return names


def write_jpeg(path: Path, bgr: np.ndarray) -> None:
    ok, data = cv2.imencode(".jpg", bgr)
    if not ok:
        raise PipelineError(f"{path}: could not encode the annotated image")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.tobytes())


@contextlib.contextmanager
def staging(annotate_dir: Path | None):
    """A temporary folder next to `annotate_dir` (None without one), removed at the end."""
    if annotate_dir is None:
        yield None
        return
    annotate_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{annotate_dir.name}.", suffix=".tmp", dir=annotate_dir.parent))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def predict_command(argv=None):
    parser = argparse.ArgumentParser(prog="fer-predict", description=__doc__.split("\n")[0],
                                     epilog="--params FILE: the crop section from FILE, not params.yaml")
    parser.add_argument("folder", type=Path, help="folder of photos (searched recursively)")
    parser.add_argument("--model", type=Path, default=Path("models/cnn/classical/model.keras"),
                        help="trained CNN (default %(default)s)")
    parser.add_argument("--out", type=Path, default=Path("predictions.csv"), help="CSV to write")
    parser.add_argument("--annotate", type=Path, default=None, help="also write annotated copies here")
    parser.add_argument("--detector", choices=("mtcnn", "haar"), default=None,
                        help="only this detector (default: the crop.detectors chain of params.yaml)")
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args(argv)
    s = predict_folder(args.folder, args.model, args.out, args.annotate, args.detector, args.batch)
    print(f"{s['faces']} face(s) in {s['images']} image(s) -> {args.out}")
    if s["no_face"]:
        print(f"no face found in {len(s['no_face'])} image(s): " + ", ".join(s["no_face"][:10]),
              file=sys.stderr)
    if s["unreadable"]:
        print(f"skipped {len(s['unreadable'])} unreadable file(s): " + ", ".join(s["unreadable"]),
              file=sys.stderr)
    if s["not_images"]:
        print(f"skipped {len(s['not_images'])} non-image file(s) (not {' '.join(sorted(IMAGE_SUFFIXES))}): "
              + ", ".join(s["not_images"]), file=sys.stderr)
    if args.annotate is not None:
        print(f"annotated copies in {args.annotate} (<name>_<suffix>.jpg, e.g. grace.png -> grace_png.jpg)")


def main(argv=None):
    """Console entry point (`fer-predict`): bad input ends with one `error:` line and exit 1."""
    run_stage(predict_command, argv, name="fer-predict")


if __name__ == "__main__":
    main()
