"""Landmark encodings: channels and range, continuity in the points, left-right flips, displacement field."""

import numpy as np
import pytest

from pipeline.transfer.encodings import (
    ENCODINGS,
    channels,
    displacement_field,
    mirror_points,
    render,
    to_pixels,
)

from .conftest import mean_face_points


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_encoding_is_a_bounded_image_with_its_channels(encoding):
    pts = mean_face_points()[None]
    img = render(pts, 32, encoding, 1.5)
    assert img.shape == (1, 32, 32, channels(encoding)) and img.dtype == np.float32
    assert img.min() >= -1 and img.max() <= 1
    assert np.all(img.reshape(-1, img.shape[-1]).max(0) > 0)  # every channel draws something
    empty = render(np.zeros((0, 68, 2), np.float32), 32, encoding, 1.5)
    assert empty.shape == (0, 32, 32, channels(encoding))


@pytest.mark.parametrize("encoding", ["heatmap", "masks"])
def test_smooth_encodings_change_gradually_with_the_points(encoding):
    pts = mean_face_points()[None]
    moved = pts.copy()
    moved[0, 48:68, 1] += 0.25 / 32  # lips down by a quarter pixel at 32 px
    far = pts.copy()
    far[0, 48:68, 1] += 2 / 32
    base, small, big = (render(p, 32, encoding, 1.5) for p in (pts, moved, far))
    assert 0 < np.abs(small - base).mean() < np.abs(big - base).mean()


@pytest.mark.parametrize("encoding", ["heatmap", "masks"])
def test_mirrored_points_draw_the_mirrored_image(encoding):
    pts = mean_face_points()[None] + np.float32([0.03, 0.0])  # off-centre, so a flip changes the image
    np.testing.assert_allclose(mirror_points(mirror_points(pts)), pts, atol=1e-6)
    a = render(pts, 32, encoding, 1.5)[:, :, ::-1]
    b = render(mirror_points(pts), 32, encoding, 1.5)
    assert np.abs(a - b).mean() < 0.01 and np.abs(render(pts, 32, encoding, 1.5) - b).mean() > 0.01


def test_displacement_field_points_where_the_points_move():
    pts = mean_face_points()[None]
    assert np.abs(displacement_field(pts, pts, 32)).max() == 0
    right = pts + np.float32([2 / 32, 0])
    field = displacement_field(pts, right, 32)
    x, y = np.round(to_pixels(pts[0, 30], 32)).astype(int)
    assert field.shape == (1, 32, 32, 2) and field[0, y, x, 0] > 0.5 and abs(field[0, y, x, 1]) < 1e-3
    assert abs(field[0, 0, 0, 0]) < 0.05  # far from every point: no displacement
