"""Statistical tests of Haar-likeness, with standard errors.

* Trace moments ``E|Tr U|^{2k}``: for Haar U(d) this is the number of
  permutations of ``k`` letters with no increasing subsequence longer than
  ``d`` (Rains 1998), which is ``k!`` when ``k <= d`` (Diaconis–Shahshahani
  1994). An exact unitary t-design matches these for ``k <= t``.
* Frame potential ``F_t = E_{U,V} |Tr(U†V)|^{2t}`` over independent pairs: it is
  at least the Haar value, with equality iff the ensemble is a t-design
  (Gross–Audenaert–Eisert 2007). Estimated by a U-statistic over all pairs of
  a sample. For a group ensemble ``F_t`` equals the ``t``-th trace moment.
* Eigenphase spacing ratio ``r_i = min(s_i, s_{i+1}) / max(s_i, s_{i+1})`` of
  consecutive spacings (Oganesyan–Huse 2007; Atas, Bogomolny, Giraud, Roux
  2013): ``<r> ≈ 0.5996`` for CUE/GUE and ``2 ln 2 - 1 ≈ 0.386`` for Poisson
  (uncorrelated) spectra. Degenerate spectra (Cliffords, permutations) have
  zero spacings: a ratio with one zero spacing is 0, ratios with ``max = 0``
  are undefined and dropped, matrices with fewer than 3 distinct eigenphases
  (e.g. the identity) are dropped whole, and how many ratios were dropped is
  reported.
* Output distributions: for Haar states the probabilities ``p_x`` of a basis
  measurement follow Porter–Thomas (``d·p ~ Exp(1)``), so the collision
  probability ``Σ p_x²`` averages ``2/(d+1)``; it is estimated without bias from
  shots as ``Σ c_x(c_x - 1) / (N(N-1))``.

Fourth moments are heavy tailed: use thousands of samples and read the
standard errors.

Examples
--------
>>> from sketch.haar import haar_unitary
>>> U = haar_unitary(4, batch=4000, seed=0)
>>> m = trace_moments(U, 2)
>>> bool(abs(m.mean[1] - 2) < 4 * m.stderr[1])
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from sketch.backend import to_numpy
from sketch.budgets import check_allocation, check_work
from sketch.checks import (
    check_array,
    check_dtype,
    check_finite,
    check_positive_int,
    check_tolerance,
)
from sketch.errors import AccuracyWarning, NotUnitaryError, ShapeError

__all__ = [
    "CUE_SPACING_RATIO",
    "POISSON_SPACING_RATIO",
    "Estimate",
    "haar_trace_moment",
    "trace_moments",
    "frame_potential",
    "spacing_ratio",
    "collision_probability",
    "porter_thomas_distance",
    "sampled_collision_probability",
    "aer_collision_probability",
    "haar_output_moment",
    "output_moments",
]

#: Mean spacing ratio of CUE/GUE spectra, large-d limit (Atas et al. 2013, numerics).
CUE_SPACING_RATIO = 0.5996
#: Mean spacing ratio of Poisson spectra, ``2 ln 2 - 1``.
POISSON_SPACING_RATIO = 2 * math.log(2) - 1


@dataclass
class Estimate:
    """A Monte-Carlo estimate with its standard error and reference value(s).

    ``mean``, ``stderr`` and ``reference`` are arrays (one entry per order ``k``)
    or floats. ``z`` is ``(mean - reference) / stderr``.
    """

    mean: Any
    stderr: Any
    reference: Any
    samples: int
    dropped: int = 0

    @property
    def z(self) -> Any:
        with np.errstate(divide="ignore", invalid="ignore"):
            return (np.asarray(self.mean) - np.asarray(self.reference)) / np.asarray(self.stderr)

    def interval(self, level: float = 0.95) -> tuple[Any, Any]:
        """Normal-approximation confidence interval."""
        from scipy.stats import norm

        h = norm.ppf(0.5 + level / 2) * np.asarray(self.stderr)
        return np.asarray(self.mean) - h, np.asarray(self.mean) + h


#: Largest moment order the sample estimators take: 171! overflows a float64, and moments
#: that high are set by the heaviest sample alone.
MAX_MOMENT = 170
_WHY_MOMENT = ("moments above order 170 overflow float64 (170! is 7e306) and their "
               "estimates are set by the heaviest sample alone")
#: Largest order the exact Haar moments take (k! then has about 35 700 digits).
_MAX_EXACT_ORDER = 10**4
# Per partition of k for the work rule (sketch.budgets.check_work): the recursion and the
# hook-length product of k big integers, about 4e-10·k² s at k = 10⁴ on a 2-core machine;
# 3e-7·k·(1 + k/1000): 1e-7 let trace_moments(kmax=110) of U(4) run 6.4 s on an estimate
# of 2.7 s (the partition count is a lower bound).
_PARTITION_S = 3e-7


def _partitions(k: int, max_part: int | None = None, max_len: int | None = None):
    """Partitions of ``k`` with parts at most ``max_part`` and at most ``max_len`` parts."""
    max_part = k if max_part is None else max_part
    max_len = k if max_len is None else max_len
    if k == 0:
        yield ()
        return
    if max_len == 0 or max_part * max_len < k:
        return
    # the first (largest) part is at least k / max_len
    for first in range(min(k, max_part), -(-k // max_len) - 1, -1):
        for rest in _partitions(k - first, first, max_len - 1):
            yield (first,) + rest


def _partition_count_estimate(k: int, d: int) -> float:
    """About how many partitions of ``k`` have at most ``d`` parts, from below.

    Two lower bounds: ``C(k+d-1, d-1)/d!`` (a partition gives at most ``d!`` of the
    compositions into ``d`` parts), and ``p(k) - (k-d) p(k-d-1)`` (at most that many have
    a part above ``d``, by conjugation), with Hardy–Ramanujan's ``p(j)``.
    """
    def p(j: int) -> float:
        return 1.0 if j < 1 else math.exp(math.pi * math.sqrt(2 * j / 3)) / (4 * j * math.sqrt(3))

    few_parts = math.exp(math.lgamma(k + d) - math.lgamma(k + 1) - math.lgamma(d)
                         - math.lgamma(d + 1))
    return max(few_parts, p(k) - (k - d) * p(k - d - 1))


def _dim_irrep(lam: tuple[int, ...]) -> int:
    """Number of standard Young tableaux of shape ``lam`` (hook length formula)."""
    k = sum(lam)
    conj = [sum(1 for r in lam if r > c) for c in range(lam[0])] if lam else []
    hooks = 1
    for i, row in enumerate(lam):
        for j in range(row):
            hooks *= row - j + conj[j] - i - 1
    return math.factorial(k) // hooks


def haar_trace_moment(k: int, d: int) -> int:
    """``E|Tr U|^{2k}`` for Haar U(d): ``Σ_{λ ⊢ k, ℓ(λ) <= d} (f^λ)^2`` (= ``k!`` if ``k <= d``).

    Examples
    --------
    >>> haar_trace_moment(3, 8), haar_trace_moment(4, 2)   # 3!, Catalan(4)
    (6, 14)
    """
    k = check_positive_int(k, "k", minimum=0, maximum=_MAX_EXACT_ORDER,
                           why="k! already has about 35 700 digits")
    d = check_positive_int(d, "d")
    check_work(_moment_seconds(k, k, d), f"haar_trace_moment(k={k}, d={d}) over the "
               "partitions of k", fix="use a smaller k, or d >= k (then the moment is k!)")
    return _haar_trace_moment(k, d)


def _moment_seconds(k0: int, k1: int, d: int) -> float:
    """Estimated seconds of the exact Haar trace moments of orders ``k0 ... k1`` in U(d)
    (``k <= d`` is ``k!``: free)."""
    return sum(_PARTITION_S * k * (1 + k / 1000) * _partition_count_estimate(k, d)
               for k in range(max(k0, d + 1), k1 + 1))


@cache
def _haar_trace_moment(k: int, d: int) -> int:
    if k <= d:  # every partition of k has at most d parts; Σ (f^λ)² = k!
        return math.factorial(k)
    return sum(_dim_irrep(lam) ** 2 for lam in _partitions(k, max_len=d))


#: Largest max |U^H U - I| (and |Σ p - 1| of a distribution) the statistics accept: the
#: Haar references hold for unitaries and normalised states only.
_UNITARY_ATOL = 1e-5


def _as_stack(U: Any, name: str = "U") -> np.ndarray:
    """A non-empty, finite stack of unitaries ``(batch, d, d)`` as a NumPy array."""
    check_array(U, name)
    U = np.asarray(to_numpy(U))
    if U.ndim != 3 or U.shape[1] != U.shape[2] or U.size == 0:
        raise ShapeError(f"{name} must be a non-empty stack of square matrices (batch, d, d), "
                         f"got shape {U.shape}")
    check_dtype(U.dtype, name)
    check_finite(U, name)
    check_allocation(16.0 * U.size, f"checking that the {U.shape[0]} matrices of {name} are "
                     "unitary", fix="pass fewer matrices at a time")
    dev = float(np.abs(U.conj().transpose(0, 2, 1) @ U - np.eye(U.shape[1])).max())
    if not dev <= _UNITARY_ATOL:
        raise NotUnitaryError(f"{name} holds a matrix that is not unitary (max |U^H U - I| = "
                              f"{dev:.3g}); the Haar references hold for unitaries only")
    return U


def _as_rows(x: Any, name: str, *, squared: bool) -> np.ndarray:
    """Distributions ``(batch, d)`` (``squared``: states, whose ``|ψ|²`` are the distributions)
    as ``p``, checked finite, non-negative and normalised."""
    check_array(x, name)
    x = np.asarray(to_numpy(x))
    if x.ndim != 2 or x.size == 0:
        raise ShapeError(f"{name} must be a non-empty (batch, d) array, got shape {x.shape}")
    check_dtype(x.dtype, name)
    check_finite(x, name)
    if squared:
        p = np.abs(x) ** 2
    elif x.dtype.kind == "c":
        raise TypeError(f"{name} holds complex values; probabilities are real (|psi|**2)")
    else:
        p = x.astype(float)
    if p.min() < 0:
        raise ValueError(f"{name} holds negative probabilities")
    dev = float(np.abs(p.sum(axis=1) - 1).max())
    if not dev <= _UNITARY_ATOL:
        raise ValueError(f"{name} is not normalised: a row's " + ("Σ|ψ|²" if squared else "Σp")
                         + f" is off 1 by {dev:.3g}")
    return p


def _mean_se(x: np.ndarray) -> tuple[float, float]:
    return float(np.mean(x)), float(np.std(x, ddof=1) / math.sqrt(len(x)))


def trace_moments(U: Any, kmax: int) -> Estimate:
    """Estimate ``E|Tr U|^{2k}`` for ``k = 1 ... kmax`` from a stack of unitaries.

    Returns an :class:`Estimate` with arrays indexed by ``k - 1``; the reference
    is the Haar value :func:`haar_trace_moment`.
    """
    U = _as_stack(U)
    kmax = check_positive_int(kmax, "kmax", maximum=MAX_MOMENT, why=_WHY_MOMENT)
    if U.shape[0] < 2:
        raise ValueError("trace_moments needs at least 2 samples for a standard error")
    d = U.shape[1]
    check_work(_moment_seconds(1, kmax, d), f"trace_moments(kmax={kmax}): the Haar references "
               f"of U({d}) over the partitions of each k", fix="ask for a smaller kmax")
    a = np.abs(np.trace(U, axis1=1, axis2=2)) ** 2
    ests = [_mean_se(a**k) for k in range(1, kmax + 1)]
    return Estimate(
        mean=np.array([e[0] for e in ests]),
        stderr=np.array([e[1] for e in ests]),
        reference=np.array([haar_trace_moment(k, d) for k in range(1, kmax + 1)], dtype=float),
        samples=U.shape[0],
    )


#: Entries of the pair-kernel block :func:`frame_potential` holds at once (2^22: 64 MiB complex).
_FRAME_BLOCK_ENTRIES = 1 << 22


def frame_potential(U: Any, t: int) -> Estimate:
    """U-statistic estimate of ``F_t = E|Tr(U†V)|^{2t}`` over all pairs of a sample.

    The standard error is Hoeffding's first-order one, ``2 σ₁ / √N`` with
    ``σ₁²`` the variance of the row means of the pair kernel.

    Examples
    --------
    >>> from sketch.haar import haar_unitary
    >>> est = frame_potential(haar_unitary(4, batch=600, seed=2), 2)
    >>> bool(abs(est.mean - 2) < 4 * est.stderr)
    True
    """
    U = _as_stack(U)
    t = check_positive_int(t, "t", maximum=MAX_MOMENT, why=_WHY_MOMENT)
    N, d = U.shape[0], U.shape[1]
    if N < 3:
        raise ValueError("frame_potential needs at least 3 samples")
    A = U.reshape(N, d * d)
    # Pair kernel in blocks of rows: O(block * N) memory however many samples.
    block = max(1, _FRAME_BLOCK_ENTRIES // N)
    row = np.empty(N)
    for i in range(0, N, block):
        G = np.abs(A[i:i + block].conj() @ A.T) ** (2 * t)
        G[np.arange(G.shape[0]), np.arange(i, i + G.shape[0])] = 0.0  # drop U_i with itself
        row[i:i + block] = G.sum(axis=1) / (N - 1)
    mean = float(row.mean())
    se = 2.0 * float(np.std(row, ddof=1)) / math.sqrt(N)
    return Estimate(mean, se, float(haar_trace_moment(t, d)), N)


def spacing_ratio(U: Any, tol: float = 1e-8) -> Estimate:
    """Mean eigenphase spacing ratio ``<r>`` over a stack of unitaries.

    Eigenphases are sorted on the circle (the wrap-around spacing included);
    spacings below ``tol`` count as exact degeneracies. Ratios whose two
    spacings are both zero are dropped (``Estimate.dropped``); a ratio with one
    zero spacing is 0; matrices with fewer than 3 distinct eigenphases are
    dropped whole (with an AccuracyWarning, and a NaN mean, if fewer than 2
    matrices remain). Standard error: spread of the per-matrix means.

    Examples
    --------
    >>> from sketch.haar import haar_unitary
    >>> r = spacing_ratio(haar_unitary(32, batch=100, seed=1))
    >>> bool(abs(r.mean - CUE_SPACING_RATIO) < 0.02)
    True
    """
    U = _as_stack(U)
    tol = check_tolerance(tol, "tol", allow_zero=True)
    if U.shape[1] < 3:
        raise ShapeError("spacing ratios need matrices of size at least 3")
    theta = np.sort(np.angle(np.linalg.eigvals(U)), axis=1)
    s = np.diff(np.concatenate([theta, theta[:, :1] + 2 * np.pi], axis=1), axis=1)
    s = np.where(s < tol, 0.0, s)
    # A matrix with fewer than 3 distinct eigenphases (identity, a reflection)
    # has no meaningful ratio: its wrap-around "spacing" is not between levels.
    usable = (s > 0).sum(axis=1) >= 3
    s_next = np.roll(s, -1, axis=1)
    hi = np.maximum(s, s_next)
    lo = np.minimum(s, s_next)
    ok = (hi > 0) & usable[:, None]
    r = np.where(ok, lo / np.where(ok, hi, 1.0), np.nan)
    dropped = int((~ok).sum())
    if usable.sum() < 2:
        import warnings

        warnings.warn(
            f"only {int(usable.sum())} of {U.shape[0]} matrices have 3 or more distinct "
            "eigenphases: the spacing ratio is undefined (NaN)", AccuracyWarning, stacklevel=2)
        return Estimate(float("nan"), float("nan"), CUE_SPACING_RATIO, int(U.shape[0]), dropped)
    mean, se = _mean_se(np.nanmean(r[usable], axis=1))
    return Estimate(mean, se, CUE_SPACING_RATIO, int(U.shape[0]), dropped)


def collision_probability(probs: Any) -> Estimate:
    """Exact collision probabilities ``Σ_x p_x²`` of output distributions, averaged.

    ``probs`` is ``(batch, d)`` (rows sum to 1), e.g. ``|U[:, 0]|²`` of a stack
    of unitaries. The Haar reference is ``2 / (d + 1)``.

    Examples
    --------
    >>> from sketch.haar import haar_state
    >>> p = np.abs(haar_state(16, batch=3000, seed=1)) ** 2
    >>> est = collision_probability(p)
    >>> bool(abs(est.mean - 2 / 17) < 4 * est.stderr)
    True
    """
    p = _as_rows(probs, "probs", squared=False)
    c = (p**2).sum(axis=1)
    mean, se = _mean_se(c) if len(c) > 1 else (float(c[0]), float("nan"))
    return Estimate(mean, se, 2.0 / (p.shape[1] + 1), len(c))


def sampled_collision_probability(counts: Any, d: int) -> Estimate:
    """Unbiased collision probability from measurement counts of several circuits.

    ``counts``: a list of dicts ``{bitstring or int: count}`` (one per circuit,
    e.g. from Aer's ``SamplerV2``) or an array ``(batch, d)`` of counts. Each
    circuit gives ``Σ c(c-1) / (N(N-1))``, unbiased for ``Σ p²``; the mean over
    circuits is compared with the Haar value ``2/(d+1)`` (uniform: ``1/d``).

    Examples
    --------
    >>> est = sampled_collision_probability([{"00": 50, "11": 50}], d=4)
    >>> round(est.mean, 3)
    0.495
    """
    d = check_positive_int(d, "d")
    rows = []
    if isinstance(counts, dict):
        counts = [counts]
    if isinstance(counts, str) or not hasattr(counts, "__iter__"):
        raise TypeError(f"counts must be a list of {{outcome: count}} dicts or a (batch, d) "
                        f"array of counts, got {type(counts).__name__}")
    for c in counts:
        vals = list(c.values()) if isinstance(c, dict) else c
        if isinstance(vals, str) or not hasattr(vals, "__len__"):
            raise TypeError(f"counts holds {type(c).__name__}; each circuit's counts must be a "
                            "dict {outcome: count} or a row of counts")
        vals = np.asarray(vals)
        if vals.ndim != 1 or vals.dtype.kind not in "iuf" or not np.all(np.isfinite(vals)) \
                or np.any(vals != np.round(vals)):
            raise ValueError(f"counts must hold whole numbers of shots, got {c!r:.60}")
        vals = vals.astype(float)
        N = vals.sum()
        if N < 2:
            raise ValueError(f"counts holds {c!r:.60}; each circuit needs at least 2 shots for a "
                             "collision estimate")
        if vals.size > d or np.any(vals < 0):
            raise ValueError(f"counts must be non-negative with at most d={d} outcomes")
        rows.append(float((vals * (vals - 1)).sum() / (N * (N - 1))))
    if not rows:
        raise ValueError("counts is empty: give the counts of at least one circuit")
    rows = np.asarray(rows)
    mean, se = _mean_se(rows) if len(rows) > 1 else (float(rows[0]), float("nan"))
    return Estimate(mean, se, 2.0 / (d + 1), len(rows))


def porter_thomas_distance(probs: Any) -> Estimate:
    """Kolmogorov–Smirnov distance between ``d·p_x`` (pooled) and ``Exp(1)``.

    Returns the KS statistic as ``mean`` and its p-value as ``stderr``-free
    information in ``reference`` (the p-value). Small distance: Porter–Thomas.

    Examples
    --------
    >>> from sketch.haar import haar_state
    >>> p = np.abs(haar_state(64, batch=50, seed=0)) ** 2
    >>> porter_thomas_distance(p).mean < 0.05
    True
    """
    from scipy.stats import kstest

    p = _as_rows(probs, "probs", squared=False)
    x = (p * p.shape[1]).ravel()
    if x.size < 20:
        import warnings

        warnings.warn("fewer than 20 probabilities: the KS test has little power",
                      AccuracyWarning, stacklevel=2)
    res = kstest(x, "expon")
    return Estimate(float(res.statistic), float("nan"), float(res.pvalue), p.shape[0])


def aer_collision_probability(circuits: Any, shots: int = 2000, seed: Any = None) -> Estimate:
    """Sample each circuit from ``|0...0>`` on Aer and estimate the mean collision probability.

    Uses ``qiskit_aer.primitives.SamplerV2`` (measurements are appended to
    copies of the circuits); returns :func:`sampled_collision_probability`'s
    :class:`Estimate` with the Haar reference ``2/(d+1)``.

    Examples
    --------
    >>> from circuits.random_circuits import random_brickwork
    >>> qcs = [random_brickwork(3, 6, seed=s) for s in range(3)]
    >>> aer_collision_probability(qcs, shots=500, seed=1).samples
    3
    """
    from qiskit_aer.primitives import SamplerV2

    from sketch.rng import as_key

    from .shots import check_shots
    from .simulation_checks import as_circuits, check_circuit, check_simulation_memory

    shots = check_positive_int(shots, "shots", minimum=2)
    circuits = as_circuits(circuits)
    for i, qc in enumerate(circuits):
        check_circuit(qc, i)
    n = circuits[0].num_qubits
    if any(qc.num_qubits != n for qc in circuits):
        raise ShapeError("all circuits must have the same number of qubits")
    # the estimate's reference 2/(d+1) and its outcome space of d = 2^n
    check_positive_int(1 << n, "the outcomes 2^n of circuits", why="use fewer qubits")
    check_shots(shots, len(circuits), n, fix="ask for fewer shots")
    for qc in circuits:
        check_simulation_memory(qc, "automatic")
    measured = []
    for qc in circuits:
        m = qc.copy()
        m.measure_all()
        measured.append(m)
    seed_int = int(as_key(seed).child("aer").value % (2**31))
    sampler = SamplerV2(seed=seed_int)
    result = sampler.run(measured, shots=shots).result()
    counts = [r.data.meas.get_counts() for r in result]
    return sampled_collision_probability(counts, 1 << n)


def haar_output_moment(k: int, d: int) -> float:
    """``E Σ_x |<x|ψ>|^{2k}`` for a Haar state in C^d: ``k! d! / (d + k - 1)!``.

    Examples
    --------
    >>> haar_output_moment(2, 8) == 2 / 9
    True
    """
    k = check_positive_int(k, "k", minimum=0, maximum=_MAX_EXACT_ORDER,
                           why="k! already has about 35 700 digits")
    d = check_positive_int(d, "d")
    if k == 0:
        return float(d)
    # k! d! / (d + k - 1)! without the factorials of d (d may be huge)
    return math.factorial(k) / math.prod(range(d + 1, d + k))


def output_moments(states: Any, kmax: int) -> Estimate:
    """Estimate ``E Σ_x p_x^k`` (``p_x = |ψ_x|²``), ``k = 1 ... kmax``, over a stack of states.

    ``states`` is ``(batch, d)`` (e.g. ``U[:, :, 0]``, the images of ``|0>``).
    A state t-design matches the Haar values :func:`haar_output_moment` for
    ``k <= t``; stabiliser states (random Cliffords on ``|0>``) match up to
    ``k = 3`` and exceed it at ``k = 4`` (Kueng–Gross 2015; Zhu 2017). These
    are bounded statistics, far less heavy-tailed than ``|Tr U|^{2k}``.

    Examples
    --------
    >>> from sketch.haar import haar_state
    >>> est = output_moments(haar_state(8, batch=2000, seed=0), 3)
    >>> bool(np.all(np.abs(est.z[1:]) < 4))
    True
    """
    p = _as_rows(states, "states", squared=True)
    kmax = check_positive_int(kmax, "kmax", maximum=MAX_MOMENT, why=_WHY_MOMENT)
    if p.shape[0] < 2:
        raise ValueError("output_moments needs at least 2 samples (rows of states) for a "
                         "standard error")
    ests = [_mean_se((p**k).sum(axis=1)) for k in range(1, kmax + 1)]
    d = p.shape[1]
    return Estimate(
        mean=np.array([e[0] for e in ests]),
        # k = 1 is Σp = 1 up to rounding: floor its error so z is not rounding / 0.
        stderr=np.array([max(e[1], 1e-12) for e in ests]),
        reference=np.array([haar_output_moment(k, d) for k in range(1, kmax + 1)]),
        samples=p.shape[0],
    )
