"""The methods of :func:`sketch.lstsq`, one function each, and the table that names them.

Each solver takes a validated :class:`LstsqProblem` and returns an
:class:`~sketch.lstsq_result.LstsqResult`:

* ``"fossils"`` — backward-stable sketch-and-precondition with iterative
  refinement (Epperly, Meier and Nakatsukasa 2024; :mod:`sketch.fossils`),
  stopped on a sketched Karlson–Waldén backward-error estimate.
* ``"sketch-and-precondition"`` — Blendenpik (Avron, Maymounkov and Toledo
  2010) / LSRN (Meng, Saunders and Mahoney 2014): LSQR on A R⁻¹,
  warm-started from sketch-and-solve, to an LSQR tolerance. Fast, but not
  backward stable for ill-conditioned A (Meier, Nakatsukasa, Townsend and
  Webb 2023).
* ``"sketch-and-solve"`` — Sarlós (2006): min ‖S(Ax − b)‖; with
  ``guarantee="linf"`` a dense sketch sized for the ℓ∞ bound of Price, Song
  and Woodruff (2017).
* ``"direct"`` — LAPACK: Householder QR where R provably has full numerical rank, else
  ``gelsd`` (:func:`sketch.backend.qr_lstsq`; ``gelsd`` through ``cupy``/``torch`` there).

Examples
--------
>>> sorted(METHODS)
['direct', 'fossils', 'sketch-and-precondition', 'sketch-and-solve']
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import kernels
from .backend import (
    astype,
    is_operator,
    is_sparse,
    library_dtype,
    qr_lstsq,
    vector_norm,
)
from .backward_error import forward_error_bound
from .budgets import check_allocation, time_left
from .errors import AccuracyWarning, ConvergenceWarning, ToleranceError
from .fossils import fossils
from .lsqr import lsqr
from .lstsq_factor import SketchedFactor
from .lstsq_products import matvec, residual_norm, rmatvec
from .lstsq_result import LstsqResult
from .lstsq_scaling import check_balanced
from .operators import SketchingOperator, make_operator
from .progress import CONVERGED, MAXITER, TIME_LIMIT, remedy
from .sizing import linf_sketch_size, preconditioner_size

# Sketch rows per column by method. FOSSILS' heavy-ball rate is η = √(n/s) per
# product with AᴴA: s = 12n (η ≈ 0.29) costs a larger QR than 4n (η = 0.5) but
# about half the passes over A, which dominate for tall dense A.
OVERSAMPLING = {"fossils": 12.0, "sketch-and-precondition": 4.0, "sketch-and-solve": 4.0}
# FOSSILS' backward-error estimate costs one structured QR of [R; θI] per right-hand side
# and evaluation from R (about 1/10 of an SVD of R), O(n²) from the SVD: with more
# right-hand sides than this the SVD is cheaper. R near singular takes the SVD anyway.
SVD_FROM_COLUMNS = 3
# The default method's size rule (:func:`sketching_pays`), by the BLAS threads of the call:
# FOSSILS costs about PASS_COST·m·n (the sketch and its passes over A, Python's overhead
# included) plus QR_COST·n³ (the QR of S·A, s = 12n rows, on one BLAS thread); Householder QR
# costs m·n². On one core (``python -m benchmarks lstsq-grid``, the machine shared) FOSSILS
# was 1.6-4x slower than gelsd at n = 100, m = 50n and 0.7-0.9x at m = 100-200n; 2-260x
# slower for n <= 50. On two, LAPACK's QR uses both cores where the sketch and the QR of S·A
# do not (QR_COST doubles): FOSSILS against the fastest LAPACK path (issue fp25, κ = 1e8,
# ‖r‖ = 1e-3 and 1, quiet machine; gelsd the fastest path at both) was 0.49-0.61x at
# 10000 × 100 and 0.83-0.90x at 10000 × 500 (LAPACK there now); 0.79-1.15x at 20000 × 200
# (kept: the default's gelsd took 0.58-0.70x of the fastest path, a QR solve, on the
# quick benchmark's problems), 1.01-1.44x at 20000 × 300, 1.16-1.45x at 40000 × 400 and
# 1.19-1.64x at 50000 × 150. Issue tr29: at 20000 × 200 FOSSILS was 0.63-1.01x gelsd's
# speed on the quick benchmark (2 threads, quiet machine; 0.66-1.98x interleaved), so
# QR_COST went from 24 to 36, which hands 20000 × 200 to LAPACK (now a QR solve, as fast as
# gelsd or faster) and keeps 20000 × 300, 40000 × 400 and 50000 × 150 sketched.
# More threads than two use the two-thread rule (not measured).
SIZE_RULE = {1: (80.0, 12.0), 2: (130.0, 36.0)}  # BLAS threads: (PASS_COST, QR_COST)
# A sparse A goes to LAPACK only while its dense copy is this small (entries).
DENSE_FALLBACK_ENTRIES = 1_000_000
# What an unconverged iterative solve's warning asks for, unless its time limit stopped it.
_LARGER = "raise maxiter or tol, or use a larger sketch"


@dataclass(kw_only=True)
class LstsqProblem:
    """A validated call of :func:`sketch.lstsq` (b and A in the working dtype)."""

    A: Any
    b: Any
    xp: Any
    dtype: Any
    alpha: float
    tol: float | None
    maxiter: int
    rcond: float | None
    key: Any
    sketch: str | SketchingOperator | None = None
    sketch_size: int | None = None
    guarantee: str | None = None
    eps: float = 0.5
    delta: float = 0.01
    time_limit: float | None = None
    progress: bool | None = None
    balanced: bool = False  # A needs no scaling (sketch.lstsq_scaling), or has it

    @property
    def rcond_eff(self) -> float:
        real = np.finfo(self.dtype).dtype
        return self.A.shape[1] * float(np.finfo(real).eps) if self.rcond is None else self.rcond


def _residual_norm(A: Any, x: Any, b: Any, xp: Any) -> Any:
    if hasattr(A, "residual_norms"):  # a distributed A (sketch.distributed)
        return _scalar(A.residual_norms(x, b)[0], x.ndim)
    norm = residual_norm(A, x, b)
    return float(norm) if x.ndim == 1 else norm


def _scalar(v: Any, ndim: int) -> Any:
    return float(v) if ndim == 1 else v


def sketching_pays(m: int, n: int, *, sparse: bool = False, threads: int | None = None) -> bool:
    """Whether the default method sketches (FOSSILS) or hands A to LAPACK (``"direct"``).

    Sketching pays when Householder QR's m·n² exceeds FOSSILS' cost,
    ``PASS_COST``·m·n + ``QR_COST``·n³: n > PASS_COST + QR_COST·n²/m, with the two costs
    of :data:`SIZE_RULE` for ``threads`` BLAS threads (default: what BLAS may use now,
    :func:`sketch.kernels.blas_threads`, so that ``threadpool_limits`` changes the choice).
    On one thread (80, 12) every n ≤ 80, and m < 12n, where the sketch would be as tall
    as A, go to LAPACK, which is faster there and as accurate as itself: FOSSILS' forward
    error reached 10-170x gelsd's on such problems (κ = 1e8, ‖r‖ = 1; its backward error
    stayed ≤ u). On two (130, 36), where LAPACK's QR uses both cores, also every n ≤ 130
    and e.g. 10000 × 500 and 20000 × 200.
    A sparse A stays sketched unless its dense copy has at most ``DENSE_FALLBACK_ENTRIES``
    entries.

    Examples
    --------
    >>> sketching_pays(10_000, 100, threads=1), sketching_pays(10_000, 100, threads=2)
    (True, False)
    >>> sketching_pays(100_000, 50, threads=1), sketching_pays(12, 4)
    (False, False)
    """
    if sparse and m * n > DENSE_FALLBACK_ENTRIES:
        return True
    t = kernels.blas_threads() if threads is None else threads
    pass_cost, qr_cost = SIZE_RULE[min(max(t, 1), max(SIZE_RULE))]
    return n > pass_cost + qr_cost * n * n / m


# -- the sketch ---------------------------------------------------------------------


def _rows(p: LstsqProblem, kind: Any, factor: float, whole: bool) -> int:
    m, n = p.A.shape
    if isinstance(kind, SketchingOperator):
        return kind.s
    if whole:
        return m
    if p.sketch_size is None:
        s = preconditioner_size(n, m, factor)
        return min(s, 1 << (m - 1).bit_length()) if kind == "srht" else s
    s = int(p.sketch_size)
    k = 1 if p.b.ndim == 1 else p.b.shape[1]
    itemsize = np.dtype(p.dtype).itemsize
    # S·A, the copy [S·A, S·b] handed to QR, and QR's own copy of it
    check_allocation(3.0 * s * (n + k) * itemsize, f"a sketch with sketch_size={s} rows",
                     xp=p.xp, fix=f"ask for fewer rows (at most the {m} rows of A are useful)")
    if s >= m:
        warnings.warn(f"sketch_size={s} is not smaller than the {m} rows of A: the sketch does "
                      f"not compress{'; using ' + str(m) + ' rows' if s > m else ''}; "
                      "method='direct' is cheaper", AccuracyWarning, stacklevel=5)
    return min(s, m)


def sketched_factor(p: LstsqProblem, kind: Any, factor: float, *, svd: bool,
                    whole: bool = False):
    """(S, s, F): the sketch, its rows and the factorisation of [S·A; √α I].

    ``whole``: factor A itself (S = None, s = m), as for any sketch of m rows or more.
    """
    m, n = p.A.shape
    s = _rows(p, kind, factor, whole)
    if s < n:
        what = "the sketch operator has" if isinstance(kind, SketchingOperator) else \
            "sketch_size is"
        raise ValueError(f"{what} {s} rows but A has {n} columns; a sketch needs at least n "
                         f"rows (raise sketch_size; 4n = {4 * n} is a good default)")
    distributed = hasattr(p.A, "sketch_pair")  # sketch.distributed: [A b] in one pass
    if (s >= m and not distributed and not is_operator(p.A)
            and not isinstance(kind, SketchingOperator)):
        # A sketch as tall as A compresses nothing and, square, may lose rank (a 3 x 3
        # sparse sign made a rank-2 A rank 1, and FOSSILS returned a 99 % forward error):
        # the factor is A's own, an exact embedding (an operator the caller gave is kept).
        S, SA, Sb = None, p.A.toarray() if is_sparse(p.A) else p.A, p.b
    else:
        S = make_operator(kind, s, m, p.key.child("sketch"))
        SA, Sb = p.A.sketch_pair(S, p.b) if distributed else (S @ p.A, S @ p.b)
    if not is_operator(p.A):
        SA = astype(SA, p.dtype)
    Sb = astype(Sb, p.dtype)
    data_fro = None
    if p.alpha > 0:
        xp, dtype = p.xp, library_dtype(p.xp, p.dtype)
        data_fro = float(vector_norm(xp.reshape(SA, (-1,))))
        SA = xp.concatenate([math.sqrt(p.alpha) * xp.eye(n, dtype=dtype), SA], axis=0)
        Sb = xp.concatenate([xp.zeros((n,) + tuple(Sb.shape[1:]), dtype=dtype), Sb], axis=0)
    if not p.balanced:  # a sketch near under/overflow: restart on a scaled A
        check_balanced(SA, p.dtype, p.alpha)
    F = SketchedFactor(SA, Sb, p.xp, rcond=p.rcond_eff, key=p.key.child("condition"), svd=svd,
                       data_fro=data_fro)
    return S, s, F


# -- the methods --------------------------------------------------------------------


def solve_direct(p: LstsqProblem) -> LstsqResult:
    """LAPACK on A (or on [√α I; A] for ridge: the large rows first, see :mod:`sketch.lstsq`):
    Householder QR where R has full numerical rank with margin, else gelsd
    (:func:`~sketch.backend.qr_lstsq`)."""
    A, b, xp, dtype = p.A, p.b, p.xp, p.dtype
    if is_operator(A):
        raise TypeError("method='direct' needs the entries of A, not a LinearOperator; "
                        "use method='fossils'")
    if is_sparse(A):
        if A.shape[0] * A.shape[1] > 50_000_000:
            raise ValueError(f"method='direct' would densify a sparse {A.shape} matrix; "
                             "use method='fossils'")
        A = A.toarray()
    A = astype(A, dtype)
    n = A.shape[1]
    if p.alpha > 0:
        ldt = library_dtype(xp, dtype)
        A = xp.concatenate([math.sqrt(p.alpha) * xp.eye(n, dtype=ldt), A], axis=0)
        b = xp.concatenate([xp.zeros((n,) + tuple(b.shape[1:]), dtype=ldt), b], axis=0)
    if p.alpha > 0 and not p.balanced:  # LAPACK scales A, not [√α I; A]: we do
        check_balanced(A, dtype, p.alpha)
    x, rank, cond = qr_lstsq(A, b, rcond=p.rcond_eff)  # the documented n·u, as the others
    return LstsqResult(x=x, converged=True, iterations=0,
                       residual_norm=_residual_norm(p.A, x, p.b, xp), method="direct",
                       sketched_condition=cond, rank=int(rank), alpha=p.alpha)


def _linf_kind(p: LstsqProblem) -> Any:
    """The dense sketch (and its size, set on p) of the ℓ∞ guarantee, or None to go direct."""
    kind = "srht" if p.sketch is None else p.sketch
    dense = kind.dense if isinstance(kind, SketchingOperator) else kind not in (
        "countsketch", "sparse-sign")
    if not dense:
        name = type(kind).__name__ if isinstance(kind, SketchingOperator) else repr(kind)
        raise ValueError(f"guarantee='linf' needs a dense sketch; {name} is sparse and "
                         "provably cannot give it (use 'srht' or 'gaussian')")
    if p.sketch_size is None and not isinstance(kind, SketchingOperator):
        try:
            p.sketch_size = linf_sketch_size(*p.A.shape, eps=p.eps, delta=p.delta)
        except ToleranceError as exc:
            warnings.warn(f"{exc}; solving directly instead (the exact solution meets the "
                          "bound)", AccuracyWarning, stacklevel=4)
            return None
    return kind


def solve_sketch_and_solve(p: LstsqProblem) -> LstsqResult:
    """x = argmin ‖S(Ax − b)‖ (Sarlós 2006), sized for ℓ∞ with ``guarantee="linf"``."""
    kind = "sparse-sign" if p.sketch is None else p.sketch
    if p.guarantee == "linf":
        kind = _linf_kind(p)
        if kind is None:
            return solve_direct(p)
    S, s, F = sketched_factor(p, kind, OVERSAMPLING["sketch-and-solve"], svd=False)
    return LstsqResult(x=F.x0, converged=True, iterations=0,
                       residual_norm=_residual_norm(p.A, F.x0, p.b, p.xp),
                       method="sketch-and-solve", sketch=S, sketch_size=s,
                       sketched_condition=F.cond, rank=F.rank, alpha=p.alpha)


def solve_sketch_and_precondition(p: LstsqProblem) -> LstsqResult:
    """LSQR on [A; √α I] N per right-hand side, warm-started at sketch-and-solve."""
    A, xp, m = p.A, p.xp, p.A.shape[0]
    kind = "sparse-sign" if p.sketch is None else p.sketch
    S, s, F = sketched_factor(p, kind, OVERSAMPLING["sketch-and-precondition"], svd=False)
    root = math.sqrt(p.alpha)

    def op(y):
        z = F.apply(y)
        top = matvec(A, z)
        return xp.concatenate([top, root * z]) if p.alpha > 0 else top

    def op_adjoint(u):
        top = rmatvec(A, u[:m], xp)
        return F.adjoint(top + root * u[m:] if p.alpha > 0 else top)

    columns = [p.b] if p.b.ndim == 1 else [p.b[:, j] for j in range(p.b.shape[1])]
    starts = [F.x0] if F.x0.ndim == 1 else [F.x0[:, j] for j in range(F.x0.shape[1])]
    xs, iters, ok, conds, reasons = [], 0, True, [], set()
    # one deadline for all right-hand sides: a column started past it still takes one step
    start = time.perf_counter()
    for bj, xj in zip(columns, starts):
        r0 = bj - matvec(A, xj)
        if p.alpha > 0:
            r0 = xp.concatenate([r0, -root * xj])
        state = lsqr(op, op_adjoint, r0, n=F.rank, tol=p.tol, maxiter=p.maxiter,
                     time_limit=time_left(start, p.time_limit), progress=p.progress)
        xs.append(xj + F.apply(state.x))
        iters, ok = max(iters, state.iterations), ok and state.converged
        conds.append(state.condition)
        reasons.add(state.stop_reason)
    x = xs[0] if p.b.ndim == 1 else xp.stack(xs, axis=1)  # b of shape (m, 1): x (n, 1)
    # None when LSQR took no step (b in range(A), e.g. b = 0 or A = 0): nothing was estimated
    cond = max((c for c in conds if math.isfinite(c)), default=None)
    reason = CONVERGED if ok else TIME_LIMIT if TIME_LIMIT in reasons else MAXITER
    if not ok:
        why = remedy(reason, _LARGER, p.time_limit)
        warnings.warn(
            f"LSQR stopped after {iters} iterations before reaching tol={p.tol:g} "
            f"(estimated condition number of the preconditioned system {cond or math.nan:.3g}, "
            f"of the sketched matrix {F.cond:.3g}); {why}", ConvergenceWarning, stacklevel=3)
    return LstsqResult(x=x, converged=ok, iterations=iters,
                       residual_norm=_residual_norm(A, x, p.b, xp),
                       method="sketch-and-precondition", sketch=S, sketch_size=s,
                       condition_number=cond, sketched_condition=F.cond, rank=F.rank,
                       alpha=p.alpha, tol=p.tol, stop_reason=reason)


def _factors_whole(p: LstsqProblem) -> bool:
    """Whether FOSSILS factors A itself: its sketch left to it, where no sketch pays.

    There a sketch costs about as much as the Householder QR of A, and its rounding
    limits the refinement: explicit ``method="fossils"`` reached 315x scipy gelsd's forward
    error (float32, 8 x 2, κ = 1e4, r = 0) and 25-30x in double (100 x 3, 300 x 10).
    A's own QR gives LAPACK's QR solution as the start, which needs no refinement.
    """
    m, n = p.A.shape
    return (p.sketch is None and p.sketch_size is None and not is_operator(p.A)
            and not hasattr(p.A, "sketch_pair") and not sketching_pays(m, n,
                                                                       sparse=is_sparse(p.A)))


def solve_fossils(p: LstsqProblem) -> LstsqResult:
    """FOSSILS refinement preconditioned by the sketch's R, stopped on the backward error."""
    xp, ndim = p.xp, p.b.ndim
    kind = "sparse-sign" if p.sketch is None else p.sketch
    k = 1 if ndim == 1 else p.b.shape[1]
    whole = _factors_whole(p)
    # BLAS on one thread for the sketch-sized work (QR of S·A, solves with its R), all of
    # its threads for the passes over A; A's own QR (whole) keeps them all
    with contextlib.nullcontext() if whole else kernels.serial_blas():
        S, s, F = sketched_factor(p, kind, OVERSAMPLING["fossils"], svd=k > SVD_FROM_COLUMNS,
                                  whole=whole)
        # No sketch (s ≥ m): the factor is A's own, N = R⁻¹ makes A N orthonormal (η = 0)
        exact = S is None
        eta = 0.0 if exact else min(0.9, math.sqrt(max(F.rank, 1) / s))
        st = fossils(p.A, p.b, F, alpha=p.alpha, eta=eta, tol=p.tol, maxiter=p.maxiter,
                     xp=xp, time_limit=p.time_limit, progress=p.progress, exact=exact)
    # ‖x − x*‖/‖x‖ ≤ (1 + η)² (η̂/s)·√(1 + (θ/s)²) + (1 + η)·φ/s for s ≤ σ_min(S·A),
    # θ = ‖r‖/‖x‖ on [A; √α I] and φ ≥ ‖δr‖/‖x‖, the residual's own rounding,
    # (n + 1)·u·(‖b‖ + ‖A‖_F‖x‖) with ‖b‖ ≤ ‖A‖‖x‖ + ‖r‖ (the argument is in
    # sketch.backward_error).
    xnorm = vector_norm(st.x, axis=0)
    raug = st.residual_norm if p.alpha == 0 else xp.sqrt(
        xp.asarray(st.residual_norm) ** 2 + p.alpha * xnorm**2)
    u = float(np.finfo(p.dtype).eps)
    theta = raug / xp.where(xnorm > 0, xnorm, 1)
    floor = (p.A.shape[1] + 1) * u * (2 * F.fro + theta)
    bound = forward_error_bound(st.backward_error * F.data_fro, raug, xnorm, smin=F.smin_bound,
                                eta=st.eta, xp=xp, floor=floor)
    if not st.converged:
        worst = float(xp.max(st.backward_error))
        why = ("it stalled at the rounding floor" if st.stalled else
               f"after {st.iterations} products with AᴴA in {st.steps} refinement steps")
        fix = remedy(st.stop_reason, _LARGER, p.time_limit)
        warnings.warn(f"FOSSILS stopped before reaching tol={p.tol:g}: {why} (backward-error "
                      f"estimate {worst:.3g}); {fix}", ConvergenceWarning, stacklevel=3)
    return LstsqResult(x=st.x, converged=st.converged, iterations=st.iterations,
                       residual_norm=_scalar(st.residual_norm, ndim), method="fossils",
                       backward_error=_scalar(st.backward_error, ndim),
                       forward_error_bound=_scalar(bound, ndim), sketch=S, sketch_size=s,
                       condition_number=(1 + st.eta) / (1 - st.eta),
                       sketched_condition=F.cond, rank=F.rank,
                       alpha=p.alpha, tol=p.tol, refinement_steps=st.steps,
                       stop_reason=st.stop_reason)


Solver = Callable[[LstsqProblem], LstsqResult]

METHODS: dict[str, Solver] = {
    "fossils": solve_fossils,
    "sketch-and-precondition": solve_sketch_and_precondition,
    "sketch-and-solve": solve_sketch_and_solve,
    "direct": solve_direct,
}


def default_tol(method: str, dtype: Any) -> float | None:
    """The method's default tolerance: FOSSILS 4u on the backward error, LSQR 1e-10."""
    eps = float(np.finfo(np.finfo(dtype).dtype).eps)
    if method == "fossils":
        return 4 * eps
    if method == "sketch-and-precondition":
        return 1e-10 if eps < 1e-10 else 1e-5
    return None
