"""Sketched least squares and ridge regression.

``lstsq(A, b)`` minimises ‖Ax − b‖₂² + α‖x‖₂² by one of three methods:

* ``"sketch-and-precondition"`` (default) — Blendenpik (Avron, Maymounkov and
  Toledo 2010) / LSRN (Meng, Saunders and Mahoney 2014): sketch S·A with
  s ≈ 4n rows, factor it (QR; SVD when it is numerically rank deficient) and
  run LSQR on the well-conditioned A R⁻¹, warm-started from the
  sketch-and-solve solution, to a requested tolerance. Rank-deficient A gets
  the minimum-norm solution (LSRN's argument: range(N) = row space of A).
* ``"sketch-and-solve"`` — Sarlós (2006): solve min ‖S(Ax − b)‖ instead;
  with an ε-subspace embedding the residual is within (1 + ε)/(1 − ε) of the
  optimum. With ``guarantee="linf"`` a dense sketch sized by
  :func:`sketch.sizing.linf_sketch_size` also gives
  ‖x′ − x*‖∞ ≤ (ε/√d)‖Ax* − b‖‖A†‖ (Price, Song and Woodruff 2017).
* ``"direct"`` — LAPACK (``gelsd`` through ``numpy/cupy.linalg.lstsq``), for
  reference.

Ridge (``alpha > 0``) is the least-squares problem for [A; √α I] and [b; 0];
every method solves that, without forming it when A is large (the sketch
is applied to A only and √α I appended to S·A, as in Avron, Clarkson and
Woodruff 2017).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> A = rng.standard_normal((2000, 20))
>>> b = A @ np.ones(20) + 0.01 * rng.standard_normal(2000)
>>> res = lstsq(A, b, seed=1)
>>> res.converged, res.method
(True, 'sketch-and-precondition')
>>> bool(np.allclose(res.x, np.linalg.lstsq(A, b, rcond=None)[0], atol=1e-8))
True
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backend import array_module, is_operator, is_sparse, linalg
from .checks import check_matrix, check_vector
from .errors import AccuracyWarning, ConvergenceWarning, ToleranceError
from .lsqr import lsqr
from .operators import SketchingOperator, make_operator
from .rng import as_key
from .sizing import linf_sketch_size, preconditioner_size

METHODS = ("sketch-and-precondition", "sketch-and-solve", "direct")


@dataclass
class LstsqResult:
    """The solution of :func:`lstsq` and how it was obtained.

    Attributes
    ----------
    x : array
        The solution, shape (n,) or (n, k) for k right-hand sides.
    converged : bool
        Whether the requested tolerance was met (always True for the
        non-iterative methods, which have no tolerance).
    iterations : int
        LSQR iterations (the most over right-hand sides); 0 if not iterative.
    residual_norm : float or array
        ‖b − A x‖₂ (per right-hand side for 2-D b), computed afresh.
    method : str
        The method that produced ``x`` (``"direct"`` after a fallback).
    sketch : SketchingOperator or None
        The sketch used.
    sketch_size : int or None
        Its number of rows.
    condition_number : float or None
        Estimated condition number of the preconditioned system A R⁻¹ (Ritz
        values of LSQR's bidiagonalisation; a lower bound, ~1–3 when the
        preconditioner works). None for non-iterative methods.
    sketched_condition : float or None
        Estimated condition number of the sketched matrix S·A (≈ κ(A)); for
        ``"direct"``, κ(A) from its singular values.
    rank : int
        Numerical rank used (columns, unless rank deficient).
    alpha : float
        The ridge parameter.
    tol : float or None
        The tolerance the iteration was run to.
    """

    x: Any
    converged: bool
    iterations: int
    residual_norm: Any
    method: str
    sketch: SketchingOperator | None = None
    sketch_size: int | None = None
    condition_number: float | None = None
    sketched_condition: float | None = None
    rank: int = 0
    alpha: float = 0.0
    tol: float | None = None

    @property
    def residual(self) -> Any:
        """Alias of :attr:`residual_norm` (the name iterative results share in qla)."""
        return self.residual_norm


# -- products with A, whatever its kind ------------------------------------------


def _matvec(A: Any, v: Any) -> Any:
    if is_operator(A):
        return A.matmat(v) if v.ndim == 2 else A.matvec(v)
    return A @ v


def _rmatvec(A: Any, u: Any, xp: Any) -> Any:
    """Aᴴ u without copying A (dense complex A: conj(conj(u)ᵀ A))."""
    if is_operator(A):
        return A.rmatmat(u) if u.ndim == 2 else A.rmatvec(u)
    if is_sparse(A):
        return A.conj().T @ u if np.dtype(A.dtype).kind == "c" else A.T @ u
    if np.dtype(A.dtype).kind == "c":
        return xp.conj(xp.conj(u) @ A)
    return u @ A if u.ndim == 1 else A.T @ u


# -- small dense factorisations ----------------------------------------------------


def _condition_estimate(R: Any, xp: Any, key: Any, steps: int = 12) -> float:
    """σ_max(R)/σ_min(R) by power iteration on RᴴR and (RᴴR)⁻¹; O(n²) per step.

    Power iteration converges from below, so this is a lower bound on κ(R);
    it is only used to decide whether R is safe to invert.
    """
    n = R.shape[0]
    diag = xp.abs(xp.diagonal(R))
    if not bool(xp.all(diag > 0)) or not bool(xp.all(xp.isfinite(R))):
        return math.inf
    tri = linalg(xp).solve_triangular
    z = key.normal(xp.arange(n, dtype=xp.uint64), xp).astype(R.dtype)
    y = z / xp.linalg.norm(z)
    smax = 0.0
    for _ in range(steps):
        y = R.conj().T @ (R @ y)
        nrm = float(xp.linalg.norm(y))
        if nrm == 0:
            return math.inf
        smax, y = math.sqrt(nrm), y / nrm
    y = z / xp.linalg.norm(z)
    inv = 0.0
    with np.errstate(all="ignore"):
        for _ in range(steps):
            y = tri(R, tri(R, y, trans="C"))
            nrm = float(xp.linalg.norm(y))
            if not math.isfinite(nrm) or nrm == 0:
                return math.inf
            inv, y = math.sqrt(nrm), y / nrm
    return smax * inv


class _Preconditioner:
    """x = N y from a factorisation of the (ridge-augmented) sketch S·A.

    One Householder QR of [S·A, S·b] in ``mode="r"`` (no Q is formed: the
    last columns of its R are Qᴴ S b), so the factorisation costs about half
    of a reduced QR. N = R⁻¹ when R is safely invertible; otherwise the
    truncated SVD R = U Σ Vᴴ gives N = V_r Σ_r⁻¹ (LSRN), which keeps x in the
    row space of A so that LSQR returns the minimum-norm solution.
    """

    def __init__(self, SA: Any, Sb: Any, xp: Any, rcond: float, key: Any):
        self.xp = xp
        n = SA.shape[1]
        Sb2 = Sb[:, None] if Sb.ndim == 1 else Sb
        R_full = xp.linalg.qr(xp.concatenate([SA, Sb2], axis=1), mode="r")
        R, c = R_full[:n, :n], R_full[:n, n:]
        self.cond = _condition_estimate(R, xp, key)
        if self.cond * rcond < 1:
            self.kind, self.R, self.rank = "qr", R, n
            x0 = linalg(xp).solve_triangular(R, c)
        else:
            U, sv, Vh = xp.linalg.svd(R)
            r = int((sv > rcond * sv[0]).sum())
            self.kind, self.rank = "svd", r
            self.sv, self.V = sv[:r], Vh[:r].conj().T
            self.cond = float(sv[0] / sv[r - 1]) if r else math.inf
            x0 = self.V @ ((U[:, :r].conj().T @ c) / self.sv[:, None])
        self.x0 = x0[:, 0] if Sb.ndim == 1 else x0

    def apply(self, y: Any) -> Any:
        if self.kind == "qr":
            return linalg(self.xp).solve_triangular(self.R, y)
        return self.V @ (y / self.sv)

    def adjoint(self, z: Any) -> Any:
        if self.kind == "qr":
            return linalg(self.xp).solve_triangular(self.R, z, trans="C")
        return (self.V.conj().T @ z) / self.sv


# -- the solver ----------------------------------------------------------------------


def _default_tol(dtype: np.dtype) -> float:
    return 1e-10 if np.finfo(dtype).eps < 1e-10 else 1e-5


def _check_inputs(A: Any, b: Any) -> tuple[Any, Any]:
    check_matrix(A, "A", operator=True)
    xp = array_module(A, b)  # raises BackendMismatchError for NumPy/CuPy mixes
    check_vector(b, "b", length=A.shape[0])
    dtype = np.result_type(np.dtype(A.dtype) if A.dtype is not None else np.float64, b.dtype)
    return xp, dtype


def _residual_norm(A: Any, x: Any, b: Any, xp: Any) -> Any:
    r = b - _matvec(A, x)
    if r.ndim == 1:
        return float(xp.linalg.norm(r))
    return xp.linalg.norm(r, axis=0)


def _direct(A: Any, b: Any, alpha: float, xp: Any, dtype: np.dtype, rcond: float | None):
    if is_operator(A):
        raise TypeError("method='direct' needs the entries of A, not a LinearOperator; "
                        "use method='sketch-and-precondition'")
    if is_sparse(A):
        if A.shape[0] * A.shape[1] > 50_000_000:
            raise ValueError(f"method='direct' would densify a sparse {A.shape} matrix; "
                             "use method='sketch-and-precondition'")
        A = A.toarray()
    A = A.astype(dtype, copy=False)
    b = b.astype(dtype, copy=False)
    n = A.shape[1]
    if alpha > 0:
        A = xp.concatenate([A, math.sqrt(alpha) * xp.eye(n, dtype=dtype)], axis=0)
        zeros = xp.zeros((n,) + b.shape[1:], dtype=dtype)
        b = xp.concatenate([b, zeros], axis=0)
    x, _, rank, sv = xp.linalg.lstsq(A, b, rcond=rcond)
    sv = sv if xp is np else sv.get() if hasattr(sv, "get") else sv
    smin = float(sv[-1]) if len(sv) else 0.0
    cond = float(sv[0]) / smin if smin > 0 else math.inf
    return x, int(rank), cond


def lstsq(
    A: Any,
    b: Any,
    method: str | None = None,
    *,
    sketch: str | SketchingOperator | None = None,
    sketch_size: int | None = None,
    alpha: float = 0.0,
    tol: float | None = None,
    maxiter: int | None = None,
    guarantee: str | None = None,
    eps: float = 0.5,
    delta: float = 0.01,
    rcond: float | None = None,
    seed: Any = None,
) -> LstsqResult:
    """Least squares (or ridge) by sketching: min ‖Ax − b‖₂² + α‖x‖₂².

    Parameters
    ----------
    A : array (m × n), sparse matrix or LinearOperator
        NumPy or CuPy; float32/64 or complex64/128. LinearOperators work with
        the sketched methods (only products are needed).
    b : array
        Right-hand side, shape (m,) or (m, k).
    method : {"sketch-and-precondition", "sketch-and-solve", "direct"}, optional
        Default ``"sketch-and-precondition"``, or ``"sketch-and-solve"`` when
        ``guarantee`` is given.
    sketch : str or SketchingOperator, optional
        Sketch kind (see :func:`sketch.operators.make_operator`) or a ready
        operator with m columns. Default ``"sparse-sign"``; ``"srht"`` for
        ``guarantee="linf"``.
    sketch_size : int, optional
        Rows of the sketch: at least n. Default 4n (capped at m) for the
        sketched methods; the ℓ∞ rule for ``guarantee="linf"``.
    alpha : float
        Ridge parameter α ≥ 0.
    tol : float, optional
        LSQR tolerance on ‖(AN)ᴴr‖/(‖AN‖‖r‖) (default 1e-10, 1e-5 in single
        precision). Below machine precision it cannot be certified.
    maxiter : int, optional
        Most LSQR iterations (default 200).
    guarantee : {None, "linf"}
        ``"linf"``: size a dense sketch so that sketch-and-solve meets
        ‖x′ − x*‖∞ ≤ (eps/√n)‖Ax* − b‖‖A†‖ with probability 1 − delta.
        If the rule asks for m rows or more, solves directly (with a warning).
    eps, delta : float
        Accuracy and failure probability of the ℓ∞ guarantee.
    rcond : float, optional
        Relative cut-off for the numerical rank (default n·machine epsilon).
    seed : None, int, Generator or Key
        Randomness of the sketch.

    Returns
    -------
    LstsqResult

    Raises
    ------
    ValueError
        Non-finite entries, mismatched or empty shapes, a sketch with fewer
        rows than A has columns, a sparse sketch with ``guarantee="linf"``.
    TypeError
        Integer arrays, NumPy mixed with CuPy, unsupported objects.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.random.default_rng(2).standard_normal((3000, 10))
    >>> b = np.random.default_rng(3).standard_normal(3000)
    >>> res = lstsq(A, b, method="sketch-and-solve", sketch="gaussian", sketch_size=400,
    ...             seed=0)
    >>> best = np.linalg.norm(A @ np.linalg.lstsq(A, b, rcond=None)[0] - b)
    >>> bool(res.residual_norm <= 1.1 * best)
    True
    """
    xp, dtype = _check_inputs(A, b)
    m, n = A.shape
    if method is None:
        method = "sketch-and-solve" if guarantee is not None else "sketch-and-precondition"
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of: {', '.join(METHODS)}")
    if guarantee not in (None, "linf"):
        raise ValueError(f"guarantee must be None or 'linf', got {guarantee!r}")
    if guarantee == "linf" and method != "sketch-and-solve":
        raise ValueError("guarantee='linf' sizes sketch-and-solve; method "
                         f"{method!r} does not use it (sketch-and-precondition and direct "
                         "converge to the exact solution)")
    alpha = float(alpha)
    if not alpha >= 0 or not math.isfinite(alpha):
        raise ValueError(f"alpha must be a finite number >= 0, got {alpha}")
    real = np.finfo(dtype).dtype
    tol = _default_tol(real) if tol is None else float(tol)
    if not tol > 0:
        raise ValueError(f"tol must be positive, got {tol}")
    if tol < np.finfo(real).eps:
        raise ToleranceError(f"tol={tol} is below the {real} machine epsilon "
                             f"{np.finfo(real).eps:.2g}; it cannot be certified")
    maxiter = 200 if maxiter is None else int(maxiter)
    rcond_eff = n * float(np.finfo(real).eps) if rcond is None else float(rcond)

    if method == "direct":
        x, rank, cond = _direct(A, b, alpha, xp, dtype, rcond)
        return LstsqResult(x, True, 0, _residual_norm(A, x, b, xp), "direct",
                           sketched_condition=cond, rank=rank, alpha=alpha)

    # -- choose and apply the sketch --
    if guarantee == "linf":
        kind = "srht" if sketch is None else sketch
        if isinstance(kind, SketchingOperator):
            if not kind.dense:
                raise ValueError(f"guarantee='linf' needs a dense sketch; {type(kind).__name__} "
                                 "is sparse and provably cannot give it (use 'srht' or "
                                 "'gaussian')")
        elif kind in ("countsketch", "sparse-sign"):
            raise ValueError(f"guarantee='linf' needs a dense sketch; {kind!r} is sparse and "
                             "provably cannot give it (use 'srht' or 'gaussian')")
        if sketch_size is None and not isinstance(kind, SketchingOperator):
            try:
                sketch_size = linf_sketch_size(m, n, eps=eps, delta=delta)
            except ToleranceError as exc:
                warnings.warn(f"{exc}; solving directly instead (the exact solution meets the "
                              "bound)", AccuracyWarning, stacklevel=2)
                x, rank, cond = _direct(A, b, alpha, xp, dtype, rcond)
                return LstsqResult(x, True, 0, _residual_norm(A, x, b, xp), "direct",
                                   sketched_condition=cond, rank=rank, alpha=alpha)
    else:
        kind = "sparse-sign" if sketch is None else sketch
    if isinstance(kind, SketchingOperator):
        s = kind.s
    elif sketch_size is None:
        s = preconditioner_size(n, m)
        if kind == "srht":
            s = min(s, 1 << (m - 1).bit_length())
    else:
        s = int(sketch_size)
        if s >= m:
            warnings.warn(f"sketch_size={s} is not smaller than the {m} rows of A: the sketch "
                          "does not compress; method='direct' is cheaper", AccuracyWarning,
                          stacklevel=2)
    if s < n:
        raise ValueError(f"the sketch has {s} rows but A has {n} columns; a sketch needs at "
                         f"least n rows (4n = {4 * n} is a good default)")
    key = as_key(seed)
    S = make_operator(kind, s, m, key.child("sketch"))
    SA = S @ A
    if not is_operator(A):
        SA = SA.astype(dtype, copy=False)
    Sb = (S @ b).astype(dtype, copy=False)
    if alpha > 0:
        SA = xp.concatenate([SA, math.sqrt(alpha) * xp.eye(n, dtype=dtype)], axis=0)
        Sb = xp.concatenate([Sb, xp.zeros((n,) + Sb.shape[1:], dtype=dtype)], axis=0)
    P = _Preconditioner(SA, Sb, xp, rcond_eff, key.child("condition"))
    x0 = P.x0

    if method == "sketch-and-solve":
        return LstsqResult(x0, True, 0, _residual_norm(A, x0, b, xp), method, S, s,
                           None, P.cond, P.rank, alpha, None)

    # -- sketch-and-precondition: LSQR on [A; √α I] N, warm-started at x0 --
    root = math.sqrt(alpha)
    rhs = b.astype(dtype, copy=False)
    columns = [rhs] if rhs.ndim == 1 else [rhs[:, j] for j in range(rhs.shape[1])]
    starts = [x0] if x0.ndim == 1 else [x0[:, j] for j in range(x0.shape[1])]

    def matvec(y):
        z = P.apply(y)
        top = _matvec(A, z)
        return xp.concatenate([top, root * z]) if alpha > 0 else top

    def rmatvec(u):
        top = _rmatvec(A, u[:m], xp)
        if alpha > 0:
            top = top + root * u[m:]
        return P.adjoint(top)

    xs, iters, ok, conds = [], 0, True, []
    for bj, xj in zip(columns, starts):
        r0 = bj - _matvec(A, xj)
        if alpha > 0:
            r0 = xp.concatenate([r0, -root * xj])
        state = lsqr(matvec, rmatvec, r0, n=P.rank, tol=tol, maxiter=maxiter)
        xs.append(xj + P.apply(state.x))
        iters = max(iters, state.iterations)
        ok = ok and state.converged
        conds.append(state.condition)
    x = xs[0] if len(xs) == 1 else xp.stack(xs, axis=1)
    cond = max((c for c in conds if math.isfinite(c)), default=float("nan"))
    if not ok:
        warnings.warn(
            f"LSQR stopped after {iters} iterations before reaching tol={tol:g} "
            f"(estimated condition number of the preconditioned system {cond:.3g}, "
            f"of the sketched matrix {P.cond:.3g}); raise maxiter or tol, or use a larger "
            "sketch", ConvergenceWarning, stacklevel=2)
    return LstsqResult(x, ok, iters, _residual_norm(A, x, b, xp), method, S, s, cond,
                       P.cond, P.rank, alpha, tol)
