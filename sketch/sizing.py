"""How many rows a sketch needs: subspace embeddings, the ℓ∞ regression rule and
pairwise distances.

:func:`embedding_size` gives, per operator, a sketch size s at which S is an
ε-subspace embedding for any n-dimensional subspace of R^m with probability at
least 1 − δ: every singular value of S·U lies in [1 − ε, 1 + ε] for an m × n
matrix U with orthonormal columns. The formulas and their sources:

=================  ==============================================================
operator           s (rounded up)
=================  ==============================================================
gaussian           ((√n + √(2 ln(2/δ))) / ε)² — Davidson–Szarek (2001) tail bound
                   for the extreme singular values of a Gaussian matrix; sharp.
rademacher         the Gaussian size: sub-Gaussian entries give the same law up to
                   constants (Achlioptas 2003; Rudelson–Vershynin 2009); our tests
                   check it holds at this size.
srht, srht-dct     (√n + √(8 ln(m/δ)))² · ln(2n/δ) / ε² — the form of Tropp (2011,
                   Thm 3.1) scaled by ε⁻²; it is a little larger than Tropp's
                   constant 4 at his ε ≈ 0.37. Capped at m (the padded size).
countsketch        (n² + n) / (δ ε²) — second-moment bound
                   E‖UᵀSᵀSU − I‖_F² ≤ (n² + n)/s (Clarkson–Woodruff 2013;
                   Nelson–Nguyễn 2013) with Markov's inequality; this bounds the
                   eigenvalues of UᵀSᵀSU, so the singular values are within
                   √(1 ± ε) ⊂ 1 ± ε.
sparse-sign        2 n ln(n/δ) / ε² with k = 8 nonzeros per column — the shape of
                   Cohen's (2016) OSNAP bound s = O(n log(n/δ)/ε²); the theorem
                   hides its constant, ours is checked by the tests.
=================  ==============================================================

:func:`linf_sketch_size` is the rule for the ℓ∞ guarantee of sketch-and-solve
regression (Price, Song and Woodruff 2017, "Fast regression with an ℓ∞
guarantee"; Song and Yu 2021): with a dense sketch of

    m = C · ε⁻² · d · ln³(n/δ)

rows, ‖x′ − x*‖∞ ≤ (ε/√d) ‖Ax* − b‖₂ ‖A†‖₂ with probability 1 − δ. The O(·)
of the theorem hides C; we take **C = 1/100** and never less than the Gaussian
requirement 4 d ln(2d/δ)/ε². Why: for a Gaussian sketch the error x′ − x* =
(SA)†S r* is, by rotation invariance, Gaussian with coordinate variance
≈ ‖r*‖²‖e_iᵀA†‖²/m, so a union bound over the d coordinates needs
m ≥ 2 d ln(2d/δ)/ε² (the factor 4 above leaves room for the (1 − √(d/m))⁻²
inflation of (SA)†). C = 1/100 makes the log³ rule equal to that at
n/δ ≈ 10⁷ (ln³ ≈ 4000, 0.01·4000 ≈ 40 ≈ 4 ln(2d/δ) for d ≈ 10³) and grow like
ln³ beyond it, as the SRHT analysis (flattening every row, log² more) asks for.
When the rule asks for at least n rows a sketch cannot help:
:func:`linf_sketch_size` raises :class:`~sketch.errors.ToleranceError`.

:func:`jl_distance_size` is the Johnson–Lindenstrauss width for a finite point
set: a Rademacher (or Gaussian) sketch of k ≥ (4 ln n + 2 ln(1/δ)) / (ε²/2 − ε³/3)
rows keeps every squared pairwise distance among n points within 1 ± ε with
probability ≥ 1 − δ (Achlioptas 2003, Thm 1.1, whose failure probability
n^−γ is set to δ).

Examples
--------
>>> embedding_size("gaussian", 10, eps=0.5, delta=0.01)
165
>>> linf_sketch_size(1_000_000, 50, eps=0.5, delta=0.01)
12502
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from .checks import check_computed_size, check_positive_int, check_tolerance
from .errors import AccuracyWarning, ToleranceError

#: The constant C of the ℓ∞ rule m = C ε⁻² d ln³(n/δ) (see the module docstring).
LINF_CONSTANT = 0.01

#: Nonzeros per column of a sparse sign sketch by default (:class:`~sketch.operators.SparseSign`),
#: which :func:`embedding_size` assumes for ``"sparse-sign"``.
SPARSE_SIGN_K = 8

_KINDS = ("gaussian", "rademacher", "srht", "srht-dct", "countsketch", "sparse-sign")


def _check_probabilities(eps: Any, delta: Any) -> tuple[float, float]:
    return check_tolerance(eps, "eps", upper=1), check_tolerance(delta, "delta", upper=1)


def embedding_size(
    kind: str, n: int, *, eps: float = 0.5, delta: float = 0.01, m: int | None = None
) -> int:
    """Rows a sketch needs to be an ε-subspace embedding of an n-dimensional subspace.

    Parameters
    ----------
    kind : str
        ``"gaussian"``, ``"rademacher"``, ``"srht"``, ``"srht-dct"``,
        ``"countsketch"`` or ``"sparse-sign"`` (k = 8).
    n : int
        Dimension of the subspace (columns of the matrix).
    eps : float
        Distortion, 0 < ε < 1: singular values of S·U within [1 − ε, 1 + ε].
    delta : float
        Failure probability.
    m : int, optional
        Ambient dimension (rows of the matrix). Needed for SRHT (its size grows
        with ln m and cannot exceed the padded m); for the other operators, a
        size of at least m is reported with an :class:`AccuracyWarning`, since
        such a sketch does not compress.

    Returns
    -------
    int
        The sketch size s (see the table in :mod:`sketch.sizing` for sources).

    Examples
    --------
    >>> embedding_size("countsketch", 5, eps=0.5, delta=0.1)
    1200
    >>> embedding_size("srht", 10, eps=0.5, delta=0.05, m=1 << 14)
    4203
    """
    n = check_positive_int(n, "n")
    eps, delta = _check_probabilities(eps, delta)
    if m is not None:
        m = check_positive_int(m, "m")
    # divide by eps twice (eps**2 may underflow to 0); an overflow gives inf, refused below
    if kind in ("gaussian", "rademacher"):
        s = (math.sqrt(n) + math.sqrt(2 * math.log(2 / delta))) ** 2 / eps / eps
    elif kind in ("srht", "srht-dct"):
        if m is None:
            raise ValueError("the SRHT size depends on the ambient dimension: pass m=")
        s = (math.sqrt(n) + math.sqrt(8 * math.log(m / delta))) ** 2 * math.log(2 * n / delta)
        s = s / eps / eps
    elif kind == "countsketch":
        s = (n * n + n) / delta / eps / eps
    elif kind == "sparse-sign":
        s = 2 * n * math.log(max(n, 2) / delta) / eps / eps
    else:
        raise ValueError(f"unknown sketch {kind!r}; choose one of: {', '.join(_KINDS)}")
    s = max(n, check_computed_size(
        s - 1e-9, f"the {kind} embedding size for n={n}, eps={eps}, delta={delta}",
        fix="raise eps or delta, or lower n"))
    if m is not None and s >= m:
        if kind in ("srht", "srht-dct"):
            padded = 1 << (m - 1).bit_length() if kind == "srht" else m
            s = min(s, padded)
        warnings.warn(
            f"a {kind} embedding with eps={eps}, delta={delta} needs {s} rows, not fewer than "
            f"the m={m} rows of the matrix: sketching will not save work",
            AccuracyWarning,
            stacklevel=2,
        )
    return int(s)


def linf_sketch_size(
    n: int, d: int, *, eps: float = 0.5, delta: float = 0.01, constant: float = LINF_CONSTANT
) -> int:
    """Rows of a dense sketch for the ℓ∞ guarantee of sketch-and-solve regression.

    ``m = max(C ε⁻² d ln³(n/δ), 4 ε⁻² d ln(2d/δ))`` with ``C = constant``
    (default :data:`LINF_CONSTANT` = 1/100; the module docstring says why).
    With it, the sketch-and-solve solution x′ of min ‖Ax − b‖ satisfies
    ‖x′ − x*‖∞ ≤ (ε/√d)‖Ax* − b‖₂‖A†‖₂ with probability ≥ 1 − δ when S is
    dense (Gaussian or SRHT) — Price, Song and Woodruff (2017). Sparse sketches
    (CountSketch, OSNAP) provably cannot give this guarantee at such sizes.

    Parameters
    ----------
    n, d : int
        Rows and columns of A.
    eps, delta : float
        Accuracy (0 < ε < 1) and failure probability (0 < δ < 1).
    constant : float
        The constant C.

    Returns
    -------
    int

    Raises
    ------
    ToleranceError
        If the rule asks for at least n rows: no sketch smaller than A meets
        the guarantee; solve exactly (``method="direct"``) or relax ε.

    Examples
    --------
    >>> linf_sketch_size(100_000, 10, eps=0.9)
    517
    >>> linf_sketch_size(1000, 100, eps=0.5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sketch.errors.ToleranceError: the l-infinity rule (constant=0.01) for n=1000, d=100, ...
    """
    n = check_positive_int(n, "n")
    d = check_positive_int(d, "d")
    eps, delta = _check_probabilities(eps, delta)
    constant = check_tolerance(constant, "constant")
    rule = constant * d * math.log(n / delta) ** 3 / eps / eps
    floor = 4 * d * math.log(2 * d / delta) / eps / eps
    what = f"the l-infinity rule (constant={constant}) for n={n}, d={d}, eps={eps}, delta={delta}"
    m = check_computed_size(max(rule, floor, d), f"the sketch size of {what}",
                            fix="use method='direct' or a larger eps")
    if m >= n:
        raise ToleranceError(
            f"{what} needs {m} sketch rows, not fewer than n: use method='direct' or a "
            "larger eps"
        )
    return int(m)


def preconditioner_size(n: int, m: int, factor: float = 4.0) -> int:
    """Sketch size for sketch-and-precondition: ``factor · n`` rows, at most m.

    With s = γn rows of a Gaussian-like sketch, the preconditioned matrix
    A R⁻¹ has condition number about (1 + 1/√γ)/(1 − 1/√γ) (Rokhlin–Tygert
    2008; Meng–Saunders–Mahoney 2014): 3 for γ = 4, so LSQR gains about
    log10(2) ≈ 0.3 digits per iteration or better. Avron–Maymounkov–Toledo
    (2010) use γ = 4 for Blendenpik.

    Examples
    --------
    >>> preconditioner_size(100, 100_000)
    400
    """
    n = check_positive_int(n, "n")
    m = check_positive_int(m, "m")
    factor = check_tolerance(factor, "factor")
    if factor <= 1:
        raise ValueError(f"factor must exceed 1 (the sketch needs more rows than columns), "
                         f"got {factor}")
    # factor·n may overflow to inf: cap at m before rounding
    return int(min(m, max(n + 1, math.ceil(min(factor * n, m)))))


def jl_distance_size(points: int, eps: float, delta: float) -> int:
    """Rows of a Rademacher sketch that keep every squared pairwise distance among
    ``points`` points within ``1 ± eps`` with probability ≥ ``1 − delta``.

    Achlioptas (2003, Thm 1.1): k ≥ (4 + 2γ) ln n / (ε²/2 − ε³/3) rows fail with
    probability at most n^−γ; with n^−γ = δ that is
    ``k = ⌈(4 ln n + 2 ln(1/δ)) / (ε²/2 − ε³/3)⌉`` (n counted as at least 2).

    Examples
    --------
    >>> jl_distance_size(1000, eps=0.3, delta=0.05)
    934
    """
    points = check_positive_int(points, "points")
    eps, delta = _check_probabilities(eps, delta)
    n = max(points, 2)
    return check_computed_size(
        (4 * math.log(n) + 2 * math.log(1 / delta)) / (eps * eps / 2 - eps ** 3 / 3),
        f"a JL sketch for {points} points at eps={eps}, delta={delta}",
        fix="raise eps or delta")
