"""The default of :func:`sketch.lstsq` is as accurate as LAPACK wherever it is used.

Where sketching cannot pay (:func:`sketch.lstsq_solvers.sketching_pays`) the default
hands A to LAPACK and says so (``method="direct"``); before, FOSSILS ran there and its
forward error reached 91x ``numpy.linalg.lstsq``'s on a 12 x 9 problem (κ = 1e8,
‖r‖ = 1) at a backward error below u — slower, too (30-650x gelsd's time).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.linalg import aslinearoperator
from threadpoolctl import threadpool_limits

import sketch
from sketch.lstsq_solvers import sketching_pays
from tests.sketch.test_guarantees import haar, true_backward_error

#: Forward error of the default within this factor of LAPACK's (gelsd through NumPy).
FACTOR = 3.0


def known(m, n, kappa, rnorm, dtype, seed):
    """(A, b, x*): A = U diag(σ) Vᴴ, σ from 1 to 1/κ, b = A x* + ‖r‖ q with q ⟂ range(A)."""
    rng = np.random.default_rng(seed)
    Q = haar(m, n + 1, rng, dtype)
    A = (Q[:, :n] * np.geomspace(1, 1 / kappa, n)) @ haar(n, n, rng, dtype).conj().T
    x = haar(n, 1, rng, dtype)[:, 0]
    return A, A @ x + rnorm * Q[:, n], x


def check_as_accurate_as_lapack(A, b, x_star, alpha=0.0):
    n = A.shape[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sketch.lstsq(A, b, alpha=alpha, seed=0)
    Aa, ba = A, b
    if alpha > 0:
        Aa = np.vstack([A, np.sqrt(alpha) * np.eye(n, dtype=A.dtype)])
        ba = np.concatenate([b, np.zeros(n, dtype=b.dtype)])
    ref = np.linalg.lstsq(Aa, ba, rcond=None)[0]
    u = float(np.finfo(A.dtype).eps)
    fwd, lapack = (float(np.linalg.norm(v - x_star)) for v in (res.x, ref))
    assert fwd <= FACTOR * max(lapack, u), (fwd, lapack, res.method)
    ours, theirs = true_backward_error(Aa, ba, res.x), true_backward_error(Aa, ba, ref)
    assert ours <= max(10 * u * np.sqrt(n), 2 * theirs), (ours, theirs, res.method)
    return res


@pytest.mark.parametrize("m, n, seed", [(8, 4, 33), (12, 9, 21)])
def test_tiny_ill_conditioned_problem_is_as_accurate_as_lapack(m, n, seed):
    """Found by the last stop: FOSSILS' forward error was 85x (8 x 4) and 91x (12 x 9)
    LAPACK's at κ = 1e8, ‖r‖ = 1 (a backward-stable error, but a user swapping in for
    LAPACK gets a less accurate answer). Now LAPACK solves these, and says so."""
    A, b, x = known(m, n, 1e8, 1.0, np.float64, seed)
    res = check_as_accurate_as_lapack(A, b, x)
    assert res.method == "direct" and res.sketch is None


@pytest.mark.parametrize("seed", range(3))
def test_consistent_system_where_the_default_sketches_is_as_accurate_as_lapack(seed):
    """10000 x 100, κ = 1e8, r = 0: sketch-and-solve's start met tol = 4u at once and was
    returned with 2.3-7.2x LAPACK's forward error (the rounding of S·A); one refinement
    step aimed at u now follows (sketch/fossils.py, START_POLISH)."""
    A, b, x = known(10000, 100, 1e8, 0.0, np.float64, seed)
    with threadpool_limits(1):  # on two BLAS threads the default hands 10000 x 100 to LAPACK
        res = sketch.lstsq(A, b, seed=0)
    ref = np.linalg.lstsq(A, b, rcond=None)[0]
    assert res.method == "fossils" and res.converged and res.iterations >= 1
    fwd, lapack = (float(np.linalg.norm(v - x)) for v in (res.x, ref))
    assert fwd <= FACTOR * lapack, (fwd, lapack)  # the backward error: test_guarantees


@st.composite
def small_problems(draw, max_m=60, ridge=True):
    """(A, b, x*, α): m ≤ ``max_m``, n ≤ 12, every dtype, κ, ‖r‖; α = 0 unless ``ridge``."""
    n = draw(st.integers(1, 12))
    m = draw(st.integers(n + 1, max_m))
    dtype = draw(st.sampled_from([np.float64, np.complex128, np.float32, np.complex64]))
    single = np.finfo(dtype).eps > 1e-10
    kappa = draw(st.sampled_from([1.0, 1e2, 1e4] if single else [1.0, 1e4, 1e8, 1e12]))
    rnorm = draw(st.sampled_from([0.0, 1e-6, 1.0]))
    alpha = draw(st.sampled_from([0.0, 0.0, 1e-3, 1.0])) if ridge else 0.0
    seed = draw(st.integers(0, 2**16))
    A, b, x = known(m, n, kappa, rnorm, np.complex128 if np.dtype(dtype).kind == "c"
                    else np.float64, seed)
    A, b = A.astype(dtype), b.astype(dtype)
    if alpha > 0:  # the exact ridge solution of the stored A, b, to rounding
        x = np.linalg.solve(A.conj().T.astype(x.dtype) @ A + alpha * np.eye(n),
                            A.conj().T.astype(x.dtype) @ b)
    return A, b, x, alpha


@given(small_problems())
@settings(max_examples=40)
def test_default_is_as_accurate_as_lapack_on_small_problems(problem):
    """Forward error within FACTOR of LAPACK's, backward error at LAPACK's level."""
    A, b, x, alpha = problem
    check_as_accurate_as_lapack(A, b, x, alpha)


def test_size_rule_keeps_the_sketch_where_it_pays():
    """FOSSILS where it is faster than LAPACK, and wherever the caller asked for a sketch
    or gave no entries; the fallback is reported in ``method``."""
    assert sketching_pays(20_000, 200, threads=1) and sketching_pays(100_000, 1000, threads=1)
    assert not sketching_pays(100_000, 50, threads=1) and not sketching_pays(2400, 200, threads=1)
    # two BLAS threads (LAPACK's QR on both cores): the measured losses go to LAPACK
    assert not sketching_pays(10_000, 100, threads=2) and sketching_pays(10_000, 100, threads=1)
    assert not sketching_pays(10_000, 500, threads=2) and sketching_pays(10_000, 500, threads=1)
    # 20000 x 200: FOSSILS 0.63-1.01x gelsd's speed on the quick benchmark (issue tr29)
    assert not sketching_pays(20_000, 200, threads=2) and sketching_pays(50_000, 150, threads=2)
    assert sketching_pays(20_000, 300, threads=2) and sketching_pays(40_000, 400, threads=2)
    assert sketching_pays(10_000, 500, threads=8) == sketching_pays(10_000, 500, threads=2)
    with threadpool_limits(1):  # measured at call time
        assert sketching_pays(10_000, 100)
    assert sketching_pays(200_000, 500, sparse=True)  # densifying would cost 800 MB
    rng = np.random.default_rng(0)
    A, b = rng.standard_normal((300, 5)), rng.standard_normal(300)
    assert sketch.lstsq(A, b).method == "direct"
    assert sketch.lstsq(sp.csr_matrix(A), b).method == "direct"
    for kw in ({"sketch": "gaussian"}, {"sketch_size": 60}, {"tol": 1e-12},
               {"maxiter": 50}):
        assert sketch.lstsq(A, b, seed=0, **kw).method == "fossils", kw
    assert sketch.lstsq(aslinearoperator(A), b, seed=0).method == "fossils"


# -- the direct path: Householder QR where R has full rank with margin, else gelsd ----------


@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])
@pytest.mark.parametrize("k", [None, 3])
def test_direct_qr_path_equals_gelsd_on_well_conditioned_problems(dtype, k):
    """κ = 1e3, m·n² past _QR_FROM: the QR solve (rank n, condition from LAPACK's estimate)
    is gelsd's answer to rounding, for one and for several right-hand sides."""
    A, b, _ = known(20_000, 30, 1e3, 1e-2, np.complex128 if dtype == np.complex128
                    else np.float64, 1)
    A = A.astype(dtype)
    B = b.astype(dtype) if k is None else np.stack([b, 2 * b, A[:, 0]], axis=1).astype(dtype)
    res = sketch.lstsq(A, B, "direct")
    ref, _, rank, sv = np.linalg.lstsq(A, B, rcond=30 * np.finfo(dtype).eps)
    u = float(np.finfo(dtype).eps)
    assert res.rank == rank == 30 and res.x.shape == ref.shape and res.x.dtype == ref.dtype
    assert np.linalg.norm(res.x - ref) <= 100 * u * 1e3 * np.linalg.norm(ref)
    # trcon's 1-norm estimate: within a factor n of σ₁/σₙ either way
    assert sv[0] / sv[-1] / 30 <= res.sketched_condition <= 30 * sv[0] / sv[-1]


@pytest.mark.parametrize("kind", ["rank-deficient", "near-singular"])
def test_direct_takes_gelsd_where_r_is_rank_deficient_or_near_it(kind):
    """A repeated column (R singular), or one σ = 1e-16 (below the n·u cut-off):
    gelsd's minimum-norm answer and rank. Without the fallback the triangular solve returns
    a huge or non-finite x and rank n."""
    rng = np.random.default_rng(3)
    if kind == "rank-deficient":
        A = rng.standard_normal((30_000, 20))
        A[:, 7] = A[:, 3]
    else:
        sigma = np.r_[np.ones(19), 1e-16]  # rank 19 at the n·u cut-off, well conditioned
        A = (haar(30_000, 20, rng, np.float64) * sigma) @ haar(20, 20, rng, np.float64).T
    b = rng.standard_normal(30_000)
    res = sketch.lstsq(A, b, "direct")
    ref, _, rank, _ = np.linalg.lstsq(A, b, rcond=20 * np.finfo(float).eps)
    assert res.rank == rank < 20
    assert np.linalg.norm(res.x - ref) <= 1e-10 * np.linalg.norm(ref)
