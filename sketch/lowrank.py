"""Randomized low-rank approximation: range finder, SVD, Hermitian EVD, Nyström,
block Krylov, rank-adaptive QB, and extreme eigenvalues of Hermitian operators.

Every routine needs only products with ``A`` and ``A^H``, so it accepts dense
NumPy/CuPy arrays, scipy/cupyx sparse matrices and
``scipy.sparse.linalg.LinearOperator`` alike. The output lives on the input's
device and keeps its precision. Test matrices come from the keyed sketching
operators of :mod:`sketch.operators`, so the same ``seed`` gives the same
factors on NumPy and CuPy (to rounding).

Each result carries an *estimated error* next to the factors:

* fixed-rank methods (:func:`randomized_svd`, :func:`randomized_eigh`,
  :func:`block_krylov_svd`, :func:`nystrom`) append ``r`` extra Gaussian probe
  vectors ω to the first product (no extra pass over ``A``), independent of
  the factors, and report for the returned approximation Â the a-posteriori
  bound of Halko, Martinsson and Tropp (2011, §4.3),
  ``‖A − Â‖₂ ≤ 10 √(2/π) maxᵢ ‖(A − Â)ωᵢ‖`` (probability ≥ 1 − 10⁻ʳ); the same
  vectors give an unbiased estimate of ‖A − Â‖_F².
* the rank-adaptive methods (:func:`adaptive_qb`, :func:`adaptive_svd`) track
  ``‖A − QB‖_F² = ‖A‖_F² − ‖B‖_F²`` (Yu, Gu and Li 2018) for explicit matrices
  and a sampled estimator (Martinsson and Voronin 2016) for operators.
* :func:`residual_norm` estimates ``‖A − UΣV^H‖₂`` accurately by a block power
  (subspace) iteration on the residual operator when a sharp number is wanted.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> A = rng.standard_normal((300, 20)) @ rng.standard_normal((20, 200))
>>> res = randomized_svd(A, 20, seed=1)
>>> U, s, Vh = res
>>> bool(np.allclose(U * s @ Vh, A))
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from .backend import array_module, is_operator, is_sparse, linalg
from .checks import check_hermitian, check_matrix, check_positive_int, check_square
from .errors import (
    ConvergenceWarning,
    NotPositiveSemidefiniteError,
    ShapeError,
    ToleranceError,
)
from .operators import make_operator
from .rng import as_key

__all__ = [
    "NotPositiveSemidefiniteError",
    "SVDResult",
    "EighResult",
    "QBResult",
    "ExtremeEigenvalues",
    "range_finder",
    "randomized_svd",
    "randomized_eigh",
    "nystrom",
    "block_krylov_svd",
    "adaptive_qb",
    "adaptive_svd",
    "residual_norm",
    "spectral_norm",
    "hermitian_extreme_eigenvalues",
]

# HMT (2011) eq. (4.3): ‖(I−QQ*)A‖ ≤ 10·√(2/π)·max‖(I−QQ*)Aω‖ with probability 1 − 10^{-r}.
_HMT_FACTOR = 10.0 * math.sqrt(2.0 / math.pi)


# --------------------------------------------------------------------------- results
@dataclass
class SVDResult:
    """A low-rank SVD ``A ≈ U diag(s) Vh`` with its estimated error.

    Unpacks as ``U, s, Vh = result``.

    Attributes
    ----------
    U, s, Vh : arrays
        Factors (``U``: m × k, ``s``: k, descending, ``Vh``: k × n).
    error_estimate : float
        Estimated (upper bound with high probability, see module notes) spectral
        norm of ``A − U diag(s) Vh``; for the adaptive methods the Frobenius norm.
    frobenius_estimate : float
        Estimated Frobenius norm of the residual.
    passes : int
        Number of block products with ``A`` or ``A^H``.
    converged : bool
        For rank-adaptive runs: whether the tolerance was met.
    iterations : int
        Power/Krylov iterations (fixed rank) or blocks (adaptive).
    """

    U: Any
    s: Any
    Vh: Any
    error_estimate: float
    frobenius_estimate: float = float("nan")
    passes: int = 0
    converged: bool = True
    iterations: int = 0

    def __iter__(self):
        return iter((self.U, self.s, self.Vh))

    @property
    def rank(self) -> int:
        return int(self.s.shape[0])

    @property
    def residual(self) -> float:
        """Alias of :attr:`error_estimate` (the common result-object name)."""
        return self.error_estimate


@dataclass
class EighResult:
    """A low-rank Hermitian eigendecomposition ``A ≈ V diag(w) V^H``.

    Unpacks as ``w, V = result``. ``w`` is sorted by decreasing magnitude
    (decreasing value for Nyström, where all are ≥ 0).
    """

    w: Any
    V: Any
    error_estimate: float
    frobenius_estimate: float = float("nan")
    passes: int = 0
    shift: float = 0.0
    converged: bool = True
    iterations: int = 0

    def __iter__(self):
        return iter((self.w, self.V))

    @property
    def rank(self) -> int:
        return int(self.w.shape[0])

    @property
    def residual(self) -> float:
        return self.error_estimate


@dataclass
class QBResult:
    """A rank-adaptive factorisation ``A ≈ Q B`` (Q orthonormal columns).

    Attributes
    ----------
    Q, B : arrays
    error_estimate : float
        Estimated ``‖A − QB‖_F``.
    norm_estimate : float
        ``‖A‖_F`` (exact for explicit matrices, estimated for operators).
    converged : bool
        Whether ``error_estimate <= tol * norm_estimate`` was reached.
    iterations : int
        Number of blocks.
    history : list of float
        The error estimate after each block.
    """

    Q: Any
    B: Any
    error_estimate: float
    norm_estimate: float
    converged: bool
    iterations: int
    history: list = field(default_factory=list)

    def __iter__(self):
        return iter((self.Q, self.B))

    @property
    def rank(self) -> int:
        return int(self.Q.shape[1])

    @property
    def residual(self) -> float:
        return self.error_estimate


@dataclass
class ExtremeEigenvalues:
    """Extreme eigenvalues of a Hermitian operator from Lanczos.

    Attributes
    ----------
    lambda_min, lambda_max : float
        Ritz values: ``lambda_min`` ≥ λ_min(A) and ``lambda_max`` ≤ λ_max(A)
        (Ritz values lie inside the spectrum); each is within its residual
        (``residual_min``, ``residual_max``) of an eigenvalue of A.
    abs_min : float
        Estimate of min |λ(A)| (from λ_min/λ_max when A is definite, else from
        Lanczos on A²).
    condition_estimate : float
        ``max(|lambda_min|, |lambda_max|) / abs_min`` — κ₂(A) for Hermitian A.
    lower_bound, upper_bound : float
        ``lambda_min − residual_min`` and ``lambda_max + residual_max``: an
        interval that holds the spectrum once the Ritz pairs are converged.
    converged : bool
    iterations : int
        Lanczos steps (products with A).
    residual : float
        The larger of the two Ritz residual norms.
    """

    lambda_min: float
    lambda_max: float
    abs_min: float
    condition_estimate: float
    residual_min: float
    residual_max: float
    converged: bool
    iterations: int

    @property
    def lower_bound(self) -> float:
        return self.lambda_min - self.residual_min

    @property
    def upper_bound(self) -> float:
        return self.lambda_max + self.residual_max

    @property
    def residual(self) -> float:
        return max(self.residual_min, self.residual_max)


# --------------------------------------------------------------------------- operator view
class _Operator:
    """Products ``A X`` and ``A^H Y`` for dense, sparse and LinearOperator ``A``."""

    def __init__(self, A: Any, name: str = "A"):
        check_matrix(A, name, operator=True)
        self.A = A
        self.shape = tuple(A.shape)
        self.xp = array_module(A)
        self.kind = "operator" if is_operator(A) else "sparse" if is_sparse(A) else "dense"
        self.dtype = np.dtype(A.dtype) if A.dtype is not None else np.dtype(np.float64)
        self.complex = self.dtype.kind == "c"
        self.real_dtype = np.finfo(self.dtype).dtype
        self.passes = 0

    def mm(self, X: Any) -> Any:
        self.passes += 1
        if self.kind == "operator":
            return np.asarray(self.A.matmat(X))
        out = self.A @ X
        return out

    def rmm(self, Y: Any) -> Any:
        self.passes += 1
        if self.kind == "operator":
            return np.asarray(self.A.rmatmat(Y))
        if self.complex:
            # (Y^H A)^H avoids materialising conj(A).
            return (Y.conj().T @ self.A).conj().T
        return (Y.T @ self.A).T if self.kind == "dense" else self.A.T @ Y

    def frobenius_norm(self) -> float | None:
        if self.kind == "operator":
            return None
        data = self.A.data if self.kind == "sparse" else self.A
        return float(self.xp.linalg.norm(data.ravel()))


def _test_matrix(n: int, l: int, op: _Operator, key: Any, sketch: str, label: str) -> Any:
    """An n × l random test matrix from a keyed sketching operator (Ω = Sᵀ)."""
    S = make_operator(sketch, l, n, seed=key.child(label))
    return S.to_dense(op.xp, op.dtype).T.copy()


def _orth(Y: Any, xp: ModuleType) -> Any:
    """Orthonormal basis of range(Y) by Householder QR."""
    if xp is np:
        # SciPy's economic QR skips NumPy's copies and is ~3x faster on tall blocks.
        return linalg(np).qr(Y, mode="economic", check_finite=False)[0]
    Q, _ = xp.linalg.qr(Y, mode="reduced")
    return Q


def _normalize(Y: Any, xp: ModuleType, normalizer: str) -> Any:
    """A well-conditioned basis of range(Y) between power steps.

    Only the last basis must be orthonormal (Martinsson and Tropp 2020, §11.5):
    in between, ``P L`` from LU with partial pivoting spans the same space, keeps
    the columns from collapsing onto the dominant direction, and costs a fraction
    of a Householder QR (the choice of scikit-learn and fbpca too).
    """
    if normalizer == "qr":
        return _orth(Y, xp)
    kw = {"check_finite": False} if xp is np else {}
    return linalg(xp).lu(Y, permute_l=True, **kw)[0]


def _check_normalizer(normalizer: str) -> str:
    if normalizer not in ("lu", "qr"):
        raise ValueError(f"normalizer must be 'lu' or 'qr', got {normalizer!r}")
    return normalizer


def _small_svd(B: Any, xp: ModuleType) -> tuple[Any, Any, Any]:
    """Thin SVD of a wide l × n block B through its tall transpose (faster in LAPACK)."""
    if xp is np:
        V, s, UbH = linalg(np).svd(B.conj().T, full_matrices=False, check_finite=False)
    else:
        V, s, UbH = xp.linalg.svd(B.conj().T, full_matrices=False)
    return UbH.conj().T, s, V.conj().T


def _check_rank(k: Any, shape: tuple[int, int], name: str = "k") -> int:
    k = check_positive_int(k, name)
    if k >= min(shape):
        raise ValueError(
            f"{name}={k} must be smaller than min(m, n)={min(shape)} for a randomized "
            f"low-rank approximation; for the full decomposition use numpy.linalg.svd / eigh"
        )
    return k


def _nonneg_int(v: Any, name: str) -> int:
    return check_positive_int(v, name, minimum=0)


@dataclass
class _Probes:
    """Gaussian probe vectors W (n × r, standard normal entries) and their images AW."""

    W: Any
    AW: Any

    def errors(self, U: Any, s: Any, Vh: Any, xp: ModuleType) -> tuple[float, float]:
        """(HMT spectral bound, Frobenius estimate) of A − U diag(s) Vh from the probes.

        Valid because the probes are independent of the factors: for a fixed matrix R,
        E‖Rω‖² = ‖R‖_F² and ‖R‖₂ ≤ 10√(2/π) maxᵢ‖Rωᵢ‖ w.p. ≥ 1 − 10^{-r} (HMT 2011, §4.3).
        """
        Z = self.AW - U @ (s[:, None] * (Vh @ self.W))
        norms = xp.linalg.norm(Z, axis=0)
        return float(_HMT_FACTOR * norms.max()), float(xp.sqrt(xp.mean(norms**2)))


def _no_errors() -> tuple[float, float]:
    return float("nan"), float("nan")


def _first_pass(op: _Operator, l: int, r: int, key: Any, sketch: str) -> tuple[Any, Any]:
    """Y = AΩ (n×l test matrix) and the r error probes, in one pass over A."""
    n = op.shape[1]
    Omega = _test_matrix(n, l, op, key, sketch, "range")
    if not r:
        return op.mm(Omega), None
    W = _test_matrix(n, r, op, key, "gaussian", "probes") * math.sqrt(r)
    Y = op.mm(op.xp.concatenate([Omega, W], axis=1))
    return Y[:, :l], _Probes(W, Y[:, l:])


# --------------------------------------------------------------------------- range finder
def range_finder(
    A: Any,
    size: int,
    *,
    power_iters: int = 2,
    sketch: str = "gaussian",
    normalizer: str = "lu",
    seed: Any = None,
) -> Any:
    """Orthonormal basis Q (m × size) with ``QQ^H A ≈ A`` (randomized subspace iteration).

    Halko, Martinsson and Tropp (2011), Algorithm 4.4: ``Y = (AA^H)^q AΩ`` with
    the basis renormalised after every product (so round-off does not collapse
    it onto the dominant singular vector) — by LU with partial pivoting between
    steps and Householder QR at the end (``normalizer="lu"``, Martinsson and
    Tropp 2020, §11.5), or QR throughout (``normalizer="qr"``). With Gaussian Ω, k target rank
    and p = size − k ≥ 2 (HMT Cor. 10.10)::

        E‖(I−QQ^H)A‖ ≤ [1 + √(k/(p−1)) + e√(k+p)/p · √(min(m,n)−k)]^{1/(2q+1)} σ_{k+1}.

    Parameters
    ----------
    A : array, sparse matrix or LinearOperator (m × n)
    size : int
        Number of basis vectors (target rank plus oversampling), ``< min(m, n)``.
    power_iters : int
        Number of subspace iterations q (each costs two passes over A).
    sketch : str
        Test-matrix kind for :func:`sketch.operators.make_operator`.
    normalizer : {"lu", "qr"}
        How the basis is renormalised between power steps.
    seed : None, int or Generator

    Returns
    -------
    Q : array (m × size)

    Examples
    --------
    >>> import numpy as np
    >>> A = np.outer(np.arange(1.0, 51), np.ones(30))
    >>> Q = range_finder(A, 3, seed=0)
    >>> bool(np.allclose(Q @ (Q.T @ A), A))
    True
    """
    op = _Operator(A)
    size = _check_rank(size, op.shape, "size")
    q = _nonneg_int(power_iters, "power_iters")
    key = as_key(seed)
    normalizer = _check_normalizer(normalizer)
    Y, _ = _first_pass(op, size, 0, key, sketch)
    return _subspace_iterate(op, Y, q, normalizer)


def _subspace_iterate(op: _Operator, Y: Any, q: int, normalizer: str = "lu") -> Any:
    xp = op.xp
    if q == 0:
        return _orth(Y, xp)
    Q = _normalize(Y, xp, normalizer)
    for i in range(q):
        Z = _normalize(op.rmm(Q), xp, normalizer)
        Y = op.mm(Z)
        Q = _orth(Y, xp) if i == q - 1 else _normalize(Y, xp, normalizer)
    return Q


# --------------------------------------------------------------------------- SVD / EVD
def randomized_svd(
    A: Any,
    k: int,
    *,
    oversample: int = 10,
    power_iters: int = 2,
    sketch: str = "gaussian",
    probes: int = 5,
    normalizer: str = "lu",
    seed: Any = None,
) -> SVDResult:
    """Rank-k randomized SVD ``A ≈ U diag(s) Vh`` (Halko–Martinsson–Tropp 2011).

    Range finder with ``power_iters`` subspace iterations (Alg. 4.4), then the
    SVD of the small matrix ``B = Q^H A`` (Alg. 5.1). Passes over A:
    ``2·power_iters + 2``. Error bound: see :func:`range_finder`; the reported
    ``error_estimate`` is the a-posteriori HMT bound from ``probes`` extra test
    vectors applied to the returned rank-k approximation (see the module notes).

    Parameters
    ----------
    A : array, sparse matrix or LinearOperator (m × n)
    k : int
        Target rank, ``1 <= k < min(m, n)``.
    oversample : int
        Extra basis vectors p (total ``min(k + p, min(m, n))``).
    power_iters : int
        Subspace iterations q; 1–3 suffice for a decaying spectrum.
    sketch : str
        Test matrix kind (``"gaussian"``, ``"srht"``, ``"sparse-sign"``, ...).
    probes : int
        Extra Gaussian vectors for the error estimate (0 to skip it).
    normalizer : {"lu", "qr"}
        Renormalisation between power steps (see :func:`range_finder`).
    seed : None, int or Generator

    Returns
    -------
    SVDResult

    Examples
    --------
    >>> import numpy as np
    >>> A = np.diag(0.5 ** np.arange(100))
    >>> res = randomized_svd(A, 5, seed=0)
    >>> np.round(res.s, 6).tolist()
    [1.0, 0.5, 0.25, 0.125, 0.0625]
    >>> bool(res.error_estimate >= 0.5 ** 5)  # a bound on ‖A − UΣV^H‖₂ = σ₆
    True
    """
    op = _Operator(A)
    k = _check_rank(k, op.shape)
    l = min(k + _nonneg_int(oversample, "oversample"), min(op.shape))
    q = _nonneg_int(power_iters, "power_iters")
    r = _nonneg_int(probes, "probes")
    key = as_key(seed)
    normalizer = _check_normalizer(normalizer)
    Y, P = _first_pass(op, l, r, key, sketch)
    Q = _subspace_iterate(op, Y, q, normalizer)
    return _svd_from_basis(op, Q, k, P, q)


def _svd_from_basis(op: _Operator, Q: Any, k: int, P: Any, iterations: int) -> SVDResult:
    xp = op.xp
    B = op.rmm(Q).conj().T  # l × n
    Ub, s, Vh = _small_svd(B, xp)
    U = Q @ Ub[:, :k]
    s, Vh = s[:k], Vh[:k]
    spec, frob = P.errors(U, s, Vh, xp) if P is not None else _no_errors()
    return SVDResult(
        U=U,
        s=s,
        Vh=Vh,
        error_estimate=spec,
        frobenius_estimate=frob,
        passes=op.passes,
        iterations=iterations,
    )


def _check_hermitian_input(op: _Operator, name: str = "A") -> None:
    check_square(op.A, name)
    if op.kind != "operator":
        check_hermitian(op.A, name, rtol=1e-6 if op.real_dtype == np.float32 else 1e-10)


def randomized_eigh(
    A: Any,
    k: int,
    *,
    oversample: int = 10,
    power_iters: int = 2,
    sketch: str = "gaussian",
    probes: int = 5,
    seed: Any = None,
) -> EighResult:
    """Rank-k eigendecomposition of a Hermitian matrix, ``A ≈ V diag(w) V^H``.

    Halko–Martinsson–Tropp (2011), Alg. 5.3: a range finder Q for A (subspace
    iteration), then the eigendecomposition of ``T = Q^H A Q``; keeps the k
    eigenvalues of largest magnitude. Works for indefinite A. LinearOperators
    are trusted to be Hermitian (not checked).

    Parameters
    ----------
    A : Hermitian array, sparse matrix or LinearOperator (n × n)
    k : int
        Number of eigenpairs, ``1 <= k < n``.
    oversample, power_iters, sketch, probes, seed
        As for :func:`randomized_svd`.

    Returns
    -------
    EighResult
        ``w`` sorted by decreasing |w|; ``error_estimate`` bounds ‖A − VWV^H‖₂
        with probability ≥ 1 − 10^{-probes}.

    Raises
    ------
    NotHermitianError
        If an explicit A is not Hermitian.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.diag([5.0, -4.0, 1e-3, 1e-4] + [0.0] * 36)
    >>> w, V = randomized_eigh(A, 2, seed=0)
    >>> np.round(w, 8).tolist()
    [5.0, -4.0]
    """
    op = _Operator(A)
    _check_hermitian_input(op)
    k = _check_rank(k, op.shape)
    l = min(k + _nonneg_int(oversample, "oversample"), op.shape[0])
    q = _nonneg_int(power_iters, "power_iters")
    r = _nonneg_int(probes, "probes")
    key = as_key(seed)
    xp = op.xp
    Y, P = _first_pass(op, l, r, key, sketch)
    Q = _orth(Y, xp)
    for _ in range(q):  # A = A^H: one product per iteration
        Q = _orth(op.mm(Q), xp)
    AQ = op.mm(Q)
    T = Q.conj().T @ AQ
    T = (T + T.conj().T) / 2
    w, W = xp.linalg.eigh(T)
    order = xp.argsort(-xp.abs(w))
    w, V = w[order][:k], Q @ W[:, order][:, :k]
    spec, frob = P.errors(V, w, V.conj().T, xp) if P is not None else _no_errors()
    return EighResult(
        w=w,
        V=V,
        error_estimate=spec,
        frobenius_estimate=frob,
        passes=op.passes,
        iterations=q,
    )


def nystrom(
    A: Any,
    k: int,
    *,
    oversample: int = 10,
    sketch: str = "gaussian",
    probes: int = 5,
    psd_rtol: float = 1e-8,
    seed: Any = None,
) -> EighResult:
    """Randomized Nyström approximation of a PSD matrix, ``A ≈ U diag(λ) U^H``.

    Tropp, Yurtsever, Udell and Cevher (2017), "Fixed-rank approximation of a
    positive-semidefinite matrix from streaming data", Alg. 3 (numerically
    stable with a shift): Ω orthonormal (n × l), ``Y = AΩ``,
    ``ν = √n · eps · ‖Y‖``, ``Y_ν = Y + νΩ``, ``C = chol(Ω^H Y_ν)``,
    ``U Σ _ = svd(Y_ν C^{-H})``, ``λ = max(Σ² − ν, 0)``; the best rank-k part is
    kept. One pass over A. For PSD A the Nyström error is at most the error of
    the range-finder approximation with the same Ω (Gittens–Mahoney 2016).

    Parameters
    ----------
    A : PSD array, sparse matrix or LinearOperator (n × n)
    k : int
        Rank, ``1 <= k < n``.
    oversample, sketch, probes, seed
        As for :func:`randomized_svd`.
    psd_rtol : float
        ``Ω^H A Ω`` with an eigenvalue below ``−psd_rtol · ‖Ω^H A Ω‖`` proves
        that A is not PSD.

    Returns
    -------
    EighResult
        ``w`` (= λ, decreasing, ≥ 0), ``V`` (= U), ``shift`` ν.

    Raises
    ------
    NotPositiveSemidefiniteError
        If the sketch proves that A has a negative eigenvalue (a compression
        ``Ω^H A Ω`` of a PSD matrix is PSD). The check is one-sided: an indefinite
        A whose negative part Ω misses passes; check small matrices yourself.
    NotHermitianError
        If an explicit A is not Hermitian.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((200, 5))
    >>> lam, U = nystrom(X @ X.T, 5, seed=0)
    >>> bool(np.allclose(U * lam @ U.T, X @ X.T))
    True
    """
    op = _Operator(A)
    _check_hermitian_input(op)
    k = _check_rank(k, op.shape)
    l = min(k + _nonneg_int(oversample, "oversample"), op.shape[0])
    r = _nonneg_int(probes, "probes")
    xp = op.xp
    key = as_key(seed)
    n = op.shape[0]
    Omega = _orth(_test_matrix(n, l, op, key, sketch, "range"), xp)
    if r:
        Wp = _test_matrix(n, r, op, key, "gaussian", "probes") * math.sqrt(r)
        Yall = op.mm(xp.concatenate([Omega, Wp], axis=1))
        Y, P = Yall[:, :l], _Probes(Wp, Yall[:, l:])
    else:
        Y, P = op.mm(Omega), None
    core = Omega.conj().T @ Y
    core = (core + core.conj().T) / 2
    ev = xp.linalg.eigvalsh(core)
    top = float(xp.abs(ev).max())
    if float(ev.min()) < -psd_rtol * max(top, np.finfo(op.real_dtype).tiny):
        raise NotPositiveSemidefiniteError(
            f"A is not positive semidefinite: its compression Ω^H A Ω has eigenvalue "
            f"{float(ev.min()):.3g} (largest {top:.3g}); use randomized_eigh for indefinite "
            f"Hermitian matrices, or shift A by a multiple of the identity"
        )
    eps = float(np.finfo(op.real_dtype).eps)
    nu = math.sqrt(n) * eps * float(xp.linalg.norm(Y))
    Ynu = Y + nu * Omega
    Bnu = Omega.conj().T @ Ynu
    Bnu = (Bnu + Bnu.conj().T) / 2
    C = xp.linalg.cholesky(Bnu)  # lower: Bnu = C C^H
    F = linalg(xp).solve_triangular(C, Ynu.conj().T, lower=True).conj().T  # Y_ν C^{-H}
    U, sig, _ = xp.linalg.svd(F, full_matrices=False)
    lam = xp.maximum(sig[:k] ** 2 - nu, 0).astype(op.real_dtype, copy=False)
    U = U[:, :k]
    spec, frob = P.errors(U, lam, U.conj().T, xp) if P is not None else _no_errors()
    return EighResult(
        w=lam,
        V=U,
        error_estimate=spec,
        frobenius_estimate=frob,
        passes=op.passes,
        shift=nu,
    )


def block_krylov_svd(
    A: Any,
    k: int,
    *,
    krylov_iters: int = 3,
    block: int | None = None,
    sketch: str = "gaussian",
    probes: int = 5,
    seed: Any = None,
) -> SVDResult:
    """Rank-k SVD by randomized block Krylov iteration (Musco and Musco 2015).

    Builds an orthonormal basis Q of the block Krylov space
    ``[AΠ, (AA^H)AΠ, …, (AA^H)^q AΠ]`` (block Lanczos with full
    re-orthogonalisation), then takes the SVD of ``Q^H A``. Musco–Musco prove
    a (1+ε) spectral-norm *and* per-singular-value guarantee after
    ``q = O(log n / √ε)`` iterations, against ``O(log n / ε)`` for subspace
    iteration — so fewer passes for the same accuracy. Passes: ``2q + 2``.

    Parameters
    ----------
    A : array, sparse matrix or LinearOperator (m × n)
    k : int
        Target rank, ``1 <= k < min(m, n)``.
    krylov_iters : int
        q, the Krylov depth minus one.
    block : int, optional
        Block size b (default ``k + 5``); the basis has ``(q+1)·b`` columns at
        most (capped at ``min(m, n)``).
    sketch, probes, seed
        As for :func:`randomized_svd`.

    Returns
    -------
    SVDResult

    Examples
    --------
    >>> import numpy as np
    >>> A = np.diag(1.0 / np.arange(1, 201))
    >>> res = block_krylov_svd(A, 3, seed=0)
    >>> np.round(res.s, 8).tolist()
    [1.0, 0.5, 0.33333333]
    """
    op = _Operator(A)
    k = _check_rank(k, op.shape)
    q = _nonneg_int(krylov_iters, "krylov_iters")
    b = k + 5 if block is None else check_positive_int(block, "block")
    b = min(b, min(op.shape))
    r = _nonneg_int(probes, "probes")
    xp = op.xp
    key = as_key(seed)
    Y, P = _first_pass(op, b, r, key, sketch)
    limit = min(op.shape)
    Q0 = _orth(Y, xp)
    depth = min(q, (limit - Q0.shape[1]) // b)  # the basis may not outgrow min(m, n)
    # One preallocated basis: Gram–Schmidt against all earlier blocks is then one GEMM
    # pair per sweep instead of one per block.
    Q = xp.empty((op.shape[0], Q0.shape[1] + depth * b), dtype=Q0.dtype)
    Q[:, :Q0.shape[1]] = Q0
    lo, hi = 0, Q0.shape[1]
    for _ in range(depth):
        Z = op.mm(op.rmm(Q[:, lo:hi]))
        for _ in range(2):  # block classical Gram–Schmidt, twice is enough (Giraud et al. 2005)
            Z = Z - Q[:, :hi] @ (Q[:, :hi].conj().T @ Z)
        Qi = _orth(Z, xp)
        lo, hi = hi, hi + Qi.shape[1]
        Q[:, lo:hi] = Qi
    Q = Q[:, :hi]
    return _svd_from_basis(op, Q, k, P, depth)


# --------------------------------------------------------------------------- adaptive
def adaptive_qb(
    A: Any,
    tol: float,
    *,
    block: int = 16,
    max_rank: int | None = None,
    power_iters: int = 1,
    seed: Any = None,
) -> QBResult:
    """Rank-adaptive blocked QB factorisation ``A ≈ QB`` to a relative tolerance.

    Yu, Gu and Li (2018), "Efficient randomized algorithms for the fixed-precision
    low-rank matrix approximation", randQB_EI: blocks of ``block`` Gaussian test
    vectors, ``power_iters`` re-orthonormalised power steps per block, and the
    exact error indicator ``‖A − QB‖_F² = ‖A‖_F² − ‖B‖_F²`` (B = Q^H A). It is
    accurate down to about √eps·‖A‖_F, so tighter ``tol`` raises ToleranceError.
    For a LinearOperator ‖A‖_F is unknown: the Frobenius error is estimated from
    the next block, ``‖(A − QB)Ω‖_F²/b`` (Martinsson and Voronin 2016), whose
    products are then reused as that block's sample.

    Parameters
    ----------
    A : array, sparse matrix or LinearOperator (m × n)
    tol : float
        Relative Frobenius tolerance: stop when ``‖A − QB‖_F <= tol · ‖A‖_F``.
    block : int
        Block size b.
    max_rank : int, optional
        Stop (with ``converged=False`` and a ConvergenceWarning) at this rank;
        default ``min(m, n)``.
    power_iters : int
        Power iterations per block.
    seed : None, int or Generator

    Returns
    -------
    QBResult

    Raises
    ------
    ToleranceError
        If ``tol`` is below what the dtype can certify (``50·√eps``).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> A = (rng.standard_normal((200, 30)) * 0.5 ** np.arange(30)) @ rng.standard_normal((30, 100))
    >>> res = adaptive_qb(A, 1e-6, block=8, seed=0)
    >>> res.converged, res.rank <= 32
    (True, True)
    """
    import warnings

    op = _Operator(A)
    xp = op.xp
    tol = float(tol)
    floor = 50 * math.sqrt(float(np.finfo(op.real_dtype).eps))
    if not tol > 0 or not math.isfinite(tol):
        raise ValueError(f"tol must be a positive finite number, got {tol}")
    if tol < floor:
        raise ToleranceError(
            f"tol={tol:.3g} is below what the error indicator can certify in "
            f"{op.real_dtype} (about {floor:.1g}); use a larger tol or float64 input"
        )
    b = check_positive_int(block, "block")
    limit = min(op.shape)
    max_rank = limit if max_rank is None else min(check_positive_int(max_rank, "max_rank"), limit)
    q = _nonneg_int(power_iters, "power_iters")
    key = as_key(seed)
    m, n = op.shape
    Q = xp.zeros((m, 0), dtype=op.dtype)
    B = xp.zeros((0, n), dtype=op.dtype)
    normA = op.frobenius_norm()
    explicit = normA is not None
    E = normA**2 if explicit else None
    history: list[float] = []
    converged = False
    it = 0
    err = float("inf")
    while Q.shape[1] < max_rank:
        bi = min(b, max_rank - Q.shape[1])
        Om = _test_matrix(n, bi, op, key, "gaussian", f"block{it}") * math.sqrt(bi)
        Y = op.mm(Om) - Q @ (B @ Om)
        if not explicit:
            # E‖(A−QB)ω‖² = ‖A−QB‖_F² for standard Gaussian ω.
            est = float(xp.linalg.norm(Y)) / math.sqrt(bi)
            if it == 0:
                normA = est
            err = est
            history.append(err)
            if err <= tol * normA:
                converged = True
                break
        Qi = _orth(Y, xp)
        for _ in range(q):
            Z = _orth(op.rmm(Qi) - B.conj().T @ (Q.conj().T @ Qi), xp)
            Qi = _orth(op.mm(Z) - Q @ (B @ Z), xp)
        Qi = _orth(Qi - Q @ (Q.conj().T @ Qi), xp)  # re-orthogonalise against earlier blocks
        Bi = op.rmm(Qi).conj().T
        Q = xp.concatenate([Q, Qi], axis=1)
        B = xp.concatenate([B, Bi], axis=0)
        it += 1
        if explicit:
            E -= float(xp.linalg.norm(Bi)) ** 2
            err = math.sqrt(max(E, 0.0))
            history.append(err)
            if err <= tol * normA:
                converged = True
                break
    if not converged:
        warnings.warn(
            f"adaptive_qb stopped at rank {Q.shape[1]} (max_rank) with relative error "
            f"{err / normA if normA else float('nan'):.3g} > tol={tol:.3g}",
            ConvergenceWarning,
            stacklevel=2,
        )
    return QBResult(Q=Q, B=B, error_estimate=err, norm_estimate=float(normA), converged=converged,
                    iterations=it, history=history)


def adaptive_svd(
    A: Any,
    tol: float,
    *,
    block: int = 16,
    max_rank: int | None = None,
    power_iters: int = 1,
    seed: Any = None,
) -> SVDResult:
    """SVD of the rank-adaptive QB factorisation: ``‖A − UΣV^H‖_F ≲ tol·‖A‖_F``.

    :func:`adaptive_qb` followed by the SVD of B (Yu–Gu–Li 2018). The rank is
    chosen by the tolerance; ``error_estimate`` is the Frobenius error
    estimate (the spectral error is at most that).

    Examples
    --------
    >>> import numpy as np
    >>> A = np.diag(2.0 ** -np.arange(60))
    >>> res = adaptive_svd(A, 1e-3, block=4, seed=0)
    >>> res.converged, res.rank
    (True, 12)
    """
    qb = adaptive_qb(A, tol, block=block, max_rank=max_rank, power_iters=power_iters, seed=seed)
    xp = array_module(qb.Q)
    Ub, s, Vh = xp.linalg.svd(qb.B, full_matrices=False)
    return SVDResult(U=qb.Q @ Ub, s=s, Vh=Vh, error_estimate=qb.error_estimate,
                     frobenius_estimate=qb.error_estimate, passes=0,
                     converged=qb.converged, iterations=qb.iterations)


# --------------------------------------------------------------------------- norms
class _Residual:
    """The operator A − U diag(s) Vh (products only)."""

    def __init__(self, op: _Operator, U: Any, s: Any, Vh: Any):
        self.op, self.U, self.s, self.Vh = op, U, s, Vh
        self.shape = op.shape
        self.xp = op.xp
        self.dtype = op.dtype

    def mm(self, X: Any) -> Any:
        return self.op.mm(X) - self.U @ (self.s[:, None] * (self.Vh @ X))

    def rmm(self, Y: Any) -> Any:
        return self.op.rmm(Y) - self.Vh.conj().T @ (self.s[:, None] * (self.U.conj().T @ Y))


def _power_norm(op: Any, iters: int, block: int, key: Any) -> float:
    """Largest singular value by block power iteration with Rayleigh–Ritz."""
    xp = op.xp
    n = op.shape[1]
    rdt = np.finfo(op.dtype).dtype
    G = make_operator("gaussian", block, n, seed=key.child("power")).to_dense(xp, rdt).T
    X = _orth(G.astype(op.dtype), xp)
    est = 0.0
    for _ in range(iters):
        Y = op.mm(X)
        Qy, R = xp.linalg.qr(Y, mode="reduced")
        est = float(xp.linalg.svd(R, compute_uv=False)[0])  # ‖A X‖ ≤ ‖A‖ for orthonormal X
        X = _orth(op.rmm(Qy), xp)
    return est


def spectral_norm(A: Any, *, iters: int = 20, block: int = 4, seed: Any = None) -> float:
    """Estimate ‖A‖₂ by block power iteration (a lower bound that converges from below).

    Kuczyński and Woźniakowski (1992) for the single-vector power method;
    a block of ``block`` vectors and ``iters`` iterations (2 products each).

    Examples
    --------
    >>> import numpy as np
    >>> round(spectral_norm(np.diag([3.0, 2.0, 1.0]), seed=0), 8)
    3.0
    """
    op = _Operator(A)
    return _power_norm(op, check_positive_int(iters, "iters"),
                       min(check_positive_int(block, "block"), min(op.shape)), as_key(seed))


def residual_norm(
    A: Any, U: Any, s: Any, Vh: Any, *, iters: int = 20, block: int = 4, seed: Any = None
) -> float:
    """Estimate ‖A − U diag(s) Vh‖₂ by block power iteration on the residual operator.

    The estimate is a lower bound (‖RX‖ for orthonormal X) that converges to the
    true norm; products only, so A may be sparse or a LinearOperator.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.diag([3.0, 2.0, 1.0, 0.5])
    >>> U, s, Vh = np.linalg.svd(A)
    >>> round(residual_norm(A, U[:, :2], s[:2], Vh[:2], seed=0), 8)
    1.0
    """
    op = _Operator(A)
    if U.shape[0] != op.shape[0] or Vh.shape[1] != op.shape[1] or U.shape[1] != s.shape[0]:
        raise ShapeError(f"factors of shapes {U.shape}, {s.shape}, {Vh.shape} do not match "
                         f"A of shape {op.shape}")
    R = _Residual(op, U, s, Vh)
    return _power_norm(R, check_positive_int(iters, "iters"),
                       min(check_positive_int(block, "block"), min(op.shape)), as_key(seed))


# --------------------------------------------------------------------------- extreme eigenvalues
def _lanczos_extremes(mv, n: int, xp: ModuleType, dtype: Any, v0: Any, maxiter: int, tol: float):
    """Lanczos with full re-orthogonalisation; returns (θ_min, θ_max, r_min, r_max, steps, ok)."""
    V = xp.zeros((n, min(maxiter, n) + 1), dtype=dtype)
    V[:, 0] = v0 / xp.linalg.norm(v0)
    alpha: list[float] = []
    beta: list[float] = []
    steps = 0
    out = (0.0, 0.0, float("inf"), float("inf"))
    ok = False
    for j in range(min(maxiter, n)):
        w = mv(V[:, j])
        a = float(xp.real(xp.vdot(V[:, j], w)))
        w = w - V[:, : j + 1] @ (V[:, : j + 1].conj().T @ w)
        w = w - V[:, : j + 1] @ (V[:, : j + 1].conj().T @ w)  # twice (Kahan–Parlett)
        bnorm = float(xp.linalg.norm(w))
        alpha.append(a)
        steps = j + 1
        T = np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)
        theta, S = np.linalg.eigh(T)
        # Ritz residual ‖A y − θ y‖ = β_j |s_{j,i}| (Paige 1971).
        rmin, rmax = bnorm * abs(S[-1, 0]), bnorm * abs(S[-1, -1])
        out = (float(theta[0]), float(theta[-1]), rmin, rmax)
        scale = max(abs(theta[0]), abs(theta[-1]), np.finfo(float).tiny)
        if max(rmin, rmax) <= tol * scale or bnorm <= np.finfo(float).eps * scale:
            ok = True
            break
        if j + 1 < V.shape[1]:
            V[:, j + 1] = w / bnorm
        beta.append(bnorm)
    return (*out, steps, ok)


def hermitian_extreme_eigenvalues(
    A: Any, *, tol: float = 1e-6, maxiter: int = 300, seed: Any = None
) -> ExtremeEigenvalues:
    """λ_min, λ_max and a κ estimate of a Hermitian matrix or LinearOperator.

    Lanczos from a keyed random start vector with full re-orthogonalisation
    (Lanczos 1950; Paige 1971 residual bound ``‖Ay − θy‖ = β_j |s_j|``). From a
    random start, the Kuczyński–Woźniakowski (1992) bound gives relative error
    ``≤ ε`` for λ_max (and λ_min) after ``O(log(n/δ²)/√ε)`` steps with
    probability 1 − δ, whatever the gap. For an indefinite A, min |λ| is
    estimated by a second Lanczos run on A² (slower: it is an interior
    eigenvalue of A). Intended e.g. to size the clock register of HHL.

    Parameters
    ----------
    A : Hermitian array, sparse matrix or LinearOperator (n × n)
    tol : float
        Relative Ritz-residual tolerance.
    maxiter : int
        Maximum Lanczos steps (products with A) per run.
    seed : None, int or Generator

    Returns
    -------
    ExtremeEigenvalues
        Warns ConvergenceWarning if ``maxiter`` is reached first.

    Examples
    --------
    >>> import numpy as np
    >>> ev = hermitian_extreme_eigenvalues(np.diag(np.linspace(1.0, 100.0, 50)), seed=0)
    >>> round(ev.lambda_min, 6), round(ev.lambda_max, 6), round(ev.condition_estimate, 4)
    (1.0, 100.0, 100.0)
    """
    import warnings

    op = _Operator(A)
    _check_hermitian_input(op)
    n = op.shape[0]
    xp = op.xp
    maxiter = check_positive_int(maxiter, "maxiter")
    key = as_key(seed)
    v0 = make_operator("gaussian", 1, n, seed=key.child("lanczos")).to_dense(
        xp, op.real_dtype)[0].astype(op.dtype)
    ax = op.A
    if op.kind == "operator":
        def mv(x):
            return np.asarray(ax.matvec(x)).ravel()
    else:
        def mv(x):
            return ax @ x
    lo, hi, rlo, rhi, steps, ok = _lanczos_extremes(mv, n, xp, op.dtype, v0, maxiter, tol)
    if lo > 0 or hi < 0:
        absmin = min(abs(lo), abs(hi))
    else:
        lo2, _, r2, _, s2, ok2 = _lanczos_extremes(lambda x: mv(mv(x)), n, xp, op.dtype, v0,
                                                   maxiter, tol)
        absmin = math.sqrt(max(lo2, 0.0))
        steps += 2 * s2
        ok = ok and ok2
    if not ok:
        warnings.warn(f"Lanczos did not reach tol={tol:g} in {maxiter} steps; the eigenvalue "
                      f"estimates are inside the spectrum but not converged", ConvergenceWarning,
                      stacklevel=2)
    big = max(abs(lo), abs(hi))
    kappa = big / absmin if absmin > 0 else float("inf")
    return ExtremeEigenvalues(lambda_min=lo, lambda_max=hi, abs_min=absmin,
                              condition_estimate=kappa, residual_min=rlo, residual_max=rhi,
                              converged=ok, iterations=steps)


