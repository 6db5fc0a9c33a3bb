"""Generated faces as uint8 images: sampling a generator, sample grids, png files."""

import math
from pathlib import Path

import numpy as np

from pipeline.core.errors import PipelineError
from pipeline.core.outputs import atomic_path

GRID_SAMPLES = 64  # latent vectors of the per-epoch sample grid (fixed per run: epochs compare)


def to_uint8_images(generated) -> np.ndarray:
    """Generator output in [-1, 1], (N, H, W, 1) -> uint8 (N, H, W)."""
    x = np.asarray(generated, np.float32)[..., 0]
    return np.clip(np.rint((x + 1.0) * 127.5), 0, 255).astype(np.uint8)


def generate_images(generator, n: int, seed: int, batch: int = 256) -> np.ndarray:
    """n uint8 images from `generator`, with latent vectors drawn from N(0, 1) by `seed`."""
    latent = int(generator.input_shape[-1])
    rng = np.random.default_rng(seed)
    out = []
    for start in range(0, n, batch):
        z = rng.standard_normal((min(batch, n - start), latent)).astype(np.float32)
        out.append(to_uint8_images(generator(z, training=False)))  # eager: no per-model retracing
    size = int(generator.output_shape[1])
    return np.concatenate(out) if out else np.zeros((0, size, size), np.uint8)


def grid_latents(seed: int, latent_dim: int) -> np.ndarray:
    """The fixed latent vectors of a run's sample grids."""
    return np.random.default_rng(seed + 1).standard_normal((GRID_SAMPLES, latent_dim)).astype(np.float32)


def sample_grid(generator, latents: np.ndarray) -> np.ndarray:
    """One uint8 mosaic of the generator's images for `latents`."""
    return image_grid(to_uint8_images(generator(latents, training=False)))


def image_grid(images: np.ndarray, columns: int = 8) -> np.ndarray:
    """uint8 (N, H, W) -> one uint8 mosaic with a 2-pixel gap."""
    n, h, w = images.shape
    rows = math.ceil(n / columns)
    grid = np.full((rows * (h + 2) + 2, columns * (w + 2) + 2), 255, np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, columns)
        grid[2 + r * (h + 2): 2 + r * (h + 2) + h, 2 + c * (w + 2): 2 + c * (w + 2) + w] = im
    return grid


def save_png(path: Path | str, image: np.ndarray) -> None:
    import cv2

    with atomic_path(path) as tmp:
        if not cv2.imwrite(str(tmp), image):
            raise PipelineError(f"{path}: could not write png")
