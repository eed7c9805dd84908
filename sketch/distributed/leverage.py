"""Leverage scores and leverage sampling of a row-chunked Dask matrix, rows left in place.

:func:`sketch.leverage_scores`, :func:`sketch.ridge_leverage_scores` and
:func:`sketch.leverage_sample` take this path for a Dask A (m × d). The scores
are a Dask vector chunked like A's rows, computed block by block from a d × d
factor on the client:

* ``"approx"`` (Drineas, Magdon-Ismail, Mahoney and Woodruff 2012): the sketch
  S₁A is computed where the blocks live (:func:`sketch_dask`), its SVD on the
  client gives R⁻¹ and with a Gaussian JL matrix Π₂ the block
  ``Ω = R⁻¹Π₂`` (d × k₂) is sent to every block; ℓᵢ ≈ ‖(A_b Ω)ᵢ‖².
* ``"exact"``: TSQR A = QR, the SVD R = UΣVᴴ on the client, ℓᵢ = ‖(Q_b U_r)ᵢ‖².

Sampling draws the same keyed uniforms as in memory; the client receives the
d block totals of the scores, sends each block the draws that fall in it, and
gets back only the drawn indices and their probabilities. ``Sample.apply(A)``
is then a lazy Dask array of the sampled rows: computing it gathers the sample
and nothing else.

Examples
--------
>>> import numpy as np, dask.array as da
>>> from sketch import leverage_sample, leverage_scores
>>> A = np.random.default_rng(0).standard_normal((3000, 4))
>>> X = da.from_array(A, chunks=1000)
>>> lev = leverage_scores(X)
>>> bool(np.allclose(lev.compute(), leverage_scores(A)))
True
>>> smp = leverage_sample(X, seed=0)
>>> bool(np.array_equal(smp.indices, leverage_sample(A, seed=0).indices))
True
>>> smp.apply(X).shape == (smp.size, 4)
True
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..backend import array_module
from ..budgets import check_allocation
from ..checks import check_dtype, check_positive_int, check_sampling_mass
from ..errors import AccuracyWarning, ShapeError
from ..leverage import (
    _Approx,
    _approx_sizes,
    _rank_cut,
    _score_factor,
    _scores_and_need,
)
from ..operators import make_operator
from ..rng import as_key
from ..rowsample import Sample
from .rows import (
    as_rows,
    chunk_module,
    dask_modules,
    finite_on_client,
    gather,
    offsets,
    persist,
    tsqr,
)
from .sketches import sketched_rows

__all__ = ["leverage_scores", "ridge_leverage_scores", "leverage_sample", "sample_rows"]


def _row_norms(a: Any, W: Any) -> Any:
    xp = array_module(a)
    return xp.sum(xp.abs(a @ W) ** 2, axis=1).astype(np.finfo(a.dtype).dtype, copy=False)


def _scores(X: Any, W: Any) -> Any:
    xp = chunk_module(X)
    rdt = np.finfo(X.dtype).dtype
    return X.map_blocks(_row_norms, xp.asarray(W), drop_axis=1, dtype=rdt,
                        meta=xp.empty((0,), dtype=rdt))


def _matrix(A: Any) -> Any:
    A = as_rows(A, "A")
    if A.ndim != 2:
        raise ShapeError(f"A must be 2-D, got shape {A.shape}")
    check_dtype(A.dtype, "A")
    return A  # read twice at most (the sketch or TSQR, then the scores): not persisted


def leverage_scores(A: Any, *, method: str = "exact", sketch_size: int | None = None,
                    jl_size: int | None = None, sketch: str = "sparse-sign",
                    seed: Any = None) -> Any:
    """Row leverage scores of a row-chunked Dask A, as a Dask vector (see the module)."""
    A = _matrix(A)
    m, d = A.shape
    rdt = np.finfo(A.dtype).dtype
    if method == "exact":
        Q, R = tsqr(A)
        R = finite_on_client(R, "A")
        xp = array_module(R)
        U, s, _ = xp.linalg.svd(R)
        return persist(_scores(Q, U[:, :_rank_cut(s, A.shape, rdt)]))[0]
    if method != "approx":
        raise ValueError(f"method must be 'exact' or 'approx', got {method!r}")
    return _approx(A, sketch_size, jl_size, sketch, as_key(seed)).scores


def _approx(A: Any, sketch_size: int | None, jl_size: int | None, sketch: str,
            key: Any) -> _Approx:
    m, d = A.shape
    # The sizes and keys of sketch.leverage's in-memory approximation, so the scores match it.
    r1, k2 = _approx_sizes(m, d, sketch_size, jl_size)
    SA = gather(sketched_rows(make_operator(sketch, r1, m, seed=key.child("S1")), A, "A"))[0]
    Om, r = _score_factor(SA, k2, key, A.dtype)
    return _Approx(persist(_scores(A, Om))[0], r, r1, k2)


def ridge_leverage_scores(A: Any, lam: float, *, method: str = "exact", seed: Any = None,
                          **options: Any) -> Any:
    """λ-ridge leverage scores of a row-chunked Dask A, as a Dask vector chunked like A's rows.

    ``"exact"``: TSQR A = QR and the SVD R = UΣVᴴ on the client give
    ``τᵢ = ‖(Q_b U diag(σ/√(σ² + λ)))ᵢ‖²``, block by block. ``"approx"``: the
    approximate leverage scores of the first m rows of ``[A; √λ I]``, that
    d-row block appended as one more chunk (as :func:`sketch.ridge_leverage_scores`
    does in memory, with the same sizes and keys).
    """
    A = _matrix(A)
    m, d = A.shape
    if method == "exact":
        Q, R = tsqr(A)
        R = finite_on_client(R, "A")  # was LinAlgError ("SVD did not converge") on NaN
        xp = array_module(R)
        U, s, _ = xp.linalg.svd(R)
        return persist(_scores(Q, U * (s / xp.sqrt(s**2 + lam))))[0]
    if method != "approx":
        raise ValueError(f"method must be 'exact' or 'approx', got {method!r}")
    _, da = dask_modules()
    xp = chunk_module(A)
    ridge = da.from_array(math.sqrt(lam) * xp.eye(d, dtype=A.dtype), chunks=(d, d),
                          asarray=False)
    lev = leverage_scores(da.concatenate([A, ridge]), method="approx", seed=seed, **options)
    return persist(lev[:m])[0]


def _draw(q: Any, u: Any, j0: int, total: float, start: float) -> tuple[Any, Any]:
    """Global indices and probabilities of the draws u that fall in this block of q."""
    xp = array_module(q)
    u = xp.asarray(u)
    cdf = start + xp.cumsum(q / total)
    idx = xp.searchsorted(cdf, u, side="right")
    idx = xp.minimum(idx, q.shape[0] - 1)
    p = q[idx] / total
    if bool((p == 0).any()):  # round-off at a flat part of the CDF: move right to a real row
        nz = xp.nonzero(q > 0)[0]
        idx = nz[xp.minimum(xp.searchsorted(nz, idx), nz.shape[0] - 1)]
        p = q[idx] / total
    return (idx + j0).astype(xp.int64), p


def sample_rows(q: Any, size: int, key: Any, *, scheme: str, required_size: int) -> Sample:
    """:func:`sketch.sample_rows` for a Dask vector q: only the draws reach the client."""
    import dask

    q = as_rows(q, "probabilities")
    size = check_positive_int(size, "sample size")
    # the in-memory rule (sketch.sample_rows): about five words per draw, here on the client
    check_allocation(40 * size, f"a sample of size={size} draws", xp=np,
                     fix="ask for a smaller size")
    sums = np.asarray(gather(*[dask.delayed(float)(b.sum()) for b in q.to_delayed()]),
                      dtype=np.float64)
    total = float(sums.sum())
    if not math.isfinite(total) or not total > 0:
        raise ValueError(f"the scores must be finite with a positive sum, got {total}")
    cuts = np.cumsum(sums / total)
    u = key.child("rows").uniform(np.arange(size, dtype=np.uint64), np) * float(cuts[-1])
    block = np.minimum(np.searchsorted(cuts, u, side="right"), len(sums) - 1)
    starts = np.concatenate([[0.0], cuts[:-1]])
    parts = []
    for i, (qb, j0) in enumerate(zip(q.to_delayed(), offsets(q.chunks[0]))):
        mine = np.nonzero(block == i)[0]
        if len(mine):
            parts.append((mine, dask.delayed(_draw)(qb, u[mine], j0, total, starts[i])))
    drawn = gather(*[p for _, p in parts])
    xp = chunk_module(q)
    idx = xp.empty(size, dtype=xp.int64)
    prob = xp.empty(size, dtype=xp.float64)
    for (mine, _), (ib, pb) in zip(parts, drawn):
        idx[xp.asarray(mine)] = ib
        prob[xp.asarray(mine)] = pb
    return Sample(indices=idx, weights=1.0 / (size * prob), probabilities=q / total,
                  required_size=required_size, scheme=scheme)


def leverage_sample(A: Any, eps: float = 0.5, delta: float = 0.1, *, size: int | None = None,
                    method: str = "exact", seed: Any = None, **options: Any) -> Sample:
    """:func:`sketch.leverage_sample` for a Dask A (the same rule for the sample size)."""
    key = as_key(seed)
    A = _matrix(A)
    lev, rank, need = _scores_and_need(A, eps, delta, method, key, options, _approx,
                                       lambda v: float(gather(v.sum())[0]), 5)
    # was a ValueError about "the scores" from the draw (gathered again: Dask persists it)
    check_sampling_mass(float(gather(lev.sum())[0]), "A")
    s = need if size is None else check_positive_int(size, "size")
    if s < need:
        warnings.warn(f"{s} rows are fewer than the {need} that an eps={eps} subspace embedding "
                      f"of rank {rank} needs (delta={delta}); the guarantee does not hold",
                      AccuracyWarning, stacklevel=3)
    return sample_rows(lev.clip(0), s, key.child("draw"), scheme="leverage", required_size=need)
