"""Sizes from the user are bounded before anything is allocated, useless sizes are clamped
with a warning, and nothing loops forever (issue 16's reported cases)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse.linalg as spla

import sketch
from sketch.errors import InsufficientMemoryError, SizeWarning

HUGE = 10**12


@pytest.fixture
def A():
    return np.random.default_rng(0).standard_normal((50, 4))


@pytest.mark.parametrize("method", ["jl", "countsketch"])
def test_linear_coordinated_sketch_refuses_huge_size(A, method):
    with pytest.raises(InsufficientMemoryError, match="size=1000000000000"):
        sketch.coordinated_sketch(A, method, HUGE, seed=0)


@pytest.mark.parametrize("method", ["priority", "threshold"])
def test_sampled_coordinated_sketch_with_huge_budget_keeps_every_row(A, method):
    S = sketch.coordinated_sketch(A, method, HUGE, seed=0)
    assert len(S) == A.shape[0]
    est = sketch.estimate_product(S, S).value
    assert np.allclose(est, A.T @ A)


def test_samplers_refuse_huge_sizes(A):
    with pytest.raises(InsufficientMemoryError, match="size=1000000000000"):
        sketch.cluster_sensitivity_sample(A, 3, size=HUGE, seed=0)
    with pytest.raises(InsufficientMemoryError, match="size=1000000000000"):
        sketch.leverage_sample(A, size=HUGE, seed=0)
    with pytest.raises(InsufficientMemoryError, match="size=1000000000000"):
        sketch.sparsify(nx.cycle_graph(10), size=HUGE, method="exact", seed=0)
    with pytest.raises(InsufficientMemoryError, match="m=1000000000000"):
        sketch.uniform_sample(HUGE, 5)


def test_approx_leverage_with_a_sketch_longer_than_A_is_exact(A):
    exact = sketch.leverage_scores(A)
    with pytest.warns(SizeWarning, match="sketch_size=1000000000000"):
        lev = sketch.leverage_scores(A, method="approx", sketch_size=HUGE, seed=0)
    assert np.allclose(lev, exact)
    op = spla.aslinearoperator(A)
    with pytest.warns(SizeWarning, match="cut to 50 rows"):
        lev = sketch.leverage_scores(op, method="approx", sketch_size=HUGE, seed=0)
    assert lev.shape == (50,) and np.all(np.isfinite(lev))
    # A JL projection at least as wide as the rank is skipped (so any such jl_size gives
    # the same scores): only the first sketch's embedding error remains.
    kw = dict(method="approx", sketch="gaussian", sketch_size=40, seed=0)
    lev4 = sketch.leverage_scores(A, jl_size=4, **kw)
    assert np.array_equal(lev4, sketch.leverage_scores(A, jl_size=400, **kw))
    assert not np.array_equal(lev4, sketch.leverage_scores(A, jl_size=3, **kw))
    assert np.all((lev4 > exact / 4) & (lev4 < 4 * exact))


@pytest.mark.parametrize("fn", [sketch.dkm_matmul, lambda A, B, c: sketch.chain_matmul(
    A, B, samples=c), sketch.random_walk_matmul])
def test_sampled_products_refuse_huge_sample_counts(A, fn):
    with pytest.raises(InsufficientMemoryError):
        fn(np.abs(A.T), np.abs(A), HUGE)


def test_sketched_product_longer_than_the_inner_dimension_is_exact_and_fast():
    A = np.random.default_rng(1).standard_normal((10, 300))
    for size in (10**6, HUGE):
        with pytest.warns(SizeWarning, match="inner dimension n=300"):
            res = sketch.sketched_matmul(A, A.T, size, seed=0)
        assert res.method == "exact" and res.samples == 0 and res.error_estimate == 0
        assert np.allclose(res.value, A @ A.T)
    # At the inner dimension itself the estimator is still a sketch.
    assert sketch.sketched_matmul(A, A.T, 300, seed=0).method == "sketch-gaussian"


def test_sample_size_from_a_tiny_eps_is_refused_not_overflowed(A):
    with pytest.raises(sketch.errors.ToleranceError, match="eps"):
        sketch.dkm_matmul(A.T, A, eps=1e-200)
    with pytest.raises(sketch.errors.ToleranceError, match="eps"):
        sketch.coreset_size(3, 1e-200)
    with pytest.raises(sketch.errors.ToleranceError, match="p="):
        sketch.lp_sample_size(3, 1300.0, 0.5)


def test_kaczmarz_check_every_zero_is_refused_not_a_hang(A):
    b = A @ np.ones(4)
    with pytest.raises(ValueError, match="check_every"):
        sketch.randomized_kaczmarz(A, b, check_every=0)
    with pytest.raises(ValueError, match="maxiter"):
        sketch.randomized_kaczmarz(A, b, maxiter=-1)
    with pytest.raises(sketch.errors.ToleranceError, match="tol"):
        sketch.randomized_kaczmarz(A, b, tol=float("nan"))
    # A check interval longer than the run is fine and bounded in memory.
    res = sketch.randomized_kaczmarz(A, b, check_every=HUGE, maxiter=20_000, seed=0)
    assert res.converged and res.iterations == 20_000


def test_float16_and_other_unsupported_dtypes_are_refused_by_name(A):
    for dt in (np.float16, np.longdouble, np.int64, np.bool_):
        with pytest.raises(TypeError, match=r"A has dtype .*float32, float64"):
            sketch.leverage_scores(A.astype(dt))


def test_complex_points_are_refused_by_clustering(A):
    with pytest.raises(TypeError, match="X is complex"):
        sketch.cluster_sensitivity_sample(A + 1j * A, 3, size=10, seed=0)
    with pytest.raises(TypeError, match="X is complex"):
        sketch.kmeans(A + 1j * A, 3, seed=0)


def test_lewis_weights_stay_finite_for_large_p(A):
    """p = 176 gave NaN weights (φ underflowed to 0, then log 0); the iteration is slow there
    (damping 4/(p+2)) but its weights stay finite and near the fixed point's sum d."""
    with pytest.warns(sketch.errors.ConvergenceWarning):
        lw = sketch.lewis_weights(A, 176.0, maxiter=200)
    assert np.all(np.isfinite(lw.weights)) and np.all(lw.weights >= 0)
    assert lw.weights.sum() == pytest.approx(4, rel=0.01)  # Lewis weights sum to the rank
