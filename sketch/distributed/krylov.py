"""Block Krylov SVD of a tall row-chunked Dask A: the basis on the client, two schedules.

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

Every step keeps ``A_b V_j`` where it was computed (AV, m × L in the passes'
precision, on the workers; the probes' images ride along with the first
step), so the factors cost no further read of A: in the top-k Ritz directions
X of the pencil, Y = (AV)X is orthonormal up to rounding, one Cholesky QR of
it (one round trip over Y, m × k) is as stable as Householder (TSQR and two
reads of A are the fallback when it is not), AᴴY = WX is already on the
client, and the small SVD runs as in memory. That k-dimensional left space
holds the in-memory top-k Ritz vectors, so the singular values agree with
the in-memory ones up to the rounding of X (rtol 1e-14 on moderate spectra;
about u·(σ₁/σₖ)² on steep ones, far below σₖ₊₁ in ‖A − UΣVᴴ‖₂). After
float32 passes the factors carry float32's rounding, as in memory (U is
orthonormal in A's precision).

Passes (products with A or Aᴴ): the in-memory count; reads of A:
``steps + 1`` against the in-memory ``2·steps + 2``; round trips to the
workers: ``steps + 2`` (the last one over Y and AΩ_p, for the Cholesky QR
and the probes' bounds). The workers hold AV besides A: ``L/n`` of A's size
in the passes' precision (L = b·(steps + 1) columns).

**The Gram schedule** (the default where n ≤ 10·b, b the block, unless
``krylov_iters`` < 2 fixes fewer than 3 reads): one read of A gathers
G = AᴴA (n × n, summed over the blocks; the probes' images ride along), then
every step's W = G·V_j is a product on the client — the same Krylov spaces,
Ritz values and stopping rule, W's rounding again about u·σ₁²‖V‖ (float32
passes: G is summed from float32 slabs, with the same precision check after
the first block) — and the Rayleigh–Ritz above reads A once more for
Y = A(VX), in A's precision. Reads of A: 2 whatever the number of steps (3
passes: Aᴴ·A and A·VX); round trips: 2. ``max_passes`` still ends a run at
the in-memory step (the steps count their in-memory passes there). AᴴA costs
m·n² flops against a step's 4·m·n·b, but it is one syrk near the core's peak
where a step is two skinny products: on 12,500 × 500 blocks (b = 60, one
thread, shared machine) it took the time of 1.2–2.5 steps (float32 slabs: 2/3
of float64's), against at least 2 reads of A for the other schedule (4 on
σᵢ = 1/i, k = 50). On 100,000 × 500 (2 workers, loaded machine) the Gram
schedule was 1.6–2.8× faster on σᵢ = 1/i and 1.1–1.2× on σᵢ = 0.8^i (2
steps, float64 after the precision check on both schedules);
``python -m benchmarks dask --cases svd`` times both on 1/i.

The stopping rule is the in-memory Ritz-value rule without the probes'
posterior certificate (:func:`sketch.lowrank.certificates.posterior_accuracy`):
here it would need ‖Aω‖² − ‖QᴴAω‖² from client-side Gram matrices, whose
cancellation (about √u·σ₁²‖ω‖² through the whitening of AV) is too large to
prove ε, or a tall pass of its own, which costs what the step it would save
costs. On slowly decaying spectra the certificate cannot fire anyway (the
probes see ‖(I − QQᴴ)A‖_F, far above ε·σₖ₊₁).

Examples
--------
>>> import numpy as np, dask.array as da
>>> from sketch import block_krylov_svd
>>> A = np.random.default_rng(0).standard_normal((3000, 60)) * 0.8 ** np.arange(60)
>>> got = block_krylov_svd(da.from_array(A, chunks=1000), 5, seed=1, mixed_precision=False)
>>> ref = block_krylov_svd(A, 5, seed=1, mixed_precision=False)
>>> bool(np.allclose(got.s, ref.s, rtol=1e-12)), got.iterations == ref.iterations
(True, True)
>>> got.passes, ref.passes  # the Gram schedule: n = 60 ≤ 10·b, two reads of A
(3, 6)
>>> block_krylov_svd(da.from_array(A, chunks=1000), 5, seed=1).pass_dtype  # the default
'float32'
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import array_module, solve_triangular, to_numpy
from ..budgets import check_allocation
from ..lowrank.basis import draw_test_matrix, extend, orth, svd_from_basis
from ..lowrank.certificates import Probes, accuracy_stop, gram_resolves, single_precision_allows
from ..lowrank.krylov import _check_basis_memory, out_of_time
from ..lowrank.results import SVDResult
from ..progress import IterationWatch
from .lowrank import _H, DaskOperator, _adjoint_times, _rows_like, tall_times
from .rows import chunk_module, dask_modules, finite_on_client, fold, gather, persist, row_sum

__all__ = ["krylov_svd", "pencil_ritz"]

def _step_block(a: Any, V: Any, Wp: Any, slab: int) -> tuple[Any, ...]:
    """(A_b V[, A_b Wp], A_bᴴ(A_b V)) from one read of block b.

    AV and AᴴAV in V's precision (float32 passes: the block is cast where it
    lives, one row slab at a time so that the second product finds it in
    cache), the probes' images in A's.
    """
    xp = array_module(a)
    Z = xp.empty((a.shape[0], V.shape[1]), dtype=V.dtype)
    W = xp.zeros((a.shape[1], V.shape[1]), dtype=V.dtype)
    for i in range(0, a.shape[0], slab):
        s = a[i: i + slab].astype(V.dtype, copy=False)
        Z[i: i + slab] = s @ V
        W += _H(s) @ Z[i: i + slab]
    return (Z, W) if Wp is None else (Z, a @ Wp, W)


#: Rows of a block cast and multiplied at once in a Krylov step (a few MB: stays in cache).
_SLAB = 2048

#: The Gram schedule runs where n ≤ _GRAM_WIDTH·b (b the block; see the module).
_GRAM_WIDTH = 10


def _gram_block(a: Any, Wp: Any, slab: int, work: Any) -> tuple[Any, ...]:
    """([A_b Wp,] A_bᴴA_b) from one read of block b: the Gram matrix from row slabs cast
    to ``work`` (float32 passes) and summed in A's precision, the probes' images in A's."""
    xp = array_module(a)
    G = xp.zeros((a.shape[1], a.shape[1]), dtype=a.dtype)
    for i in range(0, a.shape[0], slab):
        s = a[i: i + slab].astype(work, copy=False)
        G += (_H(s) @ s).astype(a.dtype, copy=False)
    return (G,) if Wp is None else (a @ Wp, G)


