"""Leverage scores (exact, fast approximate, ridge), coherence, and ℓ2 row sampling.

For A (m × d) of rank r with an orthonormal basis U of its column space, the
leverage score of row i is ``ℓᵢ = ‖Uᵢ‖² = aᵢᵀ(AᵀA)⁺aᵢ ∈ [0, 1]``, with
``Σᵢ ℓᵢ = r``. Sampling rows with probability ``qᵢ ≥ β ℓᵢ / r`` gives a subspace
embedding (:func:`leverage_sample`).

Examples
--------
>>> import numpy as np
>>> A = np.random.default_rng(0).standard_normal((500, 4))
>>> lev = leverage_scores(A)
>>> round(float(lev.sum()), 10)
4.0
>>> approx = leverage_scores(A, method="approx", seed=0)
>>> bool(np.all((approx > lev / 4) & (approx < 4 * lev)))  # within a constant factor
True
"""

from __future__ import annotations

import math
import warnings
from typing import Any, NamedTuple

import numpy as np

from .backend import (
    array_module,
    compat,
    device,
    is_dask,
    is_operator,
    is_sparse,
    library_dtype,
    numpy_dtype,
    real_dtype,
    to_dense,
)
from .budgets import check_allocation
from .checks import (
    check_matrix,
    check_positive_int,
    check_sampling_mass,
    check_tolerance,
)
from .errors import AccuracyWarning, SizeWarning
from .leverage_sizes import (
    SCORE_DISTORTION,
    approx_leverage_beta,
    approx_leverage_factors,
    approx_sketch_size,
    jl_lower_factor,
    jl_upper_factor,
    leverage_sample_size,
)
from .operators import make_operator
from .rng import as_key
from .rowsample import Sample, sample_rows
from .scaling import unit_scaled

__all__ = [
    "leverage_scores",
    "ridge_leverage_scores",
    "coherence",
    "leverage_sample_size",
    "approx_sketch_size",
    "jl_lower_factor",
    "jl_upper_factor",
    "approx_leverage_factors",
    "approx_leverage_beta",
    "leverage_sample",
]


def _dense(A: Any) -> Any:
    if is_operator(A):
        raise TypeError("exact leverage scores need the entries of A; pass an array, or use "
                        "method='approx' for a LinearOperator")
    return to_dense(A)


def _rank_cut(s: Any, shape: tuple[int, int], dtype: Any) -> int:
    """Numerical rank: singular values above max(m, d)·eps·σ₁ (as numpy.linalg.matrix_rank)."""
    if s.shape[0] == 0:
        return 0
    tol = float(s[0]) * max(shape) * float(np.finfo(numpy_dtype(dtype)).eps)
    return int(compat(array_module(s)).sum(s > tol))


def column_basis(A: Any) -> Any:
    """An orthonormal basis U (m × r) of A's column space at its numerical rank r (thin SVD).

    Row-wise quantities that depend only on range(A) — leverage scores ‖Uᵢ‖², ℓp
    sensitivities — are those of U, which has full column rank and condition 1.
    """
    D = _dense(A)
    xp = compat(array_module(D))
    U, s, _ = xp.linalg.svd(D, full_matrices=False)
    return U[:, :_rank_cut(s, D.shape, s.dtype)]


def _exact(A: Any) -> Any:
    U = column_basis(A)
    xp = compat(array_module(U))
    return xp.sum(xp.abs(U) ** 2, axis=1)


def _approx_sizes(m: int, d: int, sketch_size: int | None,
                  jl_size: int | None) -> tuple[int, int]:
    """The embedding's rows r₁ (default max(8d, d + 40), at most m) and the JL width k₂."""
    r1 = min(m, max(8 * d, d + 40)) if sketch_size is None else check_positive_int(
        sketch_size, "sketch_size")
    if r1 < d:
        raise ValueError(f"sketch_size={r1} must be at least the number of columns d={d} "
                         f"of A ({m} × {d})")
    k2 = max(20, math.ceil(8 * math.log(max(m, 2)))) if jl_size is None else check_positive_int(
        jl_size, "jl_size")
    return r1, k2


