"""time_limit= and progress= of the iterative loops (sketch.progress.IterationWatch).

A tiny limit (1e-9 s) stops every loop after its first iteration, deterministically, so
the returned iterate can be checked against the reported residual; the two former hangs
(maxiter=10**12) run with a real limit and must return. No timing assertions beyond a
generous wall guard.
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings

import numpy as np
import pytest
import scipy.sparse as sps

import qla
from sketch.budgets import check_time_limit
from sketch.checks import check_progress
from sketch.coreset import kmeans
from sketch.errors import ConvergenceWarning, InsufficientMemoryError, ToleranceError
from sketch.iterative import conjugate_gradient, randomized_kaczmarz
from sketch.leverage import leverage_scores
from sketch.lowrank.eigenvalues import hermitian_extreme_eigenvalues
from sketch.lpregression import lp_cost, lp_regression
from sketch.lsqr import lsqr
from sketch.lstsq import lstsq as sketch_lstsq
from sketch.progress import IterationWatch
from sketch.sampled_regression import sampled_lp_regression
from sketch.sensitivity import lewis_weights

TINY = 1e-9  # past at the first iteration boundary
WALL = 10.0  # generous guard: the former hangs ran for hours


def _timed(f, *args, **kwargs):
    t0 = time.perf_counter()
    with pytest.warns(ConvergenceWarning, match="time_limit"):
        out = f(*args, **kwargs)
    assert time.perf_counter() - t0 < WALL
    return out


def _inconsistent(seed=0, m=40, n=5):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, n)), rng.standard_normal(m)


def test_kaczmarz_former_hang_returns_with_time_limit():
    A, b = _inconsistent()  # no solution: tol is never met
    r = _timed(randomized_kaczmarz, A, b, maxiter=10**12, time_limit=0.2, seed=0)
    assert not r.converged and r.stop_reason == "time_limit"
    assert 0 < r.iterations < 10**12
    assert r.residual == pytest.approx(np.linalg.norm(b - A @ r.x) / np.linalg.norm(b),
                                       rel=1e-12)
    assert r.history[-1] == r.residual


def test_kaczmarz_stops_inside_a_long_check_interval():
    A, b = _inconsistent(1)
    r = _timed(randomized_kaczmarz, A, b, maxiter=10**12, check_every=10**9, time_limit=TINY,
               seed=0)
    assert r.stop_reason == "time_limit" and r.iterations == 1 << 16  # one draw block
    assert r.residual == pytest.approx(np.linalg.norm(b - A @ r.x) / np.linalg.norm(b),
                                       rel=1e-12)


def test_lewis_weights_former_hang_returns_with_time_limit():
    A = np.random.default_rng(2).standard_normal((200, 6))
    r = _timed(lewis_weights, A, 3, maxiter=10**12, tol=0, time_limit=0.2)
    assert not r.converged and r.stop_reason == "time_limit" and r.iterations > 1
    assert r.weights.sum() == pytest.approx(6, rel=1e-6)  # still the Lewis weights


@pytest.mark.parametrize("p", [1.0, 3.0])
def test_lewis_weights_returns_the_iterate_it_measured(p):
    A = np.random.default_rng(3).standard_normal((100, 4))
    r = _timed(lewis_weights, A, p, tol=0, maxiter=10**12, time_limit=TINY)
    assert r.stop_reason == "time_limit" and r.iterations == 1
    w = r.weights  # the fixed-point map applied to the returned w gives its residual
    tau = leverage_scores(A * (w ** (0.5 - 1 / p))[:, None])
    resid = np.max(np.abs((p / 2) * (np.log(tau) + (2 / p - 1) * np.log(w)) - np.log(w)))
    assert resid == pytest.approx(r.residual, rel=1e-9)


def test_cg_time_limit_returns_the_true_residual():
    n = 100_000  # κ = 1e8: ~10⁵ CG steps to 1e-12, far beyond the limit
    A = sps.diags(np.geomspace(1.0, 1e8, n)).tocsr()
    b = np.ones(n)
    r = _timed(conjugate_gradient, A, b, tol=1e-12, maxiter=10**12, time_limit=0.1)
    assert not r.converged and r.stop_reason == "time_limit" and r.iterations >= 1
    assert r.residual == pytest.approx(np.linalg.norm(b - A @ r.x) / n**0.5, rel=1e-12)


def test_irls_time_limit():
    rng = np.random.default_rng(4)
    A = rng.standard_normal((80, 3))
    b = rng.standard_normal(80)
    r = _timed(lp_regression, A, b, 3, maxiter=10**12, tol=0, time_limit=TINY)
    assert not r.converged and r.stop_reason == "time_limit" and r.iterations == 1
    assert r.cost == pytest.approx(lp_cost(A, b, r.x, 3), rel=1e-12)
    s = _timed(sampled_lp_regression, A, b, 3, seed=0, tol=0, time_limit=TINY)
    assert s.stop_reason == "time_limit" and not s.converged


def test_kmeans_time_limit_keeps_a_consistent_clustering():
    X = np.random.default_rng(5).standard_normal((300, 2))
    r = _timed(kmeans, X, 8, maxiter=10**12, tol=0, seed=0, time_limit=TINY)
    assert not r.converged and r.stop_reason == "time_limit" and r.iterations == 1
    d = ((X[:, None, :] - r.centers[None]) ** 2).sum(-1)
    assert np.array_equal(r.labels, d.argmin(1))
    assert r.cost == pytest.approx(d.min(1).sum(), rel=1e-10)


def test_lsqr_time_limit():
    A = np.random.default_rng(6).standard_normal((60, 10))
    b = np.ones(60)
    s = lsqr(lambda v: A @ v, lambda u: A.T @ u, b, n=10, tol=0, maxiter=10**12,
             time_limit=TINY)
    assert not s.converged and s.stop_reason == "time_limit" and s.iterations == 1


def test_solve_passes_time_limit_through():
    A = np.diag([1.0, 2.0, 3.0])
    b = np.ones(3)
    r = _timed(qla.solve, A, b, method="kaczmarz", tol=1e-300, maxiter=10**12,
               time_limit=TINY, seed=0)
    assert not r.converged and r.stop_reason == "time_limit"
    assert qla.solve(A, b, method="cg").stop_reason == "converged"
    with pytest.raises(ValueError, match="time_limit"):
        qla.solve(A, b, method="direct", time_limit=1.0)


@pytest.mark.parametrize("seed", [0, 1])
def test_defaults_unchanged_by_a_generous_limit(seed):
    """The watch only reads the clock: a limit that never fires changes no bit."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((50, 6))
    b = A @ rng.standard_normal(6)
    pairs = [(randomized_kaczmarz, (A, b), {"seed": seed}), (lewis_weights, (A, 3), {}),
             (lp_regression, (A, b + 1.0, 3), {}), (kmeans, (A, 3), {"seed": seed}),
             (conjugate_gradient, (A.T @ A, b[:6]), {})]
    for f, args, kw in pairs:
        base, limited = f(*args, **kw), f(*args, **kw, time_limit=1e6, progress=False)
        for name, v in vars(base).items():
            w = getattr(limited, name)
            assert np.array_equal(v, w) if isinstance(v, np.ndarray) else v == w, (f, name)


