"""Sample sizes of leverage-score sampling, and the β that approximate scores prove.

Leverage sampling with ``qᵢ ≥ β ℓᵢ/r`` needs :func:`leverage_sample_size` rows;
exact scores have β = 1. For the approximate scores of
:func:`~sketch.leverage.leverage_scores` (``method="approx"``),
:func:`approx_leverage_beta` derives the β that holds with a stated probability from
the sketch and JL sizes, and :func:`approx_sketch_size` is the sketch that proves
β ≈ 1/2. :func:`~sketch.leverage.leverage_sample` uses both.

Examples
--------
>>> leverage_sample_size(10, 0.5, 0.1, beta=approx_leverage_beta(
...     10, 10.5, 100_000, sketch_size=approx_sketch_size(10, 0.05), delta=0.05))
987
"""

from __future__ import annotations

import math

from .checks import check_computed_size, check_positive_int, check_tolerance
from .errors import ToleranceError
from .sizing import SPARSE_SIGN_K

__all__ = [
    "leverage_sample_size",
    "approx_sketch_size",
    "jl_lower_factor",
    "jl_upper_factor",
    "approx_leverage_factors",
    "approx_leverage_beta",
    "SCORE_DISTORTION",
    "SECOND_MOMENT_SKETCHES",
]

#: Distortion ε₁ < 1 that the score step's sketch S₁ is sized for: below 1, S₁ keeps A's rank.
SCORE_DISTORTION = 0.9
#: Sketches whose embedding error has the second moment (r² + r)/s used below.
SECOND_MOMENT_SKETCHES = ("sparse-sign", "countsketch", "rademacher", "gaussian")


def leverage_sample_size(d: int, eps: float, delta: float = 0.1, beta: float = 1.0) -> int:
    """Rows needed for an ε-subspace embedding by leverage sampling.

    Matrix Bernstein (Tropp 2015, Thm 6.1.1) for i.i.d. draws with
    ``qᵢ ≥ β ℓᵢ/d``: each term ``uᵢuᵢᵀ/qᵢ`` has norm ≤ d/β, so
    ``s ≥ 2(1 + ε/3)·(d/β)·ln(2d/δ)/ε²`` gives ``‖UᵀSᵀSU − I‖₂ ≤ ε`` with
    probability ≥ 1 − δ, hence ``(1−ε)‖Ax‖² ≤ ‖SAx‖² ≤ (1+ε)‖Ax‖²`` for all x
    (Drineas, Mahoney and Muthukrishnan 2006; Woodruff 2014, Thm 17).

    Examples
    --------
    >>> leverage_sample_size(10, 0.5, 0.1)
    495
    """
    d = check_positive_int(d, "d")
    eps = check_tolerance(eps, "eps", upper=1)
    delta = check_tolerance(delta, "delta", upper=1)
    beta = check_tolerance(beta, "beta", upper=1 + 1e-15)
    return check_computed_size(2 * (1 + eps / 3) * (d / beta) * math.log(2 * d / delta) / eps / eps,
                               f"the sample size for d={d}, eps={eps}, delta={delta}, "
                               f"beta={beta}",
                               fix="raise eps, delta or beta")


