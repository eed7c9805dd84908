"""Estimating AᵀB and ⟨a, b⟩ from two coordinated sketches, and sketched attention scores.

The Horvitz–Thompson estimator over the keys both samples hold, with its
variance estimate, and (SA)ᵀ(SB) for linear sketches; the math is in
:mod:`sketch.coordinated`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from ..backend import (
    array_module,
    compat,
    device,
    is_sparse,
    real_dtype,
    sparse,
)
from ..checks import check_matrix, check_positive_int
from ..errors import ShapeError
from .sampling import coordinated_sketch
from .sketches import (
    LinearSketch,
    SampledSketch,
    _check_compatible,
    _row_weights,
    _take_rows,
    _verify_drawn,
)

__all__ = ["ProductEstimate", "estimate_product", "estimate_inner", "attention_scores"]


# --------------------------------------------------------------------------
# estimation
# --------------------------------------------------------------------------
@dataclass
class ProductEstimate:
    """An estimate of AᵀB (or ⟨a, b⟩) from two sketches.

    Attributes
    ----------
    value : array (d × m) or scalar
        The unbiased estimate.
    variance : array (d × m) or scalar
        Estimated variance of each entry.
    frobenius_variance : float
        Estimated E‖value − AᵀB‖²_F.
    matched : int
        Number of keys both sketches hold (sampled) or sketch rows (linear).
    method : str
    """

    value: Any
    variance: Any
    frobenius_variance: float
    matched: int
    method: str

    @property
    def std_error(self) -> float:
        """Estimated root-mean-square Frobenius error, √E‖value − AᵀB‖²_F."""
        return math.sqrt(max(self.frobenius_variance, 0.0))


def _check_sketch(obj: Any, name: str) -> None:
    if not isinstance(obj, (SampledSketch, LinearSketch)):
        raise TypeError(f"{name} must be a SampledSketch or LinearSketch (from priority_sample, "
                        f"jl_sketch, coordinated_sketch, ...), got {type(obj).__name__}")


def _check_pair(SA: Any, SB: Any, names: tuple[str, str] = ("SA", "SB")) -> None:
    _check_sketch(SA, names[0])
    _check_sketch(SB, names[1])
    _check_compatible(SA, SB)
    if SA.method != SB.method:
        raise ValueError(f"cannot combine a {SA.method} sketch with a {SB.method} sketch; "
                         "both parties must use the same method")
    if not SA.keyed and not SB.keyed and SA.n_rows != SB.n_rows:
        raise ShapeError(
            f"the two sketches come from matrices of {SA.n_rows} and {SB.n_rows} rows; AᵀB needs "
            "the same rows (or pass keys= to join rows by key)"
        )


def estimate_product(SA: SampledSketch | LinearSketch,
                     SB: SampledSketch | LinearSketch) -> ProductEstimate:
    """Estimate AᵀB from two independently built sketches with the same seed.

    Parameters
    ----------
    SA, SB : SampledSketch or LinearSketch
        Sketches of A (n × d) and B (n × m) of the same kind and seed.

    Returns
    -------
    ProductEstimate
        Value d × m (a scalar if both sketched vectors), entrywise and
        Frobenius variance estimates.

    Raises
    ------
    SeedMismatchError
        If the sketches come from different seeds.
    ShapeError
        If both use row positions as keys and the row counts differ.

    Examples
    --------
    >>> import numpy as np
    >>> from sketch.coordinated import priority_sample
    >>> a = np.array([1.0, 2.0, 0.0, 4.0]); b = np.array([1.0, 0.0, 3.0, 1.0])
    >>> e = estimate_product(priority_sample(a, 10, seed=1), priority_sample(b, 10, seed=1))
    >>> float(e.value)                    # budget ≥ nonzero rows: exact
    5.0
    """
    _check_pair(SA, SB)
    if isinstance(SA, LinearSketch):
        return _estimate_linear(SA, SB)
    for mine, theirs in ((SA, SB), (SB, SA)):  # a loaded sketch is checked against a live seed
        if mine._key is not None and theirs._key is None:
            _verify_drawn(theirs, mine._key)
    xp = compat(array_module(SA.keys, SB.keys))
    if len(SA) == 0 or len(SB) == 0:
        ia = ib = xp.zeros(0, dtype=xp.int64, device=device(SA.keys))
    else:
        pos = xp.searchsorted(SB.keys, SA.keys)
        pos = xp.clip(pos, max=SB.keys.shape[0] - 1)
        hit = SB.keys[pos] == SA.keys
        ia = xp.nonzero(hit)[0]
        ib = pos[ia]
    ra, rb = _take_rows(SA.rows, ia), _take_rows(SB.rows, ib)
    wa, wb = _row_weights(ra, xp), _row_weights(rb, xp)
    p = xp.ones_like(wa)
    if SA.tau > 0:
        p = xp.minimum(p, wa / SA.tau)
    if SB.tau > 0:
        p = xp.minimum(p, wb / SB.tau)
    dtype = xp.result_type(SA.rows.dtype, SB.rows.dtype)
    rdt = real_dtype(xp, dtype)
    inv = xp.astype(1.0 / p, rdt)
    vfac = xp.astype((1.0 - p) / p**2, rdt)
    value = _weighted_gram(ra, rb, inv, xp, dtype)
    variance = _weighted_gram(_abs2(ra), _abs2(rb), vfac, xp, rdt)
    fro = float(xp.sum(wa * wb * (1.0 - p) / p**2))
    return _package(value, variance, fro, int(ia.shape[0]), SA, SB)


def _abs2(R: Any) -> Any:
    return abs(R).power(2) if is_sparse(R) else abs(R) ** 2


def _weighted_gram(Ra: Any, Rb: Any, weights: Any, xp: ModuleType, dtype: Any) -> Any:
    """Raᵀ diag(weights) Rb as a dense array."""
    if Ra.shape[0] == 0:
        return xp.zeros((Ra.shape[1], Rb.shape[1]), dtype=dtype, device=device(weights))
    if is_sparse(Ra) or is_sparse(Rb):
        D = sparse(xp).diags(weights)
        left = Ra.T @ D if is_sparse(Ra) else (Ra * weights[:, None]).T
        out = left @ Rb
        out = out.toarray() if is_sparse(out) else out
        return xp.astype(xp.asarray(out), dtype, copy=False)
    return xp.astype((Ra * weights[:, None]).T @ Rb, dtype, copy=False)


def _package(value, variance, fro, matched, SA, SB) -> ProductEstimate:
    if SA.vector and SB.vector:
        value, variance = value[0, 0], variance[0, 0]
    return ProductEstimate(value, variance, fro, matched, SA.method)


def _estimate_linear(SA: LinearSketch, SB: LinearSketch) -> ProductEstimate:
    if SA.data.shape[0] != SB.data.shape[0]:
        raise ValueError(f"the linear sketches have {SA.data.shape[0]} and {SB.data.shape[0]} "
                         "rows; both parties must use the same sketch size")
    xp = compat(array_module(SA.data, SB.data))
    r = SA.data.shape[0]
    value = SA.data.T @ SB.data
    # Gaussian: Var[(SA)ᵀSB]_jl = (‖a_j‖²‖b_l‖² + (a_jᵀb_l)²)/r; for CountSketch this is an
    # upper bound. Column norms and the product are plugged in from the sketches.
    ca = xp.sum(xp.abs(SA.data) ** 2, axis=0)
    cb = xp.sum(xp.abs(SB.data) ** 2, axis=0)
    variance = (ca[:, None] * cb[None, :] + xp.abs(value) ** 2) / r
    fro = float((xp.sum(ca) * xp.sum(cb) + xp.sum(xp.abs(value) ** 2)) / r)
    return _package(value, variance, fro, r, SA, SB)


def estimate_inner(sa: SampledSketch | LinearSketch, sb: SampledSketch | LinearSketch) -> Any:
    """Estimate ⟨a, b⟩ from sketches of two vectors (the one-column case of AᵀB).

    Returns the :class:`ProductEstimate` (``value`` and ``variance`` scalars).

    Examples
    --------
    >>> import numpy as np
    >>> from sketch.coordinated import priority_sample
    >>> a = np.ones(100)
    >>> e = estimate_inner(priority_sample(a, 100, seed=0), priority_sample(a, 100, seed=0))
    >>> float(e.value)
    100.0
    """
    _check_sketch(sa, "sa")
    _check_sketch(sb, "sb")
    if sa.n_cols != 1 or sb.n_cols != 1:
        raise ShapeError(f"inner products need sketches of vectors (one column), got "
                         f"{sa.n_cols} and {sb.n_cols} columns; use estimate_product")
    est = estimate_product(sa, sb)
    if not (sa.vector and sb.vector):
        est.value, est.variance = est.value.reshape(()), est.variance.reshape(())
    return est


# --------------------------------------------------------------------------
# application: attention scores
# --------------------------------------------------------------------------
def attention_scores(Q: Any, K: Any, size: int, method: str = "priority",
                     seed: Any = None) -> ProductEstimate:
    """Approximate the attention-score matrix QKᵀ from sketches of Q and K.

    QKᵀ = (Qᵀ)ᵀ(Kᵀ): the keys are the d feature dimensions, so each party samples
    feature dimensions (columns of Q, of K) — the ICLR 2025 paper's attention
    experiment (Daliri, Freire, Li, Musco).

    Parameters
    ----------
    Q : (n_q, d) array
    K : (n_k, d) array
    size : int
        Sketch size (k or r) per side.
    method : str
        ``priority``, ``threshold``, ``jl`` or ``countsketch``.
    seed
        Shared seed.

    Returns
    -------
    ProductEstimate
        ``value`` is n_q × n_k.

    Examples
    --------
    >>> import numpy as np
    >>> Q = np.random.default_rng(0).standard_normal((5, 64))
    >>> attention_scores(Q, Q, 64, seed=0).value.shape
    (5, 5)
    """
    check_matrix(Q, "Q")
    check_matrix(K, "K")
    if Q.shape[-1] != K.shape[-1]:
        raise ShapeError(f"Q has {Q.shape[-1]} features and K {K.shape[-1]}; they must match")
    size = check_positive_int(size, "size")
    SQ = coordinated_sketch(Q.T, method, size, seed)
    SK = coordinated_sketch(K.T, method, size, seed)
    return estimate_product(SQ, SK)