def _tall(parts: list[Any], rows: tuple[int, ...], width: int, dtype: Any, xp: Any) -> Any:
    """Per-block results still being computed (``dask.delayed``) as one row-chunked array."""
    _, da = dask_modules()
    meta = xp.empty((0, 0), dtype=dtype)
    return da.concatenate([da.from_delayed(p, (r, width), dtype=dtype, meta=meta)
                           for p, r in zip(parts, rows)])


def blockwise_pass(func: Any, arrays: list[Any], args: tuple, tall: list[tuple[int, Any]]
                   ) -> tuple[list[Any], Any]:
    """Run ``func(blocks_b…, *args) -> (*tall_b, small_b)`` on every row block b: the
    tall outputs (``(width, dtype)`` each) stay on the workers, Σ_b small_b comes to
    the client. One graph, one read of every block.

    Submitted as one unoptimised graph: dask's fusion would otherwise merge ``func``
    into the tall outputs' chains and run it a second time for the sum.
    """
    import dask

    xp = chunk_module(arrays[0])
    rows = arrays[0].chunks[0]
    task = dask.delayed(func, pure=True, nout=len(tall) + 1)
    parts = [task(*blocks, *args) for blocks in zip(*(X.to_delayed().ravel() for X in arrays))]
    outs = [_tall([p[i] for p in parts], rows, w, dtype, xp) for i, (w, dtype) in enumerate(tall)]
    *outs, total = dask.persist(*outs, fold([p[-1] for p in parts]), optimize_graph=False)
    (total,) = gather(total)
    return outs, total


