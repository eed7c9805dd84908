"""Sketched ridgeless least squares and its optimal sketch size.

The minimum-norm least-squares ("ridgeless") estimator fitted on a sketch
``S [X y]`` with ``S`` of size m × n,

    β̂_S = (S X)⁺ S y,

has, in the proportional regime m ≍ n ≍ p with isotropic features
``x ~ N(0, s² I_p)``, ``y = xᵀβ + ε``, signal ``r² = Var(xᵀβ)`` and noise
``σ² = Var(ε)``, an out-of-sample prediction risk ``E[(xᵀβ̂_S − xᵀβ)²]`` with
a closed-form limit (Chen, Zeng, Yang and Sun, "Sketched Ridgeless Linear
Regression: The Role of Downsampling", ICML 2023). With φ = p/m:

* orthogonal sketches (rows orthonormal: Haar, uniform row subsampling) — the
  sketched problem is a ridgeless problem with m samples:
  ``σ² φ/(1−φ)`` for φ < 1 and ``r²(1 − 1/φ) + σ²/(φ − 1)`` for φ > 1;
* i.i.d. (Gaussian) sketches — the same for φ > 1 (all sketches agree when
  overparameterized); for φ < 1 the sketch reweights the rows by the
  Marchenko–Pastur spectrum of SSᵀ and the variance grows to
  ``σ² c E[d²/(1+cd)²] / E[d/(1+cd)²]`` where ``E[1/(1+cd)] = 1 − φ`` and
  d follows the Marchenko–Pastur law of ratio m/n (a leave-one-out
  computation; it reduces to φ/(1−φ) for d ≡ 1).

Minimising over m ≤ n: when the signal-to-noise ratio SNR = r²/σ² exceeds one,
the overparameterized branch is smallest at ``m = p (1 − 1/√SNR)`` with risk
``2rσ − σ²``, which is below the full-sample risk whenever n is near p — the
double-descent peak at p = n disappears; with SNR ≤ 1 the null estimator
(m → 0, risk r²) is best. :func:`optimal_sketch_size` gives this optimum (SNR
estimated from the data when not given, with Dicker's 2014 moment estimator)
and the paper's empirical procedure (pick m on a validation set).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.standard_normal((300, 270)); beta = rng.standard_normal(270) / np.sqrt(270)
>>> y = X @ beta + 0.5 * rng.standard_normal(300)
>>> opt = optimal_sketch_size(n_samples=300, n_features=270, signal=1.0, noise=0.25)
>>> opt.size, round(opt.risk, 3), round(opt.full_risk, 3)
(135, 0.75, 2.25)
>>> fit = sketched_ridgeless(X, y, sketch_size=opt.size, seed=1)
>>> fit.coef.shape
(270,)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import brentq

from .backend import array_module, asarray, compat, dense_lstsq, device, qr
from .budgets import check_allocation
from .checks import check_matrix, check_positive_int, check_tolerance, check_vector
from .errors import ShapeError
from .operators import make_operator
from .rng import as_key

__all__ = [
    "RidgelessResult",
    "SketchSize",
    "sketched_ridgeless",
    "ridgeless_risk",
    "estimate_signal_noise",
    "optimal_sketch_size",
]

#: Most sketches averaged per candidate size in validation (each is a full fit).
MAX_REPEATS = 100
#: Sketches with a closed-form risk limit (``subsample`` is orthogonal: its rows are e_iᵀ).
THEORY_SKETCHES = ("orthogonal", "subsample", "gaussian")


@dataclass
class RidgelessResult:
    """A sketched minimum-norm least-squares fit.

    Attributes
    ----------
    coef : array (p,) or (p, k)
        β̂ = (SX)⁺ S y.
    sketch_size : int
        m, the rows of the sketch (n when no sketch was applied).
    sketch : str
        The sketch used.
    n_samples, n_features : int
    rank : int
        Numerical rank of S X.
    """

    coef: Any
    sketch_size: int
    sketch: str
    n_samples: int
    n_features: int
    rank: int


@dataclass
class SketchSize:
    """The sketch size chosen by :func:`optimal_sketch_size`.

    Attributes
    ----------
    size : int
        The chosen m (1 ≤ m ≤ n).
    ratio : float
        m / n.
    risk : float
        Limiting risk at ``size`` (``method="theory"``) or its validation
        mean-squared prediction error (``method="validation"``).
    full_risk : float or None
        The same at m = n (no downsampling); None when validation's grid leaves out n.
    signal, noise : float or None
        r² = Var(xᵀβ) and σ² used (given or estimated; None for validation).
    method : str
        ``"theory"`` or ``"validation"``.
    grid, curve : arrays
        Candidate sizes and their risks (theory) or validation errors.
    """

    size: int
    ratio: float
    risk: float
    full_risk: float | None
    signal: float | None
    noise: float | None
    method: str
    grid: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, dtype=int))
    curve: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))


# --------------------------------------------------------------------------
# the estimator
# --------------------------------------------------------------------------
def _apply_sketch(sketch: str, m: int, Xy: Any, seed: Any) -> Any:
    """S @ Xy for the named sketch (m × n), generated from the seed."""
    xp = compat(array_module(Xy))
    n = Xy.shape[0]
    key = as_key(seed)
    if sketch == "subsample":
        # The row choice is drawn on the host (m indices) and sent to Xy's device.
        idx = key.child("subsample").generator().permutation(n)[:m]
        return Xy[asarray(np.sort(idx), like=Xy)]
    if sketch == "orthogonal":
        # Haar-distributed orthonormal rows: Q from the QR of an n × m Gaussian.
        check_allocation(8.0 * n * m * 2, f"an orthogonal sketch with sketch_size={m}",
                         xp=xp, device=device(Xy),
                         fix="use sketch='subsample' or 'srht' for large n")
        G = key.child("orthogonal").normal(range(n * m), array_module(Xy), device=device(Xy))
        Q = qr(xp.astype(xp.reshape(G, (n, m)), Xy.dtype))[0]
        return Q.T @ Xy
    return make_operator(sketch, m, n, key) @ Xy


def sketched_ridgeless(X: Any, y: Any, sketch_size: int | None = None, *,
                       sketch: str = "orthogonal", seed: Any = None) -> RidgelessResult:
    """Minimum-norm least squares on a sketch: β̂ = (SX)⁺ S y.

    Parameters
    ----------
    X : array (n × p)
        Features (NumPy, CuPy or torch; the result lives on the same device).
    y : array (n,) or (n, k)
        Responses.
    sketch_size : int, optional
        m ≤ n rows of the sketch; None or n with ``sketch="orthogonal"``
        fits the full sample (the plain ridgeless estimator X⁺y). Pick it with
        :func:`optimal_sketch_size`.
    sketch : str
        ``"orthogonal"`` (Haar rows; the best sketch in the underparameterized
        regime), ``"subsample"`` (m rows uniformly without replacement, also
        orthogonal), ``"gaussian"`` (i.i.d.) or any name of
        :func:`sketch.operators.make_operator` (``"srht"``, ``"countsketch"``,
        ``"sparse-sign"``, ...).
    seed : None, int or Generator

    Returns
    -------
    RidgelessResult

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((50, 80))
    >>> y = X @ np.ones(80)
    >>> res = sketched_ridgeless(X, y, 30, sketch="subsample", seed=0)
    >>> res.rank, res.coef.shape
    (30, (80,))
    """
    check_matrix(X, "X", sparse=False)
    check_vector(y, "y", length=X.shape[0])
    n, p = X.shape
    xp = compat(array_module(X))
    m = n if sketch_size is None else check_positive_int(sketch_size, "sketch_size")
    if m > n:
        raise ShapeError(f"sketch_size={m} exceeds the {n} samples; a downsampling sketch "
                         f"needs sketch_size <= n")
    vector = y.ndim == 1
    Xy = xp.concat([X, xp.astype(y[:, None] if vector else y, X.dtype)], axis=1)
    if not (m == n and sketch in ("orthogonal", "subsample")):
        Xy = _apply_sketch(sketch, m, Xy, seed)
    coef, rank, _ = dense_lstsq(Xy[:, :p], Xy[:, p:], name="X")
    return RidgelessResult(coef[:, 0] if vector else coef, m, sketch, n, p, rank)


# --------------------------------------------------------------------------
# the risk limit
# --------------------------------------------------------------------------
def _mp_quadrature(ratio: float, points: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of the Marchenko–Pastur law of ratio ≤ 1 (unit mean)."""
    a, b = (1 - math.sqrt(ratio)) ** 2, (1 + math.sqrt(ratio)) ** 2
    theta = (np.arange(points) + 0.5) * math.pi / points
    x = (a + b) / 2 + (b - a) / 2 * np.cos(theta)
    # density √((b−x)(x−a))/(2π ratio x), with dx = (b−a)/2 sin θ dθ
    w = ((b - a) / 2 * np.sin(theta)) ** 2 / (2 * math.pi * ratio * x) * (math.pi / points)
    return x, w / w.sum()


