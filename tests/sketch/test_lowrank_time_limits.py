"""time_limit= and progress= of the low-rank routines' adaptive loops (sketch.progress).

A tiny limit (1e-9 s) is past at the first pass boundary, so the run stops with the basis
of its first block, deterministically: the returned factors are compared with a run that
ends there by construction (a depth-0 Krylov run, a one-pass Nyström sketch), and the
reported estimates are checked against the true errors of the returned factors. The
former long case (subspace iteration to ε = 1e-12 with max_passes = 10**12) must return.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.sparse as sps
from scipy.sparse.linalg import LinearOperator, aslinearoperator

from sketch.errors import ConvergenceWarning, ToleranceError
from sketch.lowrank import (
    adaptive_qb,
    adaptive_svd,
    block_krylov_svd,
    nystrom,
    randomized_eigh,
    randomized_svd,
)

TINY = 1e-9  # past at the first pass boundary
WALL = 10.0  # generous guard: the former long case ran for hours on large inputs
LONG = {"accuracy": 1e-12, "max_passes": 10**12}  # never met on a slow decay


def _slow(m=200, n=100, seed=0, complex_=False):
    """A with σᵢ = i^{-1/2} (slow decay: ε = 1e-12 needs very many passes)."""
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((m, n)) + (1j * rng.standard_normal((m, n))
                                                        if complex_ else 0))
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (U * np.arange(1, n + 1) ** -0.5) @ V.T


def _timed(f, *args, **kwargs):
    t0 = time.perf_counter()
    with pytest.warns(ConvergenceWarning, match="time_limit"):
        out = f(*args, **kwargs)
    assert time.perf_counter() - t0 < WALL
    assert not out.converged and out.stop_reason == "time_limit"
    return out


def _spectral(M):
    M = M.toarray() if sps.issparse(M) else M
    return np.linalg.norm(M, 2)


def _claims_hold(A, res, k):
    """The returned factors' true error against both estimates that come with them:
    ‖A − UΣV^H‖₂ ≤ error_estimate (HMT's probe bound) and, for ε̂ = accuracy_estimate,
    ‖A − UΣV^H‖₂² ≤ (1 + ε̂)·σₖ₊₁² (the posterior bound ε̂ is taken from at a first
    block; a ε̂ of a later, larger basis would be too small for these factors)."""
    dense = A.toarray() if sps.issparse(A) else A
    err = _spectral(dense - (res.U * res.s) @ res.Vh)
    sigma = np.linalg.svd(dense, compute_uv=False)[k]
    assert err <= res.error_estimate
    assert np.isfinite(res.accuracy_estimate)
    assert err**2 <= (1 + res.accuracy_estimate) * sigma**2 * (1 + 1e-10)


@pytest.mark.parametrize("kind", ["dense", "complex", "sparse", "wide"])
def test_krylov_stops_after_its_first_block(kind):
    A = _slow(complex_=kind == "complex")
    if kind in ("sparse", "wide"):
        A = sps.csr_matrix(A if kind == "sparse" else A.T)
    res = _timed(block_krylov_svd, A, 5, mixed_precision=False, time_limit=TINY, seed=3,
                 **LONG)
    ref = block_krylov_svd(A, 5, krylov_iters=0, seed=3)  # the first block, by construction
    assert res.iterations == 0 and res.passes == ref.passes
    for a, b in zip(res, ref):
        np.testing.assert_array_equal(a, b)
    assert res.error_estimate == ref.error_estimate
    _claims_hold(A, res, 5)
    again = _timed(randomized_svd, A, 5, mixed_precision=False, time_limit=TINY, seed=3, **LONG)
    np.testing.assert_array_equal(again.s, res.s)


def test_fixed_depth_krylov_stops_too():
    A = _slow()
    with pytest.warns(ConvergenceWarning, match="time_limit"):
        res = block_krylov_svd(A, 5, krylov_iters=10**6, time_limit=TINY, seed=0)
    assert not res.converged and res.stop_reason == "time_limit" and res.iterations == 0
    assert block_krylov_svd(A, 5, krylov_iters=1, seed=0).stop_reason == "converged"


def test_subspace_stops_after_its_first_block():
    A = _slow(seed=1)
    res = _timed(randomized_svd, A, 5, method="subspace", time_limit=TINY, seed=0, **LONG)
    assert res.iterations == 0 and res.passes == 2
    _claims_hold(A, res, 5)


def test_former_long_case_returns_with_time_limit():
    """randomized_svd(A, 10, method="subspace", accuracy=1e-12, max_passes=10**12) ran
    668 passes in 60 s on a 2000 × 1000 Gaussian A with no sign of life. On 400 × 200 it
    needs 228 passes; each product here sleeps 5 ms, so on any machine the run cannot
    finish inside its 0.3 s and must come back with what it has."""
    A = np.random.default_rng(0).standard_normal((400, 200))

    def slow(X):
        time.sleep(0.005)
        return X

    op = LinearOperator(A.shape, matvec=lambda x: A @ slow(x), rmatvec=lambda y: A.T @ slow(y),
                        matmat=lambda X: A @ slow(X), rmatmat=lambda Y: A.T @ slow(Y),
                        dtype=A.dtype)
    res = _timed(randomized_svd, op, 10, method="subspace", time_limit=0.3, seed=0, **LONG)
    assert 2 < res.passes < 228 and res.iterations >= 1
    assert res.accuracy_estimate > 1e-12
    err = np.linalg.norm(A - (res.U * res.s) @ res.Vh, 2)
    assert err <= res.error_estimate


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_hermitian_routines_stop_after_one_pass(dtype):
    X = _slow(120, 60, seed=4, complex_=dtype == np.complex128)
    H = X @ X.conj().T  # PSD, slowly decaying
    one = nystrom(H, 5, accuracy=None, seed=1)  # the one-pass sketch
    res = _timed(nystrom, H, 5, time_limit=TINY, seed=1, **LONG)
    assert res.passes == 1 and res.accuracy_estimate == np.inf  # one block: no ε̂ yet
    np.testing.assert_array_equal(res.w, one.w)
    np.testing.assert_array_equal(res.V, one.V)
    ev = _timed(randomized_eigh, H, 5, time_limit=TINY, seed=1, **LONG)
    assert ev.passes == 1 and ev.iterations == 0
    assert np.linalg.norm(H - (ev.V * ev.w) @ ev.V.conj().T, 2) <= ev.error_estimate


@pytest.mark.parametrize("operator", [False, True])
def test_adaptive_qb_returns_the_estimate_of_its_factors(operator):
    A = _slow(150, 80, seed=5)
    M = aslinearoperator(A) if operator else A
    res = _timed(adaptive_qb, M, 1e-6, block=4, time_limit=TINY, seed=0)
    assert res.rank == 4 and res.iterations == 1  # the first block is always taken
    assert res.history[-1] == res.error_estimate
    true = np.linalg.norm(A - res.Q @ res.B)
    # explicit: the exact indicator ‖A‖_F² − ‖B‖_F²; operator: an unbiased estimate from the
    # next block's 4 products (Martinsson–Voronin), of the same Q, B
    assert res.error_estimate == pytest.approx(true, rel=1e-8 if not operator else 0.6)
    svd = _timed(adaptive_svd, M, 1e-6, block=4, time_limit=TINY, seed=0)
    assert svd.rank == 4 and svd.error_estimate == res.error_estimate
    done = adaptive_qb(A, 0.5, block=4, seed=0)
    assert done.converged and done.stop_reason == "converged"
    with pytest.warns(ConvergenceWarning, match="max_rank"):
        capped = adaptive_qb(A, 1e-6, block=4, max_rank=8, seed=0)
    assert capped.stop_reason == "maxiter"


def test_dask_krylov_stops_after_its_first_block():
    da = pytest.importorskip("dask.array")
    A = _slow(600, 40, seed=6)
    D = da.from_array(A, chunks=200)
    res = _timed(block_krylov_svd, D, 5, time_limit=TINY, seed=0, **LONG)
    ref = block_krylov_svd(D, 5, krylov_iters=0, seed=0)
    assert res.iterations == 0
    np.testing.assert_allclose(res.s, ref.s, rtol=1e-12)
    assert np.linalg.norm(A - (res.U * res.s) @ res.Vh, 2) <= res.error_estimate


def test_generous_limit_changes_no_bit():
    A = _slow(seed=7)
    H = A @ A.T
    calls = [(randomized_svd, A), (block_krylov_svd, sps.csr_matrix(A)), (randomized_eigh, H),
             (nystrom, H)]
    for f, M in calls:
        base, limited = f(M, 4, seed=0), f(M, 4, seed=0, time_limit=1e6, progress=False)
        for name, v in vars(base).items():
            w = getattr(limited, name)
            assert np.array_equal(v, w) if isinstance(v, np.ndarray) else v == w, (f, name)
        assert base.stop_reason == "converged"
    a, b = adaptive_qb(A, 0.1, seed=0), adaptive_qb(A, 0.1, seed=0, time_limit=1e6)
    assert np.array_equal(a.Q, b.Q) and a.history == b.history


def test_progress_bar_shows_passes_and_accuracy(capsys):
    A = _slow(seed=8)
    randomized_svd(A, 4, seed=0)
    assert capsys.readouterr().err == ""  # short: no bar
    randomized_svd(A, 4, seed=0, progress=True)
    err = capsys.readouterr().err
    assert "randomized SVD" in err and "pass" in err


@pytest.mark.parametrize("f", [randomized_svd, block_krylov_svd, randomized_eigh, nystrom,
                               adaptive_svd])
def test_validation(f):
    A = np.eye(20)
    arg = 1e-3 if f is adaptive_svd else 3
    with pytest.raises(ToleranceError, match="time_limit"):
        f(A, arg, time_limit=0)
    with pytest.raises(TypeError, match="time_limit"):
        f(A, arg, time_limit="1")
    with pytest.raises(TypeError, match="progress"):
        f(A, arg, progress="yes")
