"""k-means and clustering-based sensitivity sampling (Axiotis et al. 2024)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from sketch import (
    cluster_sensitivity_sample,
    coreset_size,
    kmeans,
    lp_regression,
    sampled_lstsq,
    uniform_sample,
)
from sketch.errors import AccuracyWarning

M, D, K = 5000, 4, 20
RNG = np.random.default_rng(0)
DATA = {}
for _name, _X in (("gauss", RNG.standard_normal((M, D))), ("heavy", RNG.standard_t(1, (M, D)))):
    _y = _X @ np.ones(D) + RNG.standard_normal(M)
    DATA[_name] = (_X, _y, np.column_stack([_X, _y]))


def test_kmeans_recovers_separated_clusters():
    rng = np.random.default_rng(1)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    X = np.repeat(centres, 100, axis=0) + 0.1 * rng.standard_normal((400, 2))
    res = kmeans(X, 4, seed=0)
    assert res.converged
    found = res.centers[np.lexsort(np.round(res.centers).T)]  # by y, then x
    np.testing.assert_allclose(found, centres, atol=0.05)
    # Lloyd's fixed point: every centre is the mean of its cluster, the cost is Σ‖x − c(x)‖².
    for j in range(4):
        np.testing.assert_allclose(res.centers[j], X[res.labels == j].mean(axis=0), atol=1e-12)
    assert res.cost == pytest.approx(np.sum((X - res.centers[res.labels]) ** 2))
    with pytest.raises(ValueError, match="cannot exceed"):
        kmeans(X[:3], 4)


def test_coreset_size_and_probabilities():
    assert coreset_size(20, 0.1) == 120
    with pytest.raises(ValueError, match="eps"):
        coreset_size(20, 0.0)
    _, _, Z = DATA["gauss"]
    cl = kmeans(Z, K, seed=0)
    smp = cluster_sensitivity_sample(Z, K, 0.1, clustering=cl, seed=0)
    assert smp.size == 120 and smp.scheme == "cluster-sensitivity"
    # q(x) ∝ ‖x − c(x)‖²/cost + 1/|C(x)|: the total is k + 1.
    dist = np.sum((Z - cl.centers[cl.labels]) ** 2, axis=1)
    sens = dist / dist.sum() + 1 / np.bincount(cl.labels, minlength=K)[cl.labels]
    np.testing.assert_allclose(smp.probabilities, sens / (K + 1), rtol=1e-10)
    with pytest.warns(AccuracyWarning):
        cluster_sensitivity_sample(Z, K, 0.1, size=50, clustering=cl, seed=0)


@pytest.mark.parametrize("name", ["gauss", "heavy"])
def test_weighted_loss_tracks_full_loss(name):
    X, y, Z = DATA[name]
    cl = kmeans(Z, K, seed=0)
    opt = np.linalg.lstsq(X, y, rcond=None)[0]
    rng = np.random.default_rng(2)
    thetas = [np.append(opt + s * rng.standard_normal(D), -1.0) for s in (0, 0.1, 0.3, 1.0)]
    eps = 0.1
    rel, additive = [], []
    for seed in range(20):
        smp = cluster_sensitivity_sample(Z, K, eps, clustering=cl, seed=seed)
        for th in thetas:
            loss = (Z @ th) ** 2  # squared residual of the model x = th[:-1]
            full, est = loss.sum(), np.sum(smp.weights * loss[smp.indices])
            rel.append(est / full - 1)
            # Axiotis et al.: |est − full| ≲ ε (full + Λ·clustering cost), with
            # Λ = 2‖θ‖² for the squared loss (ℓ(z) ≤ 2ℓ(c) + 2‖θ‖²‖z − c‖²).
            additive.append(abs(est - full) / (full + 2 * th @ th * cl.cost))
    rel = np.asarray(rel).reshape(20, len(thetas))
    assert np.median(additive) <= eps
    # Unbiased: per model, the mean over 20 independent samples is within 3.5 standard errors
    # (t with 19 d.o.f.: two-sided p = 0.002 per model; 3 gave a ~3 % false-alarm rate over
    # the four models, hit by seeds 0-19 of the Philox stream at z = 3.07 while 200 seeds
    # give |z| < 0.5 for every model).
    assert np.all(np.abs(rel.mean(axis=0)) <= 3.5 * rel.std(axis=0, ddof=1) / np.sqrt(20))


def test_regression_on_coreset_matches_leverage_sampling():
    """As Axiotis et al. report: the coreset solution is about as good as leverage sampling."""
    size = 300
    for name in ("gauss", "heavy"):
        X, y, Z = DATA[name]
        cl = kmeans(Z, K, seed=0)
        optc = np.sum((X @ np.linalg.lstsq(X, y, rcond=None)[0] - y) ** 2)
        core, lev, uni = [], [], []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AccuracyWarning)
            for seed in range(5):
                smp = cluster_sensitivity_sample(Z, K, size=size, clustering=cl, seed=seed)
                x = lp_regression(X[smp.indices], y[smp.indices], 2, weights=smp.weights).x
                core.append(np.sum((X @ x - y) ** 2) / optc - 1)
                lev.append(sampled_lstsq(X, y, size=size, seed=seed).cost ** 2 / optc - 1)
                u = uniform_sample(M, size, seed=seed)
                x = lp_regression(X[u.indices], y[u.indices], 2, weights=u.weights).x
                uni.append(np.sum((X @ x - y) ** 2) / optc - 1)
        core, lev, uni = np.mean(core), np.mean(lev), np.mean(uni)
        assert core <= max(3 * lev, 0.02), (name, core, lev)
        if name == "heavy":
            assert core < uni / 10, (core, uni)  # uniform misses the high-leverage rows


@pytest.mark.gpu
def test_cupy_coreset(cupy):
    _, _, Z = DATA["gauss"]
    Zd = cupy.asarray(Z)
    cl = kmeans(Zd, K, seed=0)
    assert isinstance(cl.centers, cupy.ndarray)
    smp = cluster_sensitivity_sample(Zd, K, 0.1, clustering=cl, seed=0)
    assert isinstance(smp.indices, cupy.ndarray) and smp.size == 120


def test_every_backend_clusters_and_samples_like_numpy(backend):
    """Same seed: the same k-means labels and coreset rows as NumPy, on the input's device."""
    Z = DATA["gauss"][2][:800]
    ref = kmeans(Z, 5, seed=0)
    cl = kmeans(backend.asarray(Z), 5, seed=0)
    assert backend.owns(cl.centers) and backend.owns(cl.labels)
    np.testing.assert_array_equal(backend.to_numpy(cl.labels), ref.labels)
    np.testing.assert_allclose(backend.to_numpy(cl.centers), ref.centers, rtol=1e-10)
    assert cl.iterations == ref.iterations and cl.cost == pytest.approx(ref.cost, rel=1e-10)
    smp = cluster_sensitivity_sample(backend.asarray(Z), 5, 0.2, seed=1)
    want = cluster_sensitivity_sample(Z, 5, 0.2, seed=1)
    assert backend.owns(smp.indices) and backend.owns(smp.weights)
    np.testing.assert_array_equal(backend.to_numpy(smp.indices), want.indices)
    np.testing.assert_allclose(backend.to_numpy(smp.weights), want.weights, rtol=1e-10)
