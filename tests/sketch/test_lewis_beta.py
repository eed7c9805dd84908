"""Approximate Lewis weights: the factor f they prove, and the ℓp samples sized by it.

:func:`sketch.lewis_lower_factor` claims ``w̃ᵢ ≥ f·wᵢ`` for every row (w the exact ℓp
Lewis weights) with probability ≥ 1 − δ; :func:`sketch.lp_sample` with
``method="approx"`` then draws ``1/β`` times the rows of exact weights,
``β = f·d/Σw̃``, and the sample is an ℓp subspace embedding.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from sketch import (
    approx_leverage_beta,
    approx_leverage_factors,
    approx_sketch_size,
    leverage_scores,
    lewis_lower_factor,
    lewis_weights,
    lp_sample,
    lp_sample_size,
)
from sketch.errors import AccuracyWarning, ToleranceError
from sketch.lewis import LEWIS_SCORE_DISTORTION
from sketch.rng import as_key
from sketch.sensitivity import APPROX_TOL

M, D = 20000, 3


def coherent(seed: int = 1) -> np.ndarray:
    """Student-t (1 dof) rows: very non-uniform weights (Ma, Mahoney and Yu 2015)."""
    return np.random.default_rng(seed).standard_t(1, (M, D))


@pytest.mark.parametrize("kind", ["gauss", "coherent"])
def test_two_sided_score_factors_hold(kind):
    m, d, delta = 3000, 5, 0.05
    rng = np.random.default_rng(3)
    A = rng.standard_t(1, (m, d)) if kind == "coherent" else rng.standard_normal((m, d))
    lev = np.asarray(leverage_scores(A))
    s = approx_sketch_size(d, delta, distortion=0.5)
    for seed in range(3):
        approx = np.asarray(leverage_scores(A, method="approx", sketch_size=s, jl_size=d,
                                            seed=seed))
        lo, hi = approx_leverage_factors(d, m, sketch_size=s, jl_size=d, delta=delta)
        ratio = approx / lev
        assert lo <= ratio.min() and ratio.max() <= hi
    assert hi == pytest.approx(2.0, rel=0.01)  # ε₁ = 1/2: hi = 1/(1 − ε₁)
    # the one-sided lower factor is the one approx_leverage_beta uses: one home
    lo1, hi1 = approx_leverage_factors(d, m, sketch_size=s, jl_size=d, delta=delta,
                                       two_sided=False)
    assert hi1 == np.inf
    assert approx_leverage_beta(d, 5.0, m, sketch_size=s, jl_size=d, delta=delta) == lo1


@pytest.mark.parametrize("p", [1.0, 1.5, 3.0])
def test_approximate_weights_meet_the_proven_factor(p):
    A = coherent()
    w = np.asarray(lewis_weights(A, p).weights)
    s = approx_sketch_size(D, 0.05, distortion=LEWIS_SCORE_DISTORTION)
    for seed in range(2):
        lw = lewis_weights(A, p, method="approx", sketch_size=s, jl_size=D, tol=APPROX_TOL,
                           seed=seed)
        assert lw.converged and lw.sketch_size == s
        f = lewis_lower_factor(lw, p, M, D, delta=0.05)
        assert 0 < f < 1
        assert np.all(np.asarray(lw.weights) >= f * w)


def test_factor_follows_the_contraction_bound():
    """f = exp(−D), D = (ρ + (p/2)η)/(1 − |p/2 − 1|) + αρ, η from the score factors."""
    A = coherent()
    s = approx_sketch_size(D, 0.05, distortion=LEWIS_SCORE_DISTORTION)
    lo, hi = approx_leverage_factors(D, M, sketch_size=s, jl_size=D, delta=0.05)
    eta = max(-np.log(lo), np.log(hi))
    for p, alpha in ((1.0, 1.0), (3.0, 0.8)):
        lw = lewis_weights(A, p, method="approx", sketch_size=s, jl_size=D, tol=APPROX_TOL,
                           seed=0)
        rho = lw.residual
        want = np.exp(-((rho + p / 2 * eta) / (1 - abs(p / 2 - 1)) + alpha * rho))
        assert lewis_lower_factor(lw, p, M, D, delta=0.05) == pytest.approx(want, rel=1e-12)
    # exact weights: f from the residual alone; p = 2: the scores' one-sided factor
    exact = lewis_weights(A, 1.0)
    assert lewis_lower_factor(exact, 1.0, M, D, delta=0.05) == pytest.approx(1.0, abs=1e-7)
    lw2 = lewis_weights(A, 2, method="approx", sketch_size=s, jl_size=D, seed=0)
    assert lewis_lower_factor(lw2, 2, M, D, delta=0.05) == lo_one_sided(s)
    with pytest.raises(ToleranceError, match="p >= 4"):
        lewis_lower_factor(exact, 4.0, M, D, delta=0.05)


def lo_one_sided(s: int) -> float:
    return approx_leverage_factors(D, M, sketch_size=s, jl_size=D, delta=0.05,
                                   two_sided=False)[0]


@pytest.mark.parametrize("p, scheme", [(1.0, "lewis"), (3.0, "lewis"), (1.0, "sensitivity"),
                                       (3.0, "combined")])
def test_sample_size_grows_by_the_stated_factor(p, scheme):
    """Today's main sized approximate weights as exact ones (β = 1, all of δ)."""
    A, eps, delta = coherent(), 0.5, 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # converges at its default tol, no warning
        smp = lp_sample(A, p, eps, delta, scheme=scheme, method="approx", seed=0)
    s = approx_sketch_size(D, delta / 2, distortion=LEWIS_SCORE_DISTORTION)
    lw = lewis_weights(A, p, method="approx", sketch_size=s, jl_size=D, tol=APPROX_TOL,
                       seed=as_key(0).child("lewis"))
    f = lewis_lower_factor(lw, p, M, D, delta=delta / 2)
    w = np.asarray(lw.weights)
    if scheme == "lewis":
        beta = f * D / w.sum()
        want = lp_sample_size(D, p, eps, delta / 2, beta=beta)
        assert smp.required_size == want
        assert smp.required_size >= lp_sample_size(D, p, eps, delta) / beta
    else:
        u = np.minimum(1.0, w * D ** max(0.0, p / 2 - 1))
        want = lp_sample_size(D, p, eps, delta / 2, scheme=scheme, total=u.sum() / f)
        assert smp.required_size == want
    exact = lp_sample(A, p, eps, delta, scheme=scheme, seed=0)
    assert smp.required_size > 2 * exact.required_size


