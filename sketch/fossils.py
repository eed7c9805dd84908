"""FOSSILS: backward-stable sketched least squares by iterative refinement.

Epperly, Meier and Nakatsukasa (2024), "Fast randomized least-squares solvers
can be just as accurate and stable as classical direct solvers". With the QR
S·A = Q R of a subspace embedding (distortion η) and N = R⁻¹ (or, where R is
near singular, the SVD S·A = U Σ Vᴴ and N = V Σ⁻¹ on the numerical rank):

1. x₀ = N Qᴴ S b (sketch-and-solve).
2. Refinement step: r = b − A xᵢ, c = Nᴴ Aᴴ r; solve M y = c for
   M = Nᴴ AᴴA N — whose eigenvalues lie in [(1 + η)⁻², (1 − η)⁻²] — by
   Polyak's heavy-ball iteration y ← y + a (c − M y) + β (y − y_prev) with
   the optimal a = (1 − η²)², β = η² (error factor η per iteration);
   xᵢ₊₁ = xᵢ + N y.

Two refinement steps make the result backward stable; each inner solve only
has to be accurate to O(κ(A) u) relative to ‖c‖ (their meta-theorem).

Why FOSSILS rather than SPIR (the same refinement with LSQR inside): both are
proven backward stable and converge at the same rate, but the heavy-ball
step needs only the product AᴴA·w — no inner products between its two halves
— so for a dense A it is computed in one pass over A held in cache
(:mod:`sketch.lstsq_products`), where LSQR's Golub–Kahan step needs two
passes. The iteration is memory-bound, so that halves its cost. Its fixed
coefficients also treat several right-hand sides as one block.

Stopping rule: the sketched Karlson–Waldén estimate of the backward error
(:mod:`sketch.backward_error`), evaluated after every refinement step from
the residual pass the next step needs anyway. Each inner solve runs at most
the number of products the rate η predicts for bringing ‖c − M y‖ to
``INNER``·tol (times ‖x‖‖S·A‖_F), and stops early when its own residual,
weighed as the estimate weighs Aᴴr (directions of σᵢ < θ = ‖r‖/‖x‖ count
σᵢ/θ: :meth:`~sketch.lstsq_factor.SketchedFactor.weighted_norms`), is
there — for large residuals 2-3 products sooner than the plain ‖c − M y‖
would, with no loss of accuracy (measured as below). Once the estimate is
≤ ``AIM``·tol (or ≤ tol and no longer halving), the solve stops, but never at
the start: x₀ within tol still takes one step whose inner solve aims at u
(``START_POLISH``), since the estimate bounds the backward error and x₀ carries
the rounding of S·A into its forward error; a step taken from an iterate
already within tol is undone if it raised the estimate. The estimate does not see
the error a step's inner solve leaves in x, N ρ (ρ = c − M y its residual): a step that
meets tol while ‖N ρ‖ exceeds u·(√n + ``FORWARD``·κ(1 + κθ/‖S·A‖))·‖x‖ — a fraction of
a backward-stable solve's forward error — takes one more step aimed at u (once; it cost
12-14× LAPACK's forward error at 50000 × 100, κ = 1e8, ‖r‖ = 1e-12; it costs 1–3 products
on 4 of the 13 problems of ``python -m benchmarks lstsq --quick``, each then more
accurate). Where F factors A itself (``exact``: no sketch would pay,
:func:`~sketch.lstsq_solvers.sketching_pays`), x₀ is
LAPACK's Householder QR solution and no step follows it within tol: from there a step only
adds the rounding of b − A x₀ times κ (20–30× LAPACK's forward error, measured). A step that
does not halve the
estimate far above tol means the sketch embeds worse than η assumed (η is raised,
once); close to tol, or again, it means the rounding floor of b − A x is reached,
which counts as converged within ``FLOOR``·tol.
Measured on κ = 1e2…1e12, ‖r‖ = 1e-12…1
(``python -m benchmarks lstsq --quick``): forward and backward errors within
10× of LAPACK gelsd's. A ``time_limit`` stops the inner solve after the product that
passes it; that partial step is applied, evaluated and (by the rule above) possibly undone
like any other, so the returned estimate is always the returned x's.

Examples
--------
>>> import numpy as np
>>> from sketch import lstsq
>>> rng = np.random.default_rng(0)
>>> A = rng.standard_normal((4000, 30)) * np.logspace(0, -10, 30)
>>> b = rng.standard_normal(4000)
>>> res = lstsq(A, b, "fossils", seed=0)
>>> res.method, res.converged, bool(res.backward_error < 1e-15)
('fossils', True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from .backend import numpy_dtype, vector_norm
from .lstsq_factor import SketchedFactor
from .lstsq_products import gram_product, residual_norms
from .progress import CONVERGED, IterationWatch

# Refinement steps at most: two suffice in theory; a third or fourth covers a
# step whose inner solve stopped early, a fifth would only repeat the floor.
MAX_STEPS = 5
# An inner residual this many times its start means η was too optimistic.
_DIVERGED = 10.0
# A stalled estimate this close to tol counts as converged (see the stopping rule).
FLOOR = 8.0
# Inner solves aim this far below the stopping target (about 3 more products per step),
# so that one step usually suffices.
INNER = 1 / 32
# A step that ends within tol but above AIM·tol fell short of its inner target (the sketch
# embeds worse than η says, as for small n): another step follows unless the estimate
# stopped halving (its rounding floor).
AIM = 1 / 8
# A start that already meets tol still takes one refinement step, its inner solve aimed
# at ``START_POLISH``·u instead of tol: the estimate bounds the backward error, and
# sketch-and-solve's x₀ on a (nearly) consistent system met tol = 4u at once with a
# forward error 12-24× LAPACK's (50000 × 100, κ = 1e8, r = 0; the rounding of S·A, each
# entry a sum of hundreds of A's), beyond the 10× that counts as equal accuracy; one step
# so aimed (2 products) brought it to 0.5-1.2× (issue 17's note).
START_POLISH = 1.0
# A refinement step that meets tol but whose inner solve left more than
# u·(√n + FORWARD·κ(1 + κθ/‖A‖))·‖x‖ in x — FORWARD of a backward-stable solve's forward
# error bound (:func:`_short_forward`) — takes one more step aimed at u: the backward-error
# estimate does not see that error.
FORWARD = 1 / 256


@dataclass(kw_only=True)
class FossilsState:
    """What :func:`fossils` returns (per right-hand side where it applies).

    ``residual_norm`` is ‖b − A x‖; ``backward_error`` the sketched
    Karlson–Waldén estimate relative to ‖S·A‖_F (of [A; √α I] with ridge, still relative to
    ‖S·A‖_F, :attr:`~sketch.lstsq_factor.SketchedFactor.data_fro`);
    ``stop_reason`` one of :mod:`sketch.progress`'s (``"maxiter"`` also for a stalled run
    or ``MAX_STEPS`` steps).
    """

    x: Any
    residual_norm: Any
    backward_error: Any
    iterations: int
    steps: int
    converged: bool
    stalled: bool
    eta: float
    stop_reason: str = CONVERGED


def _unit(x: Any) -> float:
    """Machine epsilon of x's real precision."""
    return float(np.finfo(numpy_dtype(x.dtype)).eps)