def _iid_variance(phi: float, psi: float) -> float:
    """Limiting tr-variance factor of a Gaussian sketch with p/m = φ < 1, m/n = ψ."""
    d, w = _mp_quadrature(psi)

    def gap(c: float) -> float:
        return float(w @ (1 / (1 + c * d))) - (1 - phi)

    hi = 1.0
    while gap(hi) > 0:
        hi *= 2
    c = brentq(gap, 0.0, hi, xtol=1e-14, rtol=1e-12)
    return c * float(w @ (d**2 / (1 + c * d) ** 2)) / float(w @ (d / (1 + c * d) ** 2))


def ridgeless_risk(n_samples: int, n_features: int, sketch_size: int | None = None, *,
                   signal: float, noise: float, sketch: str = "orthogonal") -> float:
    """Limiting out-of-sample risk of the sketched ridgeless estimator.

    Parameters
    ----------
    n_samples, n_features : int
        n and p.
    sketch_size : int, optional
        m (default n: the full-sample estimator).
    signal, noise : float
        r² = Var(xᵀβ) and σ² = Var(ε).
    sketch : {"orthogonal", "subsample", "gaussian"}

    Returns
    -------
    float
        E[(xᵀβ̂ − xᵀβ)²] in the limit m, n, p → ∞ at these ratios (isotropic
        Gaussian features); ``inf`` at the interpolation threshold p = m.

    Examples
    --------
    >>> ridgeless_risk(1000, 500, signal=1.0, noise=1.0)
    1.0
    >>> ridgeless_risk(1000, 500, 250, signal=1.0, noise=1.0)
    1.5
    """
    n = check_positive_int(n_samples, "n_samples")
    p = check_positive_int(n_features, "n_features")
    m = n if sketch_size is None else check_positive_int(sketch_size, "sketch_size")
    if sketch not in THEORY_SKETCHES:
        raise ValueError(f"no risk limit for sketch={sketch!r}; choose one of {THEORY_SKETCHES}")
    if m > n:
        raise ShapeError(f"sketch_size={m} exceeds n_samples={n}")
    signal = check_tolerance(signal, "signal", allow_zero=True)
    noise = check_tolerance(noise, "noise", allow_zero=True)
    phi = p / m
    if phi == 1:
        return math.inf if noise > 0 else 0.0
    if phi > 1:
        return signal * (1 - 1 / phi) + noise / (phi - 1)
    if sketch == "gaussian" and m < n:
        return noise * _iid_variance(phi, m / n)
    if sketch == "gaussian":
        # m = n: a square Gaussian S still reweights the rows (ratio-1 Marchenko–Pastur).
        return noise * _iid_variance(phi, 1.0)
    return noise * phi / (1 - phi)