@pytest.mark.parametrize("p", [1.0, 3.0])
def test_approximate_sample_is_an_lp_embedding(p):
    """(1 ± ε)‖Ax‖_p^p on coordinate directions, along the heaviest rows, orthogonal to
    pairs of them (where the rest of A must carry ‖Ax‖_p) and on random ones."""
    A, eps = coherent(), 0.3
    smp = lp_sample(A, p, eps, 0.1, method="approx", seed=2)
    assert smp.indices.shape[0] < M  # a sample, not all rows
    rng = np.random.default_rng(0)
    big = np.argsort(-np.abs(A).sum(axis=1))[:20]
    pairs = [np.cross(A[i], A[j]) for i in big[:8] for j in big[:8] if i < j]
    X = np.hstack([np.eye(D), A[big].T, np.array(pairs).T, rng.standard_normal((D, 300))])
    full = (np.abs(A @ X) ** p).sum(axis=0)
    sub = (smp.weights[:, None] * np.abs(A[smp.indices] @ X) ** p).sum(axis=0)
    ratio = sub / full
    assert np.all(np.abs(ratio - 1) <= eps), (ratio.min(), ratio.max())


def test_p4_with_approx_weights_warns():
    A = coherent()[:4000]
    with pytest.warns(AccuracyWarning, match="p >= 4"):
        lp_sample(A, 4.5, 0.5, method="approx", seed=0)


def test_sketch_sizes_need_the_approximate_method():
    with pytest.raises(ValueError, match="method='approx'"):
        lewis_weights(coherent()[:100], 1, sketch_size=50)
