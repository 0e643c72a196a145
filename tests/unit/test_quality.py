"""IS and FID against closed forms, and the reference statistics files."""

import numpy as np
import pytest

from ganinfer.errors import InputError
from ganinfer.quality import frechet_distance, gaussian_stats, inception_score, read_stats, softmax, write_stats

# ---- Fréchet distance ----------------------------------------------------------------


def closed_form_commuting(mu1, a, mu2, b):
    """FID of N(mu1, Q diag(a) Q^T) and N(mu2, Q diag(b) Q^T): |mu1 - mu2|^2 + sum (sqrt a - sqrt b)^2."""
    return float(np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2))


def test_fid_of_diagonal_gaussians_is_the_closed_form():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=64), rng.normal(size=64)
    a, b = rng.uniform(0.1, 4.0, 64), rng.uniform(0.1, 4.0, 64)
    fid = frechet_distance(mu1, np.diag(a), mu2, np.diag(b))
    assert fid == pytest.approx(closed_form_commuting(mu1, a, mu2, b), rel=1e-10)


def test_fid_of_full_covariances_sharing_eigenvectors_is_the_closed_form():
    rng = np.random.default_rng(1)
    q, _ = np.linalg.qr(rng.normal(size=(48, 48)))
    a, b = rng.uniform(0.01, 3.0, 48), rng.uniform(0.01, 3.0, 48)
    mu1, mu2 = rng.normal(size=48), rng.normal(size=48)
    fid = frechet_distance(mu1, q @ np.diag(a) @ q.T, mu2, q @ np.diag(b) @ q.T)
    assert fid == pytest.approx(closed_form_commuting(mu1, a, mu2, b), rel=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_fid_of_non_commuting_2x2_covariances_is_the_closed_form(seed):
    """For 2 x 2 PSD M: Tr sqrt(M) = sqrt(Tr M + 2 sqrt(det M)), with M = S1 S2 (similar to a PSD matrix)."""
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    s1, s2 = x @ x.T + 0.1 * np.eye(2), y @ y.T + 0.1 * np.eye(2)
    mu1, mu2 = rng.normal(size=2), rng.normal(size=2)
    tr_sqrt = np.sqrt(np.trace(s1 @ s2) + 2 * np.sqrt(np.linalg.det(s1) * np.linalg.det(s2)))
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-10, abs=1e-12)


def test_fid_with_singular_and_near_singular_covariances():
    rng = np.random.default_rng(2)
    q, _ = np.linalg.qr(rng.normal(size=(32, 32)))
    a = np.concatenate([rng.uniform(0.5, 2.0, 8), np.zeros(20), np.full(4, 1e-14)])
    b = np.concatenate([np.zeros(16), rng.uniform(0.5, 2.0, 16)])
    mu = rng.normal(size=32)
    fid = frechet_distance(mu, q @ np.diag(a) @ q.T, mu, q @ np.diag(b) @ q.T)
    # sqrt is not Lipschitz at 0: a zero eigenvalue off by rounding (1e-16) adds up to 1e-8 each
    assert fid == pytest.approx(closed_form_commuting(mu, a, mu, b), abs=1e-6)


def test_fid_from_few_samples_in_high_dimension_is_finite_symmetric_and_zero_on_itself():
    """8 samples of 512-d features: rank-7 covariances, where sqrtm returns complex or NaN."""
    rng = np.random.default_rng(3)
    mu1, s1 = gaussian_stats(rng.normal(size=(8, 512)))
    mu2, s2 = gaussian_stats(rng.normal(size=(8, 512)) + 0.5)
    assert np.linalg.matrix_rank(s1) == 7
    forward, backward = frechet_distance(mu1, s1, mu2, s2), frechet_distance(mu2, s2, mu1, s1)
    assert np.isfinite(forward) and forward > 0
    # sqrt is not Lipschitz at 0: each of the d - rank null eigenvalues of S1^1/2 S2 S1^1/2, perturbed by
    # rounding of order eps * ||S1|| * ||S2||, can add up to sqrt(eps * ||S1|| * ||S2||) to tr(covmean), twice.
    norm = np.linalg.eigvalsh(s1).max() * np.linalg.eigvalsh(s2).max()
    null = s1.shape[0] - np.linalg.matrix_rank(s1)
    assert forward == pytest.approx(backward, abs=2 * null * np.sqrt(np.finfo(float).eps * norm))
    assert frechet_distance(mu1, s1, mu1, s1) == pytest.approx(0.0, abs=1e-8 * np.trace(s1))


