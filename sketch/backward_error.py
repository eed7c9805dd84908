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
Householder QR achieves: the solution is then as accurate as LAPACK's, and
the perturbation theory of least squares (Wedin 1973; Higham 2002, Thm 20.1)
bounds its forward error by, to first order with ε = η/‖A‖,

    ‖x − x*‖/‖x*‖ ≤ κ ε (2 + (κ + 1) ‖r‖ / (‖A‖ ‖x‖)).

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


def forward_error_bound(backward: Any, rnorm: Any, xnorm: Any, *, norm: float, cond: float,
                        xp: Any) -> Any:
    """First-order bound on ‖x − x*‖/‖x‖ from a relative backward error ε.

    κε/(1 − κε)·(2 + (κ + 1)‖r‖/(‖A‖‖x‖)) (Higham 2002, Thm 20.1, perturbing
    A only); infinite where κε ≥ 1 (the bound says nothing there).
    """
    eps = xp.asarray(backward)
    ke = cond * eps
    xnorm = xp.asarray(xnorm)
    ratio = xp.asarray(rnorm) / (norm * xp.where(xnorm > 0, xnorm, 1))
    with_ratio = ke / xp.where(ke < 1, 1 - ke, 1) * (2 + (cond + 1) * ratio)
    return xp.where((ke < 1) & (xnorm > 0), with_ratio, math.inf)


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
