"""Image quality of transferred faces: SSIM and PSNR against the real target faces (Table 3 of the paper)."""

import numpy as np
import tensorflow as tf


def ssim_psnr(generated: np.ndarray, real: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-image SSIM and PSNR (dB) of images in [-1, 1], computed on [0, 1] (max_val 1, 11x11 window)."""
    a = tf.convert_to_tensor((np.asarray(generated, np.float32) + 1) / 2)
    b = tf.convert_to_tensor((np.asarray(real, np.float32) + 1) / 2)
    a, b = tf.clip_by_value(a, 0, 1), tf.clip_by_value(b, 0, 1)
    return tf.image.ssim(a, b, max_val=1.0).numpy(), tf.image.psnr(a, b, max_val=1.0).numpy()


def score(outputs: dict, real: np.ndarray) -> dict:
    """name -> mean and spread of SSIM / PSNR of each model's outputs against `real`."""
    results = {}
    for key, gen in outputs.items():
        ssim, psnr = ssim_psnr(gen, real)
        results[key] = {"ssim": round(float(ssim.mean()), 4), "ssim_std": round(float(ssim.std()), 4),
                        "psnr": round(float(psnr.mean()), 3), "psnr_std": round(float(psnr.std()), 3)}
    return results