def _norms(v: Any, xp: Any) -> Any:
    return vector_norm(v, axis=0)


def _heavy_ball(op, c, eta: float, target: Any, budget: int, xp: Any, measure: Any,
                watch: IterationWatch, shown: float):
    """Solve M y = c (spectrum in [(1+η)⁻², (1−η)⁻²]) from y = 0; returns
    (y, c − M y, products, ok).

    Runs until measure(c − M y) ≤ target, for at most the products the rate η
    predicts for bringing ‖c − M y‖ to the target, and at most ``budget``; each product
    is one step of ``watch`` (showing the backward-error estimate ``shown``), and past its
    deadline the current y is returned.
    """
    a, beta = (1 - eta * eta) ** 2, eta * eta
    cnorm = _norms(c, xp)
    ratio = float(xp.max(xp.where(target > 0, cnorm / xp.where(target > 0, target, 1), 0)))
    # η = 0 (A's own factor): M = I but for rounding, which the rate of η = 0.1 covers
    need = math.ceil(math.log(ratio) / -math.log(max(eta, 0.1))) + 2 if ratio > 1 else 0
    y = xp.zeros_like(c)
    y_prev = y
    rho = c
    k = 0
    while k < min(need, budget) and bool(xp.any(measure(rho) > target)):
        y, y_prev = y + a * rho + beta * (y - y_prev), y
        rho = c - op(y)
        k += 1
        if bool(xp.any(_norms(rho, xp) > _DIVERGED * cnorm)):
            return xp.zeros_like(c), c, k, False
        if watch.step(backward_error=shown):
            break
    return y, rho, k, True


