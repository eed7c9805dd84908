"""Error estimates of a low-rank approximation: a-posteriori bounds, stopping rule, norms.

* :class:`Probes` — ``r`` Gaussian vectors ω applied to A in the first pass
  (no extra pass), independent of the factors: the bound of Halko, Martinsson
  and Tropp (2011, §4.3) ``‖A − Â‖₂ ≤ 10 √(2/π) maxᵢ ‖(A − Â)ωᵢ‖`` (probability
  ≥ 1 − 10⁻ʳ) and an unbiased estimate of ``‖A − Â‖_F²``.
* :func:`posterior_accuracy` — a proof-grade stop from the same probes: for
  ``Â = Q[Q^H A]_k`` (Rayleigh–Ritz, truncated), ``A − Â`` is the sum of
  ``(I−QQ^H)A`` and ``Q(B − B_k)``, whose column spaces are orthogonal, so
  ``‖A − Â‖₂² ≤ ‖(I−QQ^H)A‖₂² + σ̃ₖ₊₁²`` with σ̃ₖ₊₁ ≤ σₖ₊₁; the first term is
  bounded by the probes as above, and bounds the per-value error too. When
  the spectrum decays fast this proves the request within a block or two,
  with no pass spent on watching the Ritz values settle.
* :func:`ritz_stagnation` — the accuracy-first stopping rule: with σ̃ᵢ the
  Ritz values of the current basis (σ̃ᵢ ≤ σᵢ by interlacing, non-decreasing
  as a Krylov space grows), ``ε̂ = maxᵢ≤ₖ (σ̃ᵢ² − σ̃ᵢ'²)/σ̃ₖ₊₁²`` over the last
  step estimates the per-value error ``(σᵢ² − σ̃ᵢ²)/σₖ₊₁²`` of Musco and Musco
  (2015), whose per-vector and spectral ``(1+ε)`` guarantees hold together.

:mod:`sketch.lowrank.norms` holds the sharper (and costlier) power-iteration estimates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..backend import array_module, namespace, numpy_dtype

# HMT (2011) eq. (4.3): ‖(I−QQ*)A‖ ≤ 10·√(2/π)·max‖(I−QQ*)Aω‖ with probability 1 − 10^{-r}.
_HMT_FACTOR = 10.0 * math.sqrt(2.0 / math.pi)
# The stopping certificate's factor c in ‖R‖₂ ≤ c·maxᵢ‖Rωᵢ‖: it fails only if every
# |v₁ᴴωᵢ| < 1/c (v₁ the top right singular vector of R), probability < (√(2/π)/c)^r
# (3·10⁻⁶ for c = 10 and the default r = 5 probes).
CERTIFICATE_FACTOR = 10.0


@dataclass
class Probes:
    """Gaussian probe vectors W (n × r, standard normal entries) and their images AW."""

    W: Any
    AW: Any
    _cast: dict = field(default_factory=dict, repr=False)

    def images(self, dtype: Any) -> Any:
        """AW in ``dtype``, cast once (a float32 run's certificate uses it every step)."""
        if dtype == self.AW.dtype:
            return self.AW
        if dtype not in self._cast:
            self._cast[dtype] = namespace(self.AW).astype(self.AW, dtype, copy=False)
        return self._cast[dtype]

    def errors(self, U: Any, s: Any, Vh: Any, xp: Any) -> tuple[float, float]:
        """(HMT spectral bound, Frobenius estimate) of A − U diag(s) Vh from the probes.

        Valid because the probes are independent of the factors: for a fixed matrix R,
        E‖Rω‖² = ‖R‖_F² and ‖R‖₂ ≤ 10√(2/π) maxᵢ‖Rωᵢ‖ w.p. ≥ 1 − 10^{-r} (HMT 2011, §4.3).
        """
        Z = self.AW - U @ (s[:, None] * (Vh @ self.W))
        norms = column_norms(Z, xp)
        top = float(norms.max())
        if not 0 < top < float("inf"):
            return float(_HMT_FACTOR * top), top
        return float(_HMT_FACTOR * top), float(xp.sqrt(xp.mean((norms / top) ** 2))) * top


def column_norms(Z: Any, xp: Any) -> Any:
    """Euclidean norms of Z's columns, scaled so that their squares cannot underflow: the
    unscaled sum of squares made a residual of 1e-163 (A scaled by 1e-150) read 0, so
    ``error_estimate`` claimed 0. The moduli are scaled, not Z: a complex Z divided by a
    subnormal ``top`` went through 1/top = inf in NumPy's complex division, and A = 0
    (complex) reported ``error_estimate = nan``."""
    mag = xp.abs(Z)
    top = float(mag.max()) if Z.shape[0] and Z.shape[1] else 0.0
    if not 0 < top < float("inf"):
        return xp.linalg.norm(Z, axis=0)
    return xp.linalg.norm(mag / top, axis=0) * top


def probe_errors(P: Probes | None, U: Any, s: Any, Vh: Any, xp: Any) -> tuple[float, float]:
    return P.errors(U, s, Vh, xp) if P is not None else (float("nan"), float("nan"))


def posterior_accuracy(P: Probes | None, Q: Any, now: np.ndarray, k: int, xp: Any,
                       M: Any = None) -> float:
    """ε̄ = ‖(I−QQ^H)A‖₂²/σ̃ₖ₊₁² bounded by the probes (probability ≥ 1 − (√(2/π)/c)^r).

    ``Q`` is an orthonormal basis built from A and the range test matrix only
    (so independent of the probes), ``now`` its squared Ritz values σ̃ᵢ², and
    ``c·maxᵢ‖(I−QQ^H)Aωᵢ‖ ≥ ‖(I−QQ^H)A‖₂`` (c = :data:`CERTIFICATE_FACTOR`). ε̄
    bounds both of Musco–Musco's errors: per value, ``σᵢ² − σ̃ᵢ² ≤ ‖(I−QQ^H)A‖₂²
    ≤ ε̄·σₖ₊₁²`` (Weyl, as ``A^H A = A^H QQ^H A + A^H (I−QQ^H) A``); in norm, for
    ``Â = Q[Q^H A]_k``, ``‖A − Â‖₂² ≤ ‖(I−QQ^H)A‖₂² + σ̃ₖ₊₁² ≤ (1+ε̄)σₖ₊₁²``.
    Infinite without probes or without a (k+1)-th Ritz value. With ``M`` the
    basis is ``Q M^H`` (not formed: subspace iteration's Cholesky step).
    """
    if P is None or len(now) <= k or not now[k] > 0:
        return float("inf")
    AW = P.images(Q.dtype)
    QhAW = Q.conj().T @ AW if numpy_dtype(Q.dtype).kind == "c" else Q.T @ AW
    if M is not None:
        QhAW = M.conj().T @ (M @ QhAW)
    R = AW - Q @ QhAW
    top = CERTIFICATE_FACTOR * float(column_norms(R, xp).max())
    return top**2 / float(now[k])


def ritz_squares(G: Any, count: int, square: bool = False) -> np.ndarray:
    """The ``count`` largest |eigenvalues| of the Hermitian matrix G, on the host, descending.

    The eigenvalues are computed in double precision: an eigensolver's rounding
    of u₃₂·‖G‖ in single precision would blur the stopping rule's step-to-step rise.
    For the Gram matrix ``G = (A^H Q)^H (A^H Q)`` they are σ̃ᵢ², the squared Ritz
    singular values; for a Rayleigh quotient ``Q^H A Q`` (``square=True``) the
    Ritz values are squared here.
    """
    xp = array_module(G)
    if G.dtype in (xp.float32, xp.complex64):  # float32 passes: eigenvalues in double
        G = namespace(G).astype(G, xp.complex128 if G.dtype == xp.complex64 else xp.float64)
    # A few numbers for the host's decisions (tolist: no array copy through NumPy's protocol)
    w = np.abs(np.asarray(xp.linalg.eigvalsh((G + G.conj().T) / 2).tolist()))
    w = np.sort(w**2 if square else w)[::-1]
    return w[:count]


def ritz_stagnation(now: np.ndarray, before: np.ndarray | None, k: int, eps: float,
                    count: int | None = None) -> float:
    """ε̂: the largest rise of σ̃ᵢ² (i ≤ ``count``, default k) over the last step,
    relative to σ̃ₖ₊₁².

    The rises of σ̃₁…σ̃ₖ are the per-value errors Musco–Musco bound; σ̃ₖ₊₁ sets the
    scale (a Krylov run need not wait for it to settle inside a flat tail).
    ``eps`` is the unit roundoff of the data: Ritz values of a Gram matrix are
    known to about ``eps·σ̃₁²``, which floors the denominator (exactly low-rank A).
    """
    if before is None:
        return float("inf")
    j = min(k, len(now) - 1, len(before) - 1)
    denom = max(float(now[j]), 10 * len(now) * eps * float(now[0]), np.finfo(float).tiny)
    c = max(1, min(k if count is None else count, len(now), len(before)))
    rise = now[:c] - before[:c]
    return float(max(rise.max(), 0.0) / denom)


def geometric_tail(rise: float, previous: float | None) -> float:
    """Subspace iteration's error estimate from its last two rises ε̂ₜ₋₁, ε̂ₜ.

    It converges geometrically, at a rate ρ ≈ (σₗ₊₁/σₖ₊₁)² that can be close to
    1 (slow decay), so one small rise does not mean the rest are small: with
    ``ρ = ε̂ₜ/ε̂ₜ₋₁`` the rises still to come sum to ``ε̂ₜ·ρ/(1−ρ)``, and the
    estimate is ``ε̂ₜ·max(1, ρ/(1−ρ))`` (∞ before two rises or when ρ ≥ 1).
    """
    if previous is None or not previous > 0:
        return float("inf") if previous is None or rise > 0 else 0.0
    rho = rise / previous
    return rise * max(1.0, rho / (1.0 - rho)) if rho < 1 else float("inf")


def accuracy_stop(now: np.ndarray, before: np.ndarray | None, k: int, unit: float, eps: float,
                  passes: int, cost: int, max_passes: int,
                  certified: float = float("inf"),
                  previous: float | None | bool = False) -> tuple[bool, float, bool]:
    """The accuracy-first loop's decision: ``(stop, ε̂, converged)``.

    Converged when the posterior bound ``certified`` (:func:`posterior_accuracy`)
    or the estimate ε̂ (:func:`ritz_stagnation`; for subspace iteration, which
    passes its ``previous`` rise — None before it has one — the
    :func:`geometric_tail` of it) is at most ``eps`` (ε̂ is then the smaller of
    the two); otherwise stop unconverged when the next step's ``cost`` passes
    would exceed ``max_passes``.
    """
    if previous is False:
        est = ritz_stagnation(now, before, k, unit)
    else:  # subspace iteration: σ̃ₖ₊₁'s creep counts too (its rate is the slowest)
        est = geometric_tail(ritz_stagnation(now, before, k, unit, k + 1), previous)
    est = min(est, certified)
    if est <= eps:
        return True, est, True
    return passes + cost > max_passes, est, False


#: The accuracy ε the low-rank routines aim at unless told (``accuracy=1e-2``: ‖A − Â‖₂ ≤
#: 1.01·σₖ₊₁); also what :func:`gram_resolves` checks for fixed-depth runs, which have none.
DEFAULT_ACCURACY = 1e-2


def gram_resolves(now: np.ndarray, k: int, eps: float | None, unit: float) -> bool:
    """Whether Gram matrices rounded at ``unit`` resolve ε: the rounding of σ̃ᵢ²,
    about unit·σ̃₁², stays below ε/10 of σ̃ₖ₊₁² (so ε̂ can reach ε, and a Krylov step,
    which adds directions at σₖ₊₁²/σ₁² of its length, is not lost to rounding), i.e.
    σ̃₁/σ̃ₖ₊₁ ≤ √(ε/(10·unit)) (≈ 90 for ε = 10⁻² in float32, 2·10⁶ in float64); ``eps=None``
    (a fixed-depth run) checks :data:`DEFAULT_ACCURACY`."""
    eps = DEFAULT_ACCURACY if eps is None else eps
    j = min(k, len(now) - 1)
    return bool(now[j] > 0 and unit * now[0] <= eps / 10 * now[j])


def single_precision_allows(now: np.ndarray, k: int, eps: float) -> bool:
    """Whether float32 passes resolve ε (:func:`gram_resolves` at float32's unit) and
    float32 holds their Gram matrices: σ̃₁² and σ̃ₖ₊₁² inside its range with room for
    sums (A scaled by 1e150 became inf in float32 and the run raised LinAlgError).

    Why the rule bounds (σ̃₁/σ̃ₖ₊₁)², not σ̃₁/σ̃ₖ₊₁: the products' own rounding, about
    u₃₂·σ₁ per column, mostly tilts the subspace (for the spectral error alone a linear
    rule, σ₁/σₖ₊₁ ≲ ε/u₃₂, might do; not shown here), but the per-value error promised
    with it is in squares: singular values computed from float32 products are off by
    about u₃₂·σ₁ each, so σ̃₁² by about u₃₂·σ₁², which must stay below ε·σₖ₊₁². Forced
    float32 passes at σ₁/σₖ₊₁ = 450 (gap, then flat tail; 600 × 300 to 8000 × 2000)
    left σ₁² − σ̃₁² = 0.04–0.15·σₖ₊₁² (ε = 10⁻²) at a spectral error of 1.00000·σₖ₊₁;
    a final Rayleigh–Ritz in float64 would repair the values but costs a float64 pass
    over the whole basis (three blocks there), more than float32 saves on such a short run."""
    f32 = np.finfo(np.float32)
    j = min(k, len(now) - 1)
    in_range = now[0] < float(f32.max) / 1e4 and now[j] > float(f32.tiny) * 1e4
    return bool(in_range) and gram_resolves(now, k, eps, float(f32.eps))
