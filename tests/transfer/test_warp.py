"""Piecewise-affine warp of a face between landmark layouts."""

import numpy as np

from pipeline.transfer.warp import warp_faces

from .conftest import mean_face_points


def test_identity_warp_keeps_the_face_and_a_shift_moves_it():
    rng = np.random.default_rng(0)
    face = rng.uniform(-1, 1, (1, 32, 32, 1)).astype(np.float32)
    pts = mean_face_points()[None]
    np.testing.assert_allclose(warp_faces(face, pts, pts), face, atol=1e-5)
    shifted = warp_faces(face, pts, pts + np.float32([1 / 32, 0]))  # every point one pixel right
    x, y = np.round(pts[0, 30] * 32).astype(int)  # nose tip, inside the landmark hull
    assert abs(shifted[0, y, x + 1, 0] - face[0, y, x, 0]) < 1e-4
    assert warp_faces(face[:0], pts[:0], pts[:0]).shape == (0, 32, 32, 1)
