"""Piecewise-affine warp of a face from one landmark layout to another (no learning).

The 68 points plus 8 frame anchors are triangulated (Delaunay, on the destination layout); each
destination pixel samples the source face through its triangle's affine map. Used as a reference row
(the target face moved to the true landmarks: what the landmarks alone can give) and, with
`transfer.warp_input`, as an extra input channel of Ω (the target face moved to Φ's points).
"""

import cv2
import numpy as np
from scipy.spatial import Delaunay

from .encodings import to_pixels


def _anchors(size: int) -> np.ndarray:
    e, h = size - 1.0, (size - 1.0) / 2
    return np.array([[0, 0], [h, 0], [e, 0], [0, h], [e, h], [0, e], [h, e], [e, e]], np.float32)


def warp_face(face: np.ndarray, p_from: np.ndarray, p_to: np.ndarray) -> np.ndarray:
    """(S, S) float face whose landmarks are `p_from` ([0, 1] units) -> the face with them at `p_to`."""
    size = face.shape[0]
    src = np.vstack([to_pixels(p_from, size), _anchors(size)])
    dst = np.vstack([to_pixels(p_to, size), _anchors(size)])
    tri = Delaunay(dst)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    grid = np.stack([xs.ravel(), ys.ravel()], 1)
    simplex = tri.find_simplex(grid)
    inside = simplex >= 0
    # barycentric coordinates in the destination triangle -> same weights on the source triangle
    t = tri.transform[simplex[inside]]  # (P, 3, 2)
    b = np.einsum("pij,pj->pi", t[:, :2], grid[inside] - t[:, 2])
    bary = np.concatenate([b, 1 - b.sum(1, keepdims=True)], 1)  # (P, 3)
    corners = src[tri.simplices[simplex[inside]]]  # (P, 3, 2)
    maps = grid.copy()
    maps[inside] = np.einsum("pi,pij->pj", bary, corners)
    map_x = maps[:, 0].reshape(size, size).astype(np.float32)
    map_y = maps[:, 1].reshape(size, size).astype(np.float32)
    return cv2.remap(np.asarray(face, np.float32), map_x, map_y, cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def warp_faces(faces: np.ndarray, p_from: np.ndarray, p_to: np.ndarray) -> np.ndarray:
    """(N, S, S, 1) faces in [-1, 1], (N, 68, 2) x 2 -> (N, S, S, 1) warped faces."""
    if not len(faces):
        return np.zeros_like(faces)
    return np.stack([warp_face(f[..., 0], a, b) for f, a, b in zip(faces, p_from, p_to)])[..., None]