def test_progress_bar_only_when_asked_or_long(capsys):
    A, b = _inconsistent(7)
    randomized_kaczmarz(A, b, maxiter=400, seed=0, warn=False)  # default: short, no bar
    assert capsys.readouterr().err == ""
    randomized_kaczmarz(A, b, maxiter=400, seed=0, warn=False, progress=True)
    assert "randomized Kaczmarz" in capsys.readouterr().err


def test_progress_opens_late_for_a_long_run(monkeypatch):
    import sketch.progress as progress

    monkeypatch.setattr(progress, "PROGRESS_DELAY_S", 0.0)
    with IterationWatch("demo", time_limit=None, progress=None, total=10) as watch:
        assert watch.bar is None
        watch.step(residual=0.5)
        assert watch.bar is not None and watch.bar.n == 1


@pytest.mark.parametrize("bad, err", [(0, ToleranceError), (-1.0, ToleranceError),
                                      (math.nan, ToleranceError), (True, TypeError),
                                      ("1", TypeError)])
def test_time_limit_validation(bad, err):
    with pytest.raises(err, match="time_limit"):
        check_time_limit(bad)
    A, b = _inconsistent()
    with pytest.raises(err, match="time_limit"):
        randomized_kaczmarz(A, b, time_limit=bad)
    with pytest.raises(err, match="time_limit"):
        lewis_weights(A, 1, time_limit=bad)