def krylov_step(A: Any, V: Any, Wp: Any = None) -> tuple[Any, Any, Any]:
    """One read of A: ``(AV, AᴴAV, AWp)`` — AV and AWp kept on the workers (persisted,
    None without probes), AᴴAV gathered to the client. One round trip."""
    tall = [(V.shape[1], V.dtype)]
    if Wp is not None:
        tall.append((Wp.shape[1], np.result_type(A.dtype, Wp.dtype)))
    outs, W = blockwise_pass(_step_block, [A], (V, Wp, _SLAB), tall)
    return outs[0], W, outs[1] if Wp is not None else None


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


class _Space:
    """The Krylov space so far: V (n × L, client), AV (m × L, workers, per step) and
    W = AᴴAV (client), AV and W in the passes' precision ``work``."""

    def __init__(self, op: DaskOperator, work: Any):
        self.op, self.work = op, work
        self.V = self.W = None
        self.AV: list[Any] = []

    def grow(self, Vn: Any, Wp: Any = None) -> Any:
        """Add the block Vn (one round trip, one read of A); returns AWp when probes are given."""
        op = self.op
        Z, Wn, AW = krylov_step(op.A, Vn.astype(self.work, copy=False), Wp)
        Wn = finite_on_client(Wn, op.name).astype(op.dtype, copy=False)
        op.passes += 2
        self.AV.append(Z)
        if self.V is None:
            self.V, self.W = Vn, Wn
        else:
            self.V = op.xp.concatenate([self.V, Vn], axis=1)
            self.W = op.xp.concatenate([self.W, Wn], axis=1)
        return AW

    def budget(self) -> int:
        """Passes that count against ``max_passes``: the in-memory schedule's."""
        return self.op.passes

    def _left_terms(self, X: Any) -> tuple[list[Any], list[Any]]:
        """(tall blocks Z_j on the workers, small X_j) with Σ_j Z_j X_j = A·V·X: the kept AV."""
        splits = np.cumsum([Z.shape[1] for Z in self.AV])[:-1].tolist()
        return self.AV, self.op.xp.split(X, splits, axis=0)

    def left_basis(self, X: Any, P: Probes | None) -> tuple[Any, Any, Any] | None:
        """(Q, AᴴQ, probe errors) for Q an orthonormal basis of A·V·X, from the kept AV
        (no read of A; :class:`_GramSpace`: one read).

        Y = (AV)X is orthonormal up to rounding by the choice of X, so one
        Cholesky QR (R from YᴴY) is as stable as Householder; AᴴQ = W X R⁻¹
        needs no pass (AᴴAV = W). The same round trip gathers the Gram matrix
        of [Y, AΩ_p] (Ω_p the probes), which is all the probes' bounds need:
        for Â = QQᴴA, Âω = Q(AᴴQ)ᴴω, and with FᴴF that Gram matrix the
        residuals ‖Aω − Âω‖ are those of F's columns (to about √u·‖Aω‖).
        None when YᴴY is not within 1/2 of the identity (then :func:`_tsqr_ritz`).
        """
        xp, k = self.op.xp, X.shape[1]
        tall, Xs = self._left_terms(X)
        arrays = tall + ([] if P is None else [P.AW])
        dtype = np.result_type(*(Z.dtype for Z in tall), X.dtype)
        (Y,), G = blockwise_pass(_left_block, arrays, (Xs, P is not None), [(k, dtype)])
        I = xp.eye(k, dtype=G.dtype)
        if not float(xp.linalg.norm(G[:k, :k] - I, 2)) <= 0.5:
            return None
        Rinv = _H(solve_triangular(xp.linalg.cholesky(G[:k, :k]), I, lower=True))  # G = RᴴR
        Q, Bt = tall_times(Y, Rinv), (self.W @ X) @ Rinv
        if P is None:
            return Q, Bt, (float("nan"), float("nan"))
        lam, E = xp.linalg.eigh((G + _H(G)) / 2)
        F = xp.sqrt(xp.maximum(lam, 0))[:, None] * _H(E)  # FᴴF = G: [Y, AΩ_p] ↦ F
        errors = Probes(P.W, F[:, k:]).errors(F[:, :k] @ Rinv, xp.ones(k), _H(Bt), xp)
        return Q, Bt, errors