def _score_factor(SA: Any, k2: int, key: Any, dtype: Any) -> tuple[Any, int]:
    """Ω with ‖(AΩ)ᵢ‖² ≈ ℓᵢ, and the numerical rank r of S₁A (that of A where S₁ embeds it).

    From the sketch S₁A of an embedding S₁ (DMMW 2012): R⁻¹ from S₁A's SVD makes AR⁻¹
    nearly orthonormal; a k₂-column Gaussian JL matrix shrinks it when k₂ is below
    the rank (otherwise it saves nothing).
    """
    xp = compat(array_module(SA))
    _, s, Vh = xp.linalg.svd(SA, full_matrices=False)
    r = _rank_cut(s, SA.shape, s.dtype)
    Vh = Vh[:r, :]
    if k2 < r:
        # Π mixes the columns of R⁻¹, so fix the SVD's free phases (each right singular
        # vector's largest entry real positive): the same scores on every backend.
        top = Vh[xp.arange(r, device=device(Vh)), xp.argmax(xp.abs(Vh), axis=1)]
        Vh = Vh * (xp.conj(top) / xp.abs(top))[:, None]
    Rinv = xp.conj(Vh).T / s[:r]
    if k2 < r:
        # R⁻¹Πᵀ for the k₂ × r Gaussian Π, as (Π (R⁻¹)ᵀ)ᵀ: Π applied, never formed.
        Rinv = (make_operator("gaussian", k2, r, seed=key.child("JL")) @ Rinv.T).T
    return xp.astype(Rinv, dtype, copy=False), r


class _Approx(NamedTuple):
    """Approximate scores and what :func:`leverage_sample` needs to size a sample by them."""

    scores: Any
    rank: int  # numerical rank of S₁A (exact scores: of A)
    sketch_size: int  # rows of S₁ (0: exact scores were returned)
    jl_size: int  # columns of Π₂ (at least the rank: no JL step)


def _approx(A: Any, sketch_size: int | None, jl_size: int | None, sketch: str,
            key: Any) -> _Approx:
    m, d = A.shape
    xp = compat(array_module(A))
    dtype = A.dtype if A.dtype is not None else np.float64
    if not is_operator(A):
        dtype = library_dtype(xp, dtype)
    rdt = real_dtype(xp, dtype)

    def exact() -> _Approx:
        U = column_basis(A)
        lev = xp.sum(xp.abs(U) ** 2, axis=1)
        return _Approx(xp.astype(lev, rdt, copy=False), U.shape[1], 0, d)

    if sketch_size is None and m < d and not is_operator(A):
        return exact()  # no sketch of fewer rows embeds d columns
    r1, k2 = _approx_sizes(m, d, sketch_size, jl_size)
    if r1 > m:
        # A sketch longer than A costs more than the exact SVD and is less accurate.
        use = "exact scores are returned" if not is_operator(A) else f"it is cut to {m} rows"
        warnings.warn(f"sketch_size={r1} exceeds the {m} rows of A; {use}", SizeWarning,
                      stacklevel=3)
        if not is_operator(A):
            return exact()
        r1 = m
    itemsize = numpy_dtype(dtype).itemsize
    check_allocation(itemsize * (3 * r1 * d + 2 * min(k2, d) * (m + d)),
                     f"approximate leverage scores with sketch_size={r1}, jl_size={k2}", xp=xp,
                     device=None if is_operator(A) else device(A),
                     fix="choose a smaller sketch_size or jl_size")
    if not is_operator(A):
        A = unit_scaled(A)[0]  # scores are scale-free; subnormal or huge entries are not
    S1 = make_operator(sketch, r1, m, seed=key.child("S1"))
    Om, r = _score_factor(to_dense(S1 @ A), k2, key, dtype)
    X = np.asarray(A.matmat(Om)) if is_operator(A) else to_dense(A @ Om)
    return _Approx(xp.astype(xp.sum(xp.abs(X) ** 2, axis=1), rdt, copy=False), r, r1, k2)


