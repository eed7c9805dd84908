"""lstsq on badly scaled problems (columns and right-hand sides of 10^±300): each method's
answer has the least residual (or a reported rank below n), its reported residual and
estimates are true and finite, or it is refused with an error of :mod:`sketch.errors`
(:mod:`sketch.lstsq_scaling`, :func:`sketch.backend.safe_norm`; checked through
:func:`tests.hostile_calls.exact_norm`, an independent oracle)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sketch
from sketch.errors import NonFiniteError
from tests.hostile_calls import exact_norm

METHODS = ["direct", "fossils", "sketch-and-precondition", "sketch-and-solve"]
G = np.array([[0.12573022], [-0.13210486], [0.64042265]])
B_IN, B_OFF = 0.7 * G[:, 0], np.array([1.0, 2.0, 3.0])
B_NEAR = np.array([0.16395222, -0.17226475, 0.83511117])


def _solve(A, b, method, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sketch.lstsq(A, b, method=method, seed=0, **kw)


def _norm(v):
    return exact_norm(np.asarray(v, dtype=float))


def _check_estimates(res):
    for name in ("backward_error", "forward_error_bound", "sketched_condition"):
        v = getattr(res, name)
        assert v is None or not np.isnan(v), f"{name} is NaN"
    if res.backward_error is not None and res.converged:
        assert res.backward_error <= res.tol and np.isfinite(res.forward_error_bound)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("beta", [1e-300, 1e300])
def test_reported_residual_is_the_true_one_at_extreme_scales(method, beta):
    b = beta * B_OFF
    res = _solve(G, b, method)
    true = _norm(b - G @ res.x)
    assert true > 0 and abs(res.residual_norm - true) <= 1e-10 * true, (res.residual_norm, true)
    _check_estimates(res)


@pytest.mark.parametrize("d, beta, b", [(1e300, 1e300, B_IN), (1e290, 1.0, B_NEAR),
                                        (1e150, 1e300, B_IN), (1e-300, 1e-300, B_NEAR)])
def test_fossils_on_huge_or_tiny_columns_converges_with_finite_estimates(d, beta, b):
    A, b = G * d, beta * b
    res = _solve(A, b, "fossils")
    best = np.linalg.lstsq(G, b / beta, rcond=None)[0] / d * beta
    assert res.converged and res.stop_reason == "converged"
    assert abs(res.x[0] - best[0]) <= 1e-12 * abs(best[0])
    assert abs(res.residual_norm - _norm(b - A @ res.x)) <= 1e-8 * _norm(b)
    _check_estimates(res)
    assert res.forward_error_bound < 1e-12


@pytest.mark.parametrize("method", METHODS)
def test_a_column_of_1e308_is_solved_as_direct_does(method):
    """κ = 1e308 in double: the ones column is below the rank cut-off, as for LAPACK."""
    A = np.column_stack([[1e308, -1e308, 1e308], np.ones(3)])
    y = np.array([1.0, 2.0, 3.0])
    res = _solve(A, y, method)
    ref = _solve(A, y, "direct")
    assert res.rank == ref.rank == 1 and np.any(res.x != 0)
    assert abs(res.residual_norm - ref.residual_norm) <= 1e-12 * ref.residual_norm
    _check_estimates(res)


@pytest.mark.parametrize("method", ["fossils", "sketch-and-solve", "sketch-and-precondition"])
def test_a_right_hand_side_of_1e308_is_solved(method):
    A = np.column_stack([[1.0, 2.0, 3.0], np.ones(3)])
    b = np.array([1e308, -1e308, 1e308])
    res = _solve(A, b, method, sketch="gaussian")
    best = np.linalg.lstsq(A, b / 1e308, rcond=None)[0] * 1e308
    assert _norm(res.x - best) <= 1e-10 * _norm(best)
    assert abs(res.residual_norm - _norm(b - A @ res.x)) <= 1e-8 * res.residual_norm
    _check_estimates(res)


def test_a_solution_beyond_the_largest_float_is_refused_naming_a():
    with pytest.raises(NonFiniteError, match="A"):
        _solve(G * 1e-300, 1e300 * B_IN, "fossils")


def _gaussian(draw):
    """(m, n, rng, G): a drawn size and a well-conditioned Gaussian G (m × n) from its rng."""
    m = draw(st.integers(3, 30))
    n = draw(st.integers(1, min(m, 5)))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    return m, n, rng, rng.standard_normal((m, n))


@st.composite
def scaled_problems(draw):
    """(G, d, b): A = G diag(d) with d of 10^{0, ±150, ±300}, b = beta·(G w + noise)."""
    m, n, rng, Gm = _gaussian(draw)
    d = 10.0 ** np.array(draw(st.lists(st.sampled_from([0, 0, -300, -150, 150, 300]),
                                       min_size=n, max_size=n)), dtype=float)
    noise = draw(st.sampled_from([0.0, 1e-8, 1.0]))
    beta = 10.0 ** draw(st.sampled_from([0, -300, 300]))
    b = beta * (Gm @ rng.standard_normal(n) + noise * rng.standard_normal(m))
    return Gm, d, b


@settings(max_examples=60, deadline=None)
@given(scaled_problems(), st.sampled_from(METHODS))
def test_scaled_problems_get_the_least_residual_and_true_estimates(problem, method):
    Gm, d, b = problem
    A = Gm * d
    try:
        res = _solve(A, b, method)
    except NonFiniteError as exc:  # the solution leaves the precision's range: refused
        assert "rescale A" in str(exc)
        size = np.log10(np.abs(b).max() or 1.0) - np.log10(d)  # about log10 |x_j|
        # or the columns' spread passes 1/u: numerically rank deficient, whose truncated
        # solution is the one that leaves the range
        assert abs(size.max()) > 290 or np.ptp(np.log10(d)) > 16, (size, exc)
        return
    _check_estimates(res)
    assert np.all(np.isfinite(res.x))
    # residuals through G and d·x, with b scaled by its max: no under/overflow in the check
    s = np.abs(b).max() or 1.0
    true = _norm(b / s - Gm @ (d * res.x / s))
    assert abs(res.residual_norm / s - true) <= 1e-8 * (1 + true), (res.residual_norm, true)
    if res.rank < A.shape[1] or method == "sketch-and-solve" or not res.converged:
        return  # a truncated problem, or no claim to the least residual
    best = _norm(b / s - Gm @ np.linalg.lstsq(Gm, b / s, rcond=None)[0])
    assert true <= best * (1 + 1e-6) + 1e-8, (true, best)


def test_a_huge_linear_operator_is_scaled_through_its_products():
    from scipy.sparse.linalg import aslinearoperator

    rng = np.random.default_rng(0)
    Gm = rng.standard_normal((400, 5))
    b = rng.standard_normal(400)
    res = _solve(aslinearoperator(Gm * 1e300), 1e100 * b, None)
    best = np.linalg.lstsq(Gm, b, rcond=None)[0]
    assert res.converged and _norm(res.x * 1e200 - best) <= 1e-12 * _norm(best)
    _check_estimates(res)
    with pytest.raises(NonFiniteError, match="LinearOperator A overflows"):
        _solve(aslinearoperator(Gm * np.array([1e308, 1, 1, 1, 1])), b, None)


@st.composite
def row_scaled_problems(draw):
    """(A, b): rows of [G b] scaled by 10^{0, ±150, ±300} (a weighted problem), G well
    conditioned; every row of A keeps its own scale, so no column is tiny throughout."""
    m, n, rng, Gm = _gaussian(draw)
    e = 10.0 ** np.array(draw(st.lists(st.sampled_from([0, 0, -300, -150, 150, 300]),
                                       min_size=m, max_size=m)), dtype=float)
    b = Gm @ rng.standard_normal(n) + draw(st.sampled_from([0.0, 1.0])) * rng.standard_normal(m)
    return Gm * e[:, None], b * e


@settings(max_examples=60, deadline=None)
@given(row_scaled_problems(), st.sampled_from(METHODS))
def test_row_scaled_problems_get_lapacks_residual_and_true_estimates(problem, method):
    A, b = problem
    try:
        res = _solve(A, b, method)
    except NonFiniteError as exc:
        assert "rescale A" in str(exc) or "overflows" in str(exc)
        return
    _check_estimates(res)
    assert np.all(np.isfinite(res.x))
    true = _norm(b - A @ res.x)
    assert abs(res.residual_norm - true) <= 1e-8 * max(true, _norm(b) * 1e-8), (
        res.residual_norm, true)
    if res.rank < A.shape[1] or method == "sketch-and-solve" or not res.converged:
        return
    ref = _solve(A, b, "direct")
    if ref.rank < A.shape[1]:
        return
    assert true <= ref.residual_norm * (1 + 1e-6) + 1e-12 * _norm(b), (true, ref.residual_norm)


@pytest.mark.parametrize("method", METHODS)
def test_right_hand_sides_of_different_scales_are_scaled_one_by_one(method):
    rng = np.random.default_rng(0)
    Gm = rng.standard_normal((300, 5))
    b = rng.standard_normal(300)
    B = np.stack([1e-300 * b, b, 1e300 * b], axis=1)
    res = _solve(Gm, B, method)
    one = _solve(Gm, b, method)
    for j, s in enumerate([1e-300, 1.0, 1e300]):
        assert _norm(res.x[:, j] / s - one.x) <= 1e-12 * _norm(one.x)
        assert abs(res.residual_norm[j] / s - one.residual_norm) <= 1e-12 * one.residual_norm
    if res.backward_error is not None:  # no estimate lost to underflow (0.0) or overflow
        assert np.all((res.backward_error > 0) & (res.backward_error <= res.tol))
        assert np.all(np.isfinite(res.forward_error_bound) & (res.forward_error_bound < 1e-10))