def _left_block(*blocks: Any) -> tuple[Any, Any]:
    """(Y_b, Gram matrix of [Y_b, (AΩ_p)_b]) for Y_b = Σ_j (A_b V_j) X_j, the AV_j kept
    from the Krylov steps: block b's share of :meth:`_Space.left_basis`."""
    *blocks, Xs, probes = blocks
    zs, aw = (blocks[:-1], blocks[-1]) if probes else (blocks, None)
    dtype = np.result_type(zs[0].dtype, Xs[0].dtype)  # one precision: a mixed product
    Y = sum(z.astype(dtype, copy=False) @ x for z, x in zip(zs, Xs))  # skips BLAS
    YP = Y if aw is None else array_module(Y).concatenate([Y, aw.astype(Y.dtype)], axis=1)
    return Y, _H(YP) @ YP


class _GramSpace(_Space):
    """The Krylov space with the products on the client: G = AᴴA (n × n) gathered in one
    read of A, then every step's W = G·V_j costs no pass (the Gram schedule)."""

    def __init__(self, op: DaskOperator, work: Any, Wp: Any = None):
        super().__init__(op, work)
        n = op.shape[1]
        check_allocation(3.0 * n * n * op.dtype.itemsize, f"the Gram matrix AᴴA of A "
                         f"({n} columns)", xp=op.xp, fix="ask for a smaller k or use "
                         "power_iters")
        tall = [] if Wp is None else [(Wp.shape[1], np.result_type(op.dtype, Wp.dtype))]
        outs, G = blockwise_pass(_gram_block, [op.A], (Wp, _SLAB, work), tall)
        self.G = finite_on_client(G, op.name)
        self.AW = outs[0] if Wp is not None else None
        self.blocks = 0
        op.passes += 2  # Aᴴ·A, one read

    def budget(self) -> int:
        """The in-memory schedule's passes (2 per block), so that ``max_passes`` ends the
        run at the in-memory step: the Gram read stands for the first block's two."""
        return self.op.passes - 2 + 2 * self.blocks

    def grow(self, Vn: Any, Wp: Any = None) -> Any:
        """Add the block Vn: W = G·Vn on the client, no pass."""
        self.blocks += 1
        Wn = self.G @ Vn
        self.V = Vn if self.V is None else self.op.xp.concatenate([self.V, Vn], axis=1)
        self.W = Wn if self.W is None else self.op.xp.concatenate([self.W, Wn], axis=1)
        return None

    def _left_terms(self, X: Any) -> tuple[list[Any], list[Any]]:
        """A·(VX) from one read of A, in A's precision."""
        self.op.passes += 1
        return [self.op.A], [self.V @ X]


def _tsqr_ritz(op: DaskOperator, VX: Any) -> tuple[Any, Any]:
    """(Q, AᴴQ) with Q from TSQR of A·VX (Householder): two reads of A."""
    _, da = dask_modules()
    Q, _ = da.linalg.tsqr(tall_times(op.A, VX))
    (Q,) = persist(Q)
    (Bt,) = gather(row_sum(_adjoint_times, op.A, _rows_like(Q, op.A)))
    op.passes += 2
    return Q, Bt


