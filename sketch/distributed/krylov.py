"""Block Krylov SVD of a tall row-chunked Dask A: the basis on the client, one read of A per step.

:func:`sketch.randomized_svd` (its default) and :func:`sketch.block_krylov_svd`
take this schedule for a Dask A (m × n, m ≥ n). It builds the *same* Krylov
spaces as the in-memory algorithm (Musco and Musco 2015), seen from the other
side: with M = AᴴA and Ω the same test matrix,

    K_L(q) = span{AΩ, (AAᴴ)AΩ, …, (AAᴴ)^q AΩ} = A·K_R(q),   K_R(q) = span{Ω, MΩ, …, M^qΩ}.

The in-memory loop keeps an m-row orthonormal basis of K_L(q); here the n-row
basis V of K_R(q) stays on the client and every Krylov step is one round trip
in which each block computes ``A_bᴴ(A_b V_j)`` where it lives (one read of A,
two products) and only the n × b sum moves. So no tall basis is orthogonalised
step by step: the only tall work is the k-column Rayleigh–Ritz at the end.

The in-memory Ritz values are those of the left space, σ̃ᵢ(QᴴA) with
Q = orth(AV); with W = MV they are the generalised eigenvalues σ̃² of the pencil
``(WᴴW, VᴴW)`` (for AV = QR: QᴴA = R⁻ᴴWᴴ and RᴴR = VᴴW), computed on the
client after every step for the same stopping rule
(:func:`sketch.lowrank.certificates.accuracy_stop`). They carry rounding of
about u·σ₁² (u the unit roundoff), as the in-memory Gram matrix's do. As in
memory, a float64 A is multiplied in float32 when the first Ritz values show
that float32 resolves the accuracy asked for (``mixed_precision``): each block
is cast where it lives, so no copy of A is kept.

The factors come from a final Rayleigh–Ritz, in A's precision, in the top-k
Ritz directions X of the pencil: each block computes ``Y_b = A_b(VX)``,
``Y_bᴴY_b`` and ``A_bᴴY_b`` from one read; AVX is orthonormal up to rounding,
so one Cholesky QR of it is as stable as Householder (TSQR and a second read
are the fallback when it is not), and the small SVD runs as in memory. That
k-dimensional left space holds the in-memory top-k Ritz vectors, so the
singular values agree with the in-memory ones up to the rounding of X
(rtol 1e-14 on moderate spectra; about u·(σ₁/σₖ)² on steep ones, far below
σₖ₊₁ in ‖A − UΣVᴴ‖₂).

Passes (products with A or Aᴴ): the in-memory count plus 2 (the final
Rayleigh–Ritz); reads of A: ``steps + 2`` against the in-memory
``2·steps + 2`` (plus one of the r probe columns); round trips to the
workers: ``steps + 3`` (the last gathers the probes' residual norms). The
same ``max_passes`` counts the final two, so at the cap the Dask run can stop
a step earlier than in memory.

Examples
--------
>>> import numpy as np, dask.array as da
>>> from sketch import block_krylov_svd
>>> A = np.random.default_rng(0).standard_normal((3000, 60)) * 0.8 ** np.arange(60)
>>> got = block_krylov_svd(da.from_array(A, chunks=1000), 5, seed=1, mixed_precision=False)
>>> ref = block_krylov_svd(A, 5, seed=1, mixed_precision=False)
>>> bool(np.allclose(got.s, ref.s, rtol=1e-12)), got.passes == ref.passes + 2
(True, True)
>>> block_krylov_svd(da.from_array(A, chunks=1000), 5, seed=1).pass_dtype  # the default
'float32'
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import array_module, solve_triangular, to_numpy
from ..lowrank.basis import draw_test_matrix, extend, orth, svd_from_basis
from ..lowrank.certificates import Probes, accuracy_stop, single_precision_allows
from ..lowrank.krylov import _check_basis_memory
from ..lowrank.results import SVDResult
from .lowrank import _H, DaskOperator, _adjoint_times, _rows_like, tall_times
from .rows import dask_modules, finite_on_client, fold, gather, persist, row_sum

__all__ = ["krylov_svd", "pencil_ritz"]

#: Final passes of the Dask schedule beyond the in-memory count: A(VX) and AᴴQ.
FINAL_PASSES = 2


def _gram_times(a: Any, j0: int, j1: int, V: Any) -> Any:
    """A_bᴴ (A_b V): block b's share of MV, from one read of the block (in V's precision)."""
    a = a.astype(V.dtype, copy=False)  # float32 passes: the block is cast where it lives
    return _H(a) @ (a @ V)


def gram_times(A: Any, V: Any) -> Any:
    """``AᴴA V`` for a row-chunked A and a small V (client), lazily: one read of A."""
    return row_sum(_gram_times, A, args=(V,))


def pencil_ritz(V: Any, W: Any, unit: float) -> tuple[np.ndarray, Any]:
    """Ritz values and directions of the left space A·range(V), from ``W = AᴴAV``.

    The generalised eigenproblem ``WᴴW x = σ̃² (VᴴW) x``: VᴴW = Z Λ Zᴴ is
    whitened by T = Z Λ^{-1/2} (directions with λ at the rounding level
    ``10·L·u·λ_max`` dropped: A maps them to below √u·σ₁), then
    ``(WT)ᴴ(WT) = Y diag(σ̃²) Yᴴ``. Returns σ̃² (descending, host NumPy) and
    X = T Y (L × kept), scaled so that the columns of A V X are orthonormal.
    """
    xp = array_module(V)
    B = _H(V) @ W
    lam, Z = xp.linalg.eigh((B + _H(B)) / 2)
    keep = lam > 10 * B.shape[0] * unit * max(float(lam[-1]), 0.0)
    if not bool(keep.any()):  # A V = 0 to rounding
        return np.zeros(B.shape[0]), Z[:, :0]
    T = Z[:, keep] / xp.sqrt(lam[keep])
    WT = W @ T
    C = _H(WT) @ WT
    mu, Y = xp.linalg.eigh((C + _H(C)) / 2)
    order = xp.argsort(mu)[::-1]
    return to_numpy(xp.abs(mu[order])), T @ Y[:, order]


def _first_pass(op: DaskOperator, V: Any, r: int, key: Any, dtype: Any) -> tuple[Any, Any]:
    """(MV₀, probes): the in-memory probes (persisted) and MV₀, one round trip."""
    P = None
    if r:
        Wp = draw_test_matrix(op.shape[1], r, op, key, "gaussian", "probes") * math.sqrt(r)
        (AW,) = persist(tall_times(op.A, Wp))  # starts now, alongside the reduction
        P = Probes(Wp, AW)
    return _gram(op, V, dtype), P


def _gram(op: DaskOperator, V: Any, dtype: Any) -> Any:
    """MV in the passes' precision ``dtype``, back in A's precision: one round trip."""
    (W,) = gather(gram_times(op.A, V.astype(dtype, copy=False)))
    W = finite_on_client(W, op.name)
    op.passes += 2
    return W.astype(op.dtype, copy=False)


def _final_block(a: Any, VX: Any) -> tuple[Any, Any, Any]:
    """(Y_b, Y_bᴴY_b, A_bᴴY_b) for Y_b = A_b VX: one read of the block."""
    Y = a @ VX
    return Y, _H(Y) @ Y, _H(a) @ Y


def _rayleigh_ritz(op: DaskOperator, VX: Any) -> tuple[Any, Any] | None:
    """(Q, AᴴQ) for Q an orthonormal basis of Y = A·VX: one round trip, one read of A.

    Y is nearly orthonormal by construction, so one Cholesky QR (R from the
    Gram matrix YᴴY, gathered with AᴴY in the same pass) is as stable as
    Householder: its loss of orthogonality is about u·κ(Y)². Returns None when
    YᴴY is not within 1/2 of the identity (then :func:`_tsqr_ritz`).
    """
    import dask

    _, da = dask_modules()
    xp = op.xp
    task = dask.delayed(_final_block, pure=True, nout=3)
    parts = [task(a, VX) for a in op.A.to_delayed().ravel()]
    dtype = np.result_type(op.dtype, VX.dtype)
    Y = da.concatenate([da.from_delayed(y, (n, VX.shape[1]), dtype=dtype,
                                        meta=xp.empty((0, 0), dtype=dtype))
                        for (y, _, _), n in zip(parts, op.A.chunks[0])])
    (Y,) = persist(Y)
    G, C = gather(fold([g for _, g, _ in parts]), fold([c for _, _, c in parts]))
    G, C = finite_on_client(G, op.name), finite_on_client(C, op.name)
    op.passes += FINAL_PASSES
    I = xp.eye(G.shape[0], dtype=G.dtype)
    if not float(xp.linalg.norm(G - I, 2)) <= 0.5:
        return None
    Rinv = _H(solve_triangular(xp.linalg.cholesky(G), I, lower=True))  # R⁻¹ for G = RᴴR
    return tall_times(Y, Rinv), C @ Rinv


def _tsqr_ritz(op: DaskOperator, VX: Any) -> tuple[Any, Any]:
    """(Q, AᴴQ) with Q from TSQR of A·VX (Householder): two reads of A."""
    _, da = dask_modules()
    Q, _ = da.linalg.tsqr(tall_times(op.A, VX))
    (Q,) = persist(Q)
    (Bt,) = gather(row_sum(_adjoint_times, op.A, _rows_like(Q, op.A)))
    op.passes += FINAL_PASSES
    return Q, Bt


def krylov_svd(op: DaskOperator, k: int, b: int, key: Any, sketch: str, r: int, *,
               eps: float | None = None, max_passes: int = 24, depth: int | None = None,
               mixed: bool = True) -> SVDResult:
    """:func:`sketch.lowrank.krylov.krylov_svd` on a tall Dask A (see the module)."""
    xp = op.xp
    n = op.shape[1]
    limit = min(op.shape)
    steps = depth if depth is not None else (max_passes - 2 - FINAL_PASSES) // 2
    _check_basis_memory(op, min(limit, b * (steps + 1)), f"a block Krylov basis for k={k}")
    unit = float(np.finfo(op.real_dtype).eps)
    # float32 Krylov passes where ε is far above float32's resolution (as in memory);
    # the final Rayleigh–Ritz runs in A's precision.
    low = bool(mixed and eps is not None and eps >= 1e3 * float(np.finfo(np.float32).eps)
               and op.dtype in (np.float64, np.complex128))
    work = (np.complex64 if op.complex else np.float32) if low else op.dtype
    V = orth(draw_test_matrix(n, b, op, key, sketch, "range"), xp)
    W, P = _first_pass(op, V, r, key, work)
    now, X = pencil_ritz(V, W, unit)
    if low and not single_precision_allows(now, k, eps):  # float32 cannot resolve ε
        low, work = False, op.dtype
        W = _gram(op, V, work)
        now, X = pencil_ritz(V, W, unit)
    before = None
    lo, step, est, converged = 0, 0, float("inf"), False
    while True:
        if depth is None:
            # The final Rayleigh–Ritz's passes count against the cap too.
            stop, est, converged = accuracy_stop(now[: k + 1], before, k, unit, eps,
                                                 op.passes + FINAL_PASSES, 2, max_passes)
            if stop:
                break
        elif step >= depth:
            break
        if V.shape[1] >= limit:  # V spans all of Cⁿ: the factorisation is exact
            converged, est = True, 0.0
            break
        Vn = extend(V, W[:, lo:], xp)[:, : n - V.shape[1]]
        if Vn.shape[1] == 0:  # Krylov space exhausted: invariant, so exact
            converged, est = True, 0.0
            break
        Wn = _gram(op, Vn, work)
        lo = V.shape[1]
        V, W = xp.concatenate([V, Vn], axis=1), xp.concatenate([W, Wn], axis=1)
        before = now[: k + 1]
        now, X = pencil_ritz(V, W, unit)
        step += 1
    if X.shape[1] < k:  # A V has numerical rank < k: complete X with other directions of V
        X = xp.concatenate([X, xp.linalg.svd(X)[0][:, X.shape[1]:k]], axis=1)
    VX = V @ X[:, :k]
    Q, Bt = _rayleigh_ritz(op, VX) or _tsqr_ritz(op, VX)
    res = svd_from_basis(op, Q, Bt, k, P, step, converged or depth is not None,
                         est if depth is None else None)
    res.pass_dtype = np.dtype(work).name
    return res