def estimate_signal_noise(X: Any, y: Any) -> tuple[float, float]:
    """Moment estimates of r² = Var(xᵀβ) and σ² for isotropic features (Dicker 2014).

    With features scaled to unit variance (s² = ‖X‖_F²/(np)), a = ‖y‖²/n and
    b = ‖Xᵀy‖²/(n s²) satisfy E a = r² + σ², E b = (n+p+1) r² + p σ², so
    r̂² = (b − p a)/(n + 1) and σ̂² = a − r̂² (clipped to [0, a]). Consistent in
    the proportional regime, for n < p as well as n > p.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((2000, 500)); beta = rng.standard_normal(500) / np.sqrt(500)
    >>> y = X @ beta + 0.7 * rng.standard_normal(2000)
    >>> r2, s2 = estimate_signal_noise(X, y)
    >>> bool(abs(r2 - 1) < 0.15 and abs(s2 - 0.49) < 0.15)
    True
    """
    check_matrix(X, "X", sparse=False)
    check_vector(y, "y", length=X.shape[0])
    if y.ndim != 1:
        raise ShapeError(f"y must be 1-D to estimate its signal and noise, got shape {y.shape}")
    n, p = X.shape
    xp = array_module(X)
    s2 = float((xp.abs(X) ** 2).sum()) / (n * p)   # |·|²: complex features too
    a = float(xp.vdot(y, y).real) / n
    Xty = X.conj().T @ y
    b = float(xp.vdot(Xty, Xty).real) / (n * max(s2, np.finfo(float).tiny))
    r2 = min(max((b - p * a) / (n + 1), 0.0), a)
    return r2, a - r2