def krylov_svd(op: DaskOperator, k: int, b: int, key: Any, sketch: str, r: int, *,
               eps: float | None = None, max_passes: int = 24, depth: int | None = None,
               mixed: bool = True, watch: IterationWatch | None = None) -> SVDResult:
    """:func:`sketch.lowrank.krylov.krylov_svd` on a tall Dask A (see the module), stopped
    early at a pass boundary where ``watch`` runs out of time."""
    xp = op.xp
    n = op.shape[1]
    limit = min(op.shape)
    steps = depth if depth is not None else (max_passes - 2) // 2
    _check_basis_memory(op, min(limit, b * (steps + 1)), f"a block Krylov basis for k={k}")
    unit = float(np.finfo(op.real_dtype).eps)
    # float32 Krylov passes where ε is far above float32's resolution (as in memory).
    low = bool(mixed and eps is not None and eps >= 1e3 * float(np.finfo(np.float32).eps)
               and op.dtype in (np.float64, np.complex128))
    work = (np.complex64 if op.complex else np.float32) if low else op.dtype
    V = orth(draw_test_matrix(n, b, op, key, sketch, "range"), xp)
    Wp = draw_test_matrix(n, r, op, key, "gaussian", "probes") * math.sqrt(r) if r else None
    gram = n <= _GRAM_WIDTH * b and (depth is None or depth >= 2)  # ≥ 3 reads otherwise
    if gram:  # the probes ride along with the read of AᴴA
        space = _GramSpace(op, work, Wp)
        space.grow(V)
        AW = space.AW
    else:  # the probes ride along with the first step
        space = _Space(op, work)
        AW = space.grow(V, Wp)
    P = Probes(Wp, AW) if r else None
    now, X = pencil_ritz(space.V, space.W, unit)
    if low and not single_precision_allows(now, k, eps):  # float32 cannot resolve ε
        low, work = False, op.dtype
        space = _GramSpace(op, work) if gram else _Space(op, work)
        space.grow(V)
        now, X = pencil_ritz(space.V, space.W, unit)
    before = None
    lo, step, est, converged = 0, 0, float("inf"), False
    while True:
        if depth is None:
            stop, est, converged = accuracy_stop(now[: k + 1], before, k, unit, eps,
                                                 space.budget(), 2, max_passes)
            if stop:
                break
        elif step >= depth:
            break
        if out_of_time(watch, space.budget(), est if depth is None else None):
            break  # est belongs to space.V, the basis returned
        if space.V.shape[1] >= limit:  # V spans all of Cⁿ: the factorisation is exact
            converged, est = True, 0.0
            break
        Vn = extend(space.V, space.W[:, lo:], xp)[:, : n - space.V.shape[1]]
        if Vn.shape[1] == 0:  # Krylov space exhausted: invariant, so exact
            converged, est = True, 0.0
            break
        lo = space.V.shape[1]
        space.grow(Vn)
        before = now[: k + 1]
        now, X = pencil_ritz(space.V, space.W, unit)
        step += 1
    done = converged or (depth is not None and not (watch is not None and watch.timed_out))
    estimate = est if depth is None else None
    # The pencil's directions X carry the client Gram matrices' rounding, about
    # u·σ₁²: where that is not far below σₖ₊₁² (a steep spectrum, or A V of rank < k)
    # the Rayleigh–Ritz runs on A itself, over the whole basis (Householder, two reads).
    if X.shape[1] < k or not gram_resolves(now, k, eps, float(np.finfo(work).eps)):
        Q, Bt = _tsqr_ritz(op, space.V)
        res = svd_from_basis(op, Q, Bt, k, P, step, done, estimate)
        res.pass_dtype = np.dtype(work).name
        return res
    X = X[:, :k]
    basis = space.left_basis(X, P)
    if basis is None:  # (AV)X far from orthonormal: Householder, two reads of A
        Q, Bt = _tsqr_ritz(op, space.V @ X)
        res = svd_from_basis(op, Q, Bt, k, P, step, done, estimate)
    else:
        Q, Bt, errors = basis
        res = svd_from_basis(op, Q, Bt, k, None, step, done, estimate)
        res.error_estimate, res.frobenius_estimate = errors
    res.pass_dtype = np.dtype(work).name
    return res
