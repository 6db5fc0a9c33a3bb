"""68-point facial landmarks (the iBUG/dlib scheme the transfer paper uses) and landmark images.

Points come from dlib's HOG face detector + 68-point shape predictor; the predictor file ships
inside the PyPI package `face-recognition-models` (nothing is downloaded at run time) and dlib
itself from the prebuilt `dlib-bin` wheel. Points are stored as (x, y) in [0, 1] image units, so
one set of landmarks draws at any resolution. Also the landmarks file (`data/landmarks/<source>.npz`,
with a digest of the pixels the points were taken from) and the sample sheet of drawn landmarks.
"""

import hashlib
import importlib.util
from pathlib import Path

import cv2
import numpy as np

from ..core.dataset import FaceDataset
from ..core.errors import PipelineError
from ..core.outputs import atomic_path

N_POINTS = 68
# iBUG-68 facial parts as (first, last_exclusive, closed) index ranges.
PARTS = {
    "jaw": (0, 17, False),
    "right_brow": (17, 22, False),
    "left_brow": (22, 27, False),
    "nose_bridge": (27, 31, False),
    "nose_base": (31, 36, False),
    "right_eye": (36, 42, True),
    "left_eye": (42, 48, True),
    "outer_lips": (48, 60, True),
    "inner_lips": (60, 68, True),
}
PREDICTOR_FILE = "shape_predictor_68_face_landmarks.dat"
DETECT_SIZE = 128  # tight 48x48 crops are upsampled to this before detection (60/60 found on CK+48)


def model_path(name: str = PREDICTOR_FILE) -> Path:
    """Where a dlib model file lies inside the installed face-recognition-models package (the 68-point
    predictor; also the face-recognition ResNet, identity.py).

    Found through the import system without importing the package (its __init__ needs
    pkg_resources, which recent setuptools dropped).
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise PipelineError("landmarks: package face-recognition-models is not installed "
                            "(pip install -e . installs it; it ships dlib's 68-point model)")
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / name
    if not path.is_file():
        raise PipelineError(f"{path}: dlib model {name} missing from face-recognition-models")
    return path


def predictor_path() -> Path:
    return model_path(PREDICTOR_FILE)


class LandmarkDetector:
    """dlib face detector + 68-point shape predictor for small grayscale face crops."""

    def __init__(self, detect_size: int = DETECT_SIZE):
        try:
            import dlib
        except ImportError:
            raise PipelineError("landmarks: dlib is not installed "
                                "(pip install -e . installs dlib-bin)") from None
        self.size = int(detect_size)
        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(str(predictor_path()))
        self._rect = dlib.rectangle

    def shape(self, image: np.ndarray):
        """(the face upsampled to detect_size, dlib's 68-point full_object_detection, face detected).

        Crops are already tight faces, so when the detector finds nothing the whole frame is
        used as the face box (the predictor still fits a shape inside it).
        """
        up = cv2.resize(np.asarray(image, np.uint8), (self.size, self.size), interpolation=cv2.INTER_CUBIC)
        boxes = self.detector(up, 1)
        found = len(boxes) > 0
        box = max(boxes, key=lambda b: b.area()) if found else self._rect(0, 0, self.size - 1, self.size - 1)
        return up, self.predictor(up, box), found

    def __call__(self, image: np.ndarray) -> tuple[np.ndarray, bool]:
        """Return ((68, 2) float32 points in [0, 1], whether the detector found the face)."""
        _, shape, found = self.shape(image)
        pts = np.array([(p.x, p.y) for p in shape.parts()], np.float32) / self.size
        return np.clip(pts, 0.0, 1.0), found


def detect_landmarks(images: np.ndarray, progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Landmarks for a stack of grayscale images: ((N, 68, 2) float32, (N,) bool detected)."""
    detector = LandmarkDetector()
    points = np.zeros((len(images), N_POINTS, 2), np.float32)
    found = np.zeros(len(images), bool)
    it = range(len(images))
    if progress:
        from tqdm import tqdm
        it = tqdm(it, desc="landmarks", unit="img")
    for i in it:
        points[i], found[i] = detector(images[i])
    return points, found


def draw_landmarks(points: np.ndarray, size: int, thickness: int | None = None) -> np.ndarray:
    """Draw one face's 68 points as a landmark image: float32 (size, size), -1 background, +1 lines.

    Each facial part is a polyline (eyes and lips closed), which gives the networks denser guidance
    than isolated dots; lines are size/32 px thick (1 px below 64), so a small shift of a point
    still overlaps its old line and the fusion module's L1 loss has a gradient to follow.
    """
    thickness = max(1, size // 32) if thickness is None else int(thickness)
    points = np.asarray(points, np.float32)
    if points.shape != (N_POINTS, 2):
        raise ValueError(f"expected ({N_POINTS}, 2) landmark points, got {points.shape}")
    canvas = np.zeros((size, size), np.uint8)
    pix = np.round(points * (size - 1)).astype(np.int32)
    for first, last, closed in PARTS.values():
        cv2.polylines(canvas, [pix[first:last]], closed, 255, thickness, lineType=cv2.LINE_8)
    return canvas.astype(np.float32) / 127.5 - 1.0


def landmark_images(points: np.ndarray, size: int) -> np.ndarray:
    """Draw a stack of landmark sets: (N, 68, 2) -> float32 (N, size, size)."""
    if not len(points):
        return np.zeros((0, size, size), np.float32)
    return np.stack([draw_landmarks(p, size) for p in points])


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


# ---- the landmarks file ------------------------------------------------------------------------
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
        raise PipelineError(f"{path}: no landmarks for {len(missing)} rows of {dataset.source} "
                            f"(e.g. {missing[0]}); rerun landmarks")
    order = np.array([index[k] for k in dataset.ids.tolist()], np.int64)
    stored_order_images = np.empty_like(dataset.images)
    stored_order_images[order] = dataset.images
    if len(ids) == len(dataset) and digest != image_digest(stored_order_images):
        raise PipelineError(f"{path}: landmarks were taken from other pixels than {dataset.source}'s current "
                            "images (the input changed since); rerun the landmarks stage")
    return points[order]
