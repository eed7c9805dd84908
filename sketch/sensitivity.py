"""ℓp Lewis weights, ℓp sensitivities, root leverage scores and ℓp row samplers.

For A (m × d) and 1 ≤ p < ∞:

* the **ℓp sensitivity** of row i is ``σᵢ = sup_x |aᵢᵀx|^p / ‖Ax‖_p^p``; the total
  sensitivity 𝔖 = Σσᵢ is at most ``d^{max(1, p/2)}`` (and = d for p = 2, where
  σᵢ is the leverage score);
* the **ℓp Lewis weights** are the unique w > 0 with
  ``wᵢ = (aᵢᵀ (AᵀW^{1−2/p}A)⁻¹ aᵢ)^{p/2}`` (Lewis 1978), Σwᵢ = d. They bound the
  sensitivities: ``σᵢ ≤ wᵢ`` for p ≤ 2 and ``σᵢ ≤ d^{p/2−1} wᵢ`` for p > 2 (by
  Cauchy–Schwarz in the Lewis basis, then Hölder);
* the **root leverage scores** ``ℓᵢ^{p/2}`` bound σᵢ for p ≤ 2, because
  ``|aᵢᵀx| ≤ √ℓᵢ ‖Ax‖₂ ≤ √ℓᵢ ‖Ax‖_p``.

Sampling rows with probabilities proportional to any of these and reweighting
(:class:`~sketch.rowsample.Sample`) gives an ℓp subspace embedding
``(1 ± ε)‖Ax‖_p^p`` for all x; :func:`lp_sample_size` states the sizes.

Examples
--------
>>> import numpy as np
>>> A = np.random.default_rng(0).standard_normal((300, 4))
>>> u = lp_sensitivities(A, 1)   # upper bounds: at most 1 each, d = 4 in total
>>> bool(u.max() <= 1), round(float(u.sum()), 6)
(True, 4.0)
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from .backend import array_module, compat, device
from .checks import (
    check_computed_size,
    check_matrix,
    check_positive_int,
    check_tolerance,
)
from .errors import AccuracyWarning, ToleranceError
from .leverage import _approx_score_options, column_basis, leverage_scores
from .leverage_sizes import SCORE_DISTORTION
from .lewis import LEWIS_SCORE_DISTORTION, LewisWeights, lewis_lower_factor, lewis_weights
from .lpregression import check_p, lp_regression
from .rng import as_key
from .rowsample import Sample, sample_rows

__all__ = [
    "lp_sensitivities",
    "root_leverage_scores",
    "lp_sample_size",
    "lp_sample",
    "SCHEMES",
]

#: Default ``tol`` of approximate Lewis weights in :func:`lp_sample`: fresh scores in every
#: step keep the residual ρ near their noise (0.03-0.07 measured with the proven sketch,
#: d = 3), so the default 1e-8 only ran to ``maxiter``; ρ ≤ 0.1 costs f at most a factor
#: exp(−0.1(1/(1 − |p/2 − 1|) + α)) (:func:`~sketch.lewis.lewis_lower_factor`).
APPROX_TOL = 0.1

#: Sampling schemes of :func:`lp_sample`.
SCHEMES = ("lewis", "sensitivity", "root-leverage", "combined", "leverage")


def root_leverage_scores(A: Any, p: float, **options: Any) -> Any:
    """Root leverage scores ``ℓᵢ^{p/2}`` (for p = 1 the square roots of the leverage scores).

    For 1 ≤ p ≤ 2 they upper-bound the ℓp sensitivities (module notes); Woodruff
    and Yasuda (2023), "Sharper bounds for ℓp sensitivity sampling", analyse
    root leverage score sampling for 1 ≤ p < 2. Options go to
    :func:`~sketch.leverage.leverage_scores`.

    Examples
    --------
    >>> import numpy as np
    >>> np.round(root_leverage_scores(np.vstack([np.eye(2), np.eye(2)]), 1), 12).tolist()
    [0.707106781187, 0.707106781187, 0.707106781187, 0.707106781187]
    """
    p = check_p(p)
    lev = leverage_scores(A, **options)
    xp = compat(array_module(lev))
    return xp.clip(lev, min=0.0) ** (p / 2.0)


def _exact_sensitivity_row(A: Any, i: int, p: float, xp: Any) -> float:
    # σᵢ = 1 / min{‖Ax‖_p^p : aᵢᵀx = 1}; parametrise x = x₀ + N z with N ⟂ aᵢ.
    a = A[i]
    na2 = float(xp.real(xp.vdot(a, a)))
    if na2 == 0.0:
        return 0.0
    x0 = a.conj() / na2
    d = A.shape[1]
    if d == 1:
        return float(xp.abs(A[i, 0]) ** p / xp.sum(xp.abs(A[:, 0]) ** p))
    Qf, _ = xp.linalg.qr(a.conj().reshape(-1, 1), mode="complete")
    N = Qf[:, 1:]
    res = lp_regression(A @ N, -(A @ x0), p, tol=1e-12, maxiter=500)
    return float(1.0 / res.cost**p)


def lp_sensitivities(A: Any, p: float, *, method: str = "lewis", **options: Any) -> Any:
    """ℓp sensitivities ``σᵢ = sup_x |aᵢᵀx|^p / ‖Ax‖_p^p`` (exact or upper bounds).

    Parameters
    ----------
    A : array or sparse matrix (m × d)
    p : float
        1 ≤ p < ∞.
    method : {"lewis", "root-leverage", "exact"}
        ``"lewis"``: the upper bounds ``min(1, d^{max(0, p/2−1)} wᵢ)`` from the ℓp
        Lewis weights (total ≤ d^{max(1, p/2)}). ``"root-leverage"``: ``ℓᵢ^{p/2}``
        (p ≤ 2 only). ``"exact"``: one ℓp regression per row,
        ``σᵢ = 1/min{‖Ax‖_p^p : aᵢᵀx = 1}`` — O(m) solves, for small m (tests,
        studies of the total sensitivity as in Padmanabhan, Woodruff and Zhang 2023).
    **options
        Passed to :func:`lewis_weights` / leverage scores.

    Returns
    -------
    array (m,)

    Examples
    --------
    >>> import numpy as np
    >>> A = np.vstack([np.eye(2), np.eye(2)])
    >>> np.round(lp_sensitivities(A, 1, method="exact"), 6).tolist()
    [0.5, 0.5, 0.5, 0.5]
    """
    p = check_p(p)
    check_matrix(A, "A")
    xp = compat(array_module(A))
    m, d = A.shape
    if method == "lewis":
        return _sensitivity_bounds(lewis_weights(A, p, **options).weights, p, d, xp)
    if method == "root-leverage":
        if p > 2:
            raise ValueError("root leverage scores bound the sensitivities only for p <= 2; "
                             "use method='lewis' for p > 2")
        return xp.clip(root_leverage_scores(A, p, **options), max=1.0)
    if method == "exact":
        # σᵢ depends on range(A) only (Ax = U y): on A itself, a rank-deficient A (two equal
        # columns) left a direction A N of rounding size 1e-16 that the ℓp regression
        # followed to z = 3e15, reporting σ = 4.1 > 1
        U = column_basis(A)
        return xp.asarray([_exact_sensitivity_row(U, i, p, xp) for i in range(m)],
                          device=device(U))
    raise ValueError(f"method must be 'lewis', 'root-leverage' or 'exact', got {method!r}")


def _sensitivity_bounds(w: Any, p: float, d: int, xp: Any) -> Any:
    """``min(1, d^{max(0, p/2−1)} wᵢ)``: the sensitivity bounds from Lewis weights w."""
    factor = math.exp(min(max(0.0, p / 2 - 1) * math.log(d), 700.0))  # no overflow
    return xp.clip(w * factor, max=1.0)


def _sampling_weights(A: Any, p: float, delta: float, key: Any,
                      options: dict) -> tuple[LewisWeights, float, float]:
    """Lewis weights for :func:`lp_sample`, their lower factor f and the sample's δ.

    Approximate weights take δ/2 for their f (:func:`lewis_lower_factor`) from a score
    sketch of :func:`~sketch.leverage_sizes.approx_sketch_size` rows (ε₁ =
    :data:`LEWIS_SCORE_DISTORTION`; for p = 2, the sampling one), and leave δ/2 to the
    sample, and stop at ``tol=``:data:`APPROX_TOL` unless the caller set one; where that
    sketch would have m/2 rows or more, exact weights are computed instead (as
    :func:`~sketch.leverage.leverage_sample` does). Exact weights have f = 1
    once converged; an unconverged run has the f of its residual.
    """
    m, d = A.shape
    opts = dict(options)
    score_delta = delta
    if opts.get("method", "exact") == "approx":
        eps1 = SCORE_DISTORTION if p == 2 else LEWIS_SCORE_DISTORTION
        sizes = _approx_score_options(m, d, delta / 2, {}, eps1)
        if sizes is None:
            opts["method"] = "exact"
        else:
            opts.update(sizes)
            opts.setdefault("tol", APPROX_TOL)
            score_delta = delta = delta / 2
    lw = lewis_weights(A, p, seed=key, **opts)
    if lw.converged and lw.sketch_size == 0:
        return lw, 1.0, delta
    try:
        f = lewis_lower_factor(lw, p, m, d, delta=score_delta)
    except ValueError as err:  # p >= 4, or a sketch the bound does not cover
        warnings.warn(f"{err}; sized as if the Lewis weights were exact, the delta guarantee "
                      "does not hold", AccuracyWarning, stacklevel=3)
        f = 1.0
    return lw, f, delta


def lp_sample_size(
    d: int,
    p: float,
    eps: float,
    delta: float = 0.1,
    *,
    scheme: str = "lewis",
    total: float | None = None,
    beta: float = 1.0,
) -> int:
    """Rows that an ℓp subspace embedding ``(1±ε)‖Ax‖_p^p`` asks for, by scheme.

    All sizes are ``C · N · ln(2d/δ) / ε²`` with the matrix-Bernstein constant
    ``C = 2(1 + ε/3)`` (exact for p = 2, see
    :func:`~sketch.leverage.leverage_sample_size`) and N the order in the source:

    * ``"lewis"`` — Cohen and Peng (2015): N = d^{max(1, p/2)} (their ε-exponent
      for p > 2 is worse, ε⁻⁵; we keep ε⁻²);
    * ``"sensitivity"`` — Woodruff and Yasuda (2023): N = 𝔖^{2/p} for p < 2,
      𝔖^{2−2/p} for p > 2 (𝔖 for p = 2), 𝔖 = ``total`` (Σ of the scores used);
    * ``"root-leverage"`` (p < 2) — Woodruff and Yasuda (2023): roughly N = d;
    * ``"combined"`` (p > 2, leverage + sensitivity) — Woodruff and Yasuda (2023):
      N = d^{2/p} 𝔖^{2−4/p};
    * ``"leverage"`` — N = d for p = 2 (for p ≠ 2, N = d^{max(1,p/2)}·m-free bound of
      the Lewis scheme is used, since leverage scores are Lewis weights only for p = 2).

    Polylogarithmic factors beyond ln(2d/δ) are dropped, so the constants are
    practical rather than those of the theorems.

    ``beta``: the probabilities are only ``qᵢ ≥ β·(the scheme's)``, e.g. ``qᵢ ≥ β wᵢ/d``
    for approximate Lewis weights (:func:`lewis_lower_factor`); every term of the
    matrix-Bernstein (or chaining) bound grows by 1/β, and so does the size (Drineas,
    Mahoney and Muthukrishnan 2006 for ℓ2; Cohen and Peng 2015, whose sampling lemma
    takes any overestimates of the weights, for ℓp). For the sensitivity schemes pass
    instead the ``total`` of valid upper bounds (approximate ones divided by their f).

    Examples
    --------
    >>> lp_sample_size(5, 1, 0.5)
    215
    >>> lp_sample_size(5, 4, 0.5) > lp_sample_size(5, 1, 0.5)
    True
    >>> lp_sample_size(5, 1, 0.5, beta=0.5)
    430
    """
    d = check_positive_int(d, "d")
    p = check_p(p)
    eps = check_tolerance(eps, "eps", upper=1)
    delta = check_tolerance(delta, "delta", upper=1)
    total = None if total is None else check_tolerance(total, "total")
    beta = check_tolerance(beta, "beta", upper=1 + 1e-15)
    try:
        return _lp_size(d, p, eps, delta, scheme, total, beta)
    except OverflowError:
        raise ToleranceError(f"the sample size for d={d}, p={p}, eps={eps} overflows; lower p "
                             "or raise eps") from None


def _lp_size(d: int, p: float, eps: float, delta: float, scheme: str,
             total: float | None, beta: float) -> int:
    S = float(total) if total is not None else float(d) ** max(1.0, p / 2)
    if scheme in ("lewis", "leverage"):
        N = d ** max(1.0, p / 2)
    elif scheme == "sensitivity":
        N = S ** (2 / p) if p < 2 else S ** (2 - 2 / p) if p > 2 else S
    elif scheme == "root-leverage":
        if p > 2:
            raise ValueError("root-leverage sampling is for 1 <= p <= 2; use 'combined' or "
                             "'lewis' for p > 2")
        N = float(d)
    elif scheme == "combined":
        if p <= 2:
            raise ValueError("the combined leverage+sensitivity scheme is for p > 2; use "
                             "'root-leverage' or 'lewis' for p <= 2")
        N = d ** (2 / p) * S ** (2 - 4 / p)
    else:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")
    return check_computed_size(2 * (1 + eps / 3) * (N / beta) * math.log(2 * d / delta) / eps / eps,
                               f"the sample size for d={d}, p={p}, eps={eps}, delta={delta}",
                               fix="lower p or raise eps or delta")


def lp_sample(
    A: Any,
    p: float,
    eps: float = 0.5,
    delta: float = 0.1,
    *,
    scheme: str = "lewis",
    size: int | None = None,
    seed: Any = None,
    **options: Any,
) -> Sample:
    """Sample rows of A for an ℓp subspace embedding, with the size its guarantee asks for.

    Probabilities by ``scheme``:

    * ``"lewis"``: ∝ ℓp Lewis weights (Cohen–Peng 2015);
    * ``"sensitivity"``: ∝ the Lewis-weight sensitivity bounds of
      :func:`lp_sensitivities` (Woodruff–Yasuda 2023 sizes with 𝔖 their sum);
    * ``"root-leverage"`` (p ≤ 2): ∝ ½ ℓᵢ^{p/2}/Σℓ^{p/2} + ½ ℓᵢ/d — root leverage
      scores (Woodruff–Yasuda 2023) mixed half-and-half with leverage scores
      (the "ℓ2 augmentation" of Munteanu and Omlor 2024), which keeps rows of
      high leverage from being missed;
    * ``"combined"`` (p > 2): ∝ ½ ℓᵢ/d + ½ uᵢ/𝔖 with u the sensitivity bounds
      (Woodruff–Yasuda 2023);
    * ``"leverage"``: ∝ leverage scores (the ℓ2 scheme, for comparison).

    Draws are i.i.d. with weights ``1/(size·qᵢ)``; use ``sample.apply(A, p)``.
    If the required size reaches m, all rows are returned with weight 1 (an
    exact "sample").

    Parameters
    ----------
    A : array or sparse matrix (m × d)
    p : float
        1 ≤ p < ∞.
    eps, delta : float
        Target distortion and failure probability.
    scheme : str
        One of :data:`SCHEMES`.
    size : int, optional
        Override the size; below the required size warns (AccuracyWarning).
    seed : None, int or Generator
    **options
        Passed to :func:`lewis_weights`: ``tol``, ``maxiter``, ``method``. With
        ``method="approx"`` the weights (schemes "lewis", "sensitivity", "combined")
        are only within a factor f of the true ones (:func:`~sketch.lewis.lewis_lower_factor`,
        with δ/2; the sample gets the other δ/2): the "lewis" size grows by
        ``1/β = Σw̃/(f·d)`` and the sensitivity schemes' total by 1/f. Their scores come
        from a sketch of :func:`~sketch.leverage_sizes.approx_sketch_size` rows at
        ε₁ = 1/2, or are exact where that sketch would have m/2 rows or more.

    Returns
    -------
    Sample

    Examples
    --------
    >>> import numpy as np
    >>> A = np.random.default_rng(0).standard_normal((20000, 3))
    >>> smp = lp_sample(A, 1, eps=0.5, seed=0)
    >>> x = np.array([1.0, -2.0, 0.5])
    >>> ratio = np.sum(smp.weights * np.abs(A[smp.indices] @ x)) / np.sum(np.abs(A @ x))
    >>> bool(abs(ratio - 1) < 0.5)
    True
    """
    p = check_p(p)
    check_matrix(A, "A")
    key = as_key(seed)
    xp = compat(array_module(A))
    m, d = A.shape
    lw_opts = {k: v for k, v in options.items() if k in ("tol", "maxiter", "method")}
    if set(options) - set(lw_opts):
        raise TypeError(f"unknown option(s) {', '.join(sorted(set(options) - set(lw_opts)))}; "
                        "lp_sample passes only tol, maxiter and method to lewis_weights")
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")
    total, beta, delta_s = None, 1.0, delta
    if scheme in ("lewis", "sensitivity", "combined"):
        lw, f, delta_s = _sampling_weights(A, p, delta, key.child("lewis"), lw_opts)
    if scheme == "leverage":
        q = xp.clip(leverage_scores(A), min=0.0)
    elif scheme == "lewis":
        q = lw.weights
        beta = min(1.0, f * d / float(xp.sum(q))) if f < 1 else 1.0
    elif scheme == "sensitivity":
        q = _sensitivity_bounds(lw.weights, p, d, xp)
        total = float(xp.sum(q)) / f
    elif scheme == "root-leverage":
        if p > 2:
            raise ValueError("root-leverage sampling is for 1 <= p <= 2; use scheme='combined' "
                             "or 'lewis' for p > 2")
        lev = xp.clip(leverage_scores(A), min=0.0)
        r = lev ** (p / 2)
        q = 0.5 * r / xp.sum(r) + 0.5 * lev / xp.sum(lev)
    else:  # combined
        if p <= 2:
            raise ValueError("scheme='combined' is for p > 2; use 'root-leverage' or 'lewis'")
        lev = xp.clip(leverage_scores(A), min=0.0)
        u = _sensitivity_bounds(lw.weights, p, d, xp)
        total = float(xp.sum(u))
        q = 0.5 * lev / xp.sum(lev) + 0.5 * u / total
        total /= f
    need = lp_sample_size(d, p, eps, delta_s, scheme=scheme, total=total, beta=beta)
    s = need if size is None else check_positive_int(size, "size")
    if s < need:
        warnings.warn(f"{s} rows are fewer than the {need} that scheme={scheme!r} needs for an "
                      f"eps={eps} l{p:g} subspace embedding (delta={delta}); the guarantee "
                      f"does not hold", AccuracyWarning, stacklevel=2)
    if size is None and need >= m:
        dev = device(A)
        idx = xp.arange(m, dtype=xp.int64, device=dev)
        return Sample(indices=idx, weights=xp.ones(m, dtype=xp.float64, device=dev),
                      probabilities=xp.full(m, 1.0 / m, dtype=xp.float64, device=dev),
                      required_size=need, scheme=scheme + " (all rows)")
    return sample_rows(q, s, key.child("draw"), scheme=scheme, required_size=need)
