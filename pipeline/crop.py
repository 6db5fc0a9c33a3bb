"""Stage `crop`: find the face in every canonical image and cut it out as a square crop.size image.

Detectors run in the order `crop.detectors` gives (MTCNN, then OpenCV's Haar cascade). Inputs are
padded with a reflected border first, so tight 48x48 face crops (FER-2013, CK+48) still show a
whole face to the detectors. An image no detector finds a face in is passed through whole when
it is already a tight face crop (side <= crop.tight_max_side, not near-constant) and
crop.passthrough is `tight`; otherwise it is rejected (dropped and counted). Crops never leave the
original image (the padding only helps detection), so on tight crops a detection re-centres the
face and a passthrough keeps the native framing. Every outcome is counted per class in
reports/crop/outcomes.json.
"""

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from pipeline.core.cli import run_stage
from pipeline.core.dataset import FaceDataset
from pipeline.core.errors import PipelineError
from pipeline.core.outputs import atomic_path, write_json
from pipeline.core.params import choice, section

CANONICAL_DIR = Path("data/canonical")
CROPPED_DIR = Path("data/cropped")
REPORT_DIR = Path("reports/crop")
DETECTORS = ("mtcnn", "haar")
OUTCOMES = ("mtcnn", "haar", "passthrough", "rejected")

_mtcnn = None


def mtcnn_detector():
    """The MTCNN detector, built once per process (building it takes seconds)."""
    global _mtcnn
    if _mtcnn is None:
        from mtcnn import MTCNN  # imports TensorFlow: only when MTCNN is asked for

        _mtcnn = MTCNN(device="CPU:0")
    return _mtcnn


class FaceCropper:
    """Detect one face per image (largest box) and cut a square crop around it."""

    def __init__(self, params: dict):
        self.size = int(params.get("size", 48))
        if self.size < 8:
            raise PipelineError(f"params.yaml: crop.size={self.size} is too small (>= 8)")
        detectors = params.get("detectors") or []
        detectors = [detectors] if isinstance(detectors, str) else detectors
        self.detectors = [choice(d, DETECTORS, "crop.detectors") for d in detectors]
        self.passthrough = choice(params.get("passthrough", "tight"), ("tight", "never"), "crop.passthrough")
        self.tight_max_side = int(params.get("tight_max_side", 64))
        self.tight_min_face = float(params.get("tight_min_face", 0.5))
        self.min_std = float(params.get("min_std", 2.0))
        self.pad = float(params.get("pad", 0.25))
        self.margin = float(params.get("margin", 0.25))
        self.mtcnn = params.get("mtcnn") or {}
        self.haar = params.get("haar") or {}
        self._cascade = None

    # ---- detectors: each returns boxes (N, 4) x1, y1, x2, y2 in unpadded coordinates, NaN = none
    def detect_mtcnn(self, images: np.ndarray, todo: np.ndarray, progress) -> np.ndarray:
        boxes = np.full((len(images), 4), np.nan)
        detector = mtcnn_detector()
        batch = int(self.mtcnn.get("batch_size", 256))
        min_conf = float(self.mtcnn.get("min_confidence", 0.9))
        pad = self.pad_px(images)
        for start in range(0, len(todo), batch):
            idx = todo[start:start + batch]
            rgb = [np.repeat(self.padded(images[i], pad)[:, :, None], 3, axis=2) for i in idx]
            found = detector.detect_faces(rgb, output_type="numpy", box_format="xyxy",
                                          min_face_size=int(self.mtcnn.get("min_face_size", 20)))
            found = np.asarray(found).reshape(-1, 16) if np.size(found) else np.zeros((0, 16))
            found = found[found[:, 5] >= min_conf]
            area = (found[:, 3] - found[:, 1]) * (found[:, 4] - found[:, 2])
            for row in found[np.argsort(area)]:  # ascending: the largest box of an image wins
                boxes[idx[int(row[0])]] = row[1:5] - pad
            progress.update(len(idx))
        return boxes

    def detect_haar(self, images: np.ndarray, todo: np.ndarray, progress) -> np.ndarray:
        boxes = np.full((len(images), 4), np.nan)
        if self._cascade is None:
            self._cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
        pad = self.pad_px(images)
        side = int(float(self.haar.get("min_size", 0.3)) * min(images.shape[1:]))
        for i in todo:
            faces = self._cascade.detectMultiScale(
                self.padded(images[i], pad), scaleFactor=float(self.haar.get("scale_factor", 1.1)),
                minNeighbors=int(self.haar.get("min_neighbors", 3)), minSize=(side, side))
            if len(faces):
                x, y, w, h = max(faces, key=lambda f: f[2] * f[3])
                boxes[i] = (x - pad, y - pad, x + w - pad, y + h - pad)
            progress.update(1)
        return boxes

    # ---- image ops
    def pad_px(self, images: np.ndarray) -> int:
        return int(round(self.pad * max(images.shape[1:])))

    @staticmethod
    def padded(image: np.ndarray, pad: int) -> np.ndarray:
        return cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REFLECT_101) if pad else image

    def cut(self, image: np.ndarray, box) -> np.ndarray:
        """Square crop around `box` grown by `margin`, shifted (and if need be shrunk) to lie inside
        the image: the reflected padding only helps detection and never reaches the output."""
        x1, y1, x2, y2 = box
        h, w = image.shape
        side = int(round(min(max(x2 - x1, y2 - y1) * (1 + self.margin), h, w)))
        side = max(side, 1)
        left = int(np.clip(round((x1 + x2 - side) / 2), 0, w - side))
        top = int(np.clip(round((y1 + y2 - side) / 2), 0, h - side))
        return self.resized(image[top:top + side, left:left + side])

    def whole(self, image: np.ndarray) -> np.ndarray:
        """Passthrough: the central square of the image, resized."""
        h, w = image.shape
        s = min(h, w)
        return self.resized(image[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s])

    def resized(self, face: np.ndarray) -> np.ndarray:
        if face.shape == (self.size, self.size):
            return face
        shrink = face.shape[0] > self.size
        return cv2.resize(face, (self.size, self.size), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)

    # ---- the stage's job for one dataset
    def crop_dataset(self, ds: FaceDataset, name: str) -> tuple[FaceDataset, np.ndarray]:
        """Cropped dataset (rejected rows dropped) and the outcome of every input row."""
        n = len(ds)
        tight = max(ds.images.shape[1:]) <= self.tight_max_side
        # In a tight crop the face fills most of the image: a much smaller box is a false detection.
        min_box = self.tight_min_face * min(ds.images.shape[1:]) if tight else 0
        boxes = np.full((n, 4), np.nan)
        outcome = np.full(n, "rejected", dtype="<U11")
        with tqdm(total=n * max(1, len(self.detectors)), desc=f"crop {name}", unit="img", mininterval=2) as bar:
            for detector in self.detectors:
                todo = np.flatnonzero(outcome == "rejected")
                bar.update(n - len(todo))
                if not len(todo):
                    continue
                found = getattr(self, f"detect_{detector}")(ds.images, todo, bar)
                side = np.fmax(found[:, 2] - found[:, 0], found[:, 3] - found[:, 1])
                hit = ~np.isnan(found[:, 0]) & (side >= min_box)
                boxes[hit], outcome[hit] = found[hit], detector
        if self.detectors and not np.any(np.isin(outcome, self.detectors)):
            raise PipelineError(f"{name}: no face found in any of its {n} images (detectors {', '.join(self.detectors)})")
        if self.passthrough == "tight" and tight:
            usable = ds.images.reshape(n, -1).std(axis=1) >= self.min_std
            outcome[(outcome == "rejected") & usable] = "passthrough"
        out = np.empty((n, self.size, self.size), np.uint8)
        for i in range(n):
            if outcome[i] in DETECTORS:
                out[i] = self.cut(ds.images[i], boxes[i])
            elif outcome[i] == "passthrough":
                out[i] = self.whole(ds.images[i])
        keep = outcome != "rejected"
        if not keep.any():
            raise PipelineError(f"{name}: every image was rejected (no face found, passthrough {self.passthrough})")
        cropped = ds.with_images(out).subset(keep)
        cropped.extra = {**cropped.extra, "crop_outcome": outcome[keep]}
        return cropped, outcome