def fossils(A: Any, b: Any, F: SketchedFactor, *, alpha: float, eta: float, tol: float,
            maxiter: int, xp: Any, time_limit: float | None = None,
            progress: bool | None = False, exact: bool = False) -> FossilsState:
    """Refine F.x0 until the sketched Karlson–Waldén estimate is ≤ tol·‖S·A‖_F.

    ``F`` factors the (ridge-augmented) sketch; ``eta`` is the
    embedding's distortion (√(n/s) for s-row Gaussian-like sketches; 0 with
    ``exact``: F factors A itself, and its x₀ is the Householder QR solution). With
    ``alpha > 0`` the problem is [A; √α I] x ≈ [b; 0]. ``maxiter`` bounds the
    products with AᴴA over all steps; ``time_limit`` (seconds, validated by the caller)
    and ``progress`` are those of :class:`~sketch.progress.IterationWatch`, one step per
    product.
    """
    fro = F.data_fro  # ‖S·A‖_F: with ridge, α is exact (not perturbed)

    def normal_op(y):
        w = F.apply(y)
        h = gram_product(A, w, xp)
        return F.adjoint(h + alpha * w if alpha > 0 else h)

    def evaluate(x):
        plain, g = residual_norms(A, x, b, xp)
        xnorm = _norms(x, xp)
        rnorm = plain
        if alpha > 0:  # the residual of [A; √α I] x ≈ [b; 0]
            g = g - alpha * x
            rnorm = xp.sqrt(plain**2 + alpha * xnorm**2)
        est = F.backward_error(g, rnorm, xnorm)
        # relative to ‖S·A‖_F; S·A = 0 (A = 0): x is exact if Aᴴr = 0, else unbounded
        est = est / fro if fro > 0 else xp.where(est > 0, math.inf, 0.0)
        if not exact:  # an estimate lost to underflow (ridge, ‖A‖/√α < ~2^-250) certifies
            # nothing: a sketched x₀ is only as accurate as the sketch
            est = xp.where((est == 0) & (_norms(g, xp) > 0), math.inf, est)
        return g, plain, xnorm, est, rnorm

    x = F.x0
    iterations = steps = 0
    previous = before = left = None
    stalled = raised = forward = polished = False
    watch = IterationWatch("FOSSILS", time_limit=time_limit, progress=progress, total=maxiter,
                           unit="product")
    while True:
        g, rnorm, xnorm, est, rnorm_aug = evaluate(x)  # rnorm = ‖b − A x‖
        if before is not None:  # a step from an iterate already within tol
            if bool(xp.any(est > 2 * before[-1])):  # it only added the noise of Aᴴr: undo
                x, rnorm, est = before[0], before[1], before[-1]
                break
            before = None
        met = bool(xp.all(est <= tol))
        if iterations >= maxiter or steps >= MAX_STEPS or watch.timed_out:
            break
        halved = previous is None or bool(xp.all(est <= 0.5 * previous))
        # x₀ of A's own QR is LAPACK's QR solution: a step from it within tol only adds the
        # rounding of b − A x₀, times κ (20-30x LAPACK's forward error, measured)
        done = met and ((exact and steps == 0) or steps > 0 and (
            not halved or bool(xp.all(est <= AIM * tol))))
        if done and left is not None and not (forward or polished):
            forward = _short_forward(left, F, rnorm_aug, xnorm, _unit(x), xp)
            done = not forward
        if done:
            break
        if not met and not halved:
            if bool(xp.all(est <= FLOOR * tol)) or raised:
                stalled = True  # rounding floor above tol: another step would not help
                break
            eta, raised = min(0.95, 0.5 * (1 + eta)), True  # far above: η was too optimistic
        previous = est
        c = F.adjoint(g)
        if met:
            before = (x, rnorm, est)
        polished = met and (steps == 0 or forward)  # this step aims at u, not tol
        aim = START_POLISH * _unit(x) if polished else tol
        target = xp.where(xnorm > 0, INNER * aim * fro * xnorm, INNER * aim * _norms(c, xp))
        y, rho, k, ok = _heavy_ball(normal_op, c, eta, target, maxiter - iterations, xp,
                               measure=partial(F.weighted_norms, rnorm=rnorm_aug, xnorm=xnorm),
                               watch=watch, shown=_shown(est, xp, watch))
        iterations += k
        steps += 1
        if not ok:
            eta = min(0.95, 0.5 * (1 + eta))  # the sketch embeds worse than assumed
            previous = left = None
            continue
        x = x + F.apply(y)
        left = _norms(F.apply(rho), xp)  # the error the unfinished inner solve leaves in x
    # A step that no longer halves the estimate has hit the rounding floor of r = b − A x;
    # within a small factor of tol that floor is what a backward-stable solve achieves too.
    watch.close()
    converged = bool(xp.all(est <= (FLOOR * tol if stalled else tol)))
    return FossilsState(x=x, residual_norm=rnorm, backward_error=est, iterations=iterations,
                        steps=steps, converged=converged, stalled=stalled and not converged,
                        eta=eta, stop_reason=watch.reason(converged))