def leverage_scores(
    A: Any,
    *,
    method: str = "exact",
    sketch_size: int | None = None,
    jl_size: int | None = None,
    sketch: str = "sparse-sign",
    seed: Any = None,
) -> Any:
    """Row leverage scores of A (m × d, tall).

    Parameters
    ----------
    A : array, sparse matrix (or LinearOperator for ``method="approx"``)
    method : {"exact", "approx"}
        ``"exact"``: thin SVD, O(md²), rank-revealing (rank-deficient A is fine).
        ``"approx"``: Drineas, Magdon-Ismail, Mahoney and Woodruff (2012),
        "Fast approximation of matrix coherence and statistical leverage": QR
        (here an SVD, to handle rank deficiency) of a sketch ``S₁A`` with
        ``sketch_size`` rows gives R with ``A R⁻¹`` nearly orthonormal; the row
        norms of ``A R⁻¹ Π₂`` with a Gaussian JL matrix Π₂ of ``jl_size``
        columns estimate ℓᵢ. With S₁ an ε₁-embedding and ``jl_size = O(log m/ε₂²)``
        every score is within ``(1 ± ε₁)²(1 ± ε₂)`` of the truth (w.h.p.). Cost
        O(nnz(A)·(k + jl_size) + sketch_size·d²). The default sizes give
        estimates with no proven failure probability; :func:`approx_leverage_beta`
        states what a given size proves, and :func:`leverage_sample` sizes S₁
        with :func:`approx_sketch_size`.
    sketch_size : int, optional
        Rows of S₁ (default ``max(8d, d + 40)``, capped at m). More than m rows is
        refused with a :class:`~sketch.errors.SizeWarning`: exact scores are returned
        (for a LinearOperator, S₁ is cut to m rows).
    jl_size : int, optional
        Columns of Π₂ (default ``max(20, ⌈8 ln m⌉)``: each score's relative
        standard deviation is about √(2/jl_size), ≈ 20 % for m = 500). At or above
        the rank of A, Π₂ is dropped (the row norms of ``A R⁻¹`` are used as they are).
    sketch : str
        Kind of S₁ (default sparse sign, O(nnz) to apply).
    seed : None, int or Generator

    Returns
    -------
    array (m,)
        Real scores in [0, 1] (exact) on A's device.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.vstack([np.eye(2), np.zeros((3, 2))])
    >>> leverage_scores(A).tolist()
    [1.0, 1.0, 0.0, 0.0, 0.0]
    """
    if is_dask(A):  # row-chunked Dask arrays: scores block by block (sketch.distributed)
        from .distributed.leverage import leverage_scores as dask_scores

        return dask_scores(A, method=method, sketch_size=sketch_size, jl_size=jl_size,
                           sketch=sketch, seed=seed)
    check_matrix(A, "A", operator=True)
    if method == "exact":
        return _exact(A)
    if method == "approx":
        return _approx(A, sketch_size, jl_size, sketch, as_key(seed)).scores
    raise ValueError(f"method must be 'exact' or 'approx', got {method!r}")


def ridge_leverage_scores(
    A: Any, lam: float, *, method: str = "exact", seed: Any = None, **options: Any
) -> Any:
    """λ-ridge leverage scores ``τᵢ(λ) = aᵢᵀ(AᵀA + λI)⁻¹aᵢ``.

    Their sum is the effective dimension ``d_λ = Σⱼ σⱼ²/(σⱼ² + λ)``; sampling by
    them gives a spectral approximation ``(1±ε)(AᵀA + λI)`` with
    O(d_λ log d_λ / ε²) rows (Alaoui and Mahoney 2015; Cohen, Musco and Musco
    2017). Computed as ordinary leverage scores of the first m rows of the
    augmented matrix ``[A; √λ I]``, exactly (SVD: ``τᵢ = Σⱼ Uᵢⱼ² σⱼ²/(σⱼ²+λ)``)
    or with the fast approximation of :func:`leverage_scores`.

    Parameters
    ----------
    A : array, sparse matrix or row-chunked Dask array (m × d)
    lam : float
        Ridge parameter λ > 0.
    method : {"exact", "approx"}
    seed, **options
        For ``method="approx"`` (see :func:`leverage_scores`).

    Examples
    --------
    >>> import numpy as np
    >>> A = np.vstack([np.eye(3), np.zeros((2, 3))])
    >>> ridge_leverage_scores(A, 1.0).tolist()
    [0.5, 0.5, 0.5, 0.0, 0.0]
    """
    lam = check_tolerance(lam, "the ridge parameter lam")
    unknown = set(options) - {"sketch_size", "jl_size", "sketch"}
    if unknown:
        raise TypeError(f"unknown option(s) {', '.join(sorted(unknown))}; ridge_leverage_scores "
                        "takes sketch_size, jl_size and sketch")
    if is_dask(A):  # row-chunked Dask arrays: scores block by block (sketch.distributed)
        from .distributed.leverage import ridge_leverage_scores as dask_ridge_scores

        return dask_ridge_scores(A, lam, method=method, seed=seed, **options)
    check_matrix(A, "A")
    xp = array_module(A)
    m, d = A.shape
    if method == "exact":
        D = _dense(A)
        xp = compat(xp)
        U, s, _ = xp.linalg.svd(D, full_matrices=False)
        f = s**2 / (s**2 + lam)
        return xp.sum(xp.abs(U) ** 2 * f[None, :], axis=1)
    if method == "approx":
        from .backend import sparse

        if is_sparse(A):
            aug = sparse(xp).vstack([A, math.sqrt(lam) * sparse(xp).identity(d, dtype=A.dtype)])
        else:
            aug = xp.concatenate([A, math.sqrt(lam) * xp.eye(d, dtype=A.dtype)], axis=0)
        return _approx(aug.tocsr() if is_sparse(aug) else aug, options.get("sketch_size"),
                       options.get("jl_size"), options.get("sketch", "sparse-sign"),
                       as_key(seed)).scores[:m]
    raise ValueError(f"method must be 'exact' or 'approx', got {method!r}")


