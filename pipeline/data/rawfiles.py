"""Reading raw image files: one grayscale decoder for every folder layout, truncation caught."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from pipeline.core.emotions import canonical_emotion
from pipeline.core.errors import PipelineError

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".pgm"}


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
        out[i] = image if image.shape == shape else \
            cv2.resize(image, shape[::-1], interpolation=cv2.INTER_AREA)
    return out


def list_images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)


def class_folders(root: Path, allowed: tuple) -> list[tuple[Path, str]]:
    """Sub-folders of `root` as (folder, canonical class); unknown or empty class folders fail."""
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        name = canonical_emotion(folder.name, str(folder))
        if name not in allowed:
            raise PipelineError(f"{folder}: unknown class folder '{folder.name}' for this dataset "
                                f"(known: {', '.join(allowed)})")
        if not list_images(folder):
            raise PipelineError(f"{folder}: empty class folder (no images)")
        found.append((folder, name))
    if not found:
        raise PipelineError(f"{root}: no class folders")
    return found