def test_limits_that_stay_legal():
    assert check_time_limit(math.inf) == math.inf and check_time_limit(None) is None
    with pytest.raises(TypeError, match="progress"):
        check_progress("yes")
    A = np.array([[1.0, 0.0], [0.0, 2.0]])
    r = randomized_kaczmarz(A, np.ones(2), maxiter=10**12, time_limit=math.inf, seed=0)
    assert r.converged and r.stop_reason == "converged"


def test_lanczos_time_limit_and_memory_check():
    M = np.random.default_rng(8).standard_normal((60, 60))
    M = M + M.T
    r = _timed(hermitian_extreme_eigenvalues, M, tol=1e-300, maxiter=10**12, seed=0,
               time_limit=TINY)
    assert not r.converged and r.stop_reason == "time_limit" and r.iterations == 1
    w = np.linalg.eigvalsh(M)
    assert w[0] <= r.lambda_min <= r.lambda_max <= w[-1]  # Ritz values of the step reached
    big = sps.diags(np.linspace(1.0, 2.0, 200_000)).tocsr()
    with pytest.raises(InsufficientMemoryError, match="maxiter"):  # was a raw MemoryError
        hermitian_extreme_eigenvalues(big, maxiter=10**12)


def test_lsqr_long_run_ritz_estimates_in_linear_memory(monkeypatch):
    """Past DENSE_RITZ iterations the Ritz estimates come from the Golub–Kahan tridiagonal
    (a dense B_k of a long time-limited run would need 8k² bytes); both agree."""
    import sketch.lsqr as lsqr_module

    A = np.random.default_rng(9).standard_normal((200, 40)) * np.geomspace(1, 1e3, 40)
    b = np.ones(200)
    dense = lsqr(lambda v: A @ v, lambda u: A.T @ u, b, n=40, tol=0, maxiter=60)
    monkeypatch.setattr(lsqr_module, "DENSE_RITZ", 0)
    banded = lsqr(lambda v: A @ v, lambda u: A.T @ u, b, n=40, tol=0, maxiter=60)
    assert banded.norm == pytest.approx(dense.norm, rel=1e-10)
    assert banded.condition == pytest.approx(dense.condition, rel=1e-6)
    assert 10 < dense.condition <= np.linalg.cond(A) * (1 + 1e-9)  # a Ritz lower bound on κ


# -- sketch.lstsq: FOSSILS' refinement and sketch-and-precondition's LSQR ------------------


def _ill_posed(k=1, seed=4, m=1000, n=20):
    """κ(A) = 1e8 and a residual of norm 1e-3: several products before FOSSILS converges."""
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((m, n)))
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    A = (U * np.logspace(0, -8, n)) @ V.T
    cols = () if k == 1 else (k,)
    return A, A @ rng.standard_normal((n, *cols)) + 1e-3 * rng.standard_normal((m, *cols))


def _augmented(A, b, alpha):
    if alpha == 0:
        return A, b
    n = A.shape[1]
    return np.vstack([A, np.sqrt(alpha) * np.eye(n)]), np.concatenate([b, np.zeros(n)])


