"""What :func:`sketch.lstsq` returns: the solution and how far it can be trusted.

Examples
--------
>>> import numpy as np
>>> res = LstsqResult(x=np.zeros(2), converged=True, iterations=0, residual_norm=1.0,
...                   method="direct")
>>> res.residual, res.backward_error is None
(1.0, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .operators import SketchingOperator
from .progress import CONVERGED


@dataclass(kw_only=True)
class LstsqResult:
    """The solution of :func:`sketch.lstsq` and how it was obtained.

    Built by keyword only; every field but the first five has a default.

    Attributes
    ----------
    x : array
        The solution, shape (n,) or (n, k) for k right-hand sides.
    converged : bool
        Whether the method's stopping rule was met (always True for the
        non-iterative methods, which have none).
    iterations : int
        Products with AᴴA (``"fossils"``) or LSQR iterations
        (``"sketch-and-precondition"``), the most over right-hand sides; 0 if
        not iterative.
    residual_norm : float or array
        ‖b − A x‖₂ (per right-hand side for 2-D b), computed afresh.
    method : str
        The method that produced ``x``: ``"direct"`` after a fallback, and for the
        default method where sketching cannot pay (small or narrow A; then
        ``backward_error`` is None: LAPACK is backward stable by construction).
    backward_error : float, array or None
        Estimate of the normwise relative backward error
        min{‖ΔA‖_F : x solves min ‖(A + ΔA)x − b‖} / ‖A‖_F — the
        Karlson–Waldén estimate computed with the sketch's R factor (or its
        SVD where R is near singular; see :mod:`sketch.backward_error`; with
        ridge, that of [A; √α I] relative to ‖A‖_F: α is exact). ``x`` is as
        accurate as a backward-stable (Householder QR) solve when this is a
        small multiple of the unit roundoff. None where not estimated
        (``"direct"`` is LAPACK, backward stable by construction).
    forward_error_bound : float, array or None
        Bound on ‖x − x*‖/‖x‖ (x* the exact solution) from the sketched
        Karlson–Waldén estimate, a lower bound s on σ_min(S·A) and the embedding's
        distortion η: (1 + η)² (η̂/s) √(1 + (θ/s)²) plus the residual's rounding
        (θ = ‖r‖/‖x‖; the argument is in :mod:`sketch.backward_error`). On the R path
        s comes from inflated power iterations (:func:`sketch.lstsq_factor.condition_bound`,
        failure probability 2e-6 over the start vector); exact from the SVD.
    sketch : SketchingOperator or None
        The sketch used; None where none was (``method="direct"``, or a default
        sketch that would have had as many rows as A: A's own factor is used).
    sketch_size : int or None
        Its number of rows.
    condition_number : float or None
        Estimated condition number of the preconditioned system A R⁻¹ (LSQR's
        Ritz values, ``"sketch-and-precondition"``) or its a-priori value
        (1 + η)/(1 − η) for the embedding distortion η (``"fossils"``); ``None`` where nothing
        was estimated (LSQR took no step, e.g. for b = 0).
    sketched_condition : float or None
        Condition number of the sketched matrix S·A (≈ κ(A)): exact where
        its SVD was taken, else a power-iteration estimate (a lower bound,
        usually within a few percent); for ``"direct"``, κ(A) from its
        singular values where gelsd ran, LAPACK's estimate of R's 1-norm condition number
        (within a factor n of κ₂) where the QR solve did (:func:`sketch.backend.qr_lstsq`).
    rank : int
        Numerical rank used (columns, unless rank deficient).
    alpha : float
        The ridge parameter.
    tol : float or None
        The tolerance the iteration was run to (``"fossils"``: on
        ``backward_error``).
    refinement_steps : int
        Iterative-refinement steps taken (``"fossils"``); 0 otherwise.
    stop_reason : {"converged", "maxiter", "time_limit"}
        What ended the iteration: ``"time_limit"`` when ``time_limit=`` seconds passed
        first (``x`` is then the last iterate, and ``backward_error`` and
        ``forward_error_bound`` are that iterate's), ``"maxiter"`` for any other stop
        short of the tolerance (FOSSILS also after its refinement steps or at its rounding
        floor), ``"converged"`` otherwise (always for the non-iterative methods).
    """

    x: Any
    converged: bool
    iterations: int
    residual_norm: Any
    method: str
    backward_error: Any = None
    forward_error_bound: Any = None
    sketch: SketchingOperator | None = None
    sketch_size: int | None = None
    condition_number: float | None = None
    sketched_condition: float | None = None
    rank: int = 0
    alpha: float = 0.0
    tol: float | None = None
    refinement_steps: int = 0
    stop_reason: str = CONVERGED

    @property
    def residual(self) -> Any:
        """Alias of :attr:`residual_norm` (the name iterative results share in qla)."""
        return self.residual_norm
