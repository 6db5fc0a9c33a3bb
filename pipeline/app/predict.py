"""`fer-predict`: emotion probabilities for every face in a folder of photos.

Photos of any size, colour or grayscale -> grayscale -> the crop stage's face path
(pipeline.data.faces with params.yaml's `crop` section: same detector chain, padding, margin,
confidence and size, so faces look exactly like the training crops) -> the trained CNN -> one CSV
row per face with the probability of each emotion. Unreadable files are skipped and listed, never
fatal. A tight face crop with no detected face passes through whole (detector_score 0), as in crop.

    fer-predict PHOTOS_DIR [--model models/cnn/classical/model.keras] [--out predictions.csv]
                [--annotate OUT_DIR] [--detector mtcnn|haar] [--batch 64] [--params params.yaml]
"""

import argparse
import csv
import sys
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from pipeline.core.cli import run_stage
from pipeline.core.errors import PipelineError
from pipeline.core.outputs import atomic_path
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
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise PipelineError(f"{folder}: no image files ({', '.join(sorted(IMAGE_SUFFIXES))})")
    cropper = face_cropper(crop or load(CropKeys, "crop"), detector)
    model, info = load_classifier(model_path)
    if int(info["image_size"]) != cropper.size:
        raise PipelineError(f"{model_path}: the model takes {info['image_size']}px faces but crop.size is "
                            f"{cropper.size} (use the params it was trained with: --params FILE)")
    classes = list(info["classes"])
    tta_flip, tta_crops = bool(info["tta_flip"]), bool(info["tta_crops"])  # as the model was scored
    summary = {"images": 0, "faces": 0, "no_face": [], "unreadable": []}
    pending = []  # (file, rgb, boxes, crops) waiting for a full batch of faces

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
            if annotate_dir is not None:
                target = annotate_dir / path.relative_to(folder).with_suffix(".jpg")
                target.parent.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(target), annotate(rgb, boxes, p, classes))
        pending.clear()

    with atomic_path(out_csv) as tmp, open(tmp, "w", newline="") as f:
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
    return summary


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


def main(argv=None):
    """Console entry point (`fer-predict`): bad input ends with one `error:` line and exit 1."""
    run_stage(predict_command, argv)


if __name__ == "__main__":
    main()
