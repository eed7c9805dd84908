"""Result objects of the low-rank factorisations: factors next to their error estimates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..progress import CONVERGED


@dataclass
class SVDResult:
    """A low-rank SVD ``A ≈ U diag(s) Vh`` with its estimated error.

    Unpacks as ``U, s, Vh = result``.

    Attributes
    ----------
    U, s, Vh : arrays
        Factors (``U``: m × k, ``s``: k, descending, ``Vh``: k × n).
    error_estimate : float
        Estimated (upper bound with high probability, see :mod:`sketch.lowrank`)
        spectral norm of ``A − U diag(s) Vh``; for the adaptive methods the Frobenius norm.
    frobenius_estimate : float
        Estimated Frobenius norm of the residual.
    passes : int
        Number of block products with ``A`` or ``A^H``.
    converged : bool
        Whether the requested accuracy (or, rank-adaptive runs, tolerance) was met.
    iterations : int
        Power/Krylov iterations (fixed rank) or blocks (adaptive).
    accuracy_estimate : float
        Accuracy-first runs: the a-posteriori estimate ε̂ that the stopping rule
        compared with ``accuracy`` (None for fixed-work runs).
    pass_dtype : str
        The precision the passes over A ran in: ``"float32"`` where a float64 A
        was multiplied in single precision because the accuracy allowed it.
    stop_reason : {"converged", "maxiter", "time_limit"}
        What ended the run: the accuracy was met (fixed-work runs: the work asked for
        was done), ``max_passes`` (or ``max_rank``) was reached, or ``time_limit=``
        seconds passed first (the factors are those of the last pass, and the
        estimates are theirs; :mod:`sketch.progress`).
    """

    U: Any
    s: Any
    Vh: Any
    error_estimate: float
    frobenius_estimate: float = float("nan")
    passes: int = 0
    converged: bool = True
    iterations: int = 0
    accuracy_estimate: float | None = None
    pass_dtype: str = ""
    stop_reason: str = CONVERGED

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
    (decreasing value for Nyström, where all are ≥ 0). Fields as in
    :class:`SVDResult` (``stop_reason`` included); ``shift`` is Nyström's stabilising shift ν.
    """

    w: Any
    V: Any
    error_estimate: float
    frobenius_estimate: float = float("nan")
    passes: int = 0
    shift: float = 0.0
    converged: bool = True
    iterations: int = 0
    accuracy_estimate: float | None = None
    stop_reason: str = CONVERGED

    def __iter__(self):
        return iter((self.w, self.V))

    @property
    def rank(self) -> int:
        return int(self.w.shape[0])

    @property
    def residual(self) -> float:
        return self.error_estimate
