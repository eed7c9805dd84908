"""Block Krylov iteration on the short side of a tall sparse A (Musco and Musco 2015).

For A of m × n with m > n the Krylov space is grown in ``A^H A`` from a right
starting block Π (n × b, orthonormalised Gaussian),

    K = [Π, (A^H A)Π, …, (A^H A)^q Π] ⊂ ℂⁿ,   Z an orthonormal basis of K,

block Lanczos on the normal matrix (Golub and Kahan 1965), so the block
Gram–Schmidt that dominates a Krylov run on a 100000 × 20000 term matrix runs
on vectors of length n. ``A K`` is exactly the space ``[AΠ, (AA^H)AΠ, …]`` of
Musco and Musco (2015); the rank-k factor is its Rayleigh–Ritz approximation
from the right, ``Â = [AZ]_k Z^H`` (``[·]_k``: truncated SVD), i.e. their
algorithm applied to A^H, whose guarantees hold with either side.

The images AZ (m × L) are kept block by block; per step the long side sees
only the two passes and three small GEMMs (the new block's b × b Gram, its
whitening before the A^H pass, the probe update). The Gram matrix
``G = (AZ)^H AZ``, whose eigenvalues are the squared Ritz values σ̃ᵢ² of the
stopping rule, gets its new column on the short side from the kept
``N = A^H A Z`` (``(AZ)^H AZₙ = N^H Zₙ``); the final left factor is ``AZ·W_k``
for the top k eigenvectors W_k of G, orthonormalised once (m × k). Passes: one
with A per block and one with A^H between blocks (``2q + 1``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import astype, device, namespace, numpy_dtype, to_numpy
from ..progress import IterationWatch
from .basis import _H, extend, first_pass, svd_of_product
from .certificates import (
    CERTIFICATE_FACTOR,
    Probes,
    accuracy_stop,
    gram_resolves,
    probe_errors,
    ritz_squares,
)
from .krylov import (
    _bordered,
    _check_basis_memory,
    confirm_precision,
    out_of_time,
    start_in_single_precision,
)
from .operator import _Operator
from .results import SVDResult


def _eigh_double(G: Any, xp: Any) -> tuple[Any, Any]:
    """Eigenpairs of the Hermitian G in double precision, descending."""
    wide = np.complex128 if numpy_dtype(G.dtype).kind == "c" else np.float64
    lam, W = xp.linalg.eigh(astype((G + _H(G)) / 2, wide))
    return xp.flip(lam, axis=0), xp.flip(W, axis=1)


class _Columns:
    """Blocks of columns appended into one preallocated buffer: no copy of the basis per step.

    The buffer holds the columns as rows (``view`` is its transpose), so an append
    writes, and the OS backs, only its own pages: a row-major n × capacity buffer had
    every page touched by the first block (2 × 29 MB of fresh pages for the term
    matrix's 24-pass capacity, 8 % of a call).
    """

    def __init__(self, first: Any, capacity: int):
        ns = namespace(first)
        self.buf = ns.empty((max(capacity, first.shape[1]), first.shape[0]), dtype=first.dtype,
                            device=device(first))
        self.width = 0
        self.append(first)

    def append(self, X: Any) -> None:
        end = self.width + X.shape[1]
        if end > self.buf.shape[0]:  # past the planned depth (a precision restart): grow
            self.buf = namespace(X).concat([self.buf[: self.width], X.T], axis=0)
        else:
            self.buf[self.width: end] = X.T
        self.width = end

    @property
    def view(self) -> Any:
        return self.buf[: self.width].T


def _whitener(Gjj: Any, xp: Any) -> tuple[Any, Any]:
    """``S`` with ``(Y S)^H (Y S) ≈ I`` for a block Y with Gram ``Gjj = Y^H Y``, and ``S⁻¹``.

    Applied to ``Y = AZⱼ`` before the A^H pass, so the next raw block
    ``A^H (AZⱼ S)`` has condition at most σ₁/σ_min(AZⱼ), not its square (the
    job LU does between power steps, for a b × b eigendecomposition instead of
    an m × b factorisation). Eigenvalues below ``100·u·λ₁`` are lifted to that.
    """
    lam, V = _eigh_double(Gjj, xp)
    real = np.finfo(numpy_dtype(Gjj.dtype)).dtype
    floor = max(100 * float(np.finfo(real).eps) * float(lam[0]), np.finfo(float).tiny)
    root = xp.sqrt(xp.where(lam > floor, lam, floor * xp.ones_like(lam)))
    return astype(V / root[None, :], Gjj.dtype), astype(root[:, None] * _H(V), Gjj.dtype)


def _extend(Z: Any, raw: Any, xp: Any) -> Any:
    """Orthonormal columns spanning range(raw) ⊥ range(Z): block classical Gram–Schmidt
    twice and a Gram-based QR (W V Λ^{-1/2}) twice when the projected block is well conditioned
    (κ ≤ 0.01/√u, no direction near exhaustion), else :func:`~sketch.lowrank.basis.extend`,
    which drops exhausted and dependent directions."""
    W = raw - Z @ (_H(Z) @ raw)
    W = W - Z @ (_H(Z) @ W)
    lam, V = _eigh_double(_H(W) @ W, xp)
    u = float(np.finfo(numpy_dtype(W.dtype)).eps)
    scale = float(xp.max(xp.linalg.norm(raw, axis=0))) ** 2
    if not (float(lam[-1]) > 1e4 * u * float(lam[0]) and float(lam[-1]) > 1e6 * u * u * scale):
        return extend(Z, W, xp)
    W = W @ astype(V / xp.sqrt(lam)[None, :], W.dtype)  # Gram-based QR, twice
    lam, V = _eigh_double(_H(W) @ W, xp)
    return W @ astype(V / xp.sqrt(lam)[None, :], W.dtype)


def _certificate(R: Any, now: np.ndarray, k: int, xp: Any) -> float:
    """ε̄ = ‖A(I−ZZ^H)‖₂²/σ̃ₖ₊₁² bounded by the probe residuals ``R = A(I−ZZ^H)W``.

    The right-hand twin of :func:`~sketch.lowrank.certificates.posterior_accuracy`
    (same factor c and failure probability < (√(2/π)/c)^r, the probes being
    independent of Z): for ``Â = [AZ]_k Z^H`` the row spaces of ``A(I−ZZ^H)``
    and ``(AZ − [AZ]_k)Z^H`` are orthogonal, so ``‖A − Â‖₂² ≤ ‖A(I−ZZ^H)‖₂² +
    σ̃ₖ₊₁²``, and ``σᵢ² − σ̃ᵢ² ≤ ‖A(I−ZZ^H)‖₂²`` by Weyl.
    """
    if R is None or len(now) <= k or not now[k] > 0:
        return float("inf")
    top = CERTIFICATE_FACTOR * float(xp.linalg.norm(R, axis=0).max())
    return top**2 / float(now[k])


def _probe_residual(P: Probes | None, R: Any, Zn: Any, AZn: Any) -> Any:
    """``R − AZₙ(Zₙ^H W)``: the probe residuals after one more orthonormal block."""
    if P is None:
        return None
    W = astype(P.W, Zn.dtype)
    return (P.images(Zn.dtype) if R is None else R) - AZn @ (_H(Zn) @ W)


def short_side_krylov_svd(op: _Operator, k: int, b: int, key: Any, sketch: str, r: int, *,
                          eps: float | None, max_passes: int, depth: int | None,
                          mixed: bool, watch: IterationWatch | None = None) -> SVDResult:
    """Block Krylov SVD of a tall A with its basis on the short side: ``depth`` steps
    (``2·depth + 1`` passes), or (``depth=None``) until ε̂ ≤ ``eps``; stops early at a
    pass boundary where ``watch`` runs out of time."""
    xp = op.xp
    m, n = op.shape
    steps = depth if depth is not None else max((max_passes - 1) // 2, 0)
    _check_basis_memory(op, min(n, b * (steps + 1)), f"a block Krylov basis for k={k}")
    unit = float(np.finfo(op.real_dtype).eps)
    Z, AZ, P = first_pass(op, b, r, key, sketch, orthonormal=True)
    if low := start_in_single_precision(op, AZ, k, eps, mixed):
        Z, AZ = astype(Z, op.work_dtype), astype(AZ, op.work_dtype)
    blocks, G = [AZ], _H(AZ) @ AZ
    R = _probe_residual(P, None, Z, AZ)
    now, before = ritz_squares(G, k + 1), None
    if low and (Z64 := confirm_precision(op, Z, now, k, eps)) is not None:
        Z, blocks, G, R, now = _restart(op, Z64, P, k)
    cap = min(n, b * (steps + 1))
    basis, N = _Columns(Z, cap), None  # Z = basis.view; N = A^H A Z, one block per step
    step, est, converged = 0, float("inf"), False
    while True:
        if depth is None:
            stop, est, converged = accuracy_stop(now, before, k, unit, eps, op.passes, 2,
                                                 max_passes, _certificate(R, now, k, xp))
            if stop:
                break
        elif step >= depth:
            break
        if out_of_time(watch, op.passes, est if depth is None else None):
            break  # est belongs to Z, the basis returned
        if Z.shape[1] >= n:  # the space is all of ℂⁿ: the factorisation is exact
            converged, est = True, 0.0
            break
        lo = Z.shape[1] - blocks[-1].shape[1]
        S, Sinv = _whitener(G[lo:, lo:], xp)
        raw = op.rmm(blocks[-1] @ S)  # A^H A Z_last S
        if N is None:
            N = _Columns(raw @ Sinv, cap)
        else:
            N.append(raw @ Sinv)
        Zn = _extend(Z, raw, xp)[:, : n - Z.shape[1]]
        if Zn.shape[1] == 0 and op.work_dtype != op.dtype:
            # float32 has run out of digits, not the space: go on in full precision
            before = now
            Z, blocks, G, R, now = _restart(op, confirm_precision(op, Z, now, k, 0.0), P, k)
            basis, N = _Columns(Z, cap), None
            continue
        if Zn.shape[1] == 0:  # Krylov space exhausted: invariant, so exact
            converged, est = True, 0.0
            break
        AZn = op.mm(Zn)
        # (AZ)^H AZn = (A^H A Z)^H Zn: the Gram's new column on the short side
        G = _bordered(G, _H(N.view) @ Zn, _H(AZn) @ AZn, xp)
        R = _probe_residual(P, R, Zn, AZn)
        basis.append(Zn)
        Z = basis.view
        blocks.append(AZn)
        before, now = now, ritz_squares(G, k + 1)
        step += 1
    done = converged or (depth is not None and not (watch is not None and watch.timed_out))
    return _right_ritz(op, Z, blocks, G, k, P, step, done, est if depth is None else None, eps)


def _restart(op: _Operator, Z: Any, P: Probes | None, k: int):
    """State of the iteration from an orthonormal Z in full precision (one pass)."""
    AZ = op.mm(Z)
    G = _H(AZ) @ AZ
    return Z, [AZ], G, _probe_residual(P, None, Z, AZ), ritz_squares(G, k + 1)


def _right_ritz(op: _Operator, Z: Any, blocks: list, G: Any, k: int, P: Probes | None,
                iterations: int, converged: bool, estimate: float | None,
                eps: float | None) -> SVDResult:
    """``Â = [AZ]_k Z^H`` from the top k eigenvectors W_k of ``G = (AZ)^H AZ``.

    ``Â = (AZ W_k)(Z W_k)^H`` with ``Z W_k`` orthonormal; the m × k factor
    ``AZ W_k = Q_u R_u`` and ``Z W_k = Q_v R_v`` (orthonormal only to the passes'
    precision) are orthonormalised in A's precision, and the k × k
    ``R_u R_v^H = X diag(s) Y^H`` gives ``U = Q_u X``, ``V = Q_v Y``: the same
    product, no division by a small σ̃ anywhere. Where G's rounding, about
    u·σ̃₁², is not far below σ̃ₖ₊₁² (:func:`gram_resolves`; a steep spectrum),
    W_k would be noise in the small directions: [AZ]_k then comes from the SVD
    of AZ itself (Householder QR, m × L).
    """
    xp = op.xp
    lam, W = _eigh_double(G, xp)
    unit = float(np.finfo(numpy_dtype(G.dtype)).eps)
    if gram_resolves(to_numpy(xp.abs(lam)), k, eps, unit):
        Wk = astype(W[:, :k], G.dtype)
        Ur, lo = None, 0
        for Y in blocks:
            part = Y @ Wk[lo: lo + Y.shape[1]]
            Ur, lo = part if Ur is None else Ur + part, lo + Y.shape[1]
        Ur, Vr = astype(Ur, op.dtype), astype(Z @ Wk, op.dtype)
    else:
        Qa, Ra = xp.linalg.qr(astype(xp.concat(blocks, axis=1), op.dtype))
        X, s, Yh = xp.linalg.svd(Ra)
        Ur, Vr = Qa @ (X[:, :k] * s[None, :k]), astype(Z, op.dtype) @ _H(Yh[:k])
    U, s, Vh = svd_of_product(Ur, Vr, xp)  # Vr is orthonormal to the passes' precision only
    pass_dtype = op.work_dtype.name
    op.full_precision()
    spec, frob = probe_errors(P, U, s, Vh, xp)
    return SVDResult(U=U, s=s, Vh=Vh, error_estimate=spec, frobenius_estimate=frob,
                     passes=op.passes, converged=converged, iterations=iterations,
                     accuracy_estimate=estimate, pass_dtype=pass_dtype)
