"""The factorisation of a sketch S·A that every sketched least-squares method starts from.

One Householder QR of [S·A, S·b] in ``mode="r"`` (no Q is formed: the last
columns of its R are Qᴴ S b), so the factorisation costs about half of a
reduced QR. Then either N = R⁻¹ (R safely invertible) or, from the SVD
R = U Σ Vᴴ, N = V_r Σ_r⁻¹ on the numerical rank r (LSRN, Meng, Saunders and
Mahoney 2014): x = N y stays in the row space of A, so iterations on A N
return the minimum-norm solution. Either gives the sketched Karlson–Waldén
backward-error estimate (:mod:`sketch.backward_error`): from the SVD in O(n²),
from R by one structured QR of [R; θ I] (about 1/10 of the SVD's cost).

Examples
--------
>>> import numpy as np
>>> from sketch.rng import as_key
>>> SA = np.random.default_rng(0).standard_normal((40, 5))
>>> F = SketchedFactor(SA, np.ones(40), np, rcond=1e-12, key=as_key(0), svd=True)
>>> F.rank, F.kind
(5, 'svd')
>>> bool(np.allclose(F.x0, np.linalg.lstsq(SA, np.ones(40), rcond=None)[0]))
True
>>> G = SketchedFactor(SA, np.ones(40), np, rcond=1e-12, key=as_key(0))
>>> g, r, x = np.ones(5), 1.0, 2.0
>>> G.kind, bool(np.isclose(G.backward_error(g, r, x), F.backward_error(g, r, x)))
('qr', True)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .backend import (
    astype,
    device,
    numpy_dtype,
    qr,
    refuse_overflow,
    shifted_r,
    solve_triangular,
    vector_norm,
)
from .backward_error import columns_with_norms, karlson_walden, karlson_walden_triangular

#: Steps of :func:`condition_estimate`'s power iterations.
CONDITION_STEPS = 12
#: Probability, over the keyed start vector, that one of :func:`condition_bound`'s two
#: power-iteration bounds fails.
BOUND_FAILURE = 1e-6


def condition_estimate(R: Any, xp: Any, key: Any, steps: int = CONDITION_STEPS
                       ) -> tuple[float, float]:
    """(σ_max(R), σ_max(R)/σ_min(R)) by power iteration on RᴴR and (RᴴR)⁻¹; O(n²) per step.

    Power iteration converges from below, so these are lower bounds; the
    condition number decides whether R is safe to invert.
    """
    n = R.shape[0]
    diag = xp.abs(xp.diagonal(R))
    if not bool(xp.all(diag > 0)) or not bool(xp.all(xp.isfinite(R))):
        return math.inf, math.inf

    def tri(R, y, trans=0):  # R is finite (checked above); an overflow in y shows in its norm
        return solve_triangular(R, y, trans=trans, check_finite=False)

    z = astype(key.normal(range(n), xp, device=device(R)), R.dtype)
    y = z / xp.linalg.norm(z)
    smax = 0.0
    for _ in range(steps):
        y = R.conj().T @ (R @ y)
        nrm = float(xp.linalg.norm(y))
        if nrm == 0:
            return math.inf, math.inf
        smax, y = math.sqrt(nrm), y / nrm
    y = z / xp.linalg.norm(z)
    inv = 0.0
    with np.errstate(all="ignore"):
        for _ in range(steps):
            y = tri(R, tri(R, y, trans="C"))
            nrm = float(xp.linalg.norm(y))
            if not math.isfinite(nrm) or nrm == 0:
                return smax, math.inf
            inv, y = math.sqrt(nrm), y / nrm
    return smax, smax * inv


def power_inflation(n: int, steps: int, *, complex_: bool = False,
                    failure: float = BOUND_FAILURE) -> float:
    """c ≥ 1 with σ_max(R) ≤ c·σ̂ with probability ≥ 1 − ``failure``, for the estimate σ̂ of
    ``steps`` power steps on M = RᴴR from a Gaussian start z (as in :func:`condition_estimate`).

    σ̂² = ‖Mᵏz‖/‖Mᵏ⁻¹z‖ ≥ μ = zᴴM²ᵏ⁻¹z / zᴴM²ᵏ⁻²z (the moments are log-convex), and with
    λ₁ = 1, cᵢ the squared coordinates of z in M's eigenbasis and j = 2k − 2,
    μ < 1 − ε forces ε c₁ < Σᵢ₊₁ cᵢ λᵢʲ(1 − ε − λᵢ) ≤ δ Σᵢ₊₁ cᵢ with
    δ = (1 − ε)ʲ⁺¹/(ε(j + 1)). For a real Gaussian z, c₁ = g² is independent of the
    χ²ₙ₋₁ sum X, so P(g² < δX) ≤ E √(2δX/π) ≤ √(2δ(n − 1)/π) (Jensen); for complex R and a
    real z, the same with 2δ/(1 − 2δ) for δ. The smallest ε that makes this ``failure``
    gives c = (1 − ε)^(−1/2): a rigorous inflation, in the spirit of Kuczyński and
    Woźniakowski (1992), of a power-iteration lower bound into an upper bound.

    Examples
    --------
    >>> round(power_inflation(1000, 12), 2), power_inflation(1, 12)
    (1.97, 1.0)
    """
    if n <= 1:
        return 1.0
    j = 2 * steps - 2
    t = math.pi * failure * failure / (2 * (n - 1))  # the largest δ allowed
    if complex_:
        t = t / (2 + 2 * t)

    def log_delta(eps: float) -> float:
        return (j + 1) * math.log1p(-eps) - math.log(eps * (j + 1))

    lo, hi = 0.0, 1.0  # log_delta decreases in ε: bisect for log_delta(ε) = log t
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if log_delta(mid) > math.log(t) else (lo, mid)
    return 1.0 / math.sqrt(1.0 - hi)


def condition_bound(R: Any, norm: float, cond: float, xp: Any,
                    steps: int = CONDITION_STEPS) -> tuple[float, float]:
    """Upper bounds (σ_max(R), κ(R)) from :func:`condition_estimate`'s lower bounds.

    σ_max ≤ min(c·σ̂_max, ‖R‖_F, √(‖R‖₁‖R‖_∞)) and 1/σ_min ≤ c·(κ̂/σ̂_max), with the
    inflation c of :func:`power_inflation`: they hold with probability ≥ 1 − 2·
    :data:`BOUND_FAILURE` over the start vector, the norm bounds always.

    Examples
    --------
    >>> import numpy as np
    >>> from sketch.rng import as_key
    >>> R = np.linalg.qr(np.random.default_rng(0).standard_normal((40, 6)), mode="r")
    >>> norm, cond = condition_estimate(R, np, as_key(0))
    >>> top, kappa = condition_bound(R, norm, cond, np)
    >>> sv = np.linalg.svd(R, compute_uv=False)
    >>> bool(norm <= sv[0] <= top), bool(cond <= sv[0] / sv[-1] <= kappa)
    (True, True)
    """
    if not (math.isfinite(norm) and math.isfinite(cond)) or norm <= 0:
        return math.inf, math.inf
    c = power_inflation(R.shape[0], steps, complex_=numpy_dtype(R.dtype).kind == "c")
    absR = xp.abs(R)
    one, inf = float(xp.max(xp.sum(absR, axis=0))), float(xp.max(xp.sum(absR, axis=1)))
    fro = float(vector_norm(xp.reshape(R, (-1,))))
    top = min(c * norm, fro, math.sqrt(one * inf))
    return top, top * c * (cond / norm)


class SketchedFactor:
    """x = N y from a factorisation of the (ridge-augmented) sketch S·A.

    Parameters
    ----------
    SA, Sb : arrays
        The sketched matrix (s × n) and right-hand side(s).
    xp : module
        Array module.
    rcond : float
        Relative cut-off for the numerical rank.
    key : Key
        Randomness of the condition estimate.
    svd : bool
        Always take the SVD of R; otherwise only when R is not safely
        invertible (the rank rule).

    Attributes
    ----------
    kind : {"qr", "svd"}
    rank : int
    cond : float
        κ(S·A) (exact from the SVD; a lower-bound estimate on the QR path).
    norm, fro : float
        ‖S·A‖₂ (exact from the SVD; a lower-bound estimate on the QR path) and ‖S·A‖_F.
    data_fro : float
        ‖S·A‖_F without ridge's √α I rows (``data_fro`` given; else ``fro``): the scale of
        FOSSILS' backward error, in which α is exact. Relative to ``fro`` it allowed a
        forward error of about u·√α/‖A‖ (x ≈ Aᴴb/α of a tiny A was S-accurate only).
    smin_bound : float
        A lower bound on the smallest singular value of S·A on the rank (exact from the
        SVD; on the QR path 1/(c·σ̂⁻¹_min) from :func:`condition_bound`, holding with
        probability ≥ 1 − :data:`BOUND_FAILURE` over its start vector).
    x0 : array
        The sketch-and-solve solution N (Uᴴ Qᴴ S b) (Sarlós 2006).
    sv, V : arrays (SVD path)
        All n singular values of S·A (descending) and its right singular vectors.
    """

    def __init__(self, SA: Any, Sb: Any, xp: Any, *, rcond: float, key: Any, svd: bool = False,
                 data_fro: float | None = None):
        self.xp = xp
        n = SA.shape[1]
        Sb2 = Sb[:, None] if Sb.ndim == 1 else Sb
        R_full = qr(xp.concatenate([SA, Sb2], axis=1), mode="r")
        # R in Fortran order (the transpose of a C-ordered Rᵀ): SciPy copies any other
        # layout into it on every solve with R or Rᴴ (1 ms against 0.2 ms at n = 1000)
        R, c = xp.tril(R_full[:n, :n].T).T, R_full[:n, n:]
        self.fro = float(vector_norm(xp.reshape(R, (-1,))))
        self.data_fro = self.fro if data_fro is None else data_fro
        norm, cond = (math.inf, math.inf) if svd else condition_estimate(R, xp, key)
        if cond * rcond < 1:
            self.kind, self.R, self.rank, self.cond, self.norm = "qr", R, n, cond, norm
            top, kappa = condition_bound(R, norm, cond, xp)
            self.smin_bound = top / kappa if math.isfinite(kappa) else 0.0
            self._shifted: dict[float, Any] = {}  # θ → R of [R; θI], for the last θs
            x0 = solve_triangular(R, c)
        else:
            U, sv, Vh = xp.linalg.svd(R)
            r = int((sv > rcond * sv[0]).sum())
            self.kind, self.rank = "svd", r
            self.sv, self.V = sv, Vh.conj().T
            self.cond = float(sv[0] / sv[r - 1]) if r else math.inf
            self.norm = float(sv[0])
            self.smin_bound = float(sv[r - 1]) if r else 0.0
            x0 = self.V[:, :r] @ ((U[:, :r].conj().T @ c) / sv[:r, None])
        refuse_overflow(x0)  # every method starts here: no inf iterate, no false claim
        self.x0 = x0[:, 0] if Sb.ndim == 1 else x0

    def backward_error(self, g: Any, rnorm: Any, xnorm: Any) -> Any:
        """The sketched Karlson–Waldén estimate (absolute) for g = Aᴴr, ‖r‖, ‖x‖."""
        if self.kind == "qr":
            self._shifted = {}  # a new iterate: new θs
            return karlson_walden_triangular(g, rnorm, xnorm, self.R, self.xp,
                                             shifted=self._shifted_r)
        return karlson_walden(g, rnorm, xnorm, self.sv, self.V, self.xp)

    def _shifted_r(self, theta: float) -> Any:
        if theta not in self._shifted:
            self._shifted[theta] = shifted_r(self.R, theta)
        return self._shifted[theta]

    def weighted_norms(self, z: Any, rnorm: Any, xnorm: Any) -> Any:
        """‖(SᴴS-sketched AᴴA + θ²I)^(−1/2) g‖ per column for the g with Nᴴ g = z.

        The numerator of :meth:`backward_error` (at the θ = ‖r‖/‖x‖ of its last
        call, where ``xnorm > 0``; ‖z‖ elsewhere), for a g known only through
        Nᴴ g — a refinement step's inner residual. It is ≤ ‖z‖: the estimate
        weighs the directions of σᵢ < θ by σᵢ/θ. O(n²) per column.
        """
        xp = self.xp
        out = []
        for zj, rn, xn in columns_with_norms(z, rnorm, xnorm, xp):
            if xn <= 0:
                out.append(vector_norm(zj))
            elif self.kind == "qr":  # g = Rᴴ z: ‖T⁻ᴴ Rᴴ z‖
                T = self._shifted_r(rn / xn)
                out.append(vector_norm(solve_triangular(
                    T, self.R.conj().T @ zj, trans="C", check_finite=False)))
            else:  # g = V Σ z on the rank: ‖Σ (Σ² + θ²)^(−1/2) z‖
                sv = self.sv[:self.rank]
                out.append(vector_norm(zj * (sv / xp.sqrt(sv * sv + (rn / xn) ** 2))))
        return out[0] if z.ndim == 1 else xp.stack(out)

    def apply(self, y: Any) -> Any:
        """N y."""
        if self.kind == "qr":  # R is finite: condition_estimate checked it
            return solve_triangular(self.R, y, check_finite=False)
        r = self.rank
        scale = self.sv[:r] if y.ndim == 1 else self.sv[:r, None]
        return self.V[:, :r] @ (y / scale)

    def adjoint(self, z: Any) -> Any:
        """Nᴴ z."""
        if self.kind == "qr":
            return solve_triangular(self.R, z, trans="C", check_finite=False)
        r = self.rank
        scale = self.sv[:r] if z.ndim == 1 else self.sv[:r, None]
        return (self.V[:, :r].conj().T @ z) / scale
