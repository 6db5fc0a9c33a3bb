"""SSIM / PSNR of transferred faces."""

import numpy as np

from pipeline.transfer.pairs import to_unit
from pipeline.transfer.quality import score, ssim_psnr


def test_ssim_psnr_of_identical_and_different_images():
    x = to_unit(np.random.default_rng(0).integers(0, 255, (2, 48, 48), dtype=np.uint8), 32)
    assert x.shape == (2, 32, 32, 1) and x.min() >= -1 and x.max() <= 1
    ssim, psnr = ssim_psnr(x, x)
    assert np.allclose(ssim, 1.0) and np.all(psnr > 60)
    ssim2, psnr2 = ssim_psnr(x, -x)
    assert np.all(ssim2 < 0.5) and np.all(psnr2 < psnr)
    results = score({"halved": x / 2, "negated": -x}, x)
    assert set(results["halved"]) == {"ssim", "ssim_std", "psnr", "psnr_std"}
    assert results["halved"]["psnr"] > results["negated"]["psnr"] and results["negated"]["ssim"] < 0.5
