"""Sketched least squares and ridge regression: ``lstsq(A, b)``.

Minimises ‖Ax − b‖₂² + α‖x‖₂² by one of the methods of
:mod:`sketch.lstsq_solvers` (a table of solver functions):

* ``"fossils"`` (default where sketching pays, see below) — backward stable,
  as accurate as LAPACK's Householder QR: sketch S·A (sparse sign, s = 12n rows), QR it, start from
  sketch-and-solve and refine with heavy-ball iterations on the
  preconditioned normal equations (Epperly, Meier and Nakatsukasa 2024),
  stopping when the sketched Karlson–Waldén estimate of the backward error
  is ≤ ``tol`` (default 4u) — see :mod:`sketch.fossils`.
* ``"sketch-and-precondition"`` — Blendenpik/LSRN: LSQR on A R⁻¹ to an LSQR
  tolerance. Accurate in residual, not backward stable for ill-conditioned A.
* ``"sketch-and-solve"`` — Sarlós (2006), optionally with the ℓ∞ guarantee.
* ``"direct"`` — LAPACK: Householder QR where R has full numerical rank with margin, else
  ``gelsd`` (:func:`~sketch.backend.qr_lstsq`; ``gelsd`` on CuPy and torch), the default where
  sketching cannot pay (:func:`~sketch.lstsq_solvers.sketching_pays`, by the BLAS
  threads of the call: on one n ≤ 80, or m too close to 12n; on two n ≤ 130, or m too
  close to 36n²/(n − 130); for dense A or a sparse A of at most 10⁶ entries):
  there LAPACK is faster and FOSSILS' forward error reached 10-170× LAPACK's.
  The result's ``method`` says which ran.

Ridge (``alpha > 0``) is the least-squares problem for [A; √α I] and [b; 0];
every method solves that, without forming it when A is large (the sketch is
applied to A only and √α I stacked with S·A, as in Avron, Clarkson and
Woodruff 2017). The √α I rows go first: Householder QR of rows sorted by size is
row-wise stable (Powell and Reid 1969; Cox and Higham 1998), so x ≈ Aᴴb/α of an A far
smaller than √α keeps its digits; below them it came out as 0. Rank-deficient A gets the
minimum-norm solution.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> A = rng.standard_normal((20000, 300))
>>> b = A @ np.ones(300) + 0.01 * rng.standard_normal(20000)
>>> res = lstsq(A, b, seed=1)
>>> res.converged, res.method
(True, 'fossils')
>>> bool(np.allclose(res.x, np.linalg.lstsq(A, b, rcond=None)[0], atol=1e-12))
True
>>> lstsq(A[:2000, :20], b[:2000]).method   # too small for a sketch to pay
'direct'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .backend import astype, is_dask, is_operator, is_sparse, numpy_dtype
from .budgets import check_time_limit
from .checks import (
    check_matrix,
    check_positive_int,
    check_progress,
    check_same_backend,
    check_tolerance,
    check_vector,
)
from .errors import ToleranceError
from .lstsq_result import LstsqResult
from .lstsq_scaling import solve_balanced
from .lstsq_solvers import METHODS, LstsqProblem, default_tol, sketching_pays
from .operators import SketchingOperator
from .rng import as_key

__all__ = ["lstsq", "LstsqResult", "METHODS"]


def _check_inputs(A: Any, b: Any) -> tuple[Any, Any]:
    check_matrix(A, "A", operator=True)
    check_vector(b, "b", length=A.shape[0])
    xp = check_same_backend(A=A, b=b)
    dtype = np.result_type(numpy_dtype(A.dtype) if A.dtype is not None else np.float64,
                           numpy_dtype(b.dtype))
    return xp, dtype


def _default_method(A: Any, guarantee: str | None, tuned: bool) -> str:
    """FOSSILS where sketching pays, else LAPACK (the result's ``method`` says which).

    ``tuned``: the caller set one of FOSSILS' knobs (sketch, sketch_size, tol, maxiter).
    """
    if guarantee is not None:
        return "sketch-and-solve"
    if tuned or is_operator(A) or hasattr(A, "sketch_pair"):  # no entries for LAPACK
        return "fossils"
    m, n = A.shape
    return "fossils" if sketching_pays(m, n, sparse=is_sparse(A)) else "direct"


def _check_method(method: str, guarantee: str | None) -> str:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of: {', '.join(METHODS)}")
    if guarantee not in (None, "linf"):
        raise ValueError(f"guarantee must be None or 'linf', got {guarantee!r}")
    if guarantee == "linf" and method != "sketch-and-solve":
        raise ValueError("guarantee='linf' sizes sketch-and-solve; method "
                         f"{method!r} does not use it (the other methods converge to the "
                         "exact solution)")
    return method


def _check_tol(tol: float | None, method: str, dtype: Any) -> float | None:
    real = np.finfo(dtype).dtype
    tol = default_tol(method, real) if tol is None else check_tolerance(tol, "tol")
    if tol is None:
        return None
    if tol < np.finfo(real).eps:
        raise ToleranceError(f"tol={tol} is below the {real} machine epsilon "
                             f"{np.finfo(real).eps:.2g}; it cannot be certified")
    return tol


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
    time_limit: float | None = None,
    progress: bool | None = None,
) -> LstsqResult:
    """Least squares (or ridge) by sketching: min ‖Ax − b‖₂² + α‖x‖₂².

    Parameters
    ----------
    A : array (m × n), sparse matrix or LinearOperator
        NumPy or CuPy; float32/64 or complex64/128. LinearOperators work with
        the sketched methods (only products are needed).
    b : array
        Right-hand side, shape (m,) or (m, k).
    method : {"fossils", "sketch-and-precondition", "sketch-and-solve", "direct"}, optional
        Default ``"fossils"`` where sketching pays and ``"direct"`` (LAPACK) where it
        cannot (:func:`~sketch.lstsq_solvers.sketching_pays`; a LinearOperator, a Dask
        array, or any of ``sketch``, ``sketch_size``, ``tol``, ``maxiter`` given
        always runs FOSSILS), or
        ``"sketch-and-solve"`` when ``guarantee`` is given.
    sketch : str or SketchingOperator, optional
        Sketch kind (see :func:`sketch.operators.make_operator`) or a ready
        operator with m columns. Default ``"sparse-sign"``; ``"srht"`` for
        ``guarantee="linf"``.
    sketch_size : int, optional
        Rows of the sketch: at least n; more than m is clamped to m with a
        warning, and a size whose S·A cannot fit in memory is refused
        (:class:`~sketch.errors.InsufficientMemoryError`). Default 12n for
        ``"fossils"``, 4n for the others (capped at m); the ℓ∞ rule for
        ``guarantee="linf"``. Where no sketch pays (:func:`~sketch.lstsq_solvers.
        sketching_pays`) and neither ``sketch`` nor ``sketch_size`` is given,
        ``"fossils"`` factors A itself (``sketch`` None, ``sketch_size`` m): its start is
        LAPACK's QR solution, where a sketch's rounding cost up to 315x LAPACK's forward
        error.
    alpha : float
        Ridge parameter α ≥ 0.
    tol : float, optional
        ``"fossils"``: target of the relative backward-error estimate
        (default 4u: 8.9e-16 in double, 4.8e-7 in single precision).
        ``"sketch-and-precondition"``: LSQR tolerance on
        ‖(AN)ᴴr‖/(‖AN‖‖r‖) (default 1e-10, 1e-5 in single precision).
        Below machine precision it cannot be certified.
    maxiter : int, optional
        Most products with AᴴA (``"fossils"``) or LSQR iterations (default 200).
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
    time_limit : float, optional
        Seconds for the iteration (``"fossils"``: the refinement's products with AᴴA;
        ``"sketch-and-precondition"``: LSQR, one deadline for all right-hand sides, each
        of which still takes one step). Past them the iteration stops after the current
        product and returns its iterate with ``converged=False`` (unless that iterate meets
        ``tol``) and ``stop_reason="time_limit"``, with a
        :class:`~sketch.errors.ConvergenceWarning`; ``backward_error`` and
        ``forward_error_bound`` are those of the returned x. The sketch and its
        factorisation are not timed. ``"direct"`` and ``"sketch-and-solve"`` have no
        iteration: validated, then unused. Default: no limit.
    progress : bool, optional
        tqdm bar of the iteration (products or LSQR iterations, and the backward-error
        estimate or residual): ``True`` at once, ``False`` never, ``None`` (default) once
        the iteration has run for 2 s (:mod:`sketch.progress`).

    Returns
    -------
    LstsqResult
        With ``backward_error`` and ``forward_error_bound`` for ``"fossils"``, and
        ``stop_reason`` (``"converged"``, ``"maxiter"`` or ``"time_limit"``).

    Raises
    ------
    ValueError
        Non-finite entries, mismatched or empty shapes, a sketch with fewer
        rows than A has columns, a sparse sketch with ``guarantee="linf"``.
    TypeError
        Integer arrays, NumPy mixed with CuPy, unsupported objects.
    InsufficientMemoryError
        A ``sketch_size`` whose sketch cannot fit in memory.
    NonFiniteError
        A solution that leaves the precision's range (A and b are scaled by powers of
        two where their entries are near under- or overflow, :mod:`sketch.lstsq_scaling`;
        x itself cannot be), or a LinearOperator A whose sketch overflows.
    ToleranceError
        A ``time_limit`` that is not positive (a ``ValueError``; non-numbers and a
        ``progress`` other than True/False/None raise ``TypeError``).

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
    >>> lstsq(A, b, "fossils", seed=0, time_limit=60).stop_reason
    'converged'
    """
    if sketch_size is not None:
        sketch_size = check_positive_int(sketch_size, "sketch_size")
    if is_dask(A) or is_dask(b):  # row-chunked Dask arrays: products on the workers
        from .distributed.lstsq import dask_operands

        A, b, xp, dtype, sketch_size = dask_operands(A, b, method, sketch, sketch_size,
                                                     guarantee)
    else:
        xp, dtype = _check_inputs(A, b)
    if method is None:
        tuned = any(v is not None for v in (sketch, sketch_size, tol, maxiter))
        method = _default_method(A, guarantee, tuned)
    method = _check_method(method, guarantee)
    alpha = check_tolerance(alpha, "alpha", allow_zero=True)
    eps = check_tolerance(eps, "eps", upper=1)
    delta = check_tolerance(delta, "delta", upper=1)
    maxiter = 200 if maxiter is None else check_positive_int(maxiter, "maxiter")
    time_limit, progress = check_time_limit(time_limit), check_progress(progress)
    problem = LstsqProblem(
        A=A, b=astype(b, dtype), xp=xp, dtype=dtype, alpha=alpha,
        tol=_check_tol(tol, method, dtype), maxiter=maxiter,
        rcond=None if rcond is None else float(rcond), key=as_key(seed), sketch=sketch,
        sketch_size=sketch_size, guarantee=guarantee, eps=eps, delta=delta,
        time_limit=time_limit, progress=progress)
    return solve_balanced(METHODS[method], problem)
