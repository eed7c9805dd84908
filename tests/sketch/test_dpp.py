"""Projection DPPs, volume sampling and weighted least squares: exact laws on small cases
(chi-square against enumeration), the inclusion probabilities K_ii, the unbiased-loss identity of
volume-rescaled sampling (Dereziński, Warmuth and Hsu 2019), and the Legendre experiment of
Nouy and Michel (2023)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import chisquare

from sketch.dpp import (
    optimal_density,
    orthonormal_features,
    projection_dpp,
    volume_rescaled_sample,
    volume_sample,
    weighted_lstsq,
    weighted_lstsq_sample,
)
from sketch.errors import ShapeError

P_MIN = 1e-4  # chi-square tests fail with this probability under the null


def _chi2_pvalue(observed, probabilities, draws):
    """Chi-square p-value, cells expecting fewer than 5 draws pooled into one."""
    obs, exp = np.asarray(observed, float), np.asarray(probabilities) * draws
    small = exp < 5
    if small.any():
        obs = np.r_[obs[~small], obs[small].sum()]
        exp = np.r_[exp[~small], exp[small].sum()]
    return chisquare(obs, exp).pvalue


def test_projection_dpp_inclusion_probabilities_and_law():
    rng = np.random.default_rng(0)
    N, m, T = 8, 3, 3000
    Phi = rng.standard_normal((N, m)) * rng.uniform(0.2, 3, (N, 1))
    Q = orthonormal_features(Phi)
    draws = [tuple(sorted(projection_dpp(Phi, seed=s).tolist())) for s in range(T)]
    assert all(len(set(d)) == m for d in draws)
    # marginal kernel diagonal K_ii = leverage scores
    freq = np.bincount(np.concatenate(draws), minlength=N) / T
    K_ii = (Q * Q).sum(axis=1)
    assert np.abs(freq - K_ii).max() < 4.5 * np.sqrt(0.25 / T)
    # the whole law: P(T) = det(Q_T)²
    subsets = list(itertools.combinations(range(N), m))
    p = np.array([np.linalg.det(Q[list(S)]) ** 2 for S in subsets])
    assert p.sum() == pytest.approx(1.0)
    counts = {S: 0 for S in subsets}
    for d in draws:
        counts[d] += 1
    assert _chi2_pvalue([counts[S] for S in subsets], p, T) > P_MIN


def test_volume_sampling_law():
    rng = np.random.default_rng(1)
    N, m, n, T = 7, 2, 4, 3000
    Phi = rng.standard_normal((N, m))
    subsets = list(itertools.combinations(range(N), n))
    p = np.array([np.linalg.det(Phi[list(S)].T @ Phi[list(S)]) for S in subsets])
    p /= p.sum()
    counts = {S: 0 for S in subsets}
    for s in range(T):
        counts[tuple(sorted(volume_sample(Phi, n, seed=s).tolist()))] += 1
    assert _chi2_pvalue([counts[S] for S in subsets], p, T) > P_MIN


def test_volume_rescaled_law():
    rng = np.random.default_rng(2)
    N, m, n, T = 5, 2, 3, 3000
    Phi = rng.standard_normal((N, m))
    rho = optimal_density(Phi)
    w = (1 / N) / rho
    law: dict[tuple, float] = {}
    for t in itertools.product(range(N), repeat=n):
        G = sum(w[i] * np.outer(Phi[i], Phi[i]) for i in t)
        S = tuple(sorted(t))
        law[S] = law.get(S, 0.0) + np.linalg.det(G) * rho[list(t)].prod()
    keys = sorted(law)
    p = np.array([law[k] for k in keys])
    p /= p.sum()
    counts = dict.fromkeys(keys, 0)
    for s in range(T):
        counts[tuple(sorted(volume_rescaled_sample(Phi, n, seed=s).tolist()))] += 1
    obs = np.array([counts[k] for k in keys])
    pos = p > 1e-12
    assert obs[~pos].sum() == 0
    assert _chi2_pvalue(obs[pos], p[pos], T) > P_MIN


def _legendre(N=400, m=6, seed=5):
    x = np.random.default_rng(seed).uniform(-1, 1, N)
    return x, np.polynomial.legendre.legvander(x, m - 1)


@pytest.mark.parametrize("factor", [2, 4])
def test_volume_rescaled_expected_error_identity(factor):
    # E‖f − f̂‖² = (1 + m/(n − m + 1)) · min ‖f − v‖² for a noise-like residual.
    x, Phi = _legendre()
    m = Phi.shape[1]
    n = factor * m
    f = np.cos(3 * x) + np.random.default_rng(9).standard_normal(x.size)
    ratios = [weighted_lstsq(Phi, f, n, method="volume", seed=s).error_ratio(Phi, f) ** 2
              for s in range(300)]
    assert np.mean(ratios) == pytest.approx(1 + m / (n - m + 1), rel=0.08)


def test_dpp_repetitions_need_fewer_points_than_iid():
    # Nouy–Michel: repeated projection DPPs are near-optimal at n = 2m, where i.i.d. optimal
    # sampling still fails often (it needs n ~ m log m).
    x, Phi = _legendre(N=1000, m=10)
    f = 1 / (1 + 25 * x**2)
    m = Phi.shape[1]
    med = {}
    for method in ("iid-optimal", "dpp-repeated"):
        r = [weighted_lstsq(Phi, f, 2 * m, method=method, seed=s).error_ratio(Phi, f)
             for s in range(40)]
        med[method] = (np.median(r), np.quantile(r, 0.9))
    assert med["dpp-repeated"][0] < 1.5 and med["dpp-repeated"][1] < 2.5
    assert med["iid-optimal"][1] > 2 * med["dpp-repeated"][1]


def test_two_dimensional_space():
    rng = np.random.default_rng(3)
    pts = rng.uniform(-1, 1, (1500, 2))
    Lx = np.polynomial.legendre.legvander(pts[:, 0], 3)
    Ly = np.polynomial.legendre.legvander(pts[:, 1], 3)
    Phi = np.stack([Lx[:, i] * Ly[:, j] for i in range(4) for j in range(4) if i + j <= 3], 1)
    f = np.exp(pts[:, 0] * pts[:, 1]) + np.sin(2 * pts[:, 0])
    m = Phi.shape[1]
    r = [weighted_lstsq(Phi, f, 3 * m, method="dpp-repeated", seed=s).error_ratio(Phi, f)
         for s in range(15)]
    assert np.median(r) < 1.5


def test_weights_sampling_density_and_errors():
    x, Phi = _legendre(N=200, m=4)
    rho = optimal_density(Phi)
    assert rho.sum() == pytest.approx(1.0) and rho.min() > 0
    smp = weighted_lstsq_sample(Phi, 8, method="iid-optimal", seed=0)
    np.testing.assert_allclose(smp.weights, (1 / 200) / rho[smp.indices])
    a = weighted_lstsq_sample(Phi, 8, method="dpp-repeated", seed=4)
    b = weighted_lstsq_sample(Phi, 8, method="dpp-repeated", seed=4)
    np.testing.assert_array_equal(a.indices, b.indices)
    with pytest.raises(ValueError, match="multiple of m"):
        weighted_lstsq_sample(Phi, 6, method="dpp-repeated")
    with pytest.raises(ValueError, match="exactly m"):
        weighted_lstsq_sample(Phi, 8, method="dpp")
    with pytest.raises(ValueError, match="unknown method"):
        weighted_lstsq_sample(Phi, 8, method="kmeans")
    with pytest.raises(ShapeError, match="linearly dependent"):
        orthonormal_features(np.ones((10, 2)))
    with pytest.raises(ShapeError, match="columns"):
        orthonormal_features(np.ones((2, 3)))
    # a non-uniform base measure: errors measured in L²(μ), still exact in V_m
    mu = np.exp(-x**2)
    fit = weighted_lstsq(Phi, x**3, 4, method="dpp", seed=1, measure=mu)
    assert fit.error_ratio(Phi, x**3, measure=mu) == 1.0 or np.allclose(Phi @ fit.coef, x**3)


@pytest.mark.parametrize("method", ["iid-optimal", "volume", "dpp", "dpp-repeated"])
def test_every_backend_draws_numpys_points_on_its_device(backend, method):
    """Same seed → the same points (bitwise) and weights and fit (to rounding) as NumPy."""
    x = np.linspace(-1, 1, 200)
    Phi, f = np.polynomial.legendre.legvander(x, 4), np.exp(x)
    mu = 1.0 + x**2  # a non-uniform base measure, given on the host
    n = 5 if method == "dpp" else 10
    ref = weighted_lstsq_sample(Phi, n, method, seed=3, measure=mu)
    got = weighted_lstsq_sample(backend.asarray(Phi), n, method, seed=3, measure=mu)
    assert backend.owns(got.indices) and backend.owns(got.weights)
    np.testing.assert_array_equal(backend.to_numpy(got.indices), ref.indices)
    np.testing.assert_allclose(backend.to_numpy(got.weights), ref.weights, rtol=1e-10)
    fit = weighted_lstsq(backend.asarray(Phi), backend.asarray(f), got)
    assert backend.owns(fit.coef) and fit.rank == 5
    np.testing.assert_allclose(backend.to_numpy(fit.coef), weighted_lstsq(Phi, f, ref).coef,
                               rtol=1e-8)
    assert fit.error_ratio(backend.asarray(Phi), backend.asarray(f), mu) == pytest.approx(
        weighted_lstsq(Phi, f, ref).error_ratio(Phi, f, mu), rel=1e-8)
    vs = volume_sample(backend.asarray(Phi), 8, seed=4)
    assert backend.owns(vs)
    np.testing.assert_array_equal(backend.to_numpy(vs), volume_sample(Phi, 8, seed=4))
