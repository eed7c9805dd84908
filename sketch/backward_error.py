"""Backward error of a least-squares solution, estimated from a sketch.

The backward error of x for min ‖Ax − b‖ is the smallest ‖ΔA‖_F such that
x solves min ‖(A + ΔA)x − b‖ exactly (Waldén, Karlson and Sun 1995). Its
Karlson–Waldén estimate (Karlson and Waldén 1997; Grcar 2003: within a
factor √2 of the true value, and asymptotically exact as x → x*) is, with
r = b − A x and θ = ‖r‖/‖x‖,

    η(x) = ‖(AᴴA + θ² I)^(−1/2) Aᴴ r‖ / ‖x‖.

Computing it exactly needs an SVD of A. Replacing AᴴA by (SA)ᴴ(SA) =
V Σ² Vᴴ for a subspace embedding S (Epperly, Meier and Nakatsukasa 2024,
the sketched Karlson–Waldén estimate) changes it by at most the factor
(1 ± ε) of the embedding and costs O(n²) per evaluation once the SVD of the
sketch is known:

    η̂(x) = ‖(Σ² + θ² I)^(−1/2) Vᴴ Aᴴ r‖ / ‖x‖.

Without the SVD, from the triangular factor R of S·A: RᴴR + θ² I = TᴴT for
the triangular factor T of [R; θ I], so η̂(x) = ‖T⁻ᴴ Aᴴ r‖ / ‖x‖ — one
structured QR (``tpqrt``) per evaluation instead of an SVD of R.

A backward error of a small multiple of u‖A‖ (u the unit roundoff) is what
Householder QR achieves: the solution is then as accurate as LAPACK's. The
forward error follows from the same quantities without perturbation theory.
For full-rank A, Aᴴ r* = 0 gives g = Aᴴ r = AᴴA (x* − x), so with A = W Σ Vᴴ,
z = Vᴴ g and θ = ‖r‖/‖x‖,

    ‖x* − x‖² = Σ zᵢ²/σᵢ⁴ ≤ maxᵢ (σᵢ² + θ²)/σᵢ⁴ · Σ zᵢ²/(σᵢ² + θ²)
              = (1 + θ²/σₙ²)/σₙ² · (η(x) ‖x‖)²,

i.e. ‖x − x*‖/‖x‖ ≤ (η/σₙ) √(1 + (θ/σₙ)²) — exact, not first order, and
without the factor √2 between the estimate and the optimal backward error
that a bound through Wedin's theorem (Higham 2002, Thm 20.1: κε(2 + (κ + 1)
‖r‖/(‖A‖‖x‖)) with ε ≥ ‖ΔA‖₂/‖A‖ and its Δb terms) pays, nor a bound on ‖A‖.
From an η-embedding, (1 − η)²AᴴA ≼ (SA)ᴴSA ≼ (1 + η)²AᴴA: σₙ ≥ σₙ(SA)/(1 + η),
and the same argument with (SA)ᴴSA in place of AᴴA gives
‖(AᴴA)^(−1/2) g‖ ≤ (1 + η) ‖((SA)ᴴSA)^(−1/2) g‖, so with the sketched estimate η̂
and s ≤ σₙ(SA),

    ‖x − x*‖/‖x‖ ≤ (1 + η)² (η̂/s) √(1 + (θ/s)²).

The computed residual carries rounding δr, ‖δr‖ ≤ (n + 1)u(‖b‖ + ‖A‖_F‖x‖)
(Higham 2002, §3.5), which no estimate from it can see: it adds ‖A⁺δr‖ ≤
(1 + η)‖δr‖/s (b = A x to rounding gave an estimate of 0 at a forward error
of 8e-13, κ = 1e5). With ridge, A is [A; √α I], r its residual [b − A x; −√α x] (the sketch of
[A; √α I] is [SA; √α I], an η-embedding when S·A is one).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> A = rng.standard_normal((500, 8)); b = rng.standard_normal(500)
>>> x = np.linalg.lstsq(A, b, rcond=None)[0]
>>> _, sv, Vh = np.linalg.svd(A, full_matrices=False)
>>> r = b - A @ x
>>> eta = karlson_walden(A.T @ r, np.linalg.norm(r), np.linalg.norm(x), sv, Vh.T, np)
>>> bool(eta < 1e-14 * sv[0])
True
"""

from __future__ import annotations

import math
from typing import Any

from .backend import shifted_r, solve_triangular, vector_norm