# --------------------------------------------------------------------------
# the optimal size
# --------------------------------------------------------------------------
def _theory_size(n: int, p: int, signal: float, noise: float, sketch: str) -> SketchSize:
    grid = np.arange(1, n + 1)
    phi = p / grid
    with np.errstate(divide="ignore", invalid="ignore"):
        over = signal * (1 - 1 / phi) + noise / (phi - 1)
        under = noise * phi / (1 - phi)
    # at p = m the risk is infinite, or 0 without noise (as in ridgeless_risk)
    curve = np.where(phi > 1, over, np.where(phi < 1, under, np.inf if noise > 0 else 0.0))
    if sketch == "gaussian":
        # For m > p a Gaussian sketch only adds variance as m shrinks, so its optimum over
        # that branch is m = n; only the endpoint needs the Marchenko–Pastur integral.
        curve = np.where(phi < 1, np.inf, curve)
        curve[-1] = ridgeless_risk(n, p, n, signal=signal, noise=noise, sketch=sketch)
    best = int(np.argmin(curve))
    return SketchSize(int(grid[best]), grid[best] / n, float(curve[best]), float(curve[-1]),
                      signal, noise, "theory", grid, curve)


def _validation_grid(n: int, p: int, points: int) -> np.ndarray:
    fr = np.linspace(0.0, 1.0, points + 1)[1:]
    grid = np.unique(np.clip(np.round(np.concatenate([fr * n, fr * min(p, n)])), 1, n)).astype(int)
    return grid[grid != p] if (grid != p).any() else grid


def _validation_size(X: Any, y: Any, validation: tuple[Any, Any] | None, holdout: float,
                     grid: Any, sketch: str, seed: Any, repeats: int) -> SketchSize:
    key = as_key(seed)
    n = X.shape[0]
    if validation is None:
        holdout = check_tolerance(holdout, "holdout", upper=1)
        perm = asarray(key.child("holdout").generator().permutation(n), like=X)
        n_val = max(1, int(round(holdout * n)))
        if n - n_val < 1:
            raise ShapeError(f"{n} samples leave none to fit after holding out {n_val} "
                             f"(holdout={holdout}); lower holdout")
        Xv, yv = X[perm[:n_val]], y[perm[:n_val]]
        Xt, yt = X[perm[n_val:]], y[perm[n_val:]]
    else:
        Xv, yv = validation
        check_matrix(Xv, "validation X", sparse=False)
        check_vector(yv, "validation y", length=Xv.shape[0])
        if Xv.shape[1] != X.shape[1]:
            raise ShapeError(f"validation X has {Xv.shape[1]} features, X has {X.shape[1]}")
        Xt, yt = X, y
    nt, p = Xt.shape
    cand = _validation_grid(nt, p, 12) if grid is None else _check_grid(grid, nt)
    errors = np.empty(cand.size)
    for k, m in enumerate(cand):
        err = 0.0
        for r in range(repeats):
            fit = sketched_ridgeless(Xt, yt, int(m), sketch=sketch, seed=key.child(f"{m}/{r}"))
            res = Xv @ fit.coef - yv
            err += float((res * res).mean())
        errors[k] = err / repeats
    best = int(np.argmin(errors))
    full = float(errors[-1]) if cand[-1] == nt else None
    size = int(cand[best]) if validation is not None else int(round(cand[best] * n / nt))
    size = min(max(size, 1), n)
    return SketchSize(size, size / n, float(errors[best]), full, None, None,
                      "validation", cand, errors)


def _check_grid(grid: Any, nt: int) -> np.ndarray:
    """The validation grid as int sizes in 1..nt (fitting samples), sorted."""
    cand = np.asarray(grid) if isinstance(grid, (list, tuple, np.ndarray)) else None
    if (cand is None or cand.ndim != 1 or cand.size == 0 or cand.dtype.kind not in "iu"
            or cand.min() < 1 or cand.max() > nt):
        raise ValueError(f"grid must be a 1-D sequence of integer sizes between 1 and the {nt} "
                         f"fitting samples, got {grid!r:.60}")
    return np.sort(cand.astype(np.int64))


