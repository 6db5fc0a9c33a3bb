"""FID, KID and Inception Score on feature matrices."""

import numpy as np
import pytest

from pipeline.gan.distribution_metrics import (
    FIDNumericalError,
    fid,
    frechet_distance,
    frechet_distance_of_samples,
    gaussian_stats,
    inception_score,
    kid,
    knn_radii,
    precision_recall,
    value,
)


def test_frechet_distance_closed_form_for_two_gaussians():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 4))
    s1 = a @ a.T + np.eye(4)
    s2 = np.diag([1.0, 2.0, 3.0, 4.0])
    mu1, mu2 = np.zeros(4), np.array([1.0, 0, -2, 0])
    from scipy.linalg import sqrtm

    expected = 5.0 + np.trace(s1) + np.trace(s2) - 2 * np.trace(np.real(sqrtm(s1 @ s2)))
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8)
    # 1-d: (m1 - m2)^2 + (s1 - s2)^2 for standard deviations s1, s2
    assert frechet_distance([0.0], [[4.0]], [3.0], [[1.0]]) == pytest.approx(9 + 1)
    assert frechet_distance(mu1, s1, mu1, s1) == pytest.approx(0, abs=1e-8)


def test_fid_from_samples_equals_the_closed_form_on_their_statistics():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(200, 6)), rng.normal(size=(150, 6)) @ np.diag([1, 2, 1, 1, 0.5, 1]) + 0.3
    assert frechet_distance_of_samples(a, b) == pytest.approx(
        frechet_distance(*gaussian_stats(a), *gaussian_stats(b)), rel=1e-8)
    small = rng.normal(size=(20, 64))  # fewer samples than dimensions: singular covariances
    assert frechet_distance_of_samples(small, small) == pytest.approx(0, abs=1e-8)


def test_fid_and_kid_near_zero_for_identical_sets_and_flag_small_sets():
    x = np.random.default_rng(1).normal(size=(300, 8))
    f = fid(x, x)
    assert f["value"] == pytest.approx(0, abs=1e-6) and f["n_a"] == 300 and not f["comparable"]
    assert "not comparable" in f["note"]
    shifted = kid(x, x + 0.5, subsets=20, subset_size=100)["value"]
    # identical sets: ~0 next to a half-sigma shift (subsets drawn from one set overlap, which
    # biases the unbiased estimator slightly negative); independent draws of one law: ~0.
    assert abs(kid(x, x, subsets=20, subset_size=100)["value"]) < 0.1 * shifted
    y = np.random.default_rng(2).normal(size=(300, 8))
    assert abs(kid(x, y, subsets=20, subset_size=100)["value"]) < 0.03 < shifted
    assert value(fid(x[:1], x)) is None and value(None) is None


def test_inception_score_bounds():
    assert inception_score(np.eye(4)[np.arange(40) % 4], splits=1)["value"] == pytest.approx(4, rel=1e-6)
    assert inception_score(np.full((40, 4), 0.25), splits=2)["value"] == pytest.approx(1)


def test_a_complex_square_root_with_a_large_imaginary_part_raises():
    # S1 S2 = diag(-1, 1): sqrtm = diag(i, 1); np.real would silently report FID 4 instead of failing
    with pytest.raises(FIDNumericalError, match="imaginary component of 1"):
        frechet_distance([0, 0], np.eye(2), [0, 0], np.diag([-1.0, 1.0]))


def test_large_sets_take_the_d_by_d_path_and_cached_statistics_give_the_same_fid():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(40, 5)), rng.normal(size=(60, 5)) + 0.2
    direct = fid(a, b)["value"]
    assert fid(a, b, stats_b=gaussian_stats(b))["value"] == pytest.approx(direct, rel=1e-9)
    assert direct == pytest.approx(frechet_distance_of_samples(a, b), rel=1e-8)


def test_knn_radius_is_the_distance_to_the_kth_other_point():
    x = np.array([[0.0], [1.0], [3.0], [7.0]])
    np.testing.assert_allclose(knn_radii(x, 1), [1, 1, 2, 4])
    np.testing.assert_allclose(knn_radii(x, 2), [3, 2, 3, 6])


def test_precision_recall_closed_forms():
    rng = np.random.default_rng(5)
    real = rng.normal(size=(200, 8))
    same = precision_recall(real, real.copy(), k=3)
    assert same["precision"] == 1.0 and same["recall"] == 1.0 and same["k"] == 3
    far = precision_recall(real, rng.normal(size=(150, 8)) + 100.0, k=3)
    assert far["precision"] == 0.0 and far["recall"] == 0.0
    # planted: half the fakes are copies of reals (inside), half far away: precision 1/2; the
    # fake manifold covers at most the copied reals (plus neighbours inside their balls)
    fake = np.concatenate([real[:100], rng.normal(size=(100, 8)) + 100.0])
    planted = precision_recall(real, fake, k=3)
    assert planted["precision"] == 0.5 and 0.5 <= planted["recall"] < 1.0
    # collapsed generator: every fake one real image -> high precision, recall ~ 1/200
    collapsed = precision_recall(real, np.repeat(real[:1], 50, axis=0), k=3)
    assert collapsed["precision"] == 1.0 and collapsed["recall"] <= 0.05
    tiny = precision_recall(real[:3], real[:3], k=3)
    assert tiny["k"] == 2 and "lowered" in tiny["note"]
    assert precision_recall(real[:1], real[:1])["precision"] is None
