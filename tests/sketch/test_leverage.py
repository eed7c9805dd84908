"""Leverage scores (exact, approximate, ridge) and leverage-score row sampling."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg as sla

from sketch import (
    coherence,
    leverage_sample,
    leverage_sample_size,
    leverage_scores,
    ridge_leverage_scores,
    sample_rows,
    uniform_sample,
)
from sketch.errors import AccuracyWarning

M, D = 4000, 10
RNG = np.random.default_rng(0)
GAUSS = RNG.standard_normal((M, D))
HEAVY = RNG.standard_t(1, (M, D))  # Student-t(1): highly coherent (Ma–Mahoney–Yu 2015)


def embedding_distortion(U: np.ndarray, smp) -> float:
    """‖(SU)ᵀSU − I‖₂ for orthonormal U: SA is an ε-embedding of A iff this is ≤ ε."""
    SU = smp.apply(U)
    return float(np.abs(np.linalg.eigvalsh(SU.T @ SU) - 1).max())


def test_exact_scores_are_hat_matrix_diagonal():
    A = GAUSS[:300]
    H = A @ np.linalg.solve(A.T @ A, A.T)
    lev = leverage_scores(A)
    np.testing.assert_allclose(lev, np.diag(H), atol=1e-12)
    assert lev.sum() == pytest.approx(D) and np.all((lev >= 0) & (lev <= 1 + 1e-12))


def test_rank_deficient_and_sparse():
    A = np.hstack([GAUSS[:200, :4], GAUSS[:200, :4] @ np.ones((4, 2))])  # rank 4 of 6 columns
    lev = leverage_scores(A)
    assert lev.sum() == pytest.approx(4.0)
    S = scipy.sparse.random(500, 8, density=0.3, random_state=1, format="csr")
    np.testing.assert_allclose(leverage_scores(S), leverage_scores(S.toarray()), atol=1e-12)


@pytest.mark.parametrize("A", [GAUSS, HEAVY], ids=["gaussian", "student-t"])
def test_approximate_scores_within_one_plus_minus_eps(A):
    exact = leverage_scores(A)
    s, k = 40 * D, 400
    approx = leverage_scores(A, method="approx", sketch_size=s, jl_size=k, seed=1)
    ratio = approx / exact
    # Drineas et al. 2012: ℓ̃ᵢ ∈ (1±ε₁)^{∓2}(1±ε₂)ℓᵢ with ε₁ the embedding distortion of S₁
    # (≈ √(d/s) + √(2 ln(1/δ)/s) ≈ 0.25 here) and ε₂ the JL error of k columns over m rows
    # (≈ √(8 ln m / k) ≈ 0.4 at the extremes): all ratios in [0.35, 2.5] …
    eps1, eps2 = 0.25, 0.4
    assert ratio.min() >= (1 - eps2) / (1 + eps1) ** 2
    assert ratio.max() <= (1 + eps2) / (1 - eps1) ** 2
    # … and typically within the JL standard deviation √(2/k) ≈ 7 % plus the sketch's bias.
    assert np.median(np.abs(ratio - 1)) < 0.15
    # The default sizes are cheaper and coarser, but still within a small constant factor.
    default = leverage_scores(A, method="approx", seed=2) / exact
    assert default.min() > 0.3 and default.max() < 3.5


def test_approximate_scores_on_linear_operator_and_sparse():
    exact = leverage_scores(GAUSS)
    r = leverage_scores(sla.aslinearoperator(GAUSS), method="approx", seed=3) / exact
    assert 0.3 < r.min() and r.max() < 3.5
    with pytest.raises(TypeError, match="approx"):
        leverage_scores(sla.aslinearoperator(GAUSS))
    S = scipy.sparse.csr_matrix(GAUSS)
    np.testing.assert_allclose(leverage_scores(S, method="approx", seed=3) / exact, r, rtol=1e-8)


def test_ridge_leverage_scores():
    A = GAUSS[:500] * np.logspace(0, -3, D)
    lam = 1e-2
    tau = ridge_leverage_scores(A, lam)
    direct = np.einsum("ij,ij->i", A, np.linalg.solve(A.T @ A + lam * np.eye(D), A.T).T)
    np.testing.assert_allclose(tau, direct, atol=1e-12)
    s = np.linalg.svd(A, compute_uv=False)
    assert tau.sum() == pytest.approx(np.sum(s**2 / (s**2 + lam)))  # effective dimension
    assert np.all(tau <= leverage_scores(A) + 1e-12)
    approx = ridge_leverage_scores(A, lam, method="approx", seed=0, jl_size=400, sketch_size=200)
    assert 0.4 < (approx / tau).min() and (approx / tau).max() < 2.5
    with pytest.raises(ValueError, match="positive"):
        ridge_leverage_scores(A, 0.0)


def test_coherence():
    assert coherence(GAUSS) < 3 * D / M * math.log(M)
    assert coherence(HEAVY) > 0.5
    assert coherence(np.vstack([np.eye(3), np.zeros((5, 3))])) == 1.0


def test_sample_size_formula():
    # 2(1 + ε/3)(d/β) ln(2d/δ)/ε² (matrix Bernstein).
    assert leverage_sample_size(10, 0.5, 0.1) == math.ceil(2 * (1 + 0.5 / 3) * 10 * math.log(200)
                                                          / 0.25)
    assert leverage_sample_size(10, 0.5, 0.1, beta=0.5) > leverage_sample_size(10, 0.5, 0.1)
    for bad in ({"eps": 0.0}, {"eps": 1.5}, {"delta": 0.0}, {"beta": 2.0}):
        kw = {"eps": 0.5, "delta": 0.1, "beta": 1.0, **bad}
        with pytest.raises(ValueError):
            leverage_sample_size(10, **kw)


@pytest.mark.parametrize("A", [GAUSS, HEAVY], ids=["gaussian", "student-t"])
def test_leverage_sample_is_subspace_embedding_over_seeds(A):
    U = np.linalg.qr(A)[0]
    eps, delta = 0.5, 0.1
    fails = 0
    for seed in range(8):
        smp = leverage_sample(A, eps, delta, seed=seed)
        assert smp.size == leverage_sample_size(D, eps, delta) == smp.required_size
        fails += embedding_distortion(U, smp) > eps
    # Failure probability ≤ δ per draw; 3 or more failures in 8 has probability < 4 %.
    assert fails <= 2


def test_approx_leverage_sample_is_embedding():
    U = np.linalg.qr(HEAVY)[0]
    # A sketch that proves the scores' β would have 2720 of the 4000 rows: exact scores
    smp = leverage_sample(HEAVY, 0.5, 0.1, method="approx", seed=0)
    assert smp.size == leverage_sample_size(D, 0.5, 0.1)
    assert embedding_distortion(U, smp) <= 0.5


def test_uniform_fails_on_student_t_but_not_on_gaussian():
    """Same sample size: leverage sampling meets ε = 0.5 on both; uniform only on Gaussian rows."""
    eps = 0.5
    for A, uniform_ok in ((GAUSS, True), (HEAVY, False)):
        U = np.linalg.qr(A)[0]
        lev_d, uni_d = [], []
        for seed in range(4):
            smp = leverage_sample(A, eps, seed=seed)
            lev_d.append(embedding_distortion(U, smp))
            uni_d.append(embedding_distortion(U, uniform_sample(M, smp.size, seed=seed)))
        assert max(lev_d) <= eps
        if uniform_ok:
            assert max(uni_d) <= eps
        else:
            # Uniform sampling needs ≈ m·μ(A) ≫ m rows here (coherence ≈ 0.9).
            assert min(uni_d) > eps


def test_undersized_sample_warns():
    with pytest.warns(AccuracyWarning, match="fewer"):
        smp = leverage_sample(GAUSS, 0.5, size=50, seed=0)
    assert smp.size == 50 and smp.required_size > 50


def test_sample_rows_weights_unbiased_and_bad_input():
    q = np.array([0.1, 0.0, 0.6, 0.3])
    smp = sample_rows(q, 20000, seed=0)
    assert not np.any(smp.indices == 1)
    counts = np.bincount(smp.indices, minlength=4) / 20000
    np.testing.assert_allclose(counts, q, atol=0.015)
    f = np.array([1.0, 5.0, 2.0, 3.0])
    assert np.sum(smp.weights * f[smp.indices]) == pytest.approx(f[q > 0].sum(), rel=0.03)
    with pytest.raises(ValueError, match="non-negative"):
        sample_rows(np.array([0.5, -0.1]), 3)
    with pytest.raises(ValueError, match="positive sum"):
        sample_rows(np.zeros(3), 3)
    with pytest.raises(ValueError):
        sample_rows(np.array([np.nan, 1.0]), 3)
    with pytest.raises(ValueError, match="method"):
        leverage_scores(GAUSS, method="bogus")


@pytest.mark.gpu
def test_cupy_leverage(cupy):
    Ad = cupy.asarray(HEAVY)
    lev = leverage_scores(Ad)
    assert isinstance(lev, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(lev), leverage_scores(HEAVY), atol=1e-10)
    ap = leverage_scores(Ad, method="approx", seed=1)
    np.testing.assert_allclose(cupy.asnumpy(ap), leverage_scores(HEAVY, method="approx", seed=1),
                               rtol=1e-6)
    smp = leverage_sample(Ad, 0.5, seed=0)
    np.testing.assert_array_equal(cupy.asnumpy(smp.indices),
                                  leverage_sample(HEAVY, 0.5, seed=0).indices)


def test_exact_scores_and_sampling_on_every_backend(backend):
    """Same numbers on every backend, computed on the input's device (no host round trip)."""
    from sketch.leverage import leverage_sample, leverage_scores, ridge_leverage_scores

    A = np.random.default_rng(5).standard_normal((300, 4)) * np.array([1.0, 10.0, 0.1, 3.0])
    A[:5] *= 30  # a few high-leverage rows
    At = backend.asarray(A)
    lev = leverage_scores(At)
    assert backend.owns(lev)
    np.testing.assert_allclose(backend.to_numpy(lev), leverage_scores(A), rtol=1e-10, atol=1e-14)
    ridge = ridge_leverage_scores(At, 2.0)
    assert backend.owns(ridge)
    np.testing.assert_allclose(backend.to_numpy(ridge), ridge_leverage_scores(A, 2.0), rtol=1e-10)
    smp, ref = leverage_sample(At, 0.5, seed=3), leverage_sample(A, 0.5, seed=3)
    assert backend.owns(smp.indices) and backend.owns(smp.weights)
    assert np.array_equal(backend.to_numpy(smp.indices), ref.indices)  # the same rows
    np.testing.assert_allclose(backend.to_numpy(smp.weights), ref.weights, rtol=1e-10)
    SA = smp.apply(At)
    assert backend.owns(SA)
    np.testing.assert_allclose(backend.to_numpy(SA), ref.apply(A), rtol=1e-10)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])
