"""The one face path: find faces and cut each out as a square `crop.size` image.

Used by the crop stage (one face per image: the preferred box) and by fer-predict (every face in a
photo), with the same `crop` params, so prediction sees faces framed as the training crops were.

Detectors run in the order `crop.detectors` gives (MTCNN, then OpenCV's Haar cascade); each later
detector only sees images the earlier ones found no face in. Inputs are padded with a reflected
border first, so tight 48x48 face crops (FER-2013, CK+48) still show a whole face to the detectors.
An image no detector finds a face in is passed through whole when it is already a tight face crop
(side <= crop.tight_max_side, not near-constant) and crop.passthrough is `tight`; otherwise it is
rejected. Crops never leave the original image (the padding only helps detection), so on tight
crops a detection re-centres the face and a passthrough keeps the native framing.
"""

import cv2
import numpy as np
from tqdm import tqdm

from pipeline.core.dataset import FaceDataset
from pipeline.core.errors import PipelineError
from pipeline.data.config import CropKeys

DETECTORS = ("mtcnn", "haar")
OUTCOMES = ("mtcnn", "haar", "passthrough", "rejected")
NO_BOXES = np.zeros((0, 5))

_mtcnn = None


def mtcnn_detector():
    """The MTCNN detector, built once per process (building it takes seconds)."""
    global _mtcnn
    if _mtcnn is None:
        from mtcnn import MTCNN  # imports TensorFlow: only when MTCNN is asked for

        _mtcnn = MTCNN(device="CPU:0")
    return _mtcnn


class _NoProgress:
    def update(self, n):
        pass


