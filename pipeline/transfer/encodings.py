"""Landmark images: how 68 points become the network inputs (params `transfer.landmark_encoding`).

- `polyline`: the paper's one-channel drawing (each face part a 1-2 px polyline, face_landmarks).
- `heatmap`: one channel per part group, a Gaussian of the distance to the group's polyline
  (`heatmap_sigma` px at the working size): smooth, so a moved point changes the image gradually.
- `masks`: one channel per part group, filled regions (face hull, brows, eyes, nose, lips, mouth
  opening), drawn antialiased at 4x and area-downsampled, so edges move with sub-pixel points.

Groups merge left and right (brows, eyes), so a left-right flip of the image needs no channel swap.
Also the displacement field (points moving from one layout to another, 2 channels: dx, dy) and the
left-right mirror of a point set (iBUG index permutation).
"""

import cv2
import numpy as np

from .face_landmarks import DETECT_SIZE, N_POINTS, landmark_images

ENCODINGS = ("polyline", "heatmap", "masks")
# polylines per group: (first, last_exclusive, closed)
GROUPS = {
    "jaw": [(0, 17, False)],
    "brows": [(17, 22, False), (22, 27, False)],
    "nose": [(27, 31, False), (31, 36, False)],
    "eyes": [(36, 42, True), (42, 48, True)],
    "outer_lips": [(48, 60, True)],
    "inner_lips": [(60, 68, True)],
}
MASKS = ("face", "brows", "eyes", "nose", "lips", "mouth")
# iBUG-68 left-right mirror: index i of a flipped face is point FLIP_INDEX[i] of the original
FLIP_INDEX = np.array(
    list(range(16, -1, -1)) + list(range(26, 21, -1)) + list(range(21, 16, -1)) + [27, 28, 29, 30]
    + [35, 34, 33, 32, 31] + [45, 44, 43, 42, 47, 46] + [39, 38, 37, 36, 41, 40]
    + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55] + [64, 63, 62, 61, 60, 67, 66, 65])
DISPLACEMENT_SCALE = 16.0  # field value = displacement in image widths x 16 (4 px at 64 px -> 1.0)
DISPLACEMENT_SIGMA = 2.0 / 64  # reach of each point's displacement, in image widths


def channels(encoding: str) -> int:
    return {"polyline": 1, "heatmap": len(GROUPS), "masks": len(MASKS)}[encoding]


def to_pixels(points: np.ndarray, size: int) -> np.ndarray:
    """[0, 1] points (pixel index / DETECT_SIZE of the detection image) -> continuous pixel coordinates
    at `size` with pixel centres at integers (the convention cv2.resize uses for the faces)."""
    return np.asarray(points, np.float32) * size + (0.5 * size / DETECT_SIZE - 0.5)


def mirror_points(points: np.ndarray) -> np.ndarray:
    """Points of the left-right flipped face, (..., 68, 2) in [0, 1] units."""
    flipped = np.asarray(points)[..., FLIP_INDEX, :].copy()
    flipped[..., 0] = (1.0 - 0.5 / DETECT_SIZE * 2) - flipped[..., 0]  # x_pix -> DETECT_SIZE - 1 - x_pix
    return flipped


def _segments(pix: np.ndarray, parts) -> np.ndarray:
    segs = []
    for first, last, closed in parts:
        idx = list(range(first, last)) + ([first] if closed else [])
        segs += [(pix[a], pix[b]) for a, b in zip(idx[:-1], idx[1:])]
    return np.array(segs, np.float32)  # (K, 2, 2)