def test_approximate_scores_on_every_backend(backend, dtype):
    """DMMW scores, with and without the JL step, equal NumPy's for the same seed (to
    rounding) and stay on the input's device; the samples they drive are the same rows."""
    from sketch.leverage import leverage_sample, leverage_scores, ridge_leverage_scores

    rng = np.random.default_rng(7)
    A = rng.standard_normal((400, 12)) * np.logspace(0, 2, 12)
    if dtype == np.complex128:
        A = A + 1j * rng.standard_normal(A.shape)
    A = A.astype(dtype)
    At = backend.asarray(A)
    tol = 1e-4 if dtype == np.float32 else 1e-9
    for jl in (None, 5):  # jl_size=5 < rank 12: the Gaussian JL path
        got = leverage_scores(At, method="approx", jl_size=jl, seed=2)
        assert backend.owns(got) and backend.to_numpy(got).dtype == np.finfo(dtype).dtype
        np.testing.assert_allclose(backend.to_numpy(got),
                                   leverage_scores(A, method="approx", jl_size=jl, seed=2),
                                   rtol=tol)
    ridge = ridge_leverage_scores(At, 3.0, method="approx", seed=4)
    assert backend.owns(ridge)
    np.testing.assert_allclose(backend.to_numpy(ridge),
                               ridge_leverage_scores(A, 3.0, method="approx", seed=4), rtol=tol)
    if dtype != np.float32:  # float32 rounding may move a draw across a bin edge
        smp = leverage_sample(At, 0.5, method="approx", seed=5)
        assert np.array_equal(backend.to_numpy(smp.indices),
                              leverage_sample(A, 0.5, method="approx", seed=5).indices)


def test_approximate_scores_of_a_wide_matrix_are_exact():
    # m < d: no sketch of fewer rows than d embeds A, and the default used to fail on it
    A = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 5.0]])
    np.testing.assert_allclose(leverage_scores(A, method="approx", seed=0), [1.0, 1.0])
    np.testing.assert_array_equal(leverage_scores(np.zeros((1, 2)), method="approx"), [0.0])
