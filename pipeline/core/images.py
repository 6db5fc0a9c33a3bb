"""Faces as network inputs: one conversion for every network fed faces (GANs, D features, transfer)."""

import numpy as np


def to_gan_inputs(images: np.ndarray, size: int, upsample: str = "linear") -> np.ndarray:
    """uint8 (N, H, W) -> float32 (N, size, size, 1) in [-1, 1]; resized with OpenCV if needed.

    Shared by every network fed faces (GANs, discriminator features, transfer); area averaging
    down, `upsample` ('linear' or 'cubic') up.
    """
    import cv2

    images = np.asarray(images)
    if images.shape[1:3] != (size, size):
        up = {"linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC}[upsample]
        interp = cv2.INTER_AREA if images.shape[1] > size else up
        images = np.stack([cv2.resize(im, (size, size), interpolation=interp) for im in images]) \
            if len(images) else np.zeros((0, size, size), np.uint8)
    return (images.astype(np.float32)[..., None] / 127.5) - 1.0