def test_fid_of_sampled_gaussians_approaches_the_closed_form():
    rng = np.random.default_rng(4)
    a, b = np.array([1.0, 2.0, 0.5]), np.array([0.5, 1.0, 2.0])
    mu1, mu2 = np.zeros(3), np.array([1.0, 0.0, -1.0])
    x = rng.normal(size=(200_000, 3)) * np.sqrt(a) + mu1
    y = rng.normal(size=(200_000, 3)) * np.sqrt(b) + mu2
    fid = frechet_distance(*gaussian_stats(x), *gaussian_stats(y))
    assert fid == pytest.approx(closed_form_commuting(mu1, a, mu2, b), abs=0.02)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m, s: (m, np.where(np.eye(len(m)) > 0, np.nan, s)), "sigma2 has NaN"),
        (lambda m, s: (m + np.inf, s), "mu2 has NaN or infinite"),
        (lambda m, s: (m[:-1], s), "shapes differ"),
        (lambda m, s: (m, s - 5 * np.eye(len(m))), "sigma2 is not a covariance matrix"),
    ],
)
def test_fid_rejects_bad_statistics(change, message):
    mu, sigma = np.zeros(4), np.eye(4)
    with pytest.raises(ValueError, match=message):
        frechet_distance(mu, sigma, *change(mu.copy(), sigma.copy()))


# ---- Inception Score ------------------------------------------------------------------


def test_is_of_uniform_predictions_is_one():
    mean, std = inception_score(np.full((100, 1000), 1e-3), splits=10)
    assert mean == pytest.approx(1.0, abs=1e-12) and std == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("n", [1, 2, 7, 1000])
def test_is_of_n_distinct_one_hot_classes_is_n(n):
    probs = np.tile(np.eye(n, 1000), (10, 1))  # every split holds each of the n classes once
    mean, std = inception_score(probs, splits=10)
    assert mean == pytest.approx(n, rel=1e-12) and std == pytest.approx(0.0, abs=1e-9)


def test_is_of_two_soft_classes_is_the_closed_form():
    """Half the samples predict [q, 1-q], half [1-q, q]: p(y) is uniform, IS = exp(log 2 - H(q))."""
    q = 0.8
    probs = np.tile([[q, 1 - q], [1 - q, q]], (50, 1))
    entropy = -(q * np.log(q) + (1 - q) * np.log(1 - q))
    mean, _ = inception_score(probs, splits=10)
    assert mean == pytest.approx(np.exp(np.log(2) - entropy), rel=1e-12)


def test_is_splits_are_consecutive_chunks_and_report_the_spread():
    """17 rows in 2 splits: chunks of 8 (2 classes, then 4 classes), the last row dropped."""
    probs = np.concatenate([np.tile(np.eye(2, 4), (4, 1)), np.tile(np.eye(4), (2, 1)), np.eye(1, 4)])
    assert inception_score(probs, splits=2) == pytest.approx((3.0, 1.0))


def test_is_needs_a_sample_per_split():
    with pytest.raises(ValueError, match="cannot fill 10 splits"):
        inception_score(np.eye(8), splits=10)


def test_softmax_is_stable_in_float64():
    p = softmax(np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]]))
    assert np.allclose(p, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]]) and p.dtype == np.float64


# ---- reference statistics ---------------------------------------------------------------------


def test_reference_statistics_round_trip_and_bad_files(tmp_path):
    mu, sigma = np.arange(4.0), np.eye(4)
    write_stats(tmp_path / "ref.npz", mu, sigma, 12, "some/folder")
    got_mu, got_sigma, extra = read_stats(tmp_path / "ref.npz", 4, "FIX")
    assert np.array_equal(got_mu, mu) and np.array_equal(got_sigma, sigma)
    assert extra == {"count": 12, "source": "some/folder"}
    np.savez(tmp_path / "keys.npz", m=mu, s=sigma)
    with pytest.raises(InputError, match=r"keys.npz: needs arrays 'mu' and 'sigma' \(found m, s\); FIX"):
        read_stats(tmp_path / "keys.npz", 4, "FIX")
    with pytest.raises(InputError, match=r"mu \(4,\) and sigma \(4, 4\), but pool3 features need \(2048,\)"):
        read_stats(tmp_path / "ref.npz", 2048, "FIX")
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(InputError, match="cannot be read as an .npz"):
        read_stats(tmp_path / "junk.npz", 4, "FIX")
