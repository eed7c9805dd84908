"""ℓp Lewis weights: the fixed-point iteration and how far its result may be from the truth.

The ℓp Lewis weights of A (m × d, 1 ≤ p < ∞) are the unique w > 0 with
``wᵢ = (aᵢᵀ (AᵀW^{1−2/p}A)⁻¹ aᵢ)^{p/2}`` (Lewis 1978), Σwᵢ = d.
:func:`lewis_weights` computes them (Cohen and Peng 2015), with exact or approximate
leverage scores in each step; :func:`lewis_lower_factor` states the factor f with
``w̃ ≥ f·w`` that a result proves, which :func:`~sketch.sensitivity.lp_sample` turns into
its sample size.

Examples
--------
>>> import numpy as np
>>> A = np.random.default_rng(0).standard_normal((300, 4))
>>> res = lewis_weights(A, 1)
>>> res.converged, round(float(res.weights.sum()), 6)
(True, 4.0)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backend import array_module, compat, device, is_sparse, numpy_dtype, real_dtype
from .budgets import check_time_limit
from .checks import check_matrix, check_positive_int, check_progress, check_tolerance
from .errors import ConvergenceWarning, ToleranceError
from .leverage import _approx_sizes, approx_leverage_factors, leverage_scores
from .lpregression import check_p
from .progress import CONVERGED, TIME_LIMIT, IterationWatch
from .rng import as_key

__all__ = ["LewisWeights", "lewis_weights", "lewis_lower_factor", "LEWIS_SCORE_DISTORTION"]


@dataclass
class LewisWeights:
    """ℓp Lewis weights with the fixed-point iteration's diagnostics.

    Attributes
    ----------
    weights : array (m,)
    converged : bool
    iterations : int
    residual : float
        ``maxᵢ |log(φ(w)ᵢ/wᵢ)|`` (φ the fixed-point map) at the last iterate the map was
        applied to: the returned w itself when the time limit stopped the run, the
        iterate before the last (damped) step otherwise.
    stop_reason : {"converged", "maxiter", "time_limit"}
        What ended the iteration.
    sketch_size : int
        Rows of the sketch S₁ of the approximate leverage scores (0: exact scores).
    jl_size : int or None
        Columns of their JL matrix (None: the default of
        :func:`~sketch.leverage.leverage_scores`).
    """

    weights: Any
    converged: bool
    iterations: int
    residual: float
    stop_reason: str = CONVERGED
    sketch_size: int = 0
    jl_size: int | None = None


def lewis_weights(
    A: Any,
    p: float,
    *,
    tol: float = 1e-8,
    maxiter: int = 200,
    method: str = "exact",
    sketch_size: int | None = None,
    jl_size: int | None = None,
    seed: Any = None,
    time_limit: float | None = None,
    progress: bool | None = None,
) -> LewisWeights:
    """ℓp Lewis weights by fixed-point iteration (Cohen and Peng 2015).

    Iterates ``wᵢ ← (wᵢ^{2/p−1} τᵢ(W^{1/2−1/p}A))^{p/2}`` (τ the leverage scores),
    i.e. ``wᵢ ← (aᵢᵀ(AᵀW^{1−2/p}A)⁻¹aᵢ)^{p/2}``. Cohen–Peng (2015, "ℓp row
    sampling by Lewis weights", §3) show this map contracts with factor
    |p/2 − 1| in the log-multiplicative metric, so it converges for p < 4. Its
    Jacobian (in log w) at the fixed point is ``−(p/2 − 1)K`` with K similar to a
    PSD matrix of norm ≤ 1; for p > 2 we therefore damp in log space with step
    α = 4/(p + 2), which gives local contraction factor (p − 2)/(p + 2) < 1 for
    every p (our variant; Fazel, Lee, Padmanabhan and Sidford 2022 give a
    provably fast method for p ≥ 4).

    Parameters
    ----------
    A : array or sparse matrix (m × d), full column rank
    p : float
        1 ≤ p < ∞ (p = 2 returns the leverage scores).
    tol : float
        Stop when ``max|log(φ(w)/w)| <= tol``.
    maxiter : int
    method : {"exact", "approx"}
        Leverage scores in each step: exact, or the fast approximation of
        Drineas et al. 2012 (then the fixed point is approximate too, and tol
        should be loose, e.g. 0.1). :func:`lewis_lower_factor` states how far the
        result may be from the true weights.
    sketch_size, jl_size : int, optional
        Sizes of the approximate scores (see :func:`~sketch.leverage.leverage_scores`).
    seed : None, int or Generator
        For ``method="approx"``.
    time_limit : float, optional
        Seconds; past them the iteration stops at the next step and returns its current
        weights with ``converged=False`` and ``stop_reason="time_limit"``. Default: no limit.
    progress : bool, optional
        tqdm bar (iteration, residual); ``None`` shows it only for runs longer than 2 s.

    Returns
    -------
    LewisWeights

    Examples
    --------
    >>> import numpy as np
    >>> A = np.vstack([np.eye(2), np.eye(2)])
    >>> np.round(lewis_weights(A, 1).weights, 12).tolist()
    [0.5, 0.5, 0.5, 0.5]
    >>> import warnings
    >>> with warnings.catch_warnings(record=True):   # a ConvergenceWarning names the limit
    ...     res = lewis_weights(A, 3, tol=0, maxiter=10**12, time_limit=1e-9)
    >>> res.converged, res.stop_reason, res.iterations
    (False, 'time_limit', 1)
    """
    p = check_p(p)
    check_matrix(A, "A")
    maxiter = check_positive_int(maxiter, "maxiter")
    tol = check_tolerance(tol, "tol", allow_zero=True)
    time_limit, progress = check_time_limit(time_limit), check_progress(progress)
    xp = compat(array_module(A))
    key = as_key(seed)
    m, d = A.shape
    rdt = real_dtype(xp, A.dtype)
    if method != "approx" and (sketch_size is not None or jl_size is not None):
        raise ValueError(f"sketch_size and jl_size size the approximate scores; pass "
                         f"method='approx' with them (got method={method!r})")
    sizes = {"sketch_size": sketch_size, "jl_size": jl_size} if method == "approx" else {}
    used, jl_size = _approx_sizes(m, d, sketch_size, jl_size) if method == "approx" else (0, None)
    if p == 2:
        lev = leverage_scores(A, method=method, seed=key, **sizes)
        return LewisWeights(lev, True, 1, 0.0, CONVERGED, used, jl_size)
    alpha = _damping(p)
    floor = float(np.finfo(numpy_dtype(rdt)).tiny) ** 0.5
    # The iteration runs on log w: for large p, φ = (τ w^{2/p−1})^{p/2} underflows to 0 at
    # rows of small weight, and log 0 would poison the next step with NaN.
    logw = xp.full(m, math.log(d / m), dtype=rdt, device=device(A))
    log_floor = math.log(floor)
    resid = math.inf
    ok = False
    it = 0
    watch = IterationWatch(f"Lewis weights p={p:g}", time_limit=time_limit, progress=progress,
                           total=maxiter)
    while it < maxiter:
        it += 1
        scale = xp.exp(logw * (0.5 - 1.0 / p))
        if is_sparse(A):
            from .backend import sparse

            B = sparse(xp).diags(scale.astype(A.dtype)) @ A
        else:
            B = A * scale[:, None]
        tau = leverage_scores(B, method=method, seed=key.child(it), **sizes)
        # Rows outside the row space (a_i = 0) have weight 0; keep them at the floor.
        inner = xp.log(xp.clip(tau, min=floor * floor)) + (2.0 / p - 1.0) * logw
        step = (p / 2.0) * xp.clip(inner, min=log_floor) - logw
        resid = float(xp.max(xp.abs(step)))
        if not math.isfinite(resid):
            watch.close()
            raise ToleranceError(f"p={p} is too large for the Lewis-weight iteration in float64 "
                                 "(the exponents overflow); use a smaller p")
        if watch.step(residual=resid) and resid > tol:
            break  # out of time: return the iterate whose residual was just measured
        logw = logw + alpha * step
        if resid <= tol:
            ok = True
            break
    watch.close()
    reason = watch.reason(ok)
    if not ok:
        why = (f"time_limit={time_limit:g} s ran out after {it}" if reason == TIME_LIMIT
               else f"not reached in {maxiter}")
        warnings.warn(f"Lewis weights: fixed point {why} iterations (residual {resid:.2g} > "
                      f"tol={tol:g})", ConvergenceWarning, stacklevel=2)
    w = xp.exp(logw)
    w = xp.where(w <= floor * 1.0001, xp.zeros_like(w), w)
    return LewisWeights(w, ok, it, resid, reason, used, jl_size)


#: ε₁ of the score sketch :func:`lp_sample` gives approximate Lewis weights: their bound
#: is two-sided (:func:`lewis_lower_factor`), and ε₁ = 1/2 (hi = 2) gives f = 1/2 for p < 2
#: where the sampling sketch's ε₁ = 0.9 (hi = 10) would give f = 1/10.
LEWIS_SCORE_DISTORTION = 0.5


def lewis_lower_factor(lw: LewisWeights, p: float, m: int, d: int, *, delta: float,
                       sketch: str = "sparse-sign") -> float:
    """f with ``w̃ᵢ ≥ f·wᵢ`` for every row, w̃ the weights of ``lw``, w the true ℓp Lewis
    weights of the m × d, full-column-rank A, with probability ≥ 1 − δ.

    Write x = log w̃ at the last iterate the map was applied to, φ the exact map
    ``φ(x) = (p/2)(log τ(x) + (2/p − 1)x)`` of :func:`lewis_weights` and φ̃ the map it
    evaluated, with approximate leverage scores ``lo·τ ≤ τ̃ ≤ hi·τ``
    (:func:`~sketch.leverage_sizes.approx_leverage_factors`, the one home of that bound;
    probability ≥ 1 − δ for the scores of the last step alone, so earlier steps need no
    union bound), i.e. ``‖φ̃(x) − φ(x)‖∞ ≤ (p/2)η``, ``η = max(ln(1/lo), ln hi)``.

    * For p < 4, φ contracts in ℓ∞ with factor L = |p/2 − 1| (Cohen and Peng 2015,
      "ℓp row sampling by Lewis weights", §3), and so does the damped map
      ``T(x) = x + α(φ(x) − x)`` (α ≤ 1), with factor ``1 − α(1 − L)``. Its fixed point is
      x* = log w, so ``‖x − x*‖ ≤ ‖x − T(x)‖/(α(1 − L)) = ‖φ(x) − x‖/(1 − L)
      ≤ (ρ + (p/2)η)/(1 − L)``, ρ = ``lw.residual`` = ‖φ̃(x) − x‖∞.
    * The weights returned are ``x + α(φ̃(x) − x)`` (converged or ``maxiter``), another
      αρ away, or x itself (``time_limit``).
    * So ``f = exp(−D)``, ``D = (ρ + (p/2)η)/(1 − L) [+ αρ]``. For p < 2 (α = 1,
      1 − L = p/2) and ρ → 0 this is ``D = η``: the scores' own factor; for 2 < p < 4,
      ``D = pη/(4 − p)``. For p = 2 the weights are the scores: f = lo (one-sided).

    Sampling with ``qᵢ = w̃ᵢ/Σw̃`` then has ``qᵢ ≥ β wᵢ/d`` with ``β = f·d/Σw̃``
    (:func:`lp_sample`), and sensitivity bounds computed from w̃ are valid once divided
    by f. Raises :class:`~sketch.errors.ToleranceError` for p ≥ 4 (L ≥ 1: no
    contraction is proven, and no f) and where the score sketch proves no factor.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.random.default_rng(0).standard_normal((4000, 3))
    >>> lw = lewis_weights(A, 1, method="approx", sketch_size=2048, jl_size=3, tol=0.1, seed=0)
    >>> f = lewis_lower_factor(lw, 1, 4000, 3, delta=0.05)   # ε₁ = 0.34, ρ = 0.053
    >>> round(f, 3)
    0.561
    >>> w = lewis_weights(A, 1).weights
    >>> bool(np.all(lw.weights >= f * w))
    True
    """
    p = check_p(p)
    m, d = check_positive_int(m, "m"), check_positive_int(d, "d")
    delta = check_tolerance(delta, "delta", upper=1)
    approx = 0 < lw.sketch_size <= m  # a sketch longer than A gave exact scores
    if p == 2:
        return (approx_leverage_factors(d, m, sketch_size=lw.sketch_size, jl_size=lw.jl_size,
                                        delta=delta, sketch=sketch, two_sided=False)[0]
                if approx else 1.0)
    if p >= 4:
        raise ToleranceError(f"no bound on approximate or unconverged l{p:g} Lewis weights is "
                             "proven for p >= 4 (the fixed-point map contracts for p < 4 only); "
                             "use method='exact' and let the iteration converge")
    eta = 0.0
    if approx:
        lo, hi = approx_leverage_factors(d, m, sketch_size=lw.sketch_size, jl_size=lw.jl_size,
                                         delta=delta, sketch=sketch)
        eta = max(-math.log(lo), math.log(hi))
    alpha = _damping(p)
    rho = float(lw.residual)
    D = (rho + p / 2 * eta) / (1 - abs(p / 2 - 1))
    if lw.stop_reason != TIME_LIMIT:
        D += alpha * rho
    return math.exp(-D)


def _damping(p: float) -> float:
    """The Lewis iteration's step α in log space (module notes of :func:`lewis_weights`)."""
    return 1.0 if p < 2 else 4.0 / (p + 2.0)
