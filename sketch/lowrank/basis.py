"""Random test matrices, orthonormal bases and the Rayleigh–Ritz step shared by the factorisations.

Orthonormalisation is Cholesky QR (a Gram matrix, a Cholesky factor and a
triangular solve: three BLAS-3 calls) rather than Householder QR, whose
tall-skinny LAPACK path costs more than a whole pass over A on a 2-core
OpenBLAS machine (8000 × 60: 0.3 s against 0.02 s, measured here). To be as
stable as Householder it is the *shifted CholeskyQR3* of Fukaya, Kannan,
Nakatsukasa, Yamamoto and Yanagisawa (2020): a first Cholesky QR of
``Y^H Y + sI`` (the shift keeps it defined for any κ(Y) < 1/u), then two plain
ones; where the first plain factor shows Y well conditioned, plain CholeskyQR2
(Yamamoto et al. 2015) instead; a numerically rank-deficient Y falls back to Householder.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

from ..backend import astype, is_dask, linalg, lu, numpy_dtype, solve_triangular
from ..checks import check_positive_int, check_tolerance
from ..errors import ToleranceError
from ..operators import make_operator
from .certificates import Probes, probe_errors
from .operator import _Operator, eye_like
from .results import SVDResult


def _H(X: Any) -> Any:
    """Conjugate transpose (a view for real arrays)."""
    return X.conj().T if numpy_dtype(X.dtype).kind == "c" else X.T


def draw_test_matrix(n: int, l: int, op: _Operator, key: Any, sketch: str, label: str,
                     dtype: Any = None) -> Any:
    """An n × l random test matrix from a keyed sketching operator (Ω = Sᵀ), in ``dtype``
    (default A's) on A's device."""
    S = make_operator(sketch, l, n, seed=key.child(label))
    return S.to_dense(op.xp, op.dtype if dtype is None else dtype, device=op.device).T


def _inverse_factor(Y: Any, xp: ModuleType, shift: float = 0.0) -> Any:
    """``L⁻¹`` for the Cholesky factor ``L L^H = Y^H Y + shift·I``."""
    G = _H(Y) @ Y
    if shift:
        G = G + shift * eye_like(G.shape[0], G)
    L = xp.linalg.cholesky(G)  # G = L L^H, so Y = Q L^H
    if not bool(xp.isfinite(L).all()):  # CuPy returns NaN instead of raising
        raise np.linalg.LinAlgError("Cholesky factor is not finite")
    return solve_triangular(L, eye_like(L.shape[0], L), lower=True)


def _cholesky_qr(Y: Any, xp: ModuleType, shift: float = 0.0) -> Any:
    # Q = Y L^{-H} as one GEMM with the small inverse: a tall triangular solve runs at a
    # fraction of GEMM speed, and CholeskyQR's accuracy rests on the repetition, not the solve.
    return Y @ _H(_inverse_factor(Y, xp, shift))


def orth(Y: Any, xp: ModuleType) -> Any:
    """Orthonormal basis of range(Y): CholeskyQR2 where Y is well conditioned, else shifted
    CholeskyQR3, Householder if Y is rank-deficient.

    CholeskyQR2 is orthonormal to ``6(mlu + l(l+1)u)`` once ``8κ(Y)√(mlu + l(l+1)u) ≤ 1``
    (Yamamoto, Nakatsukasa, Yanagisawa and Fukaya 2015); κ(Y) is bounded from the first
    factor, ``κ_F(L) = ‖Y‖_F‖L⁻¹‖_F``. Where that bound is too large the first
    factor is dropped for the shifted one. A bound below ~u^{-1/2} cannot come from a
    Cholesky factor spoilt by rounding (that error lifts λ_min(Y^H Y) by at most about
    u‖Y‖², i.e. caps the bound near u^{-1/2}), so the test admits no worse Y. Saves a
    third of the work for the well-conditioned blocks (most calls: a Gaussian Ω, the
    Ritz factors of the float32 passes).
    """
    if is_dask(Y):  # a tall row-chunked block (sketch.distributed): TSQR
        from ..distributed.lowrank import tall_orth

        return tall_orth(Y)
    m, l = Y.shape
    u = float(np.finfo(numpy_dtype(Y.dtype)).eps) / 2
    size = (m * l + l * (l + 1)) * u
    norm = float(xp.linalg.norm(Y))
    try:
        try:
            M = _inverse_factor(Y, xp)
            if 8 * norm * float(xp.linalg.norm(M)) * math.sqrt(size) <= 1:
                return _cholesky_qr(Y @ _H(M), xp)
        except (np.linalg.LinAlgError, RuntimeError, ValueError):
            pass
        Q = _cholesky_qr(Y, xp, 11 * size * norm**2)
        Q = _cholesky_qr(Q, xp)
        return _cholesky_qr(Q, xp)
    except (np.linalg.LinAlgError, RuntimeError, ValueError):
        Q, _ = xp.linalg.qr(Y, mode="reduced")
        return Q


def extend(Q: Any, Z: Any, xp: ModuleType) -> Any:
    """Orthonormal columns spanning the part of range(Z) orthogonal to range(Q).

    Block classical Gram–Schmidt twice ("twice is enough", Giraud et al. 2005).
    A column whose projection is below ``100·u`` of its length is rounding
    (that direction of the Krylov space is exhausted) and is dropped; of the
    rest, directions the others span to ``10·√u`` are dropped too. No column
    left means the space is invariant.
    """
    if is_dask(Q) or is_dask(Z):  # tall row-chunked blocks (sketch.distributed)
        from ..distributed.lowrank import tall_extend

        return tall_extend(Q, Z)
    u = float(np.finfo(numpy_dtype(Z.dtype)).eps)
    before = xp.linalg.norm(Z, axis=0)
    for _ in range(2):
        Z = Z - Q @ (_H(Q) @ Z)
    after = xp.linalg.norm(Z, axis=0)
    live = after > 100 * u * before
    if not bool(live.any()):
        return Z[:, :0]
    Z = Z[:, live] / after[live]
    lam, X = xp.linalg.eigh(_H(Z) @ Z)
    keep = lam > 100 * u * lam.max()
    N = Z @ (X[:, keep] / xp.sqrt(lam[keep]))
    N = N - Q @ (_H(Q) @ N)
    return orth(N, xp)


def lu_normalize(Y: Any, xp: ModuleType) -> Any:
    """A well-conditioned basis of range(Y) between power steps: ``P L`` from pivoted LU.

    Only the last basis must be orthonormal (Martinsson and Tropp 2020, §11.5);
    LU with partial pivoting keeps the columns from collapsing onto the dominant
    direction at a fraction of a QR's cost (the choice of scikit-learn and fbpca too).
    """
    if is_dask(Y):  # a tall row-chunked block: TSQR spans the same space
        return orth(Y, xp)
    return lu(Y, permute_l=True)[0]


def check_normalizer(normalizer: str) -> str:
    if normalizer not in ("lu", "qr"):
        raise ValueError(f"normalizer must be 'lu' or 'qr', got {normalizer!r}")
    return normalizer


def check_rank(k: Any, shape: tuple[int, int], name: str = "k") -> int:
    k = check_positive_int(k, name)
    if k >= min(shape):
        raise ValueError(
            f"{name}={k} must be smaller than min(m, n)={min(shape)} of A (shape {shape}) for "
            f"a randomized low-rank approximation; for the full decomposition use "
            f"numpy.linalg.svd / eigh"
        )
    return k


def nonneg_int(v: Any, name: str) -> int:
    return check_positive_int(v, name, minimum=0)


# Subspace iteration gains the factor (σ_(k+p+1)/σ_k)^2 per step; past a few dozen steps a
# spectrum decays too slowly for it to pay, and a Krylov method needs far fewer passes.
MAX_POWER_ITERS = 100


def check_power_iters(v: Any) -> int:
    """A power-iteration count q in [0, MAX_POWER_ITERS]."""
    return check_positive_int(v, "power_iters", minimum=0, maximum=MAX_POWER_ITERS,
                              why="for a slowly decaying spectrum use block_krylov_svd or an "
                                  "accuracy-first randomized_svd (power_iters=None)")


def check_accuracy(accuracy: Any, dtype: Any) -> float:
    """ε of an accuracy-first call: 0 < ε < 1 and resolvable in ``dtype``."""
    eps = check_tolerance(accuracy, "accuracy", upper=1)  # e.g. 1e-2: ‖A − Â‖₂ ≤ 1.01·σ_(k+1)
    floor = 1e3 * float(np.finfo(dtype).eps)
    if eps < floor:
        raise ToleranceError(
            f"accuracy={eps:.3g} is below what the Ritz values can resolve in "
            f"{np.dtype(dtype)} (about {floor:.1g}); ask for a larger accuracy or pass "
            f"float64 data"
        )
    return eps


def first_pass(op: _Operator, l: int, r: int, key: Any, sketch: str,
               orthonormal: bool = False) -> tuple[Any, Any, Probes | None]:
    """``(Ω, AΩ, probes)``: the n × l test matrix, its image and r error probes, in one pass.

    ``orthonormal`` orthonormalises Ω first (Nyström and Hermitian Krylov need it).
    """
    n = op.shape[1]
    Omega = draw_test_matrix(n, l, op, key, sketch, "range")
    if orthonormal:
        Omega = orth(Omega, op.xp)
    if not r:
        return Omega, op.mm(Omega), None
    W = draw_test_matrix(n, r, op, key, "gaussian", "probes") * math.sqrt(r)
    Y = op.mm(op.xp.concatenate([Omega, W], axis=1))
    return Omega, Y[:, :l], Probes(W, Y[:, l:])


def svd_of_product(L: Any, R: Any, xp: ModuleType, s: Any = None) -> tuple[Any, Any, Any]:
    """SVD ``(U, s, Vh)`` of ``L·diag(s)·Rᴴ`` (L m × k, R n × k; s omitted: ones), with
    U and V orthonormal in L's and R's precision: ``L = Q_l(Q_lᴴL)``, ``R = Q_r(Q_rᴴR)``
    (:func:`orth`, m·k² + n·k²) and the SVD of the k × k core, no division by a small σ.
    For factors orthonormal only to a lower precision (float32 passes) or not at all."""
    Ql, Qr = orth(L, xp), orth(R, xp)
    core = _H(Ql) @ L
    if s is not None:
        core = core * s[None, :]
    X, s, Yh = xp.linalg.svd(core @ _H(_H(Qr) @ R), full_matrices=False)
    return Ql @ X, s, Yh @ _H(Qr)


def svd_from_basis(op: _Operator, Q: Any, Bt: Any, k: int, P: Any, iterations: int,
                   converged: bool = True, estimate: float | None = None) -> SVDResult:
    """Rayleigh–Ritz: the SVD of ``Q^H A`` from ``Bt = A^H Q``, truncated to rank k.

    Through ``Bt = Q_b R`` (Cholesky QR) and the SVD of the small l × l factor R:
    LAPACK's SVD of a tall block starts with a Householder QR, the slow part.
    With ``R = W_r diag(s) V_r^H``: ``Q^H A = V_r diag(s) (Q_b W_r)^H``.
    """
    xp = op.xp
    Qb = orth(Bt, xp)
    R = _H(Qb) @ Bt
    if xp is np:
        Wr, s, VrH = linalg(np).svd(R, full_matrices=False, check_finite=False)
    else:
        Wr, s, VrH = xp.linalg.svd(R, full_matrices=False)
    U, s, Vh = Q @ _H(VrH[:k]), s[:k], _H(Qb @ Wr[:, :k])
    pass_dtype = op.work_dtype.name
    if op.work_dtype != op.dtype:
        # float32 passes: U and V are orthonormal only to ~1e-7, and factors returned in
        # A's precision must be orthonormal in it (UᴴU − I was 1.6e-7 for a float64 A).
        # U = Q_u R_u, V = Q_v R_v in A's precision (m·k² + n·k², no pass; the whole
        # m × l basis cost 0.27 s of 0.65 on 8000 × 2000, k = 50), and the k × k
        # R_u diag(s) R_vᴴ = X diag(s') Yᴴ gives U = Q_u X, V = Q_v Y: the same product.
        U, s, Vh = svd_of_product(astype(U, op.dtype), _H(astype(Vh, op.dtype)), xp,
                                  astype(s, op.real_dtype))
        op.full_precision()
    spec, frob = probe_errors(P, U, s, Vh, xp)
    return SVDResult(U=U, s=s, Vh=Vh, error_estimate=spec, frobenius_estimate=frob,
                     passes=op.passes, converged=converged, iterations=iterations,
                     accuracy_estimate=estimate, pass_dtype=pass_dtype)
