"""Randomized SVD, subspace iteration and Nyström on row-chunked Dask arrays: passes on the workers.

:func:`sketch.randomized_svd` with ``power_iters`` or ``method="subspace"``,
:func:`sketch.nystrom`, :func:`sketch.randomized_eigh` (and every routine of
:mod:`sketch.lowrank` built on its counted products, block Krylov of a wide A
included) take a row-chunked Dask A (m × n) through :class:`DaskOperator`: the
algorithm is the in-memory one, line for line, and only the arrays it touches
move. Block Krylov of a tall A — :func:`sketch.randomized_svd`'s default — has
its own schedule with the basis on the client (:mod:`sketch.distributed.krylov`).

* ``A X`` for a small X (n × l, on the client): each block computes A_b X
  where it lives; the m × l result stays on the workers (persisted) — for a
  square A (:func:`sketch.nystrom`, :func:`sketch.randomized_eigh`) it comes
  to the client, being the size of the X every block received.
* ``Aᴴ Y`` for a tall Y (m × l, row-chunked like A): Σ_b A_bᴴ Y_b, one pass,
  only the n × l sum reaches the client.
* An orthonormal basis of a tall block: TSQR (Demmel, Grigori, Hoemmen and
  Langou 2012; Benson, Gleich and Demmel 2013) — Householder QR of every
  block and of the stacked R factors, the small factors alone move. Block
  Gram–Schmidt against the basis is two reductions ``Qᴴ Z`` (l × l to the
  client) and a blockwise update.
* Ritz values, the stopping rule, LU renormalisation of ``Aᴴ Q`` and the final
  small SVD run on the client, as in memory.

So for the same seed the results equal the in-memory ones to rounding; U is a
Dask array (row-chunked like A), s and Vh are on the client. LU
renormalisation of a tall block (fixed ``power_iters`` only) is replaced by
TSQR, which spans the same space.

Examples
--------
>>> import numpy as np, dask.array as da
>>> from sketch import randomized_svd
>>> A = np.random.default_rng(0).standard_normal((2000, 40)) * 0.7 ** np.arange(40)
>>> res = randomized_svd(da.from_array(A, chunks=500), 5, power_iters=2, seed=0)
>>> ref = randomized_svd(A, 5, power_iters=2, seed=0)
>>> bool(np.allclose(res.s, ref.s, rtol=1e-12)), res.passes == ref.passes
(True, True)
>>> U = res.U.compute()
>>> bool(np.allclose(U.T @ U, np.eye(5), atol=1e-12))
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import array_module, is_dask
from ..checks import check_dtype, check_square
from ..errors import ShapeError
from ..lowrank.operator import _Operator
from .rows import (
    as_rows,
    chunk_module,
    dask_modules,
    finite_on_client,
    gather,
    persist,
    row_sum,
    tsqr,
)

__all__ = ["DaskOperator", "tall_orth", "tall_extend"]


def _H(X: Any) -> Any:
    return X.conj().T if X.dtype.kind == "c" else X.T


def _times(a: Any, X: Any) -> Any:
    return a @ X


def _adjoint_times(a: Any, y: Any, j0: int, j1: int) -> Any:
    return _H(_H(y) @ a) if a.dtype.kind == "c" else a.T @ y


def _square_norm(a: Any, j0: int, j1: int) -> Any:
    return array_module(a).linalg.norm(a.ravel()) ** 2


def _rows_like(Y: Any, A: Any) -> Any:
    return as_rows(Y, "Y").rechunk((A.chunks[0], -1))


def tall_times(Y: Any, C: Any) -> Any:
    """Y C for a tall row-chunked Y and a small C (client): row-chunked like Y, lazy."""
    xp = chunk_module(Y)
    C = xp.asarray(C)
    return Y.map_blocks(_times, C, chunks=(Y.chunks[0], (C.shape[1],)),
                        dtype=np.result_type(Y.dtype, C.dtype),
                        meta=xp.empty((0, 0), dtype=np.result_type(Y.dtype, C.dtype)))


def tall_inner(Q: Any, Z: Any) -> Any:
    """Qᴴ Z for two tall row-chunked arrays, lazily (one pass over both)."""
    return row_sum(_adjoint_times, Q, _rows_like(Z, Q))


def tall_orth(Y: Any) -> Any:
    """An orthonormal basis of range(Y) for a tall row-chunked Y (TSQR), persisted."""
    return tsqr(as_rows(Y, "Y"))[0]


def _small(C: Any, shape: tuple[int, int], dtype: Any, xp: Any) -> Any:
    """A small matrix still being computed (``dask.delayed``) as a one-chunk Dask array."""
    _, da = dask_modules()
    return da.from_delayed(C, shape, dtype=dtype, meta=xp.empty((0, 0), dtype=dtype))


def tall_extend(Q: Any, Z: Any) -> Any:
    """Orthonormal columns spanning the part of range(Z) orthogonal to range(Q), tall.

    As :func:`sketch.lowrank.basis.extend`: block classical Gram–Schmidt twice,
    directions below ``10·√u·‖Z‖_F`` dropped (here from the singular values of
    the TSQR factor R of the projected block); the kept directions are
    projected once more and re-orthonormalised only when some were much
    shorter than ‖Z‖ (the loss of orthogonality to Q grows as ‖Z‖/σ_min).
    The projections and the TSQR are one graph: one round trip to the workers
    in the common case, three at most.
    """
    Q, Z = as_rows(Q, "Q"), _rows_like(Z, Q)
    _, da = dask_modules()
    xp = chunk_module(Z)
    shape, dtype = (Q.shape[1], Z.shape[1]), np.result_type(Q.dtype, Z.dtype)
    unit = float(np.finfo(Z.dtype).eps)
    Z1 = Z - Q @ _small(tall_inner(Q, Z), shape, dtype, xp)
    Z2 = Z1 - Q @ _small(tall_inner(Q, Z1), shape, dtype, xp)
    Qz, R = persist(*da.linalg.tsqr(Z2.rechunk({1: -1})))
    R, sq = gather(R, row_sum(_square_norm, Z))
    scale = math.sqrt(float(sq))
    U, sv, _ = array_module(R).linalg.svd(R)
    keep = sv > 10 * math.sqrt(unit) * scale
    if not bool(keep.any()):
        return Z[:, :0]
    N = tall_times(Qz, U[:, keep])
    if float(sv[keep].min()) >= 1e-3 * scale:
        return persist(N)[0]
    (C,) = gather(tall_inner(Q, N))
    return tall_orth(N - tall_times(Q, C))


class DaskOperator(_Operator):
    """Counted products with a row-chunked Dask A (persisted on the workers).

    ``mm`` returns a tall Dask array (persisted), ``rmm`` a small array on the
    client; each is one pass over A. ``check_hermitian`` only checks the
    shape (a distributed symmetry check would cost a transposition of A): a
    Dask A, like a LinearOperator, is trusted to be Hermitian where asked.
    """

    def __init__(self, A: Any, name: str = "A"):
        A = as_rows(A, name)
        if A.ndim != 2:
            raise ShapeError(f"{name} must be 2-D, got shape {A.shape}")
        check_dtype(A.dtype, name)
        (self.A,) = persist(A)
        self.name = name
        self.shape = tuple(A.shape)
        self.xp = chunk_module(A)
        self.kind = "dask"
        self.device = None  # the chunks' library's default device
        self.dtype = np.dtype(A.dtype)
        self.complex = self.dtype.kind == "c"
        self.real_dtype = np.finfo(self.dtype).dtype
        self.passes = 0
        self.work = self.A

    def lower_precision(self) -> bool:
        return False  # passes stay in A's precision: a float32 copy would double the workers' data

    def mm(self, X: Any) -> Any:
        self.passes += 1
        if is_dask(X):  # every block needs all of X
            (X,) = gather(X)
        Y = tall_times(self.A, X)
        if self.shape[0] == self.shape[1]:
            # Square A (Nyström, eigh): A X has the size of the X each block received.
            return finite_on_client(gather(Y)[0], self.name)
        (Y,) = persist(Y)
        return Y

    def rmm(self, Y: Any) -> Any:
        self.passes += 1
        if not is_dask(Y):
            _, da = dask_modules()
            Y = da.from_array(Y, chunks=(self.A.chunks[0], -1), asarray=False)
        out = gather(row_sum(_adjoint_times, self.A, _rows_like(Y, self.A)))[0]
        return finite_on_client(out, self.name)

    def frobenius_norm(self) -> float | None:
        return math.sqrt(float(gather(row_sum(_square_norm, self.A))[0]))

    def check_hermitian(self, name: str = "A") -> None:
        check_square(self.A, name)
