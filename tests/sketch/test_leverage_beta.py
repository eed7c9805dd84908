"""The proven β of approximate leverage scores, and the sampling guarantee it gives.

:func:`sketch.approx_leverage_beta` claims ``qᵢ = ℓ̃ᵢ/Σℓ̃ ≥ β ℓᵢ/r`` for every row with
probability ≥ 1 − δ₁ (δ₁ = δ/2 in :func:`sketch.leverage_sample`); the sample sized with
that β is then an ε-subspace embedding with probability ≥ 1 − δ. Families: Gaussian, one
coherent row, a few huge rows, rank deficiency (equal columns), graded columns and rows,
Cauchy entries (Ma, Mahoney and Yu 2015) and a sparse matrix with empty rows.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st

from sketch import (
    approx_leverage_beta,
    approx_sketch_size,
    jl_lower_factor,
    leverage_sample,
    leverage_sample_size,
    leverage_scores,
)
from sketch.errors import AccuracyWarning, ToleranceError

FAMILIES = ("gauss", "coherent", "huge-rows", "equal-columns", "graded-columns",
            "graded-rows", "cauchy", "sparse")


def hostile(kind: str, m: int, d: int, seed: int):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, d))
    if kind == "coherent":
        A[0] *= 1e3
    elif kind == "huge-rows":
        A[:d] += 1e4 * np.eye(d)  # d rows of leverage ≈ 1, one per direction
    elif kind == "equal-columns":
        A[:, -1] = A[:, 0]
    elif kind == "graded-columns":
        A *= np.logspace(0, -6, d)
    elif kind == "graded-rows":
        A *= np.logspace(0, -8, m)[:, None]
    elif kind == "cauchy":
        A = rng.standard_t(1, (m, d))
    elif kind == "sparse":
        A = scipy.sparse.random(m, d, density=0.05, random_state=seed, format="csr")
        A = A + scipy.sparse.eye(m, d, format="csr")  # full rank, most rows empty
    return A


def exact_scores(A) -> tuple[np.ndarray, int]:
    lev = np.asarray(leverage_scores(A))
    return lev, round(float(lev.sum()))


@given(st.sampled_from(FAMILIES), st.integers(0, 2**16), st.sampled_from([None, 2, 3]))
@settings(max_examples=24)
def test_approximate_scores_meet_the_proven_beta(kind, seed, jl):
    """Every row's ratio ``qᵢ r/ℓᵢ`` is at least β, with the sizes leverage_sample uses
    (no JL step) and with a narrow JL step (where β is far below 1/2)."""
    m, d, delta1 = 3000, 5, 0.05
    A = hostile(kind, m, d, seed)
    lev, rank = exact_scores(A)
    s = approx_sketch_size(d, delta1 if jl is None else delta1 / 2)
    assert s <= m // 2  # the approximate path of leverage_sample, not its exact fallback
    approx = np.asarray(leverage_scores(A, method="approx", sketch_size=s, jl_size=jl or d,
                                        seed=seed))
    beta = approx_leverage_beta(rank, float(approx.sum()), m, sketch_size=s, jl_size=jl or d,
                                delta=delta1)
    live = lev > 1e-12 * lev.max()
    ratio = approx[live] / approx.sum() * rank / lev[live]
    assert ratio.min() >= beta, f"{kind}: min q r/l = {ratio.min():.3g} < beta = {beta:.3g}"
    if jl is None:
        assert beta > 0.45  # the proven sketch gives about 1/2 (ε₁ = 0.9)


def embedding_distortion(U: np.ndarray, smp) -> float:
    SU = smp.apply(U)
    return float(np.abs(np.linalg.eigvalsh(SU.T @ SU) - 1).max())


def test_approximate_leverage_sample_meets_delta():
    """30 samples at eps = 0.5, delta = 0.1 over huge-row, coherent and graded matrices:
    at most 8 fail (P(Bin(30, 0.1) ≥ 9) < 0.3 %). The Bernstein size has more slack
    than 2×, so this frequency cannot see a β wrong by 2× (the property test above
    does). Measured with the old rule (β = 1/2 whatever the JL width) on huge rows:
    22 of 30 failed with a one-column JL step, 6 of 30 with two columns; the proven
    β makes such narrow JL steps cost millions of draws instead."""
    m, d, eps, delta = 8000, 8, 0.5, 0.1
    fails = 0
    for seed in range(30):
        A = hostile(("huge-rows", "coherent", "graded-columns")[seed % 3], m, d, seed)
        U = np.linalg.qr(A)[0]
        smp = leverage_sample(A, eps, delta, method="approx", seed=seed)
        assert smp.required_size != leverage_sample_size(d, eps, delta)  # approximate path
        fails += embedding_distortion(U, smp) > eps
    assert fails <= 8


def test_exact_fallback_and_sizes():
    """Where the proven sketch would have m/2 rows or more, the scores are exact (β = 1)."""
    A = hostile("gauss", 2000, 10, 0)
    smp = leverage_sample(A, 0.5, 0.1, method="approx", seed=0)
    assert approx_sketch_size(10, 0.05) >= 1000
    assert smp.required_size == leverage_sample_size(10, 0.5, 0.1)
    assert approx_sketch_size(10, 0.05) == 8 * math.ceil(110 / (0.81 * 0.05) / 8)


def test_jl_lower_factor_is_the_chi_square_tail():
    """x solves m·exp(k(1 − x + ln x)/2) = δ; the empirical tail of χ²_k/k agrees."""
    k, m, delta = 20, 1000, 0.1
    x = jl_lower_factor(k, m, delta)
    assert m * math.exp(k * (1 - x + math.log(x)) / 2) == pytest.approx(delta, rel=1e-9)
    draws = np.random.default_rng(0).chisquare(k, size=(200, m)) / k
    assert np.mean(draws.min(axis=1) < x) <= delta  # the union bound is conservative
    assert jl_lower_factor(2 * k, m, delta) > x  # wider JL, tighter factor


def test_unproven_sizes_warn_and_refuse():
    with pytest.raises(ToleranceError, match="sketch_size >="):
        approx_leverage_beta(10, 10.0, 10**5, sketch_size=80, delta=0.05)
    with pytest.raises(ValueError, match="srht"):
        approx_leverage_beta(10, 10.0, 10**5, sketch_size=10**5, delta=0.05, sketch="srht")
    A = hostile("gauss", 8000, 8, 1)
    with pytest.warns(AccuracyWarning, match="beta=1/2"):
        smp = leverage_sample(A, 0.5, 0.1, method="approx", seed=0, sketch_size=64)
    assert smp.required_size == leverage_sample_size(8, 0.5, 0.05, beta=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        leverage_sample(A, 0.5, 0.1, method="approx", seed=0)  # proven: no warning


def test_dask_sample_uses_the_same_rule():
    da = pytest.importorskip("dask.array")
    A = hostile("huge-rows", 8000, 6, 2)
    ref = leverage_sample(A, 0.5, 0.1, method="approx", seed=3)
    got = leverage_sample(da.from_array(A, chunks=2000), 0.5, 0.1, method="approx", seed=3)
    assert got.required_size == ref.required_size != leverage_sample_size(6, 0.5, 0.1)
    np.testing.assert_array_equal(np.asarray(got.indices), ref.indices)
