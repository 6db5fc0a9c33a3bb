"""What the recogniser accepts as an image, turned into the grey uint8 array the face path works on.

Paths (any format OpenCV decodes, EXIF orientation applied), encoded bytes, numpy arrays (grey
(H, W) or (H, W, 1), colour (H, W, 3) in BGR or RGB order, (H, W, 4) with alpha; uint8, uint16
or float in [0, 1]) and PIL images (any mode).
"""

from pathlib import Path

import cv2
import numpy as np

from pipeline.core.errors import PipelineError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}
VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv"}
COLORS = ("bgr", "rgb")


def decode(data: bytes | np.ndarray) -> np.ndarray | None:
    """BGR uint8 image from encoded bytes, or None when they are not an image OpenCV decodes."""
    buf = np.frombuffer(data, np.uint8) if isinstance(data, (bytes, bytearray, memoryview)) else data
    if buf is None or not buf.size:
        return None
    try:
        return cv2.imdecode(buf, cv2.IMREAD_COLOR)
    except cv2.error:
        return None


def read_bgr(path: Path | str) -> np.ndarray | None:
    """BGR uint8 image of a file, or None when it cannot be read or decoded."""
    path = Path(path)
    try:
        return decode(np.fromfile(path, np.uint8)) if path.is_file() else None
    except OSError:
        return None


def to_uint8(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array)
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * 255
    if np.issubdtype(array.dtype, np.floating):
        top = 1.0 if float(np.nanmax(array, initial=0.0)) <= 1.0 else 255.0
        return np.clip(np.nan_to_num(array) * (255.0 / top), 0, 255).round().astype(np.uint8)
    if array.dtype == np.uint16:
        return (array // 257).astype(np.uint8)
    return np.clip(array, 0, 255).astype(np.uint8)


def array_to_gray(array: np.ndarray, color: str = "bgr") -> np.ndarray:
    """Grey (H, W) uint8 of a numpy image; `color` is the channel order of 3- and 4-channel arrays."""
    if color not in COLORS:
        raise PipelineError(f"color must be one of {', '.join(COLORS)} (got {color!r})")
    array = to_uint8(array)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim == 2:
        return np.ascontiguousarray(array)
    if array.ndim == 3 and array.shape[2] in (3, 4):
        codes = {("bgr", 3): cv2.COLOR_BGR2GRAY, ("rgb", 3): cv2.COLOR_RGB2GRAY,
                 ("bgr", 4): cv2.COLOR_BGRA2GRAY, ("rgb", 4): cv2.COLOR_RGBA2GRAY}
        return cv2.cvtColor(np.ascontiguousarray(array), codes[color, array.shape[2]])
    raise PipelineError(f"an image array must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4); "
                        f"got shape {array.shape}")


def is_pil(image) -> bool:
    return hasattr(image, "mode") and hasattr(image, "convert") and hasattr(image, "size")


def to_gray(image, color: str = "bgr") -> np.ndarray:
    """Grey (H, W) uint8 of a path, encoded bytes, numpy array or PIL image (see the module doc)."""
    if isinstance(image, (str, Path)):
        bgr = read_bgr(image)
        if bgr is None:
            raise PipelineError(f"{image}: not a readable image")
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    if isinstance(image, (bytes, bytearray, memoryview)):
        bgr = decode(image)
        if bgr is None:
            raise PipelineError("the bytes given are not an image OpenCV can decode")
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    if is_pil(image):
        if image.mode == "L":
            return np.asarray(image, np.uint8).copy()
        return array_to_gray(np.asarray(image.convert("RGB")), "rgb")
    if isinstance(image, np.ndarray):
        if image.size == 0:
            raise PipelineError(f"an empty image array (shape {image.shape})")
        return array_to_gray(image, color)
    raise PipelineError(f"not an image: {type(image).__name__} (give a path, bytes, a numpy array "
                        f"or a PIL image)")


def is_batch(images) -> bool:
    """A list/tuple of images, or a 4-D array (N, H, W, C), is a batch; anything else is one image."""
    if isinstance(images, (list, tuple)):
        return True
    return isinstance(images, np.ndarray) and images.ndim == 4