def outcome_report(ds: FaceDataset, outcome: np.ndarray, seconds: float) -> dict:
    per_class = {o: {c: int(np.sum((outcome == o) & (ds.labels == i))) for i, c in enumerate(ds.classes)}
                 for o in OUTCOMES}
    return {"dataset": ds.source, "rows_in": len(ds), "rows_out": int(np.sum(outcome != "rejected")),
            "input_shape": list(ds.images.shape[1:]), "totals": {o: int(np.sum(outcome == o)) for o in OUTCOMES},
            "by_class": per_class, "seconds": round(seconds, 2),
            "ms_per_image": round(1000 * seconds / max(1, len(ds)), 2)}


def main(argv=None) -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    params = section("crop")
    cropper = FaceCropper(params)
    inputs = sorted(CANONICAL_DIR.glob("*.npz"))
    if not inputs:
        raise PipelineError(f"{CANONICAL_DIR}: no canonical datasets (run the ingest stage first)")
    results, report = {}, {"size": cropper.size, "detectors": cropper.detectors,
                           "passthrough": cropper.passthrough, "datasets": {}}
    for path in inputs:
        ds = FaceDataset.load(path)
        if not len(ds):
            raise PipelineError(f"{path}: dataset has no rows")
        t0 = time.perf_counter()
        results[ds.source], outcome = cropper.crop_dataset(ds, str(path))
        report["datasets"][ds.source] = outcome_report(ds, outcome, time.perf_counter() - t0)
        totals = report["datasets"][ds.source]["totals"]
        print(f"crop: {ds.source}: {totals} ({time.perf_counter() - t0:.1f}s)", flush=True)
    with atomic_path(CROPPED_DIR, is_dir=True) as tmp_dir:
        for source, ds in results.items():
            ds.save(tmp_dir / f"{source}.npz")
    with atomic_path(REPORT_DIR, is_dir=True) as tmp_dir:
        write_json(tmp_dir / "outcomes.json", report)


if __name__ == "__main__":
    run_stage(main)