def karlson_walden(g: Any, rnorm: Any, xnorm: Any, sv: Any, V: Any, xp: Any) -> Any:
    """η(x) = ‖(Σ² + θ²I)^(−1/2) Vᴴ g‖/‖x‖ with θ = ‖r‖/‖x‖ and g = Aᴴ r.

    ``sv``, ``V`` are the singular values and right singular vectors of A
    (exact estimate) or of a sketch S·A (sketched estimate). ``g`` may hold
    one column per right-hand side, ``rnorm``/``xnorm`` then being arrays.
    Returns an absolute backward error (divide by ‖A‖ for a relative one).
    At x = 0 the limit θ → ∞ gives ‖Aᴴ r‖/‖r‖.
    """
    z = V.conj().T @ g
    sv2 = sv * sv if g.ndim == 1 else (sv * sv)[:, None]
    rnorm = xp.asarray(rnorm, dtype=sv.dtype)
    xnorm = xp.asarray(xnorm, dtype=sv.dtype)
    safe_x = xp.where(xnorm > 0, xnorm, 1)
    theta2 = (rnorm / safe_x) ** 2
    scale = xp.sqrt(sv2 + theta2)  # 0 only where σᵢ = 0 and r = 0, so g = Aᴴr = 0 too
    est = vector_norm(z / xp.where(scale > 0, scale, 1), axis=0) / safe_x
    at_zero = xp.where(rnorm > 0, vector_norm(g, axis=0) / xp.where(rnorm > 0, rnorm, 1), 0)
    return xp.where(xnorm > 0, est, at_zero)


def forward_error_bound(absolute: Any, rnorm: Any, xnorm: Any, *, smin: float, eta: float,
                        xp: Any, floor: Any = 0.0) -> Any:
    """Bound on ‖x − x*‖/‖x‖ from a sketched Karlson–Waldén estimate (see the module notes).

    ``absolute`` is η̂ (absolute, per column, at θ = ‖r‖/‖x‖ with r = ``rnorm``),
    ``smin`` a lower bound on σ_min(S·A) and ``eta`` the embedding's distortion:
    (1 + η)² (η̂/s) √(1 + (θ/s)²) + (1 + η) φ/s with s = ``smin``, where
    φ = ``floor`` bounds ‖δr‖/‖x‖ for the rounding error δr of the computed residual
    (it moves x* − x by A⁺δr, ‖A⁺δr‖ ≤ (1 + η)‖δr‖/s; rounding in Aᴴr shows in η̂
    itself); infinite where x = 0 or s = 0.

    Examples
    --------
    >>> import numpy as np
    >>> float(forward_error_bound(1e-16, 1.0, 1.0, smin=1e-4, eta=0.0, xp=np))
    1.0000000050000001e-08
    """
    absolute, rnorm, xnorm = xp.asarray(absolute), xp.asarray(rnorm), xp.asarray(xnorm)
    if not smin > 0:
        return xp.full_like(absolute, math.inf)
    safe_x = xp.where(xnorm > 0, xnorm, 1)
    theta = rnorm / (safe_x * smin)
    bound = (1 + eta) ** 2 * (absolute / smin) * xp.sqrt(1 + theta * theta)
    bound = bound + (1 + eta) * floor / smin
    return xp.where(xnorm > 0, bound, math.inf)


def columns_with_norms(g: Any, rnorm: Any, xnorm: Any, xp: Any) -> list[tuple[Any, float, float]]:
    """``(g_j, ‖r_j‖, ‖x_j‖)`` per right-hand side (one for a vector ``g``), norms as floats."""
    columns = [g] if g.ndim == 1 else [g[:, j] for j in range(g.shape[1])]
    rnorms = xp.reshape(xp.asarray(rnorm), (-1,))
    xnorms = xp.reshape(xp.asarray(xnorm), (-1,))
    return [(gj, float(rnorms[j]), float(xnorms[j])) for j, gj in enumerate(columns)]


def karlson_walden_triangular(g: Any, rnorm: Any, xnorm: Any, R: Any, xp: Any, *,
                              shifted: Any = None) -> Any:
    """:func:`karlson_walden` from an invertible triangular factor R (RᴴR = (S·A)ᴴ S·A).

    η(x) = ‖T⁻ᴴ g‖/‖x‖ with T the triangular factor of [R; θ I], θ = ‖r‖/‖x‖,
    per column of ``g`` (one T per right-hand side). ``shifted(θ)`` returns T
    (default :func:`~sketch.backend.shifted_r`; a caller may reuse them).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((500, 8)); b = rng.standard_normal(500)
    >>> x = rng.standard_normal(8); r = b - A @ x
    >>> _, sv, Vh = np.linalg.svd(A, full_matrices=False)
    >>> R = np.linalg.qr(A, mode="r")
    >>> args = (A.T @ r, np.linalg.norm(r), np.linalg.norm(x))
    >>> bool(np.isclose(karlson_walden_triangular(*args, R, np),
    ...                 karlson_walden(*args, sv, Vh.T, np)))
    True
    """
    out = []
    for gj, rn, xn in columns_with_norms(g, rnorm, xnorm, xp):
        if xn > 0:
            T = shifted(rn / xn) if shifted is not None else shifted_r(R, rn / xn)
            out.append(vector_norm(solve_triangular(T, gj, trans="C")) / xn)
        else:  # the limit θ → ∞, as in karlson_walden
            out.append(vector_norm(gj) / (rn if rn > 0 else math.inf))
    return out[0] if g.ndim == 1 else xp.stack(out)