def _distance_to_segments(grid: np.ndarray, segs: np.ndarray) -> np.ndarray:
    """(P, 2) pixel centres, (K, 2, 2) segments -> (P,) distance to the nearest segment."""
    a, b = segs[:, 0], segs[:, 1]
    ab = b - a
    t = np.clip(((grid[:, None] - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-9), 0, 1)
    nearest = a + t[..., None] * ab
    return np.sqrt(((grid[:, None] - nearest) ** 2).sum(-1)).min(1)


def heatmaps(points: np.ndarray, size: int, sigma: float) -> np.ndarray:
    """(68, 2) -> (size, size, groups) in [-1, 1]: exp(-d^2 / 2 sigma^2) of the distance to each group."""
    pix = to_pixels(points, size)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    grid = np.stack([xs.ravel(), ys.ravel()], 1)
    out = np.empty((size, size, len(GROUPS)), np.float32)
    for c, parts in enumerate(GROUPS.values()):
        d = _distance_to_segments(grid, _segments(pix, parts)).reshape(size, size)
        out[..., c] = np.exp(-0.5 * (d / sigma) ** 2)
    return out * 2 - 1


def masks(points: np.ndarray, size: int, scale: int = 4) -> np.ndarray:
    """(68, 2) -> (size, size, 6) in [-1, 1]: face hull, brows, eyes, nose, lips, mouth opening."""
    big = size * scale
    shift = 4  # cv2 sub-pixel bits
    one = 1 << shift
    pix = np.round((to_pixels(points, size) + 0.5) * scale * one - 0.5 * one).astype(np.int32)

    def canvas():
        return np.zeros((big, big), np.uint8)

    def fill(img, idx, value=255):
        cv2.fillPoly(img, [pix[idx]], value, lineType=cv2.LINE_AA, shift=shift)
        return img

    face = canvas()
    cv2.fillConvexPoly(face, cv2.convexHull(pix), 255, lineType=cv2.LINE_AA, shift=shift)
    brows = canvas()
    for first in (17, 22):
        cv2.polylines(brows, [pix[first:first + 5]], False, 255, max(1, big // 24), cv2.LINE_AA, shift)
    eyes = fill(fill(canvas(), slice(36, 42)), slice(42, 48))
    nose = fill(canvas(), [27, 31, 32, 33, 34, 35])
    cv2.polylines(nose, [pix[27:31]], False, 255, max(1, big // 32), cv2.LINE_AA, shift)
    mouth = fill(canvas(), slice(60, 68))
    lips = fill(canvas(), slice(48, 60))
    lips = cv2.subtract(lips, mouth)
    out = np.stack([cv2.resize(m, (size, size), interpolation=cv2.INTER_AREA)
                    for m in (face, brows, eyes, nose, lips, mouth)], -1)
    return out.astype(np.float32) / 127.5 - 1


def render(points: np.ndarray, size: int, encoding: str, sigma: float) -> np.ndarray:
    """(N, 68, 2) points -> (N, size, size, channels(encoding)) float32 landmark images in [-1, 1]."""
    points = np.asarray(points, np.float32)
    if points.ndim != 3 or points.shape[1:] != (N_POINTS, 2):
        raise ValueError(f"expected (N, {N_POINTS}, 2) landmark points, got {points.shape}")
    if encoding == "polyline":
        return landmark_images(points, size)[..., None]
    if not len(points):
        return np.zeros((0, size, size, channels(encoding)), np.float32)
    draw = {"heatmap": lambda p: heatmaps(p, size, sigma), "masks": lambda p: masks(p, size)}[encoding]
    return np.stack([draw(p) for p in points])


def displacement_field(p_from: np.ndarray, p_to: np.ndarray, size: int) -> np.ndarray:
    """(N, 68, 2) x 2 -> (N, size, size, 2): near each `p_from` point, where it moves (dx, dy).

    Each point spreads its displacement with a Gaussian (DISPLACEMENT_SIGMA image widths) around its
    place in `p_from`; a pixel gets the weighted mean of the points near it, fading to 0 far from all.
    """
    p_from, p_to = np.asarray(p_from, np.float32), np.asarray(p_to, np.float32)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    grid = np.stack([xs.ravel(), ys.ravel()], 1) / size  # (P, 2) pixel centres in image widths
    starts = to_pixels(p_from, size) / size
    out = np.empty((len(p_from), size, size, 2), np.float32)
    for i, (a, b) in enumerate(zip(starts, starts + (p_to - p_from))):
        w = np.exp(-0.5 * ((grid[:, None] - a[None]) ** 2).sum(-1) / DISPLACEMENT_SIGMA ** 2)  # (P, 68)
        field = w @ (b - a) / np.maximum(1.0, w.sum(1, keepdims=True))
        out[i] = (field * DISPLACEMENT_SCALE).reshape(size, size, 2)
    return out