def coherence(A: Any, **options: Any) -> float:
    """Coherence ``μ(A) = maxᵢ ℓᵢ`` (between rank/m and 1).

    Uniform sampling needs about ``m·μ(A)·log d/ε²`` rows, leverage sampling
    ``d·log d/ε²`` (Drineas et al. 2012; Ma, Mahoney and Yu 2015): coherence is
    what separates them. Options go to :func:`leverage_scores`.

    Examples
    --------
    >>> import numpy as np
    >>> coherence(np.vstack([np.eye(2), np.zeros((8, 2))]))
    1.0
    """
    lev = leverage_scores(A, **options)
    return float(lev.max())


#: Where a proven S₁ would have at least this fraction of A's rows, exact scores are cheaper
#: (measured: a sketch of m/2 rows and A R⁻¹ take about as long as A's thin SVD).
EXACT_BELOW = 0.5


def _approx_score_options(m: int, d: int, delta: float, options: dict[str, Any],
                          distortion: float = SCORE_DISTORTION) -> dict | None:
    """The sizes :func:`leverage_sample` gives the approximate scores for a proven β.

    ``options`` as the caller gave them (``sketch_size``, ``jl_size``, ``sketch``);
    the defaults: :func:`approx_sketch_size` rows of S₁ at the score step's δ (half
    of it with a JL step) and ``distortion`` ε₁, and no JL step (the proven sketch makes
    A R⁻¹ the cheaper product wherever it fits A). None where that sketch would have at least
    :data:`EXACT_BELOW`·m rows: exact scores are then cheaper.
    """
    opts = dict(options)
    kind = opts.get("sketch", "sparse-sign")
    jl = opts.get("jl_size")
    jl = None if jl is None else check_positive_int(jl, "jl_size")
    if opts.get("sketch_size") is None:
        delta_s = delta / 2 if jl is not None and jl < d else delta
        # rounded to whole row blocks for the sparse sign only (its rule, approx_sketch_size);
        # another sketch is judged by approx_leverage_beta, which names it
        s = approx_sketch_size(d, delta_s, "sparse-sign" if kind == "sparse-sign" else "gaussian",
                               distortion)
        if s >= EXACT_BELOW * m:
            return None
        opts["sketch_size"] = s
    if jl is None:
        opts["jl_size"] = d
    return opts


