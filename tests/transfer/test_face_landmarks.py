"""68-point landmarks: the parts, drawing, dlib on small crops, the landmarks file and its pixel digest."""

import numpy as np
import pytest

from pipeline.core.errors import PipelineError
from pipeline.transfer.face_landmarks import (
    N_POINTS,
    PARTS,
    draw_landmarks,
    landmark_images,
    load_landmarks,
    sample_sheet,
)

from .conftest import fake_landmarks, mean_face_points


def test_landmark_parts_cover_all_68_points():
    covered = sorted(i for first, last, _ in PARTS.values() for i in range(first, last))
    assert covered == list(range(N_POINTS))


def test_draw_landmarks_draws_lines_through_the_points():
    pts = mean_face_points()
    img = draw_landmarks(pts, 64)
    assert img.shape == (64, 64) and img.dtype == np.float32
    assert set(np.unique(img)) == {-1.0, 1.0}
    for x, y in pts:  # every point lies on a drawn line
        assert img[int(round(y * 63)), int(round(x * 63))] == 1.0
    assert (img == 1).mean() < 0.25  # lines, not filled regions
    assert landmark_images(pts[None].repeat(3, 0), 32).shape == (3, 32, 32)
    assert landmark_images(np.zeros((0, N_POINTS, 2)), 32).shape == (0, 32, 32)
    with pytest.raises(ValueError):
        draw_landmarks(pts[:5], 64)


def test_dlib_landmarks_on_an_upsampled_48px_face(demo_dataset):
    pytest.importorskip("dlib")
    from pipeline.transfer.face_landmarks import detect_landmarks

    points, found = detect_landmarks(demo_dataset.images[:2])
    assert points.shape == (2, N_POINTS, 2) and found.shape == (2,)
    assert np.all((points >= 0) & (points <= 1))
    # the mouth lies below the eyes on an upright face
    assert points[:, 48:68, 1].mean() > points[:, 36:48, 1].mean()


def test_sample_sheet_is_a_bgr_grid_of_four_columns(demo_dataset):
    pts = np.repeat(mean_face_points()[None], 5, 0)
    sheet = sample_sheet(demo_dataset.images[:5], pts, size=32)
    assert sheet.shape == (2 * 32, 4 * 64, 3) and sheet.dtype == np.uint8


def test_landmarks_file_is_aligned_by_id_and_refuses_other_pixels(tmp_path, demo_dataset):
    path = fake_landmarks(demo_dataset, tmp_path)
    with np.load(path) as z:
        stored = z["points"]
    order = np.random.default_rng(0).permutation(len(demo_dataset))
    np.testing.assert_array_equal(load_landmarks(path, demo_dataset), stored)
    np.testing.assert_array_equal(load_landmarks(path, demo_dataset.subset(order)), stored[order])
    with pytest.raises(PipelineError, match="rerun the landmarks"):
        load_landmarks(path, demo_dataset.with_images(255 - demo_dataset.images))
    with pytest.raises(PipelineError, match="not found"):
        load_landmarks(tmp_path / "none.npz", demo_dataset)