def optimal_sketch_size(X: Any = None, y: Any = None, *, n_samples: int | None = None,
                        n_features: int | None = None, signal: float | None = None,
                        noise: float | None = None, sketch: str = "orthogonal",
                        method: str = "theory", validation: tuple[Any, Any] | None = None,
                        holdout: float = 0.2, grid: Any = None, repeats: int = 1,
                        seed: Any = None) -> SketchSize:
    """The sketch size m minimising the out-of-sample risk of the sketched ridgeless fit.

    Parameters
    ----------
    X, y : arrays, optional
        Training data (n × p and n). Needed for ``method="validation"`` and to
        estimate ``signal``/``noise`` when they are not given.
    n_samples, n_features : int, optional
        n and p when X is not given.
    signal, noise : float, optional
        r² = Var(xᵀβ) and σ² (their ratio is the SNR); estimated from (X, y)
        by :func:`estimate_signal_noise` when missing.
    sketch : str
        The sketch the size is for (theory: ``"orthogonal"``, ``"subsample"``
        or ``"gaussian"``; validation: any sketch of :func:`sketched_ridgeless`).
    method : {"theory", "validation"}
        ``"theory"`` minimises :func:`ridgeless_risk` over m = 1..n (the
        closed form assumes isotropic features). ``"validation"`` is the
        paper's empirical procedure: fit on (X, y) for each m of ``grid`` and
        keep the m with the smallest mean-squared error on the validation set
        (``validation=(X_val, y_val)``, or a random ``holdout`` fraction of X,
        in which case the chosen m is rescaled to keep m/n).
    holdout : float
        Fraction held out when ``validation`` is not given.
    grid : sequence of int, optional
        Candidate sizes for validation (default: 12 fractions of n and of p).
    repeats : int
        Sketches averaged per candidate in validation.
    seed : None, int or Generator

    Returns
    -------
    SketchSize

    Examples
    --------
    >>> opt = optimal_sketch_size(n_samples=1000, n_features=900, signal=4.0, noise=1.0)
    >>> opt.size, opt.risk                   # m = p(1 − 1/√SNR), risk 2rσ − σ²
    (450, 3.0)
    >>> round(opt.full_risk, 2)              # the full sample sits near the peak
    9.0
    """
    if method not in ("theory", "validation"):
        raise ValueError(f"method must be 'theory' or 'validation', got {method!r}")
    if X is not None:
        check_matrix(X, "X", sparse=False)
        if y is not None:
            check_vector(y, "y", length=X.shape[0])
        n_samples, n_features = X.shape
    if method == "validation":
        if X is None or y is None:
            raise ValueError("method='validation' needs the training data X and y")
        repeats = check_positive_int(repeats, "repeats", maximum=MAX_REPEATS,
                                     why="the pick barely changes past a few repeats")
        return _validation_size(X, y, validation, holdout, grid, sketch, seed, repeats)
    if n_samples is None or n_features is None:
        raise ValueError("give X (and y) or n_samples and n_features")
    n = check_positive_int(n_samples, "n_samples")
    p = check_positive_int(n_features, "n_features")
    if sketch not in THEORY_SKETCHES:
        raise ValueError(f"the risk limit is known for sketch in {THEORY_SKETCHES}, got "
                         f"{sketch!r}; use method='validation' for other sketches")
    if signal is None or noise is None:
        if X is None or y is None:
            raise ValueError("signal and noise are unknown: give them, or X and y to "
                             "estimate them")
        est_signal, est_noise = estimate_signal_noise(X, y)
        signal = est_signal if signal is None else signal
        noise = est_noise if noise is None else noise
    signal = check_tolerance(signal, "signal", allow_zero=True)
    noise = check_tolerance(noise, "noise", allow_zero=True)
    # the risk curve over every m = 1..n: a handful of float64 arrays of n entries
    check_allocation(48.0 * n, f"the risk curve over sketch sizes 1..n_samples={n}",
                     fix="give a smaller n_samples (the risk depends only on p/n and m/n)")
    return _theory_size(n, p, signal, noise, sketch)
