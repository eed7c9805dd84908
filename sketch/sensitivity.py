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
from .checks import (
    check_computed_size,
    check_matrix,
    check_positive_int,
    check_progress,
    check_tolerance,
)
from .errors import AccuracyWarning, ConvergenceWarning, ToleranceError
from .leverage import column_basis, leverage_scores
from .lpregression import check_p, lp_regression
from .progress import CONVERGED, TIME_LIMIT, IterationWatch
from .rng import as_key
from .rowsample import Sample, sample_rows

__all__ = [
    "LewisWeights",
    "lewis_weights",
    "lp_sensitivities",
    "root_leverage_scores",
    "lp_sample_size",
    "lp_sample",
    "SCHEMES",
]

#: Sampling schemes of :func:`lp_sample`.
SCHEMES = ("lewis", "sensitivity", "root-leverage", "combined", "leverage")


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
    """

    weights: Any
    converged: bool
    iterations: int
    residual: float
    stop_reason: str = CONVERGED


def lewis_weights(
    A: Any,
    p: float,
    *,
    tol: float = 1e-8,
    maxiter: int = 200,
    method: str = "exact",
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
        should be loose, e.g. 0.1).
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
    if p == 2:
        lev = leverage_scores(A, method=method, seed=key)
        return LewisWeights(lev, True, 1, 0.0)
    alpha = 1.0 if p < 2 else 4.0 / (p + 2.0)
    floor = float(np.finfo(numpy_dtype(rdt)).tiny) ** 0.5
    # The iteration runs on log w: for large p, φ = (τ w^{2/p−1})^{p/2} underflows to 0 at
    # rows of small weight, and log 0 would poison the next step with NaN.
    logw = xp.full(m, math.log(d / m), dtype=rdt, device=_dev(A))
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
        tau = leverage_scores(B, method=method, seed=key.child(it))
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
    return LewisWeights(w, ok, it, resid, reason)


def _dev(M: Any) -> Any:
    """Where to create arrays next to ``M`` (``None`` for sparse matrices: the default)."""
    return None if is_sparse(M) else device(M)


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
        w = lewis_weights(A, p, **options).weights
        factor = math.exp(min(max(0.0, p / 2 - 1) * math.log(d), 700.0))  # no overflow
        return xp.clip(w * factor, max=1.0)
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


def lp_sample_size(
    d: int,
    p: float,
    eps: float,
    delta: float = 0.1,
    *,
    scheme: str = "lewis",
    total: float | None = None,
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

    Examples
    --------
    >>> lp_sample_size(5, 1, 0.5)
    215
    >>> lp_sample_size(5, 4, 0.5) > lp_sample_size(5, 1, 0.5)
    True
    """
    d = check_positive_int(d, "d")
    p = check_p(p)
    eps = check_tolerance(eps, "eps", upper=1)
    delta = check_tolerance(delta, "delta", upper=1)
    total = None if total is None else check_tolerance(total, "total")
    try:
        return _lp_size(d, p, eps, delta, scheme, total)
    except OverflowError:
        raise ToleranceError(f"the sample size for d={d}, p={p}, eps={eps} overflows; lower p "
                             "or raise eps") from None


def _lp_size(d: int, p: float, eps: float, delta: float, scheme: str,
             total: float | None) -> int:
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
    return check_computed_size(2 * (1 + eps / 3) * N * math.log(2 * d / delta) / eps / eps,
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
        Passed to :func:`lewis_weights` (e.g. ``method="approx"``).

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
    total = None
    if scheme == "leverage":
        q = xp.clip(leverage_scores(A), min=0.0)
    elif scheme == "lewis":
        q = lewis_weights(A, p, seed=key.child("lewis"), **lw_opts).weights
    elif scheme == "sensitivity":
        q = lp_sensitivities(A, p, method="lewis", seed=key.child("lewis"), **lw_opts)
        total = float(xp.sum(q))
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
        u = lp_sensitivities(A, p, method="lewis", seed=key.child("lewis"), **lw_opts)
        total = float(xp.sum(u))
        q = 0.5 * lev / xp.sum(lev) + 0.5 * u / total
    need = lp_sample_size(d, p, eps, delta, scheme=scheme, total=total)
    s = need if size is None else check_positive_int(size, "size")
    if s < need:
        warnings.warn(f"{s} rows are fewer than the {need} that scheme={scheme!r} needs for an "
                      f"eps={eps} l{p:g} subspace embedding (delta={delta}); the guarantee "
                      f"does not hold", AccuracyWarning, stacklevel=2)
    if size is None and need >= m:
        dev = _dev(A)
        idx = xp.arange(m, dtype=xp.int64, device=dev)
        return Sample(indices=idx, weights=xp.ones(m, dtype=xp.float64, device=dev),
                      probabilities=xp.full(m, 1.0 / m, dtype=xp.float64, device=dev),
                      required_size=need, scheme=scheme + " (all rows)")
    return sample_rows(q, s, key.child("draw"), scheme=scheme, required_size=need)