@pytest.mark.parametrize("alpha", [0.0, 1e-10])
def test_lstsq_fossils_time_limit_returns_the_measured_iterate(alpha):
    from tests.sketch.test_guarantees import true_backward_error

    A, b = _ill_posed()
    r = _timed(sketch_lstsq, A, b, "fossils", alpha=alpha, seed=0, time_limit=TINY,
               sketch="sparse-sign")  # named: at this size FOSSILS would factor A itself
    assert (r.converged, r.stop_reason, r.iterations, r.refinement_steps) == (
        False, "time_limit", 1, 1)
    assert r.residual_norm == pytest.approx(np.linalg.norm(b - A @ r.x), rel=1e-12)
    Aa, ba = _augmented(A, b, alpha)
    true = true_backward_error(Aa, ba, r.x)
    assert true > 100 * r.tol  # one product is far from converged: the claims below can fail
    # the sketched Karlson–Waldén estimate of this x (relative to ‖S·A‖_F, not ‖A‖_F): within
    # the embedding's distortion of the exact value, never that of another iterate
    assert true / 3 <= r.backward_error <= 3 * true
    exact = np.linalg.lstsq(Aa, ba, rcond=None)[0]
    forward = np.linalg.norm(r.x - exact) / np.linalg.norm(r.x)
    assert forward <= r.forward_error_bound < math.inf  # valid (worst case: not tight)


def test_lstsq_fossils_time_limit_several_right_hand_sides():
    A, B = _ill_posed(k=3)
    r = _timed(sketch_lstsq, A, B, "fossils", seed=1, time_limit=TINY, sketch="sparse-sign")
    assert r.stop_reason == "time_limit" and r.iterations == 1 and r.x.shape == (20, 3)
    np.testing.assert_allclose(r.residual_norm, np.linalg.norm(B - A @ r.x, axis=0),
                               rtol=1e-12)
    assert np.all(r.backward_error > 100 * r.tol)


@pytest.mark.parametrize("k", [1, 2])
def test_lstsq_sketch_and_precondition_time_limit_one_iteration(k):
    A, b = _ill_posed(k=k)
    r = _timed(sketch_lstsq, A, b, "sketch-and-precondition", seed=2, time_limit=TINY)
    # one deadline for all columns, and each still takes one LSQR step
    assert (r.converged, r.stop_reason, r.iterations) == (False, "time_limit", 1)
    np.testing.assert_allclose(r.residual_norm, np.linalg.norm(b - A @ r.x, axis=0),
                               rtol=1e-12)
    start = sketch_lstsq(A, b, "sketch-and-solve", seed=2, sketch_size=4 * A.shape[1])
    assert not np.array_equal(r.x, start.x)  # a step was taken from the warm start
    assert np.all(r.residual_norm <= start.residual_norm * (1 + 1e-12))  # LSQR: monotone


@pytest.mark.parametrize("method", ["direct", "sketch-and-solve"])
def test_lstsq_without_a_loop_accepts_and_ignores_a_time_limit(method):
    A, b = _ill_posed()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = sketch_lstsq(A, b, method, seed=0, time_limit=TINY, progress=False)
    assert r.converged and r.stop_reason == "converged"


@pytest.mark.parametrize("method", ["fossils", "sketch-and-precondition"])
def test_lstsq_generous_time_limit_changes_no_bit(method):
    A, B = _ill_posed(k=2)
    for b, alpha in ((B[:, 0], 0.0), (B, 0.0), (B[:, 1], 1e-6)):
        ref = sketch_lstsq(A, b, method, alpha=alpha, seed=3)
        got = sketch_lstsq(A, b, method, alpha=alpha, seed=3, time_limit=1e6, progress=False)
        assert ref.stop_reason == got.stop_reason == "converged"
        for f in dataclasses.fields(ref):
            if f.name != "sketch":
                assert np.array_equal(getattr(ref, f.name), getattr(got, f.name)), f.name


@pytest.mark.parametrize("method", ["fossils", "direct"])
@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"time_limit": 0}, ToleranceError, "time_limit must be a positive"),
    ({"time_limit": -1.0}, ToleranceError, "time_limit must be a positive"),
    ({"time_limit": math.nan}, ToleranceError, "time_limit must be a positive"),
    ({"time_limit": "60"}, TypeError, "time_limit must be a number"),
    ({"progress": "yes"}, TypeError, "progress must be True, False or None"),
])
def test_lstsq_time_limit_and_progress_validated(method, kwargs, error, match):
    A, b = _inconsistent(m=400)
    with pytest.raises(error, match=match):
        sketch_lstsq(A, b, method, **kwargs)
