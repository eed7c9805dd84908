"""ℓp Lewis weights, sensitivities and ℓp samplers against their defining properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse

from sketch import (
    leverage_scores,
    lewis_weights,
    lp_sample,
    lp_sample_size,
    lp_sensitivities,
    root_leverage_scores,
)
from sketch.errors import AccuracyWarning
from sketch.sensitivity import SCHEMES

SMALL = np.random.default_rng(0).standard_t(2, (40, 3))
P_VALUES = [1.0, 1.5, 3.0]


@pytest.mark.parametrize("p", [1.0, 1.5, 2.0, 3.0, 5.0])
def test_lewis_weights_fixed_point(p):
    A = np.random.default_rng(1).standard_t(1, (300, 4))
    res = lewis_weights(A, p)
    w = res.weights
    assert res.converged and res.residual <= 1e-8
    assert w.sum() == pytest.approx(4.0, rel=1e-6)  # Σ wᵢ = d
    # wᵢ = (aᵢᵀ (AᵀW^{1−2/p}A)⁻¹ aᵢ)^{p/2}
    G = A.T @ (A * (w ** (1 - 2 / p))[:, None])
    rhs = np.einsum("ij,ij->i", A, np.linalg.solve(G, A.T).T) ** (p / 2)
    np.testing.assert_allclose(w, rhs, rtol=1e-6)
    if p == 2.0:
        np.testing.assert_allclose(w, leverage_scores(A), atol=1e-12)


def test_lewis_weights_sparse_input():
    S = scipy.sparse.random(200, 5, density=0.5, random_state=2, format="csr")
    np.testing.assert_allclose(lewis_weights(S, 1).weights, lewis_weights(S.toarray(), 1).weights,
                               rtol=1e-8)


@pytest.mark.parametrize("p", [1.0, 1.5, 2.0, 3.0])
def test_sensitivity_bounds_dominate_exact_sensitivities(p):
    d = SMALL.shape[1]
    exact = lp_sensitivities(SMALL, p, method="exact")
    assert np.all(exact > 0) and np.all(exact <= 1 + 1e-9)
    # Total sensitivity 𝔖 ≤ d^{max(1, p/2)} (Lewis-basis argument), = d for p = 2.
    assert exact.sum() <= d ** max(1.0, p / 2) * (1 + 1e-6)
    if p == 2.0:
        np.testing.assert_allclose(exact, leverage_scores(SMALL), rtol=1e-6)
    bound = lp_sensitivities(SMALL, p, method="lewis")
    assert np.all(exact <= bound * (1 + 1e-6))
    if p <= 2:
        root = lp_sensitivities(SMALL, p, method="root-leverage")
        assert np.all(exact <= root * (1 + 1e-6))
    # The exact σᵢ is attained: |aᵢᵀx|^p/‖Ax‖_p^p at random x never exceeds it.
    X = np.random.default_rng(3).standard_normal((3, 500))
    AX = np.abs(SMALL @ X) ** p
    assert np.all((AX / AX.sum(axis=0)).max(axis=1) <= exact * (1 + 1e-6))


def test_root_leverage_scores():
    lev = leverage_scores(SMALL)
    np.testing.assert_allclose(root_leverage_scores(SMALL, 1), np.sqrt(lev), rtol=1e-12)
    with pytest.raises(ValueError, match="p <= 2"):
        lp_sensitivities(SMALL, 3, method="root-leverage")


def test_sample_sizes_follow_the_stated_orders():
    d, eps, delta = 6, 0.5, 0.1
    base = 2 * (1 + eps / 3) * math.log(2 * d / delta) / eps**2
    assert lp_sample_size(d, 1, eps, delta) == math.ceil(base * d)
    assert lp_sample_size(d, 3, eps, delta) == math.ceil(base * d**1.5)
    assert lp_sample_size(d, 1, eps, delta, scheme="sensitivity", total=4.0) == math.ceil(
        base * 4.0**2)
    assert lp_sample_size(d, 3, eps, delta, scheme="sensitivity", total=8.0) == math.ceil(
        base * 8.0 ** (4 / 3))
    assert lp_sample_size(d, 3, eps, delta, scheme="combined", total=8.0) == math.ceil(
        base * d ** (2 / 3) * 8.0 ** (2 / 3))
    assert lp_sample_size(d, 1.5, eps, delta, scheme="root-leverage") == math.ceil(base * d)


@pytest.mark.parametrize("p", P_VALUES)
@pytest.mark.parametrize("scheme", ["lewis", "sensitivity"])
def test_lp_sample_is_lp_subspace_embedding(p, scheme):
    """(1±ε)‖Ax‖_p^p over many directions, the worst ones included, at the stated size."""
    rng = np.random.default_rng(4)
    A = rng.standard_t(1, (20000, 3))
    eps = 0.5
    X = rng.standard_normal((3, 300))
    # Add the directions that isolate the heaviest rows: the worst case for an ℓp embedding.
    heavy = np.argsort(-np.abs(A).max(axis=1))[:4]
    X = np.hstack([X, np.linalg.lstsq(A[heavy[:2]], np.eye(2), rcond=None)[0],
                   np.linalg.lstsq(A[heavy[2:4]], np.eye(2), rcond=None)[0]])
    full = (np.abs(A @ X) ** p).sum(axis=0)
    fails = 0
    for seed in range(3):
        smp = lp_sample(A, p, eps, scheme=scheme, seed=seed)
        assert smp.size == smp.required_size < A.shape[0]
        est = (smp.weights[:, None] * np.abs(A[smp.indices] @ X) ** p).sum(axis=0)
        fails += np.abs(est / full - 1).max() > eps
    assert fails <= 1  # δ = 0.1 per draw


@pytest.mark.parametrize("p, scheme", [(1.0, "root-leverage"), (1.5, "root-leverage"),
                                       (3.0, "combined"), (2.0, "leverage")])
def test_other_schemes(p, scheme):
    rng = np.random.default_rng(5)
    A = rng.standard_t(1, (20000, 3))
    smp = lp_sample(A, p, 0.5, scheme=scheme, seed=0)
    assert smp.scheme == scheme and np.all(smp.probabilities >= 0)
    X = rng.standard_normal((3, 200))
    full = (np.abs(A @ X) ** p).sum(axis=0)
    est = (smp.weights[:, None] * np.abs(A[smp.indices] @ X) ** p).sum(axis=0)
    assert np.abs(est / full - 1).max() <= 0.5


def test_all_rows_when_required_size_reaches_m():
    A = np.random.default_rng(6).standard_normal((100, 3))
    smp = lp_sample(A, 1, 0.5, seed=0)
    assert "all rows" in smp.scheme and smp.size == 100 and np.all(smp.weights == 1)


def test_undersized_warns():
    A = np.random.default_rng(7).standard_normal((5000, 3))
    with pytest.warns(AccuracyWarning, match="fewer"):
        smp = lp_sample(A, 1.5, 0.5, size=20, seed=0)
    assert smp.size == 20


@pytest.mark.parametrize("bad", [0.5, 0.0, -1, math.inf, math.nan])
def test_p_outside_supported_range(bad):
    A = np.random.default_rng(8).standard_normal((50, 2))
    for call in (lambda: lewis_weights(A, bad), lambda: lp_sample(A, bad),
                 lambda: lp_sample_size(2, bad, 0.5), lambda: lp_sensitivities(A, bad),
                 lambda: root_leverage_scores(A, bad)):
        with pytest.raises(ValueError, match="1 <= p < inf"):
            call()
    with pytest.raises(TypeError):
        lewis_weights(A, "1")
    with pytest.raises(TypeError):
        lewis_weights(A, True)


def test_bad_scheme_and_arguments():
    A = np.random.default_rng(9).standard_normal((500, 2))
    with pytest.raises(ValueError, match="scheme"):
        lp_sample(A, 1, scheme="bogus")
    with pytest.raises(ValueError, match="p > 2"):
        lp_sample(A, 1.5, scheme="combined")
    with pytest.raises(ValueError, match="1 <= p <= 2"):
        lp_sample(A, 3, scheme="root-leverage")
    with pytest.raises(ValueError, match="eps"):
        lp_sample_size(2, 1, 1.5)
    with pytest.raises(ValueError, match="method"):
        lp_sensitivities(A, 1, method="bogus")
    assert set(SCHEMES) >= {"lewis", "sensitivity", "root-leverage", "combined", "leverage"}


@pytest.mark.gpu
def test_cupy_lewis_and_sample(cupy):
    A = np.random.default_rng(10).standard_t(1, (3000, 3))
    w = lewis_weights(cupy.asarray(A), 1).weights
    assert isinstance(w, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(w), lewis_weights(A, 1).weights, rtol=1e-6)
    smp = lp_sample(cupy.asarray(A), 1.5, 0.5, seed=0)
    np.testing.assert_array_equal(cupy.asnumpy(smp.indices), lp_sample(A, 1.5, 0.5,
                                                                        seed=0).indices)


@pytest.mark.parametrize("p", [1.0, 3.0])
def test_weights_sensitivities_and_samples_on_every_backend(backend, p):
    A = np.random.default_rng(2).standard_normal((200, 3))
    A[:4] *= 20
    At = backend.asarray(A)
    w = lewis_weights(At, p)
    assert backend.owns(w.weights)
    np.testing.assert_allclose(backend.to_numpy(w.weights), lewis_weights(A, p).weights,
                               rtol=1e-8)
    sens = lp_sensitivities(At, p)
    assert backend.owns(sens)
    np.testing.assert_allclose(backend.to_numpy(sens), lp_sensitivities(A, p), rtol=1e-8)
    scheme = "root-leverage" if p <= 2 else "combined"
    got, ref = lp_sample(At, p, 0.5, scheme=scheme, seed=1), lp_sample(A, p, 0.5, scheme=scheme,
                                                                       seed=1)
    assert backend.owns(got.indices) and backend.owns(got.weights)
    assert np.array_equal(backend.to_numpy(got.indices), ref.indices)
    np.testing.assert_allclose(backend.to_numpy(got.weights), ref.weights, rtol=1e-8)