def _short_forward(left: Any, F: SketchedFactor, rnorm: Any, xnorm: Any, u: float,
                   xp: Any) -> bool:
    """Whether the last step's inner solve left more forward error in x than a
    backward-stable solve's: ‖N ρ‖ > u·(√n + FORWARD·κ(1 + κθ/‖S·A‖))·‖x‖, θ = ‖r‖/‖x‖.

    N ρ (ρ = c − M y, the inner solve's residual) is the error that solve leaves in x, up
    to (1 ± η)². u·κ(1 + κθ/‖A‖) bounds a backward-stable solve's forward error; LAPACK's
    lands 1/4 (κ = 1e2) to 1/1000 (κ = 1e12) of it on the benchmarks' problems, and u·√n
    is about its error at κ = 1 (5-10u at n = 100-500). κ is F's estimate of κ(S·A);
    infinite or zero, or on a truncated rank (whose cut-off dominates the forward error:
    float32, κ = 1e5 at n = 200), no step is asked for.
    """
    kappa, norm = F.cond, F.norm
    n = F.R.shape[0] if F.kind == "qr" else F.V.shape[0]
    if not (math.isfinite(kappa) and math.isfinite(norm)) or norm <= 0 or F.rank < n:
        return False
    theta = rnorm / xp.where(xnorm > 0, xnorm, 1)
    bound = u * (math.sqrt(n) + FORWARD * kappa * (1 + kappa * theta / norm)) * xnorm
    return bool(xp.any(left > bound))


def _shown(est: Any, xp: Any, watch: IterationWatch) -> float:
    """The largest backward-error estimate, for the bar (nan, no device sync, without one)."""
    return float(xp.max(est)) if watch.progress is not False else math.nan
