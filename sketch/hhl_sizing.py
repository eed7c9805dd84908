"""Sizing HHL: clock qubits, evolution time and inversion constant from A's spectrum.

:func:`size_hhl` puts λ_min exactly on the clock grid with no aliasing (the rule is
stated there); :func:`eigenvalue_bounds` gives the spectrum's extent, exactly for
small matrices and by randomized Lanczos beyond; :func:`check_clock` refuses a
clock wider than the caller can hold, before anything of size 2^m exists.
:mod:`sketch.hhl` (the emulator) and :func:`circuits.hhl` (the circuit) share them.

Examples
--------
>>> import numpy as np
>>> s = size_hhl(np.diag([1.0, 4.0]))
>>> s.clock_qubits, s.kappa
(4, 4.0)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from .backend import array_module, compat, is_operator, numpy_dtype, to_dense
from .budgets import check_allocation, check_time_limit
from .checks import (
    check_computed_size,
    check_hermitian,
    check_matrix,
    check_positive_int,
    check_progress,
    check_square,
    check_tolerance,
)
from .errors import AccuracyWarning, SingularMatrixError
from .lowrank import hermitian_extreme_eigenvalues
from .progress import TIME_LIMIT

#: Largest matrix size whose eigendecomposition is computed densely.
DENSE_LIMIT = 4096


@dataclass
class HHLSizing:
    """Every choice HHL makes, and why.

    Attributes
    ----------
    clock_qubits : int
        Qubits of the QPE clock (including the sign bit when ``signed``).
    time : float
        Evolution time ``t`` of ``U = exp(iAt)``.
    constant : float
        ``C`` of the inversion ``sin(θ/2) = C/λ̃``.
    signed : bool
        Clock values read as two's complement (the top clock qubit is the sign).
    lambda_min, lambda_max : float
        Smallest and largest ``|λ|`` used for the sizing.
    kappa : float
        ``lambda_max / lambda_min``.
    bounds : str
        Where the eigenvalue bounds came from ("exact", "lanczos", "user").
    chosen : dict
        For each of clock_qubits/time/constant/signed: "auto" or "user".
    notes : list of str
        Warnings raised while sizing.
    """

    clock_qubits: int
    time: float
    constant: float
    signed: bool
    lambda_min: float
    lambda_max: float
    kappa: float
    bounds: str
    chosen: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def __post_init__(self) -> None:
        # A sizing built (or dataclasses.replace'd) by hand meets the rules size_hhl's does:
        # a clock of 1 << -1 qubits or t = 0 would fail later with an error naming nothing.
        self.clock_qubits = check_positive_int(self.clock_qubits, "clock_qubits", maximum=62,
                                               why="2^clock_qubits clock values are stored")
        for name in ("time", "constant", "lambda_min", "lambda_max", "kappa"):
            setattr(self, name, check_tolerance(getattr(self, name), name))
        if not isinstance(self.signed, (bool, np.bool_)):
            raise TypeError(f"signed must be a bool, got {type(self.signed).__name__}")
        self.signed = bool(self.signed)
        if self.lambda_min > self.lambda_max:
            raise ValueError(f"lambda_min = {self.lambda_min:.6g} exceeds lambda_max = "
                             f"{self.lambda_max:.6g}")
        if not math.isfinite(2 * math.pi / self.time):
            raise ValueError(f"time = {self.time:.3g} is too small: the clock values "
                             "2πk/(2^clock_qubits·time) overflow; use a larger time")
        if not self.kappa >= 1:
            raise ValueError(f"kappa must be at least 1 (lambda_max / lambda_min), got "
                             f"{self.kappa:.6g}")
        for name, kind in (("bounds", str), ("chosen", dict), ("notes", list)):
            if not isinstance(getattr(self, name), kind):
                raise TypeError(f"{name} must be a {kind.__name__}, got "
                                f"{type(getattr(self, name)).__name__}")

    @property
    def grid(self) -> float:
        """Eigenvalue spacing of the clock, ``2π/(2^m t)``."""
        return 2 * math.pi / ((1 << self.clock_qubits) * self.time)

    def clock_eigenvalues(self, xp: ModuleType = np, device: Any = None) -> Any:
        """``λ̃_k`` for every clock value ``k`` (two's complement if ``signed``), on
        ``device`` of ``xp``."""
        try:
            if not isinstance(xp, ModuleType):
                raise TypeError
            xp = compat(xp)
        except TypeError:
            raise TypeError(f"xp must be an array library (numpy, cupy or torch), got "
                            f"{getattr(xp, '__name__', type(xp).__name__)}") from None
        N = 1 << self.clock_qubits
        check_allocation(4 * 8 * N, f"the {N} clock values of {self.clock_qubits} clock qubits",
                         xp=xp, device=device, fix="use fewer clock qubits")
        try:
            k = xp.arange(N, dtype=xp.float64, device=device)
        except (ValueError, TypeError, RuntimeError) as exc:
            raise ValueError(f"device={device!r} is not a device of {xp.__name__} ({exc})"
                             ) from None
        if self.signed:
            k = xp.where(k >= N // 2, k - N, k)
        return 2 * math.pi * k / (N * self.time)

    def amplitudes(self, xp: ModuleType = np, device: Any = None) -> Any:
        """Flag amplitudes ``c_k = clip(C/λ̃_k, −1, 1)``, ``c_0 = 0``."""
        lam = self.clock_eigenvalues(xp, device)
        safe = xp.where(lam == 0, 1.0, lam)
        return xp.where(lam == 0, 0.0, xp.clip(self.constant / safe, -1.0, 1.0))

    def angles(self) -> np.ndarray:
        """RY angles ``θ_k = 2 arcsin c_k`` of the eigenvalue inversion."""
        return 2 * np.arcsin(self.amplitudes(np))

    def summary(self) -> str:
        """One line per choice, for reports."""
        s = (
            f"clock qubits {self.clock_qubits} ({self.chosen.get('clock_qubits', '?')}), "
            f"t = {self.time:.6g} ({self.chosen.get('time', '?')}), "
            f"C = {self.constant:.6g} ({self.chosen.get('constant', '?')}), "
            f"signed clock {self.signed}; |λ| in [{self.lambda_min:.4g}, {self.lambda_max:.4g}] "
            f"({self.bounds}), κ = {self.kappa:.4g}"
        )
        return s + "".join("\n  note: " + n for n in self.notes)


def eigenvalue_bounds(
    H: Any, *, exact_limit: int = DENSE_LIMIT, seed: Any = 0, tol: float = 1e-8,
    time_limit: float | None = None, progress: bool | None = None,
) -> tuple[float, float, bool, str]:
    """``(min |λ|, max |λ|, has negative eigenvalues, source)`` of Hermitian ``H``.

    Exact (``eigvalsh``) up to ``exact_limit``. Beyond, randomized Lanczos from a
    keyed random start (:func:`sketch.lowrank.hermitian_extreme_eigenvalues`: the
    Kuczyński–Woźniakowski 1992 bound makes the extreme Ritz values reliable
    whatever the gap; min |λ| of an indefinite H from Lanczos on H²), on H's
    own device, up to max(300, min(n, 2000)) steps with full re-orthogonalisation (minutes
    for n ~ 10⁵): ``time_limit`` (seconds) stops it after the current step, with a
    :class:`~sketch.errors.ConvergenceWarning` and source ``"lanczos (time_limit)"`` (its
    Ritz values lie inside the spectrum: a clock sized from them may alias), and
    ``progress`` shows its bar (:mod:`sketch.progress`; ``None``: after 2 s).

    Examples
    --------
    >>> import numpy as np
    >>> eigenvalue_bounds(np.diag([-2.0, 1.0, 4.0]))
    (1.0, 4.0, True, 'exact')
    """
    time_limit, progress = check_time_limit(time_limit), check_progress(progress)
    n = H.shape[0]
    if not is_operator(H) and n <= exact_limit:
        Hd = to_dense(H)
        xp = compat(array_module(Hd))
        vals = xp.linalg.eigvalsh(Hd)
        a = xp.abs(vals)
        return float(xp.min(a)), float(xp.max(a)), bool(xp.min(vals) < 0), "exact"
    ev = hermitian_extreme_eigenvalues(H, tol=tol, maxiter=max(300, min(n, 2000)), seed=seed,
                                       time_limit=time_limit, progress=progress)
    big = max(abs(ev.lambda_min), abs(ev.lambda_max))
    source = "lanczos (time_limit)" if ev.stop_reason == TIME_LIMIT else "lanczos"
    return float(ev.abs_min), float(big), bool(ev.lambda_min < 0), source


def _check_user_bounds(H: Any, lmin: float, lmax: float) -> bool:
    """Refuse user bounds that do not contain H's spectrum (exact, as cheap here as one of
    the exponentials a circuit needs); returns whether H has negative eigenvalues.

    Bounds that miss the spectrum size a clock on which eigenvalues alias or are clipped:
    the solution comes out wrong with nothing said."""
    true_min, true_max, negative, _ = eigenvalue_bounds(H)
    slack = 1e-6
    if lmin > true_min * (1 + slack) or lmax < true_max * (1 - slack):
        raise ValueError(
            f"bounds=({lmin:.6g}, {lmax:.6g}) do not contain the spectrum of H: its |λ| run from "
            f"{true_min:.6g} to {true_max:.6g}; pass bounds with min|λ| <= {true_min:.6g} and "
            f"max|λ| >= {true_max:.6g}, or leave bounds out to compute them"
        )
    return negative


def size_hhl(
    H: Any,
    *,
    clock_qubits: int | None = None,
    time: float | None = None,
    constant: float | None = None,
    signed: bool | None = None,
    bounds: tuple[float, float] | None = None,
    extra_bits: int = 1,
    warn: bool = True,
    time_limit: float | None = None,
    progress: bool | None = None,
) -> HHLSizing:
    """Choose clock qubits, evolution time and inversion constant for Hermitian ``H``.

    The rule: with ``R = N − 1`` clock values on the positive side (``N/2 − 1``
    for a signed clock), take ``m = ⌈log₂(κ+1)⌉ + extra_bits`` (+1 sign bit) and
    put ``λ_min`` *exactly* on clock value ``k₀ = ⌊R/κ⌋ ≥ 1``:
    ``t = 2πk₀/(N λ_min)``. Then ``|λ|t/2π ≤ R/N < 1`` (``< 1/2`` signed), so no
    eigenvalue aliases; λ_min — the direction ``A⁻¹`` amplifies most — leaks
    nothing; and ``C = λ_min`` so that direction is rotated fully. Every
    argument given overrides the rule and is reported as "user".

    Parameters
    ----------
    H : (N, N) Hermitian array, sparse matrix or LinearOperator
        Validated like every matrix argument (:func:`sketch.checks.check_matrix`,
        square, Hermitian unless an operator).
    clock_qubits, time, constant, signed : optional
        Overrides of the rule.
    bounds : tuple, optional
        ``(min|λ|, max|λ|)`` known to the user, or the 4-tuple of
        :func:`eigenvalue_bounds`; default: computed. A user's pair is checked against
        the exact spectrum where H is an array of at most ``DENSE_LIMIT`` rows (a pair
        that does not contain it is refused, and ``signed`` then defaults to whether H
        has negative eigenvalues); a larger H or an operator is taken at its word (pass
        ``signed=True`` if it has negative eigenvalues).
    extra_bits : int
        Clock bits beyond ``⌈log₂(κ+1)⌉``.
    warn : bool
        Emit the notes (aliasing, unresolved λ_min) as AccuracyWarning.
    time_limit, progress : optional
        Seconds for computing ``bounds`` by Lanczos (H beyond ``DENSE_LIMIT`` rows, or an
        operator), and its tqdm bar: see :func:`eigenvalue_bounds`. A sizing from bounds
        that the limit cut short says so in its notes. Default: no limit.

    Raises
    ------
    SingularMatrixError
        If ``min |λ| ≤ n·eps·max |λ|`` (numerically singular).
    ToleranceError
        If the clock (given, or from κ and ``extra_bits``) has 2⁶² values or more:
        nothing of that size can exist. Memory for smaller clocks is checked by whoever
        allocates them (:func:`sketch.hhl.emulate_hhl`, :func:`circuits.hhl`).
    TypeError, ValueError
        For a malformed ``H`` or override, naming it; ``bounds`` that do not contain the
        spectrum of a checkable H.

    Examples
    --------
    >>> import numpy as np
    >>> s = size_hhl(np.array([[1.0, -1/3], [-1/3, 1.0]]))
    >>> s.clock_qubits, round(s.time / np.pi, 6), round(s.constant, 6)
    (3, 1.125, 0.666667)
    """
    check_matrix(H, "H", operator=True)
    check_square(H, "H")
    if not is_operator(H):
        check_hermitian(H, "H", fix="HHL needs a Hermitian matrix: pass hhl_problem(A, b).matrix "
                        "(the Hermitian dilation of a non-Hermitian A)")
    extra_bits = check_positive_int(extra_bits, "extra_bits", minimum=0)
    time_limit, progress = check_time_limit(time_limit), check_progress(progress)
    if time is not None:
        time = check_tolerance(time, "time")
    if constant is not None:
        constant = check_tolerance(constant, "constant")
    n = H.shape[0]
    if bounds is None:
        lmin, lmax, negative, source = eigenvalue_bounds(H, time_limit=time_limit,
                                                         progress=progress)
    elif len(bounds) == 4:  # from eigenvalue_bounds, e.g. cached by hhl_problem
        lmin, lmax, negative, source = bounds
    else:
        lmin, lmax = (float(v) for v in bounds)
        negative, source = bool(signed), "user"
        if not (0 < lmin <= lmax) or not math.isfinite(lmax):
            raise ValueError(f"bounds must satisfy 0 < min|λ| <= max|λ| < inf, got {bounds}")
        if not is_operator(H) and n <= DENSE_LIMIT:
            negative = _check_user_bounds(H, lmin, lmax) if signed is None else negative
    eps = np.finfo(np.result_type(numpy_dtype(H.dtype), np.float32)).eps
    if lmin <= n * eps * lmax:
        raise SingularMatrixError(
            f"H (the Hermitian form of A) is numerically singular: smallest |eigenvalue| "
            f"{lmin:.3g} vs largest {lmax:.3g} (κ ≥ {lmax / max(lmin, 1e-300):.3g} > "
            "1/(n·eps)); HHL would divide by ~0 — regularise A (A + δI) or use a "
            "least-squares method"
        )
    kappa = lmax / lmin
    chosen = {}
    sgn = negative if signed is None else bool(signed)
    chosen["signed"] = "auto" if signed is None else "user"
    if clock_qubits is None:
        m = max(2, math.ceil(math.log2(kappa + 1)) + extra_bits + int(sgn))
        chosen["clock_qubits"] = "auto"
        what = f"the automatic clock (κ = {kappa:.3g}, extra_bits={extra_bits})"
        fix = "lower extra_bits"
    else:
        m = check_positive_int(clock_qubits, "clock_qubits", minimum=1 + int(sgn))
        chosen["clock_qubits"] = "user"
        what = f"clock_qubits={m}"
        fix = "pass fewer clock_qubits"
    # 2^m clock values: refuse a clock no memory holds before any 2^m number is formed
    check_computed_size(2.0 ** min(m, 64), f"the 2^m clock values of {what}", fix=fix)
    N = 1 << m
    R = N // 2 - 1 if sgn else N - 1
    notes = []
    if source == "lanczos (time_limit)":
        notes.append("time_limit stopped Lanczos before its eigenvalue bounds converged: they "
                     "lie inside the spectrum, so eigenvalues may alias or be clipped; raise "
                     "time_limit or pass bounds")
    if time is None:
        k0 = int(R // kappa) if R >= 1 else 0
        if k0 >= 1:
            t = 2 * math.pi * k0 / (N * lmin)
        else:
            t = 2 * math.pi * max(R, 1) / (N * lmax)
            notes.append(
                f"{m} clock qubits cannot resolve κ = {kappa:.3g}: λ_min falls below the first "
                f"clock value; use at least {math.ceil(math.log2(kappa + 1)) + 1 + int(sgn)}"
            )
        chosen["time"] = "auto"
    else:
        t = time
        chosen["time"] = "user"
    top = 0.5 if sgn else 1.0
    if lmax * t / (2 * math.pi) >= top:
        notes.append(
            f"|λ|_max·t/2π = {lmax * t / (2 * math.pi):.3g} ≥ {top}: large eigenvalues alias "
            f"onto wrong clock values; use t < {2 * math.pi * top / lmax:.4g}"
        )
    if negative and not sgn:
        notes.append("A has negative eigenvalues but the clock is unsigned: they alias")
    if constant is None:
        C = lmin
        chosen["constant"] = "auto"
    else:
        C = constant
        chosen["constant"] = "user"
        if C > lmin * (1 + 1e-9):
            notes.append(
                f"constant C = {C:.4g} exceeds min|λ| = {lmin:.4g}: the rotation C/λ̃ is "
                f"clipped at 1 for every |λ̃| < C, so those components are not inverted and "
                f"the solution is distorted; use C <= {lmin:.4g} (the default)"
            )
    if warn:
        for note in notes:
            warnings.warn(note, AccuracyWarning, stacklevel=2)
    return HHLSizing(m, t, C, sgn, lmin, lmax, kappa, source, chosen, notes)


def check_clock(sizing: HHLSizing, max_clock_qubits: int, rows: int = 1) -> None:
    """Refuse a clock register wider than ``max_clock_qubits`` (before allocating 2^m of anything).

    Raises
    ------
    ValueError
        Naming the clock size, κ (which a wide automatic clock comes from), the memory
        of a ``(rows, 2^m)`` complex array over the clock values, and the limit.
    """
    m = sizing.clock_qubits
    if m > max_clock_qubits:
        why = (f"the automatic sizing needs them for κ = {sizing.kappa:.3g}"
               if sizing.chosen.get("clock_qubits") == "auto" else "as requested")
        raise ValueError(
            f"{m} clock qubits ({why}): HHL would work with 2^{m} clock values "
            f"({16 * 2.0 ** min(m, 1000) * rows / 2**30:.3g} GiB for {rows} row(s) of them), above "
            f"the limit max_clock_qubits={max_clock_qubits}; precondition or regularise A to "
            "lower κ, or pass fewer clock_qubits (accepting leakage)"
        )


__all__ = ["DENSE_LIMIT", "HHLSizing", "check_clock", "eigenvalue_bounds", "size_hhl"]
