"""Distances between image sets in a feature space: FID, unbiased KID, Inception Score, and the
improved precision and recall of Kynkaanniemi et al. 2019 (fidelity and diversity apart).

Plain numpy/scipy on feature matrices, so any extractor plugs in: Inception-v3 pool3 (optional,
`pip install -e ".[fid]"`, see `pipeline.gan.inception`) or the project's own FER classifier.
FID is biased upwards for small sets: figures on fewer than `FID_MIN_SAMPLES` images are
flagged as not comparable with published FIDs (which use 10k-50k).
"""

import numpy as np

from pipeline.core.errors import PipelineError

FID_MIN_SAMPLES = 2048


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    f = np.asarray(features, np.float64)
    return f.mean(axis=0), np.cov(f, rowvar=False)


class FIDNumericalError(PipelineError):
    """The matrix square root of the FID came out complex beyond rounding: the figure would be wrong."""


def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^1/2): the Frechet distance of two Gaussians.

    As pytorch-fid: a singular product is retried with `eps` on the diagonals, and a complex
    square root is accepted only when its diagonal's imaginary part is rounding (<= 1e-3);
    dropping a large imaginary part silently (`np.real` alone) would report a wrong FID.
    """
    from scipy import linalg

    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    sigma1, sigma2 = np.atleast_2d(sigma1).astype(np.float64), np.atleast_2d(sigma2).astype(np.float64)
    diff = mu1 - mu2
    with np.errstate(all="ignore"):
        covmean = linalg.sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():  # singular product: nudge the diagonals
        offset = np.eye(len(sigma1)) * eps
        covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise FIDNumericalError(
                f"FID: the square root of the covariance product has an imaginary component of "
                f"{np.max(np.abs(covmean.imag)):.3g} (not rounding): the covariances are not valid")
        covmean = covmean.real
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


def fid(features_a: np.ndarray, features_b: np.ndarray, stats_b=None) -> dict:
    """FID between two feature sets, with the sample counts and a comparability flag.

    With more samples than dimensions on both sides it is the standard d x d computation (on
    `stats_b` = (mu, sigma) of set b when given, e.g. cached real statistics); with fewer, the
    exact sample-space form (no singular d x d covariances).
    """
    n_a, n_b = len(features_a), len(features_b)
    if min(n_a, n_b) < 2:
        return {"value": None, "n_a": n_a, "n_b": n_b, "comparable": False, "note": "fewer than 2 samples"}
    d = np.shape(features_a)[1]
    if min(n_a, n_b) > d:
        value = frechet_distance(*gaussian_stats(features_a), *(stats_b or gaussian_stats(features_b)))
    else:
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


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return np.maximum(d2, 0.0)


def knn_radii(features: np.ndarray, k: int, chunk: int = 1024) -> np.ndarray:
    """Distance of every sample to its k-th nearest other sample of the same set."""
    x = np.asarray(features, np.float32)
    radii = np.empty(len(x), np.float64)
    for s in range(0, len(x), chunk):
        d2 = _squared_distances(x[s:s + chunk], x)
        radii[s:s + chunk] = np.sqrt(np.partition(d2, k, axis=1)[:, k])  # index 0: the sample itself
    return radii


def manifold_coverage(queries: np.ndarray, support: np.ndarray, radii: np.ndarray,
                      chunk: int = 1024) -> float:
    """Fraction of `queries` inside at least one ball (support sample, its k-NN radius)."""
    q, s_ = np.asarray(queries, np.float32), np.asarray(support, np.float32)
    r2 = (radii ** 2)[None, :]
    inside = 0
    for s in range(0, len(q), chunk):
        inside += int((_squared_distances(q[s:s + chunk], s_) <= r2).any(axis=1).sum())
    return inside / len(q)


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> dict:
    """Improved precision and recall (Kynkaanniemi et al. 2019) with k-NN manifolds.

    Precision: the fraction of fakes inside the real manifold (the union of balls around each
    real sample reaching its k-th nearest real neighbour): fidelity. Recall: the fraction of
    reals inside the fake manifold: diversity. Two identical sets give 1 and 1; far apart, 0.
    """
    n_r, n_f = len(real), len(fake)
    k_used = min(k, n_r - 1, n_f - 1)
    if k_used < 1:
        return {"precision": None, "recall": None, "n_real": n_r, "n_fake": n_f, "k": k,
                "note": "fewer than 2 samples"}
    out = {"precision": manifold_coverage(fake, real, knn_radii(real, k_used)),
           "recall": manifold_coverage(real, fake, knn_radii(fake, k_used)),
           "n_real": n_r, "n_fake": n_f, "k": k_used}
    if k_used < k:
        out["note"] = f"k lowered from {k} to {k_used} (too few samples)"
    return out


def value(block: dict | None, key: str = "value"):
    """The figure of a metric block (fid/kid/inception_score output), None where there is none."""
    return None if block is None else block.get(key)