class FaceCropper:
    """Detect faces (boxes x1, y1, x2, y2 in image coordinates, preferred box first) and cut square crops."""

    def __init__(self, cfg: CropKeys):
        self.cfg = cfg
        self.size = cfg.size
        self.detectors = list(cfg.detectors)
        self.passthrough = cfg.passthrough
        self._cascade = None

    # ---- detectors: {image index: (K, 5) boxes x1, y1, x2, y2, score in unpadded coordinates}
    # (the largest box first: the one the crop stage keeps)
    def detect_mtcnn(self, images: np.ndarray, todo: np.ndarray, progress) -> dict[int, np.ndarray]:
        faces = {}
        detector = mtcnn_detector()
        settings = self.cfg.mtcnn
        pad = self.pad_px(images)
        for start in range(0, len(todo), settings.batch_size):
            idx = todo[start:start + settings.batch_size]
            rgb = [np.repeat(self.padded(images[i], pad)[:, :, None], 3, axis=2) for i in idx]
            found = detector.detect_faces(rgb, output_type="numpy", box_format="xyxy",
                                          min_face_size=settings.min_face_size)
            found = np.asarray(found).reshape(-1, 16) if np.size(found) else np.zeros((0, 16))
            found = found[found[:, 5] >= settings.min_confidence]
            area = (found[:, 3] - found[:, 1]) * (found[:, 4] - found[:, 2])
            # descending area; among equal areas the last in ascending argsort order comes first
            for row in found[np.argsort(area)][::-1]:
                box = np.empty(5)
                box[:4], box[4] = row[1:5] - pad, row[5]
                faces.setdefault(int(idx[int(row[0])]), []).append(box)
            progress.update(len(idx))
        return {i: np.stack(boxes) for i, boxes in faces.items()}

    def detect_haar(self, images: np.ndarray, todo: np.ndarray, progress) -> dict[int, np.ndarray]:
        faces = {}
        if self._cascade is None:
            self._cascade = cv2.CascadeClassifier(
                cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
        settings = self.cfg.haar
        pad = self.pad_px(images)
        side = int(settings.min_size * min(images.shape[1:]))
        for i in todo:
            found = self._cascade.detectMultiScale(
                self.padded(images[i], pad), scaleFactor=settings.scale_factor,
                minNeighbors=settings.min_neighbors, minSize=(side, side))
            if len(found):
                ordered = sorted(found, key=lambda f: -(f[2] * f[3]))  # stable: first of the largest first
                faces[int(i)] = np.array([(x - pad, y - pad, x + w - pad, y + h - pad, 1.0)
                                          for x, y, w, h in ordered], float)
            progress.update(1)
        return faces

    def detect(self, images: np.ndarray, progress=None) -> tuple[np.ndarray, list[np.ndarray]]:
        """Outcome per image (detector name, passthrough or rejected) and its face boxes (K, 5).

        The chain: each detector sees only the images still without a face. In tight crops the face
        fills most of the image, so an image whose preferred box is much smaller has no face (a false
        detection); boxes smaller than that are dropped from the others too."""
        progress = progress or _NoProgress()
        n = len(images)
        tight = max(images.shape[1:]) <= self.cfg.tight_max_side
        min_box = self.cfg.tight_min_face * min(images.shape[1:]) if tight else 0
        outcome = np.full(n, "rejected", dtype="<U11")
        boxes = [NO_BOXES] * n
        for detector in self.detectors:
            todo = np.flatnonzero(outcome == "rejected")
            progress.update(n - len(todo))
            if not len(todo):
                continue
            for i, found in getattr(self, f"detect_{detector}")(images, todo, progress).items():
                side = np.fmax(found[:, 2] - found[:, 0], found[:, 3] - found[:, 1])
                if side[0] >= min_box:
                    boxes[i], outcome[i] = found[side >= min_box], detector
        if self.passthrough == "tight" and tight:
            usable = images.reshape(n, -1).std(axis=1) >= self.cfg.min_std
            outcome[(outcome == "rejected") & usable] = "passthrough"
        return outcome, boxes

    # ---- image ops
    def pad_px(self, images: np.ndarray) -> int:
        return int(round(self.cfg.pad * max(images.shape[1:])))

    @staticmethod
    def padded(image: np.ndarray, pad: int) -> np.ndarray:
        return cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REFLECT_101) if pad else image

    def window(self, shape: tuple[int, int], box) -> tuple[int, int, int]:
        """(left, top, side) of the square crop around `box` grown by `margin`, shifted (and if need be
        shrunk) to lie inside the image: the reflected padding only helps detection, never the output."""
        x1, y1, x2, y2 = box[:4]
        h, w = shape
        side = int(round(min(max(x2 - x1, y2 - y1) * (1 + self.cfg.margin), h, w)))
        side = max(side, 1)
        left = int(np.clip(round((x1 + x2 - side) / 2), 0, w - side))
        top = int(np.clip(round((y1 + y2 - side) / 2), 0, h - side))
        return left, top, side

    def cut(self, image: np.ndarray, box) -> np.ndarray:
        """The square crop around a face box, resized to crop.size."""
        return self.cut_window(image, self.window(image.shape, box))

    def cut_window(self, image: np.ndarray, window) -> np.ndarray:
        left, top, side = window
        return self.resized(image[top:top + side, left:left + side])

    @staticmethod
    def central_square(image: np.ndarray) -> tuple[int, int, int, int]:
        """(x1, y1, x2, y2) of the central square of the image: the passthrough 'box'."""
        h, w = image.shape
        s = min(h, w)
        return (w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s

    @classmethod
    def central_window(cls, image: np.ndarray) -> tuple[int, int, int]:
        """(left, top, side) of the central square: the passthrough window."""
        x1, y1, x2, _ = cls.central_square(image)
        return x1, y1, x2 - x1

    def whole(self, image: np.ndarray) -> np.ndarray:
        """Passthrough: the central square of the image, resized."""
        return self.cut_window(image, self.central_window(image))

    def resized(self, face: np.ndarray) -> np.ndarray:
        if face.shape == (self.size, self.size):
            return face
        shrink = face.shape[0] > self.size
        return cv2.resize(face, (self.size, self.size),
                          interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)

    # ---- every face in one photo (fer-predict)
    def faces(self, gray: np.ndarray) -> tuple[list[tuple], np.ndarray]:
        """Boxes (x1, y1, x2, y2, score; the crop stage's face first) and their crops (K, size, size).

        The other boxes count only with their centre inside the image (a box centred in the reflected
        border is a mirror image of a face). A passthrough is one box, the central square, score 0."""
        outcome, boxes = self.detect(gray[None])
        if outcome[0] in DETECTORS:
            h, w = gray.shape
            cx, cy = (boxes[0][:, 0] + boxes[0][:, 2]) / 2, (boxes[0][:, 1] + boxes[0][:, 3]) / 2
            inside = (cx >= 0) & (cx < w) & (cy >= 0) & (cy < h)
            inside[0] = True
            found = [tuple(b) for b in boxes[0][inside]]
            crops = [self.cut(gray, b) for b in boxes[0][inside]]
        elif outcome[0] == "passthrough":
            found, crops = [(*self.central_square(gray), 0.0)], [self.whole(gray)]
        else:
            found, crops = [], []
        return found, (np.stack(crops) if crops else np.zeros((0, self.size, self.size), np.uint8))

    # ---- the crop stage's job for one dataset: one face per image
    def windows(self, ds: FaceDataset, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Outcome of every row and its crop window (n, 3) left, top, side (side 0: rejected)."""
        n = len(ds)
        total = n * max(1, len(self.detectors))
        with tqdm(total=total, desc=f"detect faces {name}", unit="img", mininterval=2) as bar:
            outcome, boxes = self.detect(ds.images, bar)
        if self.detectors and not np.any(np.isin(outcome, self.detectors)):
            raise PipelineError(f"{name}: no face found in any of its {n} images "
                                f"(detectors {', '.join(self.detectors)})")
        windows = np.zeros((n, 3), np.int64)
        for i in range(n):
            if outcome[i] in DETECTORS:
                windows[i] = self.window(ds.images[i].shape, boxes[i][0])
            elif outcome[i] == "passthrough":
                windows[i] = self.central_window(ds.images[i])
        return outcome, windows

    def apply_windows(self, ds: FaceDataset, outcome: np.ndarray, windows: np.ndarray,
                      name: str) -> FaceDataset:
        """The cropped dataset: every kept row cut at its window, rejected rows dropped."""
        keep = outcome != "rejected"
        if not keep.any():
            raise PipelineError(f"{name}: every image was rejected "
                                f"(no face found, passthrough {self.passthrough})")
        out = np.zeros((len(ds), self.size, self.size), np.uint8)
        for i in np.flatnonzero(keep):
            out[i] = self.cut_window(ds.images[i], windows[i])
        cropped = ds.with_images(out).subset(keep)
        cropped.extra = {**cropped.extra, "crop_outcome": outcome[keep]}
        return cropped

    def crop_dataset(self, ds: FaceDataset, name: str) -> tuple[FaceDataset, np.ndarray]:
        """Cropped dataset (rejected rows dropped) and the outcome of every input row."""
        outcome, windows = self.windows(ds, name)
        return self.apply_windows(ds, outcome, windows, name), outcome


def outcome_report(ds: FaceDataset, outcome: np.ndarray, seconds: float) -> dict:
    """Counts per outcome, overall and per class, for reports/crop/outcomes.json."""
    per_class = {o: {c: int(np.sum((outcome == o) & (ds.labels == i))) for i, c in enumerate(ds.classes)}
                 for o in OUTCOMES}
    return {"dataset": ds.source, "rows_in": len(ds), "rows_out": int(np.sum(outcome != "rejected")),
            "input_shape": list(ds.images.shape[1:]),
            "totals": {o: int(np.sum(outcome == o)) for o in OUTCOMES},
            "by_class": per_class, "seconds": round(seconds, 2),
            "ms_per_image": round(1000 * seconds / max(1, len(ds)), 2)}