def leverage_sample(
    A: Any,
    eps: float = 0.5,
    delta: float = 0.1,
    *,
    size: int | None = None,
    method: str = "exact",
    seed: Any = None,
    **options: Any,
) -> Sample:
    """Sample rows of A by leverage scores for an ε-subspace embedding.

    Draws :func:`leverage_sample_size` rows with ``qᵢ = ℓᵢ/Σℓ``; ``Sample.apply(A)``
    is then, with probability ≥ 1 − δ, an ε-subspace embedding of A. Exact scores
    have β = 1. Approximate scores (``method="approx"``) split δ in halves: the
    scores meet :func:`approx_leverage_beta` with probability ≥ 1 − δ/2, and the
    sample is sized for that β at δ/2. To prove β the score step's sketch needs
    :func:`approx_sketch_size` rows, O(r²/δ) rather than the O(r) that work in
    practice. We raise the sketch rather than keep it and lower β, since at O(r)
    rows no β is proven at all, and we drop the JL step: a width that keeps its
    factor x ≥ 1/2 needs about 10·ln(4m/δ) columns (160 for m = 10⁵), and only for
    ranks well above that would it save work, where the proven sketch (25r²/δ rows) no
    longer fits in A. Where the proven sketch would have m/2 rows or more, exact
    scores are computed instead (cheaper, and β = 1 with all of δ for the sample).
    Measured (``python -m benchmarks leverage``, scores + draw + sampled solve, one
    thread, shared machine, two runs): at m = 400 000 the approximate rule was
    1.9–3.2× faster than exact scores for d = 40 and 1.3–1.5× for d = 20, but
    1.1–2.3× slower for d = 10, where exact scores are the better choice. Against
    the former unproven rule (8d sketch rows, β = 1/2 assumed) it drew 5–7 % more
    rows in 0.5–1.3× the time (within the machine's noise).

    Parameters
    ----------
    A : array or sparse matrix (m × d)
    eps, delta : float
        Distortion and failure probability.
    size : int, optional
        Override the sample size; smaller than required warns
        (:class:`~sketch.errors.AccuracyWarning`).
    method : {"exact", "approx"}
        How the scores are computed (see :func:`leverage_scores`).
    seed : None, int or Generator

    Returns
    -------
    Sample

    Examples
    --------
    >>> import numpy as np
    >>> A = np.random.default_rng(0).standard_normal((4000, 3))
    >>> smp = leverage_sample(A, eps=0.5, seed=0)
    >>> SA = smp.apply(A)
    >>> sv = np.linalg.svd(np.linalg.qr(A)[0][smp.indices] * np.sqrt(smp.weights)[:, None],
    ...                    compute_uv=False)
    >>> bool(sv.max() ** 2 <= 1.5 and sv.min() ** 2 >= 0.5)
    True
    """
    if is_dask(A):  # row-chunked Dask arrays: rows stay in place (sketch.distributed)
        from .distributed.leverage import leverage_sample as dask_sample

        return dask_sample(A, eps, delta, size=size, method=method, seed=seed, **options)
    check_matrix(A, "A")
    key = as_key(seed)
    lev, rank, need = _scores_and_need(A, eps, delta, method, key, options, _approx,
                                       lambda v: float(compat(array_module(v)).sum(v)), 4)
    xp = compat(array_module(lev))
    s = need if size is None else check_positive_int(size, "size")
    if s < need:
        warnings.warn(f"{s} rows are fewer than the {need} that an eps={eps} subspace embedding "
                      f"of rank {rank} needs (delta={delta}); the guarantee does not hold",
                      AccuracyWarning, stacklevel=2)
    q = xp.clip(lev, min=0.0)
    check_sampling_mass(float(xp.sum(q)), "A")
    return sample_rows(q, s, key.child("draw"), scheme="leverage", required_size=need)


def _scores_and_need(A: Any, eps: float, delta: float, method: str, key: Any, options: dict,
                     approx: Any, total_of: Any, stacklevel: int) -> tuple[Any, int, int]:
    """Scores, their rank and the sample size: one rule in memory and on Dask.

    ``approx`` computes the approximate scores (:class:`_Approx`) of this kind of A;
    ``total_of`` sums a score vector to a float.
    """
    m, d = A.shape
    opts = _approx_score_options(m, d, delta / 2, options) if method == "approx" else None
    if opts is None:
        lev = leverage_scores(A, method="exact" if method == "approx" else method,
                              seed=key.child("scores"), **options)
        # Exact scores sum to the rank, which never exceeds the number of columns.
        rank = min(d, max(1, round(total_of(lev))))
        return lev, rank, leverage_sample_size(rank, eps, delta)
    got = approx(A, opts.get("sketch_size"), opts.get("jl_size"),
                 opts.get("sketch", "sparse-sign"), key.child("scores"))
    need = _approx_need(got, total_of(got.scores), m, eps, delta, opts.get("sketch"),
                        stacklevel + 1)
    return got.scores, got.rank, need


def _approx_need(got: Any, total: float, m: int, eps: float, delta: float, sketch: Any,
                 stacklevel: int) -> int:
    """The sample size for approximate scores (in memory or on Dask): δ/2 each step."""
    if got.sketch_size == 0 or got.rank == 0 or not total > 0:  # exact (or no) scores
        return leverage_sample_size(max(1, got.rank), eps, delta)
    try:
        beta = approx_leverage_beta(got.rank, total, m, sketch_size=got.sketch_size,
                                    jl_size=got.jl_size, delta=delta / 2,
                                    sketch=sketch or "sparse-sign")
    except ValueError as err:  # too small a sketch, or one the bound does not cover
        warnings.warn(f"{err}; sized with beta=1/2, the delta={delta} guarantee does not hold",
                      AccuracyWarning, stacklevel=stacklevel)
        beta = 0.5
    return leverage_sample_size(got.rank, eps, delta / 2, beta)