def _effective_rows(s: int, sketch: str) -> int:
    # block OSNAP: each of the k nonzeros in its own block of ⌊s/k⌋ or ⌈s/k⌉ rows
    k = min(SPARSE_SIGN_K, s)
    return k * (s // k) if sketch == "sparse-sign" else s


def _check_sketch(sketch: str) -> None:
    if sketch not in SECOND_MOMENT_SKETCHES:
        raise ValueError(f"no proven distortion for sketch={sketch!r} at this size; use one of "
                         f"{', '.join(SECOND_MOMENT_SKETCHES)}")


def approx_sketch_size(rank: int, delta: float, sketch: str = "sparse-sign",
                       distortion: float = SCORE_DISTORTION) -> int:
    """Rows of S₁ for which :func:`approx_leverage_factors` proves ``ε₁ = distortion``.

    ``s = ⌈(r² + r)/(ε₁² δ)⌉`` (plus up to 7 rows, so that each of a sparse sign
    sketch's 8 row blocks has ``s/8`` rows). The default ε₁ = 0.9
    (:data:`SCORE_DISTORTION`) gives :func:`approx_leverage_beta` ≈ 1/2; a two-sided
    use (:func:`~sketch.lewis.lewis_lower_factor`) wants a smaller ε₁.

    Examples
    --------
    >>> approx_sketch_size(10, 0.05)
    2720
    """
    rank = check_positive_int(rank, "rank")
    delta = check_tolerance(delta, "delta", upper=1)
    distortion = check_tolerance(distortion, "distortion", upper=1)
    _check_sketch(sketch)
    s = check_computed_size((rank * rank + rank) / (distortion**2 * delta),
                            f"the sketch size for rank={rank}, delta={delta}",
                            fix="raise delta")
    return -(-s // SPARSE_SIGN_K) * SPARSE_SIGN_K if sketch == "sparse-sign" else s


def jl_lower_factor(jl_size: int, m: int, delta: float) -> float:
    """x with ``P(‖Πz‖² < x‖z‖² for some of m fixed z) ≤ δ``, Π Gaussian with k rows.

    ``k‖Πz‖²/‖z‖²`` is χ² with k degrees of freedom, whose lower tail is
    ``P(χ²_k ≤ kx) ≤ exp(k(1 − x + ln x)/2)`` (the Chernoff bound of Dasgupta and
    Gupta 2003, Lemma 2.2); a union bound over the m rows sets it to δ/m.

    Examples
    --------
    >>> round(jl_lower_factor(92, 100_000, 0.025), 3)
    0.391
    """
    return _chi2_tail_root(jl_size, m, delta, upper=False)


def _chi2_tail_root(jl_size: int, m: int, delta: float, *, upper: bool) -> float:
    """The root of ``x − 1 − ln x = 2 ln(m/δ)/k`` on (0, 1) (lower tail, rounded down) or
    (1, ∞) (upper tail, rounded up), by bisection: the left side is monotone on each."""
    k = check_positive_int(jl_size, "jl_size")
    m = check_positive_int(m, "m")
    delta = check_tolerance(delta, "delta", upper=1)
    target = 2 * math.log(m / delta) / k
    lo, hi = (1.0, 2.0) if upper else (0.0, 1.0)
    while upper and hi - 1 - math.log(hi) < target:
        hi *= 2
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        # below the root: x − 1 − ln x > target on (0, 1), < target on (1, ∞)
        if (mid - 1 - math.log(mid) < target) == upper:
            lo = mid
        else:
            hi = mid
    return hi if upper else lo


def jl_upper_factor(jl_size: int, m: int, delta: float) -> float:
    """X with ``P(‖Πz‖² > X‖z‖² for some of m fixed z) ≤ δ``, Π Gaussian with k rows.

    The upper tail of χ²_k: ``P(χ²_k ≥ kX) ≤ exp(k(1 − X + ln X)/2)`` for X > 1 (Dasgupta
    and Gupta 2003, Lemma 2.2), with a union bound over the m rows.

    Examples
    --------
    >>> round(jl_upper_factor(92, 100_000, 0.025), 3)
    2.047
    """
    return _chi2_tail_root(jl_size, m, delta, upper=True)


def approx_leverage_factors(
    rank: int,
    m: int,
    *,
    sketch_size: int,
    jl_size: int | None = None,
    delta: float,
    sketch: str = "sparse-sign",
    two_sided: bool = True,
) -> tuple[float, float]:
    """``(lo, hi)`` with ``lo·ℓᵢ ≤ ℓ̃ᵢ ≤ hi·ℓᵢ`` for every row, with probability ≥ 1 − δ.

    For the approximate scores ℓ̃ of :func:`leverage_scores` (``method="approx"``)
    of an m-row A of rank r, computed with an S₁ of ``sketch_size`` rows and a
    Gaussian JL matrix Π of ``jl_size`` columns (none if ``jl_size ≥ r``). Write
    A = UΣVᴴ and E = UᴴS₁ᴴS₁U − I.

    * Score step. ``R⁻¹`` from S₁A makes ``Z = AR⁻¹ = UM`` with ``S₁UM``
      orthonormal, so ``MMᴴ = (I + E)⁻¹`` and ``‖zᵢ‖² = uᵢᴴ(I + E)⁻¹uᵢ`` lies in
      ``[ℓᵢ/(1 + ε₁), ℓᵢ/(1 − ε₁)]`` wherever ``‖E‖₂ ≤ ε₁ < 1`` (which also keeps the
      rank). For S₁ with independent columns of unit norm and independent signs
      (CountSketch, sparse sign, Rademacher; for Gaussian the same value holds),
      ``𝔼‖E‖_F² ≤ (r² + r)/s`` (the second-moment bound of Nelson and Nguyễn 2013
      and Meng and Mahoney 2013), so by Markov's inequality
      ``ε₁ = √((r² + r)/(s δ_S))`` fails with probability ≤ δ_S. No published
      bound with usable constants covers sparse sketches of O(r) rows, which is why
      :func:`approx_sketch_size` asks for O(r²/δ) rows.
    * JL step. ``x‖zᵢ‖² ≤ ‖Πzᵢ‖² ≤ X‖zᵢ‖²`` for all rows with probability ≥ 1 − δ_J,
      x = :func:`jl_lower_factor`, X = :func:`jl_upper_factor` (δ_J split between the
      two tails; Π is independent of S₁).
    * δ_S + δ_J = δ (halves when Π is used): ``lo = x/(1 + ε₁)``, ``hi = X/(1 − ε₁)``.
      ``two_sided=False`` proves the lower bound only (``hi`` is then ∞), with all of
      δ_J for its tail: what sampling needs (:func:`approx_leverage_beta`).

    Raises :class:`~sketch.errors.ToleranceError` where no factor is proven (ε₁ ≥ 1:
    too few rows for δ), ValueError for a sketch the bound does not cover.

    Examples
    --------
    >>> lo, hi = approx_leverage_factors(10, 100_000, sketch_size=2720, delta=0.05)
    >>> round(lo, 3), round(hi, 3)
    (0.526, 9.935)
    """
    rank = check_positive_int(rank, "rank")
    m = check_positive_int(m, "m")
    s = check_positive_int(sketch_size, "sketch_size")
    delta = check_tolerance(delta, "delta", upper=1)
    _check_sketch(sketch)
    jl = jl_size is not None and check_positive_int(jl_size, "jl_size") < rank
    delta_s = delta / 2 if jl else delta
    eps1 = math.sqrt((rank * rank + rank) / (_effective_rows(s, sketch) * delta_s))
    if eps1 >= 1:
        raise ToleranceError(
            f"sketch_size={s} proves no leverage bound for rank {rank} at delta={delta} "
            + (f"(half of it with the JL step of jl_size={jl_size} < rank) " if jl else "")
            + f"(distortion {eps1:.3g} >= 1); use sketch_size >= "
            f"{approx_sketch_size(rank, delta_s, sketch)}")
    tail = delta / 4 if two_sided else delta / 2
    x = jl_lower_factor(jl_size, m, tail) if jl else 1.0
    if not two_sided:
        return x / (1 + eps1), math.inf
    X = jl_upper_factor(jl_size, m, tail) if jl else 1.0
    return x / (1 + eps1), X / (1 - eps1)


def approx_leverage_beta(
    rank: int,
    total: float,
    m: int,
    *,
    sketch_size: int,
    jl_size: int | None = None,
    delta: float,
    sketch: str = "sparse-sign",
) -> float:
    """β with ``qᵢ = ℓ̃ᵢ/total ≥ β ℓᵢ/r`` for every row, with probability ≥ 1 − δ.

    For the approximate scores ℓ̃ of :func:`leverage_scores` (``method="approx"``),
    sizes as in :func:`approx_leverage_factors`, and their observed sum ``total``:
    with the one-sided lower factor lo = x/(1 + ε₁) from there,
    ``β = lo·r/total`` — the upper tails never enter (Drineas, Magdon-Ismail,
    Mahoney and Woodruff 2012 state the two-sided version).

    Raises as :func:`approx_leverage_factors`.

    Examples
    --------
    >>> round(approx_leverage_beta(10, 10.5, 100_000, sketch_size=2720, delta=0.05), 3)
    0.501
    """
    rank = check_positive_int(rank, "rank")
    total = check_tolerance(total, "total")
    lo, _ = approx_leverage_factors(rank, m, sketch_size=sketch_size, jl_size=jl_size,
                                    delta=delta, sketch=sketch, two_sided=False)
    return min(1.0, lo * rank / total)
