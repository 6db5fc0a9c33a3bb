"""Generated faces as uint8 images and grids."""

import numpy as np


def test_generate_images_are_uint8_faces_repeatable_by_seed(tiny):
    from pipeline.gan.networks import build_generator
    from pipeline.gan.samples import generate_images

    g = build_generator(tiny())
    fakes = generate_images(g, 5, seed=0, batch=2)
    assert fakes.shape == (5, 48, 48) and fakes.dtype == np.uint8
    np.testing.assert_array_equal(fakes, generate_images(g, 5, seed=0))
    assert generate_images(g, 0, seed=0).shape == (0, 48, 48)


def test_image_grid_layout_and_png(tmp_path):
    import cv2

    from pipeline.gan.samples import image_grid, save_png

    grid = image_grid(np.zeros((10, 4, 4), np.uint8), columns=8)
    assert grid.shape == (2 * 6 + 2, 8 * 6 + 2)
    assert grid[2:6, 2:6].max() == 0 and grid[0].min() == 255
    save_png(tmp_path / "g.png", grid)
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "g.png"), cv2.IMREAD_GRAYSCALE), grid)
