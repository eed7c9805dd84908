"""Approximate matrix multiplication by sampling and sketching.

Every method writes the product as the mean of a random matrix, M = E[X],
and returns the sample mean of c draws (the mean-estimation view of Apers,
Cornelissen and Wang, "Randomized and quantum approximate matrix
multiplication", 2025), together with an a-posteriori estimate of its
root-mean-square Frobenius error:

* :func:`dkm_matmul` — column–row sampling, Drineas, Kannan and Mahoney (2006):
  X = A_{:k} B_{k:} / p_k with p_k ∝ ‖A_{:k}‖‖B_{k:}‖ (the optimal
  probabilities); E‖X̄ − AB‖²_F ≤ ‖A‖²_F‖B‖²_F / c and, with probability 1 − δ,
  ‖X̄ − AB‖_F ≤ η‖A‖_F‖B‖_F/√c with η = 1 + √(8 ln(1/δ)).
* :func:`sketched_matmul` — Sarlós (2006): (A Sᵀ)(S B) with any sketching
  operator of :mod:`sketch.operators`; for Gaussian/sign S,
  E‖err‖²_F = (‖A‖²_F‖B‖²_F + ‖AB‖²_F)/s ≤ 2‖A‖²_F‖B‖²_F/s.
* :func:`random_walk_matmul` — Cohen and Lewis (1999) for non-negative A, B:
  walks i → k → j with probability A_{ik}B_{kj}/S, S = 1ᵀAB1; X = S e_i e_jᵀ;
  E‖X̄ − AB‖²_F = (S² − ‖AB‖²_F)/c.
* :func:`chain_matmul` — products A₁A₂⋯A_k (k ≥ 2) by a walk through the
  *inner* indices only: the path (j₁, …, j_{k−1}) is drawn with probability
  ∝ ‖A₁[:, j₁]‖·|A₂[j₁, j₂]|⋯|A_{k−1}[j_{k−2}, j_{k−1}]|·‖A_k[j_{k−1}, :]‖ and
  X = (∏ A_l[j_{l−1}, j_l] / P(path)) · A₁[:, j₁] A_k[j_{k−1}, :] is rank one.
  This is the Cohen–Lewis walk with its two end points summed out exactly
  (the conditioning step behind the improved random-walk algorithm of Apers,
  Cornelissen and Wang 2025), works for signed matrices, and reduces to DKM
  for k = 2. E‖X‖²_F = Z² with Z = uᵀ|A₂|⋯|A_{k−1}|v ≤ ∏‖A_l‖_F, so
  E‖X̄ − M‖²_F = (Z² − ‖M‖²_F)/c.

:func:`matmul_sample_size` turns a target ‖X̄ − AB‖_F ≤ ε‖A‖_F‖B‖_F (with
probability ≥ 1 − δ) into a sample size for each method. Inputs may be NumPy
or CuPy (dense or sparse); all work stays on the input's device.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> A, B = rng.standard_normal((30, 2000)), rng.standard_normal((2000, 20))
>>> res = dkm_matmul(A, B, 800, seed=1)
>>> rel = np.linalg.norm(res.value - A @ B) / (np.linalg.norm(A) * np.linalg.norm(B))
>>> bool(rel < 3 / np.sqrt(800))
True
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from .backend import array_module, compat, device, is_sparse, numpy_dtype, real_dtype, to_dense
from .budgets import check_allocation
from .checks import (
    check_computed_size,
    check_matrix,
    check_positive_int,
    check_same_backend,
    check_tolerance,
)
from .errors import AccuracyWarning, ShapeError, SizeWarning
from .operators import SketchingOperator, make_operator
from .rng import Key, as_key

__all__ = [
    "MatmulResult",
    "dkm_matmul",
    "sketched_matmul",
    "random_walk_matmul",
    "chain_matmul",
    "matmul_sample_size",
]

_CHUNK = 1 << 22  # entries per temporary block when drawing walk steps


@dataclass
class MatmulResult:
    """An approximate product and its error estimate.

    Attributes
    ----------
    value : array
        The unbiased estimate of the product (dense, on the input's device).
    error_estimate : float
        A-posteriori estimate of √E‖value − product‖²_F.
    samples : int
        Number of samples, walks or sketch rows used (0 when the exact product was
        computed because the requested sketch was longer than useful; ``method`` is then
        ``"exact"``).
    method : str
    scale : float
        ∏‖A_l‖_F, the scale of the relative error ε in the guarantees.
    """

    value: Any
    error_estimate: float
    samples: int
    method: str
    scale: float

    @property
    def relative_error_estimate(self) -> float:
        """error_estimate / (∏‖A_l‖_F), comparable with ε."""
        return self.error_estimate / self.scale if self.scale > 0 else 0.0


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def _check_pair(A: Any, B: Any) -> ModuleType:
    check_matrix(A, "A")
    check_matrix(B, "B")
    if A.shape[1] != B.shape[0]:
        raise ShapeError(f"A is {A.shape} and B is {B.shape}; A's columns must equal B's rows")
    return compat(check_same_backend(A=A, B=B))


def _vector(v: Any, xp: ModuleType) -> Any:
    """A float64 1-D array (sparse reductions give 2-D matrices)."""
    return xp.astype(xp.reshape(xp.asarray(v), (-1,)), xp.float64)


def _fro2(M: Any, xp: ModuleType) -> float:
    if is_sparse(M):
        return float(abs(M).power(2).sum())
    return float(xp.sum(xp.abs(M) ** 2))


def _col_norms2(M: Any, xp: ModuleType) -> Any:
    if is_sparse(M):
        return _vector(abs(M).power(2).sum(axis=0), xp)
    return xp.astype(xp.sum(xp.abs(M) ** 2, axis=0), xp.float64)


def _row_norms2(M: Any, xp: ModuleType) -> Any:
    if is_sparse(M):
        return _vector(abs(M).power(2).sum(axis=1), xp)
    return xp.astype(xp.sum(xp.abs(M) ** 2, axis=1), xp.float64)


def _uniforms(key: Key, c: int, xp: ModuleType, where: Any) -> Any:
    """c keyed uniforms, on the device of the array ``where``."""
    return key.uniform(range(c), xp, device=device(where))


def _draw(weights: Any, c: int, key: Key, xp: ModuleType) -> Any:
    """c i.i.d. indices with probability ∝ weights (inverse-CDF on keyed uniforms)."""
    cdf = xp.cumulative_sum(xp.astype(weights, xp.float64))
    u = _uniforms(key, c, xp, weights) * cdf[-1]
    idx = xp.searchsorted(cdf, u, side="right")
    return xp.clip(idx, max=weights.shape[0] - 1)


def _draw_rows(block: Any, u: Any, xp: ModuleType) -> Any:
    """One index per row of a non-negative weight block, ∝ the row (u uniform in (0,1))."""
    cdf = xp.cumulative_sum(xp.astype(block, xp.float64), axis=1)
    target = u * cdf[:, -1]
    idx = xp.sum(xp.astype(cdf <= target[:, None], xp.int64), axis=1)
    return xp.clip(idx, max=block.shape[1] - 1)


def _rows_dense(M: Any, idx: Any) -> Any:
    R = M[idx]
    return R.toarray() if is_sparse(R) else R


def _cols(M: Any, idx: Any) -> Any:
    if is_sparse(M):
        return M.tocsc()[:, idx]
    return M[:, idx]


def _rows(M: Any, idx: Any) -> Any:
    if is_sparse(M):
        return M.tocsr()[idx]
    return M[idx]


def _samples_for(samples: int | None, eps: float | None, delta: float, method: str,
                 mats: tuple[Any, ...], name: str = "samples") -> int:
    delta = check_tolerance(delta, "delta", upper=1)
    if samples is None and eps is None:
        raise ValueError(f"give {name}, or a target eps (and delta) to size it")
    if samples is not None:
        c = check_positive_int(samples, name)
        if eps is not None:
            need = matmul_sample_size(eps, delta, method, mats=mats)
            if c < need:
                warnings.warn(
                    f"{c} samples are fewer than the {need} that {method} needs for relative "
                    f"Frobenius error {eps} with probability {1 - delta}", AccuracyWarning,
                    stacklevel=3)
        return c
    return matmul_sample_size(eps, delta, method, mats=mats)


def _check_draws(c: int, rows: int, cols: int, dtype: Any, A: Any, name: str) -> None:
    """Refuse c samples whose draws and rank-one factors (rows + cols per sample) cannot fit
    on the device of ``A``."""
    per = 48 + (rows + cols) * numpy_dtype(dtype).itemsize
    check_allocation(c * per, f"drawing {name}={c}", xp=array_module(A), device=device(A),
                     fix=f"use fewer {name} (or a larger eps)")


def matmul_sample_size(eps: float, delta: float = 0.1, method: str = "dkm", *,
                       mats: tuple[Any, ...] | None = None) -> int:
    """Samples for ‖X̄ − M‖_F ≤ ε ∏‖A_l‖_F with probability ≥ 1 − δ.

    * ``"dkm"``: c = ⌈η²/ε²⌉, η = 1 + √(8 ln(1/δ)) (Drineas–Kannan–Mahoney 2006, Thm 1).
    * ``"sketch"`` (Gaussian/sign/CountSketch S): E‖err‖² ≤ 2‖A‖²‖B‖²/s and Chebyshev:
      s = ⌈2/(δε²)⌉.
    * ``"chain"``: Chebyshev on E‖err‖² = (Z² − ‖M‖²)/c ≤ Z²/c: c = ⌈Z²/(δε²N²)⌉ with
      N = ∏‖A_l‖_F (c ≤ ⌈1/(δε²)⌉ since Z ≤ N; Z needs ``mats``).
    * ``"random-walk"`` (Cohen–Lewis): c = ⌈S²/(δε²N²)⌉, S = 1ᵀAB1 (needs ``mats``).

    Parameters
    ----------
    eps : float
        Target relative Frobenius error, 0 < ε.
    delta : float
        Failure probability, 0 < δ < 1.
    method : str
    mats : tuple of arrays, optional
        The factors, for the data-dependent rules.

    Examples
    --------
    >>> matmul_sample_size(0.1, 0.1, "dkm")
    2801
    >>> matmul_sample_size(0.1, 0.1, "sketch")
    2000
    """
    eps = check_tolerance(eps, "eps")
    delta = check_tolerance(delta, "delta", upper=1)
    fix = "ask for a larger eps or delta"
    what = f"the sample size for eps={eps}, delta={delta}"
    if method == "dkm":
        eta = 1 + math.sqrt(8 * math.log(1 / delta))
        return check_computed_size((eta / eps) * (eta / eps), what, fix=fix)
    if method == "sketch":
        return check_computed_size(2 / delta / eps / eps, what, fix=fix)
    if method in ("chain", "random-walk"):
        if mats is None:
            if method == "random-walk":
                raise ValueError("the random-walk rule depends on the data; pass mats=(A, B)")
            return check_computed_size(1 / delta / eps / eps, what, fix=fix)
        xp = compat(array_module(*mats))
        N2 = math.prod(_fro2(M, xp) for M in mats)
        if N2 == 0:
            return 1
        Z = _walk_total(mats, xp) if method == "random-walk" else _chain_norm(mats, xp)[0]
        return check_computed_size(Z / eps * (Z / eps) / delta / N2, what, fix=fix)
    raise ValueError(f"unknown method {method!r}; choose dkm, sketch, chain or random-walk")


# --------------------------------------------------------------------------
# Drineas–Kannan–Mahoney
# --------------------------------------------------------------------------
def dkm_matmul(A: Any, B: Any, samples: int | None = None, *, eps: float | None = None,
               delta: float = 0.1, seed: Any = None) -> MatmulResult:
    """Column–row sampling estimate of AB (Drineas, Kannan and Mahoney, 2006).

    Draws c inner indices i.i.d. with p_k ∝ ‖A_{:k}‖‖B_{k:}‖ and returns
    (1/c) Σ_t A_{:k_t}B_{k_t:}/p_{k_t}.

    Parameters
    ----------
    A : (m, n) array or sparse matrix
    B : (n, p) array or sparse matrix
    samples : int, optional
        c; if omitted, sized from ``eps`` and ``delta`` by :func:`matmul_sample_size`.
    eps, delta : float, optional
        Target relative Frobenius error and failure probability.
    seed
        Randomness (:func:`sketch.rng.as_key`).

    Returns
    -------
    MatmulResult

    Examples
    --------
    >>> import numpy as np
    >>> A = np.random.default_rng(0).standard_normal((5, 400))
    >>> dkm_matmul(A, A.T, 100, seed=0).value.shape
    (5, 5)
    """
    xp = _check_pair(A, B)
    c = _samples_for(samples, eps, delta, "dkm", (A, B))
    _check_draws(c, A.shape[0], B.shape[1], numpy_dtype(xp.result_type(A.dtype, B.dtype)), A,
                 "samples")
    ca, rb = _col_norms2(A, xp), _row_norms2(B, xp)
    weights = xp.sqrt(ca * rb)
    Z = float(xp.sum(weights))
    scale = math.sqrt(float(xp.sum(ca)) * float(xp.sum(rb)))
    dtype = xp.result_type(A.dtype, B.dtype)
    if Z == 0:
        return MatmulResult(xp.zeros((A.shape[0], B.shape[1]), dtype=dtype, device=device(A)),
                            0.0, c, "dkm", scale)
    idx = _draw(weights, c, as_key(seed).child("dkm"), xp)
    p = weights[idx] / Z
    left = to_dense(_cols(A, idx)) * xp.astype(1.0 / (c * p), real_dtype(xp, dtype))[None, :]
    value = xp.astype(left @ to_dense(_rows(B, idx)), dtype, copy=False)
    err2 = (Z**2 - _fro2(value, xp)) / max(c - 1, 1)
    return MatmulResult(value, math.sqrt(max(err2, 0.0)), c, "dkm", scale)


# --------------------------------------------------------------------------
# Sarlós
# --------------------------------------------------------------------------
def sketched_matmul(A: Any, B: Any, size: int | None = None, *,
                    sketch: str | SketchingOperator = "gaussian", eps: float | None = None,
                    delta: float = 0.1, seed: Any = None) -> MatmulResult:
    """Sketched product (A Sᵀ)(S B) with an s × n sketching operator S (Sarlós, 2006).

    Parameters
    ----------
    A : (m, n) array or sparse matrix
    B : (n, p) array or sparse matrix
    size : int, optional
        s; if omitted, sized from ``eps``/``delta`` (rule ``"sketch"``).
    sketch : str or SketchingOperator
        Any operator name of :func:`sketch.operators.make_operator`.
    eps, delta, seed
        As for :func:`dkm_matmul`.

    Returns
    -------
    MatmulResult
        ``error_estimate`` plugs the sketched norms into the Gaussian variance
        (‖A‖²_F‖B‖²_F + ‖AB‖²_F)/s (an upper bound for CountSketch).

    Examples
    --------
    >>> import numpy as np
    >>> A = np.random.default_rng(0).standard_normal((5, 400))
    >>> sketched_matmul(A, A.T, 100, sketch="countsketch", seed=0).value.shape
    (5, 5)
    """
    xp = _check_pair(A, B)
    s = _samples_for(size, eps, delta, "sketch", (A, B), "size")
    n = A.shape[1]
    if s > n:
        # (A Sᵀ)(S B) then costs m·s·p > m·n·p flops: more than the exact product, and less
        # accurate — so give the exact product.
        warnings.warn(f"size={s} exceeds the inner dimension n={n}; a sketch that long costs "
                      "more than the exact product AB, which is returned instead",
                      SizeWarning, stacklevel=2)
        value = xp.astype(to_dense(A @ B), xp.result_type(A.dtype, B.dtype), copy=False)
        return MatmulResult(value, 0.0, 0, "exact", math.sqrt(_fro2(A, xp) * _fro2(B, xp)))
    check_allocation(s * (A.shape[0] + B.shape[1] + 8) * numpy_dtype(A.dtype).itemsize,
                     f"a sketch of size={s} rows", xp=xp, device=device(A),
                     fix="choose a smaller size")
    S = make_operator(sketch, s, A.shape[1], seed)
    SAt = S @ (A.T.tocsr() if is_sparse(A) else A.T)  # s × m
    SB = S @ B  # s × p
    value = SAt.T @ SB
    err2 = (_fro2(SAt, xp) * _fro2(SB, xp) + _fro2(value, xp)) / s
    scale = math.sqrt(_fro2(A, xp) * _fro2(B, xp))
    name = sketch if isinstance(sketch, str) else type(sketch).__name__.lower()
    return MatmulResult(value, math.sqrt(err2), s, f"sketch-{name}", scale)


# --------------------------------------------------------------------------
# Cohen–Lewis random walks
# --------------------------------------------------------------------------
def _check_nonnegative(M: Any, name: str, xp: ModuleType) -> None:
    data = M.data if is_sparse(M) else M
    if bool(xp.any(data < 0)):
        raise ValueError(f"{name} has negative entries; Cohen–Lewis random walks need "
                         "non-negative matrices (use chain_matmul or dkm_matmul instead)")
    if numpy_dtype(M.dtype).kind == "c":
        raise TypeError(f"{name} is complex; random walks need real non-negative matrices")


def _walk_total(mats: tuple[Any, ...], xp: ModuleType) -> float:
    A, B = mats
    return float(xp.sum(_col_sums(A, xp) * _row_sums(B, xp)))


def _col_sums(M: Any, xp: ModuleType) -> Any:
    return _vector(M.sum(axis=0), xp)


def _row_sums(M: Any, xp: ModuleType) -> Any:
    return _vector(M.sum(axis=1), xp)


def random_walk_matmul(A: Any, B: Any, walks: int | None = None, *, eps: float | None = None,
                       delta: float = 0.1, seed: Any = None) -> MatmulResult:
    """Cohen–Lewis random-walk estimate of AB for non-negative A, B (Cohen and Lewis, 1999).

    Each walk picks k ∝ (Σᵢ A_{ik})(Σⱼ B_{kj}), then i ∝ A_{ik} and j ∝ B_{kj}, so
    (i, j) is drawn with probability (AB)_{ij}/S, S = 1ᵀAB1; the estimate is
    S·(hits of (i, j))/c. Large entries of AB are found with few walks.

    Parameters
    ----------
    A : (m, n) non-negative array or sparse matrix
    B : (n, p) non-negative array or sparse matrix
    walks : int, optional
        c; if omitted, sized from ``eps``/``delta`` (rule ``"random-walk"``).
    eps, delta, seed
        As for :func:`dkm_matmul`.

    Returns
    -------
    MatmulResult

    Examples
    --------
    >>> import numpy as np
    >>> A = np.abs(np.random.default_rng(0).standard_normal((4, 50)))
    >>> res = random_walk_matmul(A, A.T, 20000, seed=0)
    >>> bool(np.abs(res.value - A @ A.T).max() < 0.1 * (A @ A.T).max())
    True
    """
    xp = _check_pair(A, B)
    _check_nonnegative(A, "A", xp)
    _check_nonnegative(B, "B", xp)
    c = _samples_for(walks, eps, delta, "random-walk", (A, B), "walks")
    _check_draws(c, 0, 0, np.float64, A, "walks")
    ca, rb = _col_sums(A, xp), _row_sums(B, xp)
    w = ca * rb
    S = float(xp.sum(w))
    m, p = A.shape[0], B.shape[1]
    scale = math.sqrt(_fro2(A, xp) * _fro2(B, xp))
    dtype = xp.result_type(A.dtype, B.dtype)
    if S == 0:
        return MatmulResult(xp.zeros((m, p), dtype=dtype, device=device(A)), 0.0, c,
                            "random-walk", scale)
    key = as_key(seed).child("cohen-lewis")
    k = _draw(w, c, key.child("middle"), xp)
    At = A.T.tocsr() if is_sparse(A) else A.T
    i = _step(At, k, key.child("left"), xp)[0]
    j = _step(B, k, key.child("right"), xp)[0]
    counts = xp.reshape(xp.bincount(i * p + j, minlength=m * p), (m, p))
    value = xp.astype(counts, dtype) * (S / c)  # int * float is float32 in torch
    err2 = (S**2 - _fro2(value, xp)) / max(c - 1, 1)
    return MatmulResult(value, math.sqrt(max(err2, 0.0)), c, "random-walk", scale)


def _step(M: Any, rows: Any, key: Key, xp: ModuleType, bias: Any = None) -> tuple[Any, Any]:
    """For each walker at row r of M, the next index j ∝ |M[r, j]|·bias[j], and M[r, j]."""
    c = rows.shape[0]
    out = xp.empty(c, dtype=xp.int64, device=device(rows))
    vals = xp.empty(c, dtype=M.dtype, device=device(rows))
    u = _uniforms(key, c, xp, rows)
    step = max(1, _CHUNK // M.shape[1])
    for t0 in range(0, c, step):
        t1 = min(c, t0 + step)
        dense_rows = _rows_dense(M, rows[t0:t1])
        block = xp.astype(xp.abs(dense_rows), xp.float64)
        if bias is not None:
            block = block * bias[None, :]
        out[t0:t1] = _draw_rows(block, u[t0:t1], xp)
        vals[t0:t1] = dense_rows[xp.arange(t1 - t0, device=device(rows)), out[t0:t1]]
    return out, vals


# --------------------------------------------------------------------------
# products of k matrices
# --------------------------------------------------------------------------
def _chain_norm(mats: tuple[Any, ...], xp: ModuleType) -> tuple[float, list[Any], Any]:
    """Z, the backward vectors β_l and u for the path distribution of :func:`chain_matmul`."""
    u = xp.sqrt(_col_norms2(mats[0], xp))
    beta = [xp.sqrt(_row_norms2(mats[-1], xp))]  # β_{k−1} = v
    for M in reversed(mats[1:-1]):
        absM = abs(M) if is_sparse(M) else xp.abs(M)
        beta.insert(0, _vector(absM @ beta[0], xp))
    return float(xp.sum(u * beta[0])), beta, u


def chain_matmul(*mats: Any, samples: int | None = None, eps: float | None = None,
                 delta: float = 0.1, seed: Any = None) -> MatmulResult:
    """Estimate A₁A₂⋯A_k (k ≥ 2) as the mean of rank-one path samples.

    The mean-estimation form of random-walk multiplication (Apers,
    Cornelissen and Wang, 2025; Cohen and Lewis, 1999): a walk over the inner
    indices j₁ … j_{k−1} with probability ∝ ‖A₁[:, j₁]‖ ∏|A_l[j_{l−1}, j_l]|
    ‖A_k[j_{k−1}, :]‖ gives the unbiased rank-one sample
    X = (∏A_l[…]/P(path)) A₁[:, j₁] A_k[j_{k−1}, :]; E‖X‖²_F = Z² ≤ ∏‖A_l‖²_F.
    For k = 2 it is :func:`dkm_matmul`. Signed and complex entries are fine.

    Parameters
    ----------
    *mats : arrays or sparse matrices
        A₁ (n₀ × n₁), …, A_k (n_{k−1} × n_k).
    samples : int, optional
        c; if omitted, sized from ``eps``/``delta`` (rule ``"chain"``).
    eps, delta, seed
        As for :func:`dkm_matmul`.

    Returns
    -------
    MatmulResult

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> A, B, C = (rng.standard_normal((40, 40)) for _ in range(3))
    >>> chain_matmul(A, B, C, samples=500, seed=0).value.shape
    (40, 40)
    """
    if len(mats) < 2:
        raise ValueError(f"chain_matmul needs at least two matrices in mats, got {len(mats)}")
    for t, M in enumerate(mats):
        check_matrix(M, f"mats[{t}]")
    for t in range(len(mats) - 1):
        if mats[t].shape[1] != mats[t + 1].shape[0]:
            raise ShapeError(f"mats[{t}] is {mats[t].shape} and mats[{t + 1}] is "
                             f"{mats[t + 1].shape}; inner dimensions must agree")
    xp = compat(check_same_backend(**{f"mats[{t}]": M for t, M in enumerate(mats)}))
    c = _samples_for(samples, eps, delta, "chain", mats)
    _check_draws(c, mats[0].shape[0] + 2 * len(mats), mats[-1].shape[1],
                 numpy_dtype(xp.result_type(*[M.dtype for M in mats])), mats[0], "samples")
    Z, beta, u = _chain_norm(mats, xp)
    first, last = mats[0], mats[-1]
    dtype = xp.result_type(*[M.dtype for M in mats])
    scale = math.sqrt(math.prod(_fro2(M, xp) for M in mats))
    shape = (first.shape[0], last.shape[1])
    if Z == 0:
        return MatmulResult(xp.zeros(shape, dtype=dtype, device=device(first)), 0.0, c, "chain",
                            scale)
    key = as_key(seed).child("chain")
    j = _draw(u * beta[0], c, key.child(0), xp)
    j1 = j
    gamma = xp.ones(c, dtype=dtype, device=device(j))
    for level, M in enumerate(mats[1:-1], start=1):
        nxt, vals = _step(M, j, key.child(level), xp, bias=beta[level])
        gamma = gamma * vals
        j = nxt
    # X_t = γ_t / P(path) · a b ᵀ and P(path) = u_{j1} ∏|A_l| v_{j_{k−1}} / Z.
    mag = xp.abs(gamma)
    safe = xp.where(mag > 0, mag, xp.ones_like(mag))
    coef = gamma / safe * (Z / (u[j1] * beta[-1][j]))
    left = to_dense(_cols(first, j1)) * xp.astype(coef / c, dtype)[None, :]
    value = xp.astype(left @ to_dense(_rows(last, j)), dtype, copy=False)
    err2 = (Z**2 - _fro2(value, xp)) / max(c - 1, 1)
    return MatmulResult(value, math.sqrt(max(err2, 0.0)), c, "chain", scale)
