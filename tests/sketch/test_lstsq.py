"""Sketched least squares and ridge: accuracy against LAPACK and the theory,
ill-conditioned and rank-deficient A, input kinds, the ℓ∞ guarantee, bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse.linalg import aslinearoperator

import qla
from sketch import embedding_size, linf_sketch_size, lstsq
from sketch.errors import (
    AccuracyWarning,
    ConvergenceWarning,
    InsufficientMemoryError,
    NonFiniteError,
    ShapeError,
    ToleranceError,
)

METHODS = ["fossils", "sketch-and-precondition", "sketch-and-solve", "direct"]


def problem(m, n, kappa, seed, noise=1e-2, dtype=np.float64):
    """A = U diag(σ) Vᵀ with σ log-spaced from 1 to 1/κ; b = A x + noise."""
    rng = np.random.default_rng(seed)
    U = np.linalg.qr(rng.standard_normal((m, n)))[0]
    V = np.linalg.qr(rng.standard_normal((n, n)))[0]
    A = (U * np.logspace(0, -math.log10(kappa), n)) @ V.T
    b = A @ rng.standard_normal(n) + noise * rng.standard_normal(m)
    return A.astype(dtype), b.astype(dtype)


def optimal(A, b):
    x = np.linalg.lstsq(A, b, rcond=None)[0]
    return x, np.linalg.norm(A @ x - b)


def known(m, n, kappa, rnorm, seed):
    """A = U diag(σ) Vᵀ, ‖x*‖ = 1, b = A x* + r with r ⟂ range(A), ‖r‖ = rnorm; with V, σ."""
    rng = np.random.default_rng(seed)
    U = np.linalg.qr(rng.standard_normal((m, n)))[0]
    V = np.linalg.qr(rng.standard_normal((n, n)))[0]
    sv = np.logspace(0, -math.log10(kappa), n)
    A = (U * sv) @ V.T
    x = rng.standard_normal(n)
    x /= np.linalg.norm(x)
    r = rng.standard_normal(m)
    for _ in range(2):
        r -= U @ (U.T @ r)
    b = A @ x + rnorm / np.linalg.norm(r) * r
    return A, b, x, V, sv


def karlson_walden(A, x, b, V, sv):
    """Exact Karlson–Waldén estimate from the SVD of A, relative to ‖A‖_F (independent)."""
    r = b - A @ x
    theta = np.linalg.norm(r) / np.linalg.norm(x)
    z = V.T @ (A.T @ r) / np.sqrt(sv**2 + theta**2)
    return np.linalg.norm(z) / np.linalg.norm(x) / np.linalg.norm(sv)


def test_fossils_is_backward_stable_at_kappa_1e12():
    # Epperly, Meier and Nakatsukasa (2024): as accurate as Householder QR. Forward error
    # within 10x of LAPACK's and a backward error at the unit-roundoff scale, on 4 seeds.
    u = np.finfo(np.float64).eps
    for seed in range(4):
        A, b, x_star, V, sv = known(4000, 60, 1e12, 1e-6, seed)
        ref = scipy.linalg.lstsq(A, b, lapack_driver="gelsd")[0]
        # the sketch named: at this size FOSSILS would otherwise factor A itself
        res = lstsq(A, b, "fossils", seed=seed, sketch="sparse-sign")
        assert res.method == "fossils" and res.converged, seed
        fwd, fwd_ref = (np.linalg.norm(v - x_star) for v in (res.x, ref))
        assert fwd <= 10 * fwd_ref, (seed, fwd, fwd_ref)
        assert res.backward_error <= 4 * u  # the default tol
        exact = karlson_walden(A, res.x, b, V, sv)
        assert exact <= 1e-14 and exact <= 10 * karlson_walden(A, ref, b, V, sv), seed
        assert res.refinement_steps >= 1 and res.rank == 60 and res.sketch_size == 720
    # the Blendenpik/LSRN iteration on the same problem is not backward stable
    old = lstsq(A, b, "sketch-and-precondition", seed=0)
    assert karlson_walden(A, old.x, b, V, sv) > 100 * karlson_walden(A, res.x, b, V, sv)


@pytest.mark.parametrize("maxiter", [1, 3, 200])
def test_reported_backward_error_matches_independent_estimate(maxiter):
    # The sketched estimate replaces AᵀA by (SA)ᵀ(SA): with an η-embedding (η ≈ √(1/12)
    # for s = 12n) it is within (1 ± η)^±2 of the exact Karlson–Waldén value.
    A, b, _, V, sv = known(3000, 40, 1e6, 1e-2, 7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = lstsq(A, b, maxiter=maxiter, seed=3, sketch="sparse-sign")
    exact = karlson_walden(A, res.x, b, V, sv)
    assert 0.4 <= res.backward_error / exact <= 2.5, (res.backward_error, exact)
    assert res.converged == (maxiter == 200)


def test_backward_error_from_r_matches_the_svd_formula():
    # FOSSILS estimates from R (the triangular factor of [R; θI]) instead of an SVD of R:
    # the same number, also for ill-conditioned R, θ far below and above σ_min, x = 0.
    from sketch.backward_error import karlson_walden as from_svd
    from sketch.backward_error import karlson_walden_triangular as from_r

    A, _, _, _, _ = known(400, 30, 1e10, 1.0, 5)
    R = np.linalg.qr(A, mode="r")
    _, sv, Vh = np.linalg.svd(R)
    g = np.random.default_rng(1).standard_normal((30, 4))
    rnorm, xnorm = np.array([1e-14, 1e-3, 10.0, 2.0]), np.array([1.0, 1.0, 0.5, 0.0])
    ours, ref = from_r(g, rnorm, xnorm, R, np), from_svd(g, rnorm, xnorm, sv, Vh.T, np)
    np.testing.assert_allclose(ours, ref, rtol=1e-8)
    assert ref[3] == pytest.approx(np.linalg.norm(g[:, 3]) / 2.0)  # the limit at x = 0


@pytest.mark.parametrize("svd", [False, True])
def test_inner_residual_is_weighed_like_the_estimate(svd):
    # FOSSILS stops an inner solve on Nᴴg weighed as the estimate weighs g: the same number.
    from sketch.lstsq_factor import SketchedFactor
    from sketch.rng import as_key

    A, _, _, _, _ = known(400, 30, 1e3, 1.0, 6)
    F = SketchedFactor(A, np.ones(400), np, rcond=1e-12, key=as_key(0), svd=svd)
    assert F.kind == ("svd" if svd else "qr")
    g = np.random.default_rng(2).standard_normal((30, 3))
    rnorm, xnorm = np.array([1e-6, 1.0, 3.0]), np.array([1.0, 1.0, 0.0])
    ours = F.weighted_norms(F.adjoint(g), rnorm, xnorm)
    np.testing.assert_allclose(ours[:2], F.backward_error(g, rnorm, xnorm)[:2] * xnorm[:2],
                               rtol=1e-10)
    assert ours[1] < 0.5 * np.linalg.norm(F.adjoint(g[:, 1]))  # θ = 1 weighs σ < 1 down
    assert ours[2] == pytest.approx(np.linalg.norm(F.adjoint(g[:, 2])))  # x = 0: plain


def test_forward_error_bound_holds():
    for kappa, rnorm in [(1e2, 1.0), (1e8, 1e-3), (1e12, 1e-6)]:
        A, b, x_star, _, _ = known(3000, 40, kappa, rnorm, 8)
        res = lstsq(A, b, "fossils", seed=0)
        err = np.linalg.norm(res.x - x_star) / np.linalg.norm(x_star)
        assert err <= res.forward_error_bound < math.inf, (kappa, err, res.forward_error_bound)


def test_condition_bound_bounds_where_the_estimate_falls_short():
    """12 power steps understate σ₁ and 1/σₙ for clustered ends of the spectrum; the
    inflated bound must hold for every seed (its failure probability is 2e-6)."""
    from sketch.lstsq_factor import condition_bound, condition_estimate
    from sketch.rng import as_key

    rng = np.random.default_rng(3)
    n, short = 60, 0
    sv = np.concatenate([1 - 0.02 * np.arange(10) / 10, np.logspace(-1, -3, 40),
                         1e-4 * (1 + 0.02 * np.arange(10) / 10)])
    Q = np.linalg.qr(rng.standard_normal((n, n)))[0]
    R = np.linalg.qr((Q * sv) @ np.linalg.qr(rng.standard_normal((n, n)))[0].T, mode="r")
    exact = sv.max() / sv.min()
    for seed in range(200):
        norm, cond = condition_estimate(R, np, as_key(seed))
        top, kappa = condition_bound(R, norm, cond, np)
        short += cond < exact * (1 - 1e-4)
        assert sv.max() <= top * (1 + 1e-12) and exact <= kappa * (1 + 1e-12), seed
    assert short > 100  # the estimate alone is no bound: the test can fail
    assert kappa < 5 * exact  # and the bound stays within the inflation


def test_forward_error_bound_holds_with_clustered_ends():
    """Known solutions where the power-iteration estimate of κ(S·A) falls short."""
    rng = np.random.default_rng(5)
    m, n = 2000, 40
    for kappa, rnorm in [(1e6, 1e-2), (1e10, 1e-8), (1e10, 1.0)]:
        U = np.linalg.qr(rng.standard_normal((m, n)))[0]
        V = np.linalg.qr(rng.standard_normal((n, n)))[0]
        sv = np.concatenate([1 - 0.01 * np.arange(8) / 8,
                             np.logspace(-1, -math.log10(kappa) + 1, n - 16),
                             (1 + 0.01 * np.arange(8) / 8) / kappa])
        A = (U * sv) @ V.T
        x_star = rng.standard_normal(n)
        r = rng.standard_normal(m)
        r -= U @ (U.T @ r)
        r -= U @ (U.T @ r)
        b = A @ x_star + rnorm / np.linalg.norm(r) * r
        res = lstsq(A, b, "fossils", seed=1)
        err = np.linalg.norm(res.x - x_star) / np.linalg.norm(res.x)
        assert res.sketched_condition < sv[0] / sv[-1] * 1.5  # an estimate, not the bound
        assert err <= res.forward_error_bound < math.inf, (kappa, err, res.forward_error_bound)


def test_fossils_several_rhs_ridge_and_single_precision():
    A, b, _, _, _ = known(3000, 30, 1e6, 1e-3, 9)
    B = np.stack([b, A @ np.ones(30), -2 * b], axis=1)
    res = lstsq(A, B, "fossils", seed=1)
    assert res.x.shape == (30, 3) and res.backward_error.shape == (3,) and res.converged
    # two backward-stable solutions differ by up to κ²u‖r‖/(‖A‖‖x‖) ≈ 2e-7 here
    np.testing.assert_allclose(res.x, scipy.linalg.lstsq(A, B)[0], rtol=1e-5, atol=1e-9)
    alpha = 1e-4  # κ([A; √α I]) ≈ 100: the augmented LAPACK solve is accurate to ~1e-14
    ridge = lstsq(A, B, "fossils", alpha=alpha, seed=1)
    aug = scipy.linalg.lstsq(np.vstack([A, math.sqrt(alpha) * np.eye(30)]),
                             np.vstack([B, np.zeros((30, 3))]))[0]
    np.testing.assert_allclose(ridge.x, aug, rtol=1e-11, atol=1e-13)
    single = lstsq(A.astype(np.float32), b.astype(np.float32), "fossils", seed=1)
    assert single.x.dtype == np.float32 and single.converged
    assert single.backward_error <= 4 * np.finfo(np.float32).eps


def test_sketch_size_is_checked_against_memory_and_clamped():
    A, b = problem(300, 5, 10, 16)
    with pytest.raises(InsufficientMemoryError, match="sketch_size=1000000000000"):
        lstsq(A, b, sketch_size=10**12)
    with pytest.warns(AccuracyWarning, match="using 300 rows"):
        res = lstsq(A, b, sketch_size=1000)
    assert res.sketch_size == 300 and res.converged
    pytest.importorskip("sklearn")
    with pytest.raises(InsufficientMemoryError, match="sketch_size"):
        qla.SketchedRidge(sketch_size=10**12).fit(A, b)


@pytest.mark.parametrize("kappa", [1e2, 1e8])
def test_precondition_reaches_optimal_residual(kappa):
    A, b = problem(3000, 40, kappa, 0)
    x_opt, r_opt = optimal(A, b)
    res = lstsq(A, b, "sketch-and-precondition", seed=1)
    assert res.converged and res.method == "sketch-and-precondition"
    assert (res.residual_norm - r_opt) / r_opt < 1e-10
    # forward error ≲ κ · tol (LSQR's test bounds the normal-equation residual)
    assert np.linalg.norm(res.x - x_opt) / np.linalg.norm(x_opt) < kappa * 1e-9
    # s = 4n gives κ(AR⁻¹) ≈ (1 + 1/2)/(1 − 1/2) = 3; the Ritz estimate is a lower bound
    assert 1 <= res.condition_number < 4
    assert res.sketched_condition > kappa / 10
    assert res.iterations < 60 and res.sketch_size == 160 and res.rank == 40


def test_precondition_kappa_1e12_does_not_fail_silently():
    A, b = problem(3000, 30, 1e12, 1)
    _, r_opt = optimal(A, b)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = lstsq(A, b, "sketch-and-precondition", seed=2)
    # either it converged (and the residual is optimal) or it said it did not
    assert res.converged or any(issubclass(w.category, ConvergenceWarning) for w in caught)
    # At κ = 1e12 two backward-stable solvers (this one and LAPACK's reference) agree only
    # to ‖AΔx‖ ≲ c·u·κ·‖b‖ (Wedin 1973; Higham 2002 §20.1), c ~ √n; since r* is optimal,
    # ‖r‖² − r*² = ‖AΔx‖², so the relative residual excess is ≤ ½ (c·u·κ·‖b‖ / r*)².
    u = np.finfo(A.dtype).eps
    bound = 0.5 * (math.sqrt(A.shape[1]) * u * 1e12 * np.linalg.norm(b) / r_opt) ** 2
    assert (res.residual_norm - r_opt) / r_opt < bound
    assert res.sketched_condition > 1e11  # the ill-conditioning is reported


def test_condition_of_preconditioned_system_many_seeds():
    # Gaussian sketch with s = 4n: κ(A R⁻¹) ≤ (1 + √(n/s) + t)/(1 − √(n/s) − t) w.h.p.
    A, b = problem(2000, 20, 1e6, 3)
    conds = [lstsq(A, b, "sketch-and-precondition", sketch="gaussian", seed=k).condition_number
             for k in range(8)]
    assert max(conds) < (1 + 0.5 + 0.15) / (1 - 0.5 - 0.15)


def test_sketch_and_solve_residual_guarantee():
    # With an ε-subspace embedding of [A, b], ‖Ax′ − b‖ ≤ (1 + ε)/(1 − ε)‖Ax* − b‖ (Sarlós 2006).
    A, b = problem(2000, 10, 1e3, 4, noise=1.0)
    _, r_opt = optimal(A, b)
    eps = 0.5
    s = embedding_size("gaussian", 11, eps=eps, delta=0.01)
    for seed in range(5):
        res = lstsq(A, b, "sketch-and-solve", sketch="gaussian", sketch_size=s, seed=seed)
        assert res.residual_norm <= (1 + eps) / (1 - eps) * r_opt
        assert res.iterations == 0 and res.converged and res.condition_number is None


def test_rank_deficient_gives_minimum_norm_solution():
    A, b = problem(2000, 30, 1e3, 5)
    A[:, 7] = A[:, 3]
    A[:, 11] = 0.0
    A[:, 20] = A[:, 1] - 2 * A[:, 2]
    x_pinv = np.linalg.pinv(A) @ b
    for method in METHODS:
        res = lstsq(A, b, method, seed=6)
        assert res.rank == 27, method
        if method != "sketch-and-solve":
            np.testing.assert_allclose(res.x, x_pinv, atol=1e-8)
    # sketch-and-solve still returns a minimum-norm vector: no weight on the null space
    res = lstsq(A, b, "sketch-and-solve", seed=6)
    null = np.linalg.svd(A)[2][-3:]
    assert np.abs(null @ res.x).max() < 1e-8


@pytest.mark.parametrize("method", METHODS)
def test_ridge_matches_closed_form(method):
    A, b = problem(1500, 25, 1e4, 7)
    alpha = 0.05
    x_ridge = np.linalg.solve(A.T @ A + alpha * np.eye(25), A.T @ b)
    res = lstsq(A, b, method, alpha=alpha, seed=8)
    if method == "sketch-and-solve":  # ε-accurate objective, not exact
        obj = lambda x: np.sum((A @ x - b) ** 2) + alpha * np.sum(x**2)  # noqa: E731
        assert obj(res.x) <= (1.5 / 0.5) ** 2 * obj(x_ridge)
    else:
        np.testing.assert_allclose(res.x, x_ridge, rtol=1e-8, atol=1e-10)
    assert res.alpha == alpha


def test_ridge_rank_deficient_is_well_posed():
    A = np.zeros((500, 5))
    A[:, 0] = 1.0
    b = np.arange(500.0)
    res = lstsq(A, b, alpha=1.0, seed=0)
    np.testing.assert_allclose(res.x, [b.sum() / 501, 0, 0, 0, 0], rtol=1e-9, atol=1e-12)


def test_input_kinds_agree():
    rng = np.random.default_rng(9)
    A = sp.random(4000, 25, density=0.05, random_state=9, format="csr")
    b = rng.standard_normal(4000)
    x_opt, _ = optimal(A.toarray(), b)
    for AA in (A, A.tocsc(), A.toarray(), aslinearoperator(A)):
        res = lstsq(AA, b, seed=3)
        np.testing.assert_allclose(res.x, x_opt, atol=1e-8)
    for method in ("sketch-and-solve", "direct"):
        assert lstsq(A, b, method, seed=3).x.shape == (25,)
    with pytest.raises(TypeError, match="LinearOperator"):
        lstsq(aslinearoperator(A), b, "direct")


@pytest.mark.parametrize("dtype", [np.float32, np.complex64, np.complex128])
def test_dtypes(dtype):
    rng = np.random.default_rng(10)
    A = rng.standard_normal((2000, 15))
    b = rng.standard_normal(2000)
    if np.dtype(dtype).kind == "c":
        A = A + 1j * rng.standard_normal(A.shape)
        b = b + 1j * rng.standard_normal(2000)
    A, b = A.astype(dtype), b.astype(dtype)
    x_opt, _ = optimal(A.astype(np.complex128), b.astype(np.complex128))
    for method in ("fossils", "sketch-and-precondition", "direct"):
        res = lstsq(A, b, method, seed=1)
        assert res.x.dtype == dtype
        tol = 1e-3 if np.finfo(dtype).bits <= 32 else 1e-9
        np.testing.assert_allclose(res.x, x_opt, atol=tol)
    assert lstsq(A, b, "sketch-and-solve", seed=1).x.dtype == dtype


def test_several_right_hand_sides():
    A, b = problem(2000, 12, 1e3, 11)
    B = np.stack([b, 2 * b + 1, -b], axis=1)
    for method in METHODS:
        res = lstsq(A, B, method, seed=0)
        assert res.x.shape == (12, 3) and res.residual_norm.shape == (3,)
    x_opt = np.linalg.lstsq(A, B, rcond=None)[0]
    np.testing.assert_allclose(lstsq(A, B, seed=0).x, x_opt, rtol=1e-7, atol=1e-9)


def test_not_converging_is_reported():
    A, b = problem(2000, 20, 1e6, 12)
    with pytest.warns(ConvergenceWarning, match="before reaching tol"):
        res = lstsq(A, b, maxiter=2, seed=0, sketch="sparse-sign")
    assert not res.converged and res.iterations == 2


def test_front_door_alias_and_reproducibility():
    A, b = problem(1000, 10, 1e2, 13)
    r1 = qla.lstsq(A, b, "sketch-and-solve", seed=5)
    r2 = lstsq(A, b, "sketch-and-solve", seed=5)
    np.testing.assert_array_equal(r1.x, r2.x)
    assert r1.sketch.fingerprint == r2.sketch.fingerprint
    assert not np.array_equal(r1.x, lstsq(A, b, "sketch-and-solve", seed=6).x)


# -- the ℓ∞ guarantee ------------------------------------------------------------------


def linf_problem(n=16384, d=200, eps=0.9, delta=0.1, ratio=1.3, seed=0):
    """A = [I_d; 0]: its top rows have leverage 1, ‖A†‖ = 1 and x* = b[:d].

    The optimal residual r* = [0; b_rest] is put on K spikes of size 1/√K (‖r*‖ = 1),
    with K = d/(ratio² ε²): a spike hashed by CountSketch into the bucket of a top row
    moves that coordinate by 1/√K = ratio·ε/√d, i.e. ratio × the ℓ∞ bound, and
    there are K·d/m ≈ 3.6 such hits on average, plus ≈ d²/(2m) ≈ 2.4 collisions of two
    top rows (each makes S·A rank deficient and moves two coordinates by |x*_i − x*_j|/2).
    A dense sketch spreads r* over all rows instead: error ≈ N(0, 1/m) per coordinate.
    """
    rng = np.random.default_rng(seed)
    A = sp.vstack([sp.identity(d), sp.csr_matrix((n - d, d))]).tocsr()
    b = np.zeros(n)
    b[:d] = rng.standard_normal(d)
    K = int(d / (ratio**2 * eps**2))
    spikes = rng.choice(np.arange(d, n), K, replace=False)
    b[spikes] = rng.choice([-1.0, 1.0], K) / math.sqrt(K)
    return A, b, b[:d].copy(), eps / math.sqrt(d)  # bound (ε/√d)·‖r*‖·‖A†‖, both norms 1


def test_linf_guarantee_met_where_countsketch_fails():
    A, b, x_opt, bound = linf_problem()
    n, d = A.shape
    m = linf_sketch_size(n, d, eps=0.9, delta=0.1)
    assert m < n
    for seed in range(4):
        dense = lstsq(A, b, guarantee="linf", eps=0.9, delta=0.1, seed=seed)
        assert dense.sketch_size == m and type(dense.sketch).__name__ == "SRHT"
        assert np.abs(dense.x - x_opt).max() <= bound, seed
        sparse = lstsq(A, b, "sketch-and-solve", sketch="countsketch", sketch_size=m, seed=seed)
        # a single spike in a top row's bucket already moves x by ratio × bound; with ≈ 3.6
        # expected hits and ≈ 2.4 expected top-row collisions, CountSketch misses the bound
        # with probability ≥ 1 − e^(−6) per seed (Poisson), so 4 seeds all miss w.p. > 0.99
        assert np.abs(sparse.x - x_opt).max() > bound, seed


def test_linf_refuses_sparse_sketches_and_falls_back():
    A, b = problem(1000, 50, 1e2, 14)
    for kind in ("countsketch", "sparse-sign"):
        with pytest.raises(ValueError, match="dense sketch"):
            lstsq(A, b, guarantee="linf", sketch=kind)
    with pytest.raises(ValueError, match="sketch-and-solve"):
        lstsq(A, b, "sketch-and-precondition", guarantee="linf")
    with pytest.warns(AccuracyWarning, match="solving directly"):
        res = lstsq(A, b, guarantee="linf", eps=0.5)  # the rule needs m >= n here
    assert res.method == "direct"
    np.testing.assert_allclose(res.x, optimal(A, b)[0], atol=1e-10)
    with pytest.raises(ToleranceError):
        linf_sketch_size(1000, 50, eps=0.5)


# -- bad input --------------------------------------------------------------------------


def test_bad_input():
    A, b = problem(300, 5, 10, 15)
    bad = A.copy()
    bad[0, 0] = np.nan
    with pytest.raises(NonFiniteError, match="A holds NaN"):
        lstsq(bad, b)
    bb = b.copy()
    bb[5] = np.inf
    with pytest.raises(ValueError, match="b holds NaN or infinity"):
        lstsq(A, bb)
    with pytest.raises(ShapeError, match="299 rows but the matrix has 300"):
        lstsq(A, b[:-1])
    with pytest.raises(ShapeError, match="empty"):
        lstsq(np.ones((0, 3)), np.ones(0))
    with pytest.raises(ShapeError, match="2-D"):
        lstsq(np.ones(5), np.ones(5))
    with pytest.raises(TypeError, match="int64"):
        lstsq(np.ones((300, 5), dtype=np.int64), b)
    with pytest.raises(TypeError, match="int64"):
        lstsq(A, np.ones(300, dtype=np.int64))
    with pytest.raises(TypeError, match="list"):
        lstsq(A.tolist(), b)
    with pytest.raises(ValueError, match="at least n rows"):
        lstsq(A, b, sketch_size=3)
    with pytest.raises(ValueError, match="unknown method"):
        lstsq(A, b, "qr")
    with pytest.raises(ValueError, match="alpha"):
        lstsq(A, b, alpha=-1)
    with pytest.raises(ToleranceError, match="machine epsilon"):
        lstsq(A, b, tol=1e-20)
    with pytest.raises(ValueError, match="unknown sketch"):
        lstsq(A, b, sketch="fourier")
    with pytest.warns(AccuracyWarning, match="does not compress"):
        lstsq(A, b, sketch_size=400)


@pytest.mark.parametrize("method", METHODS)
def test_zero_matrix_or_rhs_gives_exact_zero_without_nan(method):
    """A = 0 or b = 0: x = 0 exactly, and no reported number is NaN."""
    rng = np.random.default_rng(7)
    A, b = rng.standard_normal((60, 4)), rng.standard_normal(60)
    for A_, b_ in ((np.zeros_like(A), b), (A, np.zeros_like(b))):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            res = lstsq(A_, b_, method, seed=0)
        assert np.array_equal(res.x, np.zeros(4))
        for value in (res.backward_error, res.condition_number, res.forward_error_bound):
            assert value is None or not math.isnan(value)
        if method == "fossils":
            assert res.converged and res.backward_error == 0.0


@pytest.mark.gpu
@pytest.mark.parametrize("method", METHODS)
def test_cupy_matches_numpy(method, cupy):
    A, b = problem(2000, 20, 1e6, 16)
    res = lstsq(cupy.asarray(A), cupy.asarray(b), method, alpha=0.0, seed=4)
    assert isinstance(res.x, cupy.ndarray)
    host = lstsq(A, b, method, seed=4)
    np.testing.assert_allclose(cupy.asnumpy(res.x), host.x, rtol=1e-6, atol=1e-8)
    import cupyx.scipy.sparse as cusp

    As = cusp.csr_matrix(cupy.asarray(A))
    res_sp = lstsq(As, cupy.asarray(b), seed=4)
    np.testing.assert_allclose(cupy.asnumpy(res_sp.x), optimal(A, b)[0], atol=1e-6)


@pytest.mark.parametrize("method", ["fossils", "sketch-and-precondition", "sketch-and-solve",
                                    "direct"])
def test_torch_cpu_matches_numpy_for_the_same_seed(method):
    # The same keyed sketch on both backends: the results differ only by rounding (LSQR,
    # stopped at tol = 1e-10, amplifies it to about its tolerance).
    torch = pytest.importorskip("torch")
    close = 1e-8 if method == "sketch-and-precondition" else 1e-12
    rng = np.random.default_rng(5)
    A = rng.standard_normal((3000, 20)) * np.logspace(0, -2, 20)
    B = rng.standard_normal((3000, 2))
    for b, alpha in ((B[:, 0], 0.0), (B, 0.0), (B[:, 1], 0.1)):
        ref = lstsq(A, b, method=method, alpha=alpha, seed=3)
        out = lstsq(torch.from_numpy(A), torch.from_numpy(b), method=method, alpha=alpha, seed=3)
        assert isinstance(out.x, torch.Tensor) and out.x.dtype == torch.float64
        assert out.x.shape == ref.x.shape and out.iterations == ref.iterations
        np.testing.assert_allclose(out.x.numpy(), ref.x, rtol=0,
                                   atol=close * float(np.abs(ref.x).max()))
        np.testing.assert_allclose(np.asarray(out.residual_norm, dtype=float),
                                   np.asarray(ref.residual_norm), rtol=close)
