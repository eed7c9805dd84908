"""Projection DPPs, volume sampling and weighted least squares from point samples.

Setting (Nouy and Michel, "Weighted least-squares approximation with
determinantal point processes and generalized volume sampling", 2023): a
function f is approximated in an m-dimensional space V_m = span(φ₁..φ_m) from
n point evaluations, by weighted least squares

    f̂ = argmin_{v ∈ V_m} Σ_j w(x_j) (f(x_j) − v(x_j))².

Here the domain is a finite set of N candidate points x_1..x_N carrying a base
measure μ (uniform by default; a fine grid or a large random sample of a
continuous domain), and ``features`` is the N × m matrix Φ_ij = φ_j(x_i). With
Q = the μ-orthonormalised features (``diag(√μ) Φ = Q R``) and ℓ_i = ‖Q_i‖²
(the leverage scores of diag(√μ) Φ; Σℓ = m):

* the optimal i.i.d. density is ρ_i = ℓ_i/m (the inverse Christoffel function
  m/ℓ_i times μ; Cohen and Migliorati 2017), with weights w_i = μ_i/ρ_i; it needs
  n = O(m log m) points for quasi-optimality;
* the projection DPP with marginal kernel K = QQᵀ draws exactly m distinct
  points, i with probability K_ii = ℓ_i and any m-set T with probability
  det(Q_T)² (Hough, Krishnapur, Peres and Virág 2006; Kulesza and Taskar 2012);
  its sampler here is the chain rule with Gram–Schmidt updates, O(N m²);
* volume-rescaled sampling of size n ≥ m draws n points with probability ∝
  det(Σ_j w_{i_j} φ(x_{i_j}) φ(x_{i_j})ᵀ) Π_j ρ_{i_j}; it is exactly a projection
  DPP of m points together with n − m i.i.d. points from ρ, in random order
  (Dereziński, Warmuth and Hsu 2019), and weighted least squares on it is
  unbiased with E‖f − f̂‖²_μ = (1 + m/(n − m + 1)) min_v ‖f − v‖²_μ;
* volume sampling of an n-subset of rows (P(S) ∝ det(Φ_SᵀΦ_S), Dereziński and
  Warmuth 2017) is a projection DPP of m rows plus n − m further rows drawn
  uniformly without replacement (by Cauchy–Binet);
* independent repetitions of projection DPPs (n = k m points) reach
  near-best errors with far fewer points than i.i.d. sampling in practice.

All samplers work on any tall matrix of features, so they also serve plain row
sampling for regression next to :func:`sketch.leverage.leverage_sample`.

Examples
--------
>>> import numpy as np
>>> x = np.linspace(-1, 1, 500)
>>> Phi = np.polynomial.legendre.legvander(x, 7)           # m = 8
>>> smp = weighted_lstsq_sample(Phi, 16, method="dpp-repeated", seed=0)
>>> smp.indices.shape, smp.repetitions
((16,), 2)
>>> fit = weighted_lstsq(Phi, np.exp(x), smp)
>>> bool(fit.error_ratio(Phi, np.exp(x)) < 2)
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backend import array_module, asarray, compat, dense_lstsq, device, numpy_dtype, qr
from .budgets import check_allocation
from .checks import check_matrix, check_positive_int, check_vector
from .errors import ShapeError
from .rng import as_key

__all__ = [
    "WeightedSample",
    "WeightedLstsqResult",
    "orthonormal_features",
    "optimal_density",
    "projection_dpp",
    "volume_sample",
    "volume_rescaled_sample",
    "weighted_lstsq_sample",
    "weighted_lstsq",
]

METHODS = ("iid-optimal", "volume", "dpp", "dpp-repeated")
#: Most independent projection DPPs one ``dpp-repeated`` sample draws (each is an O(N m²)
#: chain; the memory of all of them is checked with the points drawn).
MAX_REPETITIONS = 10_000


@dataclass
class WeightedSample:
    """Points drawn for weighted least squares.

    Attributes
    ----------
    indices : int64 array (n,)
        Candidate points (rows of ``features``), possibly repeated for the
        i.i.d. and volume-rescaled methods.
    weights : float array (n,)
        w_i = μ_i/ρ_i (ρ = ℓ/m the optimal density): the least-squares weight
        of each drawn point.
    method : str
    dimension : int
        m, the dimension of the approximation space.
    repetitions : int
        Independent projection-DPP draws (``dpp``: 1, ``dpp-repeated``: n/m,
        ``volume``: 1, ``iid-optimal``: 0).
    """

    indices: Any
    weights: Any
    method: str
    dimension: int
    repetitions: int


@dataclass
class WeightedLstsqResult:
    """A weighted least-squares fit on sampled points.

    Attributes
    ----------
    coef : array (m,) or (m, k)
        Coefficients in the given features: f̂ = features @ coef.
    sample : WeightedSample
    rank : int
        Numerical rank of the weighted sampled features.
    """

    coef: Any
    sample: WeightedSample
    rank: int

    def error_ratio(self, features: Any, values: Any, measure: Any = None) -> float:
        """‖f − f̂‖_μ / min_v ‖f − v‖_μ over all candidate points (1 is optimal)."""
        check_matrix(features, "features", sparse=False)
        check_vector(values, "values", length=features.shape[0])
        if features.shape[1] != self.coef.shape[0]:
            raise ShapeError(f"features has {features.shape[1]} functions but the fit has "
                             f"{self.coef.shape[0]} coefficients")
        if values.ndim != self.coef.ndim:
            raise ShapeError(f"values has shape {values.shape} but the fit was for "
                             f"{self.coef.ndim}-D values")
        xp = compat(array_module(features))
        sq = xp.sqrt(_measure(measure, features))
        Fw = features * xp.astype(sq[:, None] if features.ndim == 2 else sq, features.dtype)
        vw = values * xp.astype(sq if values.ndim == 1 else sq[:, None], values.dtype)
        best = dense_lstsq(Fw, vw)[0]
        err = float(xp.linalg.vector_norm(Fw @ self.coef - vw))
        opt = float(xp.linalg.vector_norm(Fw @ best - vw))
        return err / opt if opt > 0 else (math.inf if err > 0 else 1.0)


def _measure(measure: Any, features: Any) -> Any:
    """The base measure μ (float64, sums to 1) on ``features``' device."""
    xp = compat(array_module(features))
    N = features.shape[0]
    if measure is None:
        return xp.full(N, 1.0 / N, dtype=xp.float64, device=device(features))
    check_vector(measure, "measure", length=N)
    if measure.ndim != 1:
        raise ShapeError(f"measure must hold one weight per candidate point ({N}), "
                         f"got shape {tuple(measure.shape)}")
    if numpy_dtype(measure.dtype).kind == "c":
        raise TypeError("measure must be real (a weight per candidate point), got complex")
    mu = xp.astype(asarray(measure, like=features), xp.float64)
    if bool(xp.any(mu < 0)) or not float(xp.sum(mu)) > 0:
        raise ValueError("measure must be non-negative and not all zero")
    return mu / xp.sum(mu)


def _check_draws(n: int, like: Any) -> None:
    """Refuse, before drawing, n points that do not fit (indices, weights, uniforms)."""
    check_allocation(24.0 * n, f"a sample of n={n} points", xp=array_module(like),
                     device=device(like),
                     fix="draw fewer points; O(m log m) suffice for a space of dimension m")


def orthonormal_features(features: Any, measure: Any = None) -> Any:
    """Q with orthonormal columns spanning diag(√μ)·features (N × m, full column rank).

    Raises
    ------
    ShapeError
        If features has more columns than rows or is rank deficient on the support of μ.

    Examples
    --------
    >>> import numpy as np
    >>> Q = orthonormal_features(np.vander(np.linspace(0, 1, 6), 3))
    >>> bool(np.allclose(Q.T @ Q, np.eye(3)))
    True
    """
    check_matrix(features, "features", sparse=False)
    if numpy_dtype(features.dtype).kind == "c":
        raise TypeError("features must be real: the samplers weigh points by |φ(x)|² of a "
                        "real basis; pass the real and imaginary parts as separate functions")
    N, m = features.shape
    if m > N:
        raise ShapeError(f"features has {m} columns but only {N} candidate points; "
                         "the space needs at most as many functions as points")
    xp = compat(array_module(features))
    mu = _measure(measure, features)
    Q, R = qr(features * xp.astype(xp.sqrt(mu)[:, None], features.dtype))
    d = xp.abs(xp.linalg.diagonal(R))
    eps = float(np.finfo(numpy_dtype(features.dtype)).eps)
    if float(xp.min(d)) <= float(xp.max(d)) * max(N, m) * eps:
        raise ShapeError("features are linearly dependent on the candidate points (where "
                         "measure > 0): rank < m; drop redundant functions or add candidate "
                         "points")
    return Q


def optimal_density(features: Any, measure: Any = None) -> Any:
    """The optimal i.i.d. sampling density ρ_i = ℓ_i/m (inverse Christoffel function × μ).

    Examples
    --------
    >>> import numpy as np
    >>> rho = optimal_density(np.polynomial.legendre.legvander(np.linspace(-1, 1, 101), 4))
    >>> round(float(rho.sum()), 12), bool(rho[0] > rho[50])   # mass near the end points
    (1.0, True)
    """
    Q = orthonormal_features(features, measure)
    lev = _leverage(Q)
    return lev / compat(array_module(lev)).sum(lev)


def _leverage(Q: Any) -> Any:
    """Row norms² of the orthonormal Q: the leverage scores ℓᵢ."""
    return compat(array_module(Q)).sum(Q * Q, axis=1)


def _draw(cum: Any, u: float, xp: Any) -> int:
    """The index that ``u`` (uniform in [0, 1)) falls on in the cumulative weights ``cum``
    (``searchsorted(..., side="right")``, counted on cum's device)."""
    i = int(xp.sum(cum <= u * float(cum[-1])))
    return min(i, cum.shape[0] - 1)


def _choice(gen: np.random.Generator, weights: Any, size: int) -> Any:
    """``size`` i.i.d. indices with probabilities ∝ ``weights``, on weights' device.

    The same draws as ``gen.choice(N, size, p=weights/weights.sum())`` (NumPy's
    inversion of the cumulative sum at ``gen.random(size)``): the uniforms come from
    the host generator, the inversion runs next to ``weights``.
    """
    xp = compat(array_module(weights))
    cdf = xp.cumulative_sum(weights / xp.sum(weights))
    cdf = cdf / cdf[-1]
    u = asarray(gen.random(size), like=cdf)
    return xp.astype(xp.searchsorted(cdf, u, side="right"), xp.int64)


def _dpp_host(Q: Any, gen: np.random.Generator) -> np.ndarray:
    """The chain-rule projection-DPP sampler on orthonormal Q (N × m), O(N m²).

    The arithmetic runs on Q's device; the m chosen indices (drawn one by one) are
    kept on the host as they are found.
    """
    xp = compat(array_module(Q))
    N, m = Q.shape
    # residual[i] = ‖(I − P_E) Q_i‖², P_E the projector on the span of the chosen rows;
    # chosen rows are set to 0 and stay ≤ 0 after later updates (their weight stays 0).
    residual = _leverage(Q)
    basis = xp.zeros((m, m), dtype=Q.dtype, device=device(Q))
    out = np.empty(m, dtype=np.int64)
    for t in range(m):
        weights = xp.maximum(residual, xp.zeros_like(residual))
        i = _draw(xp.cumulative_sum(weights), gen.random(), xp)
        out[t] = i
        v = Q[i] - basis[:t].T @ (basis[:t] @ Q[i])
        v = v - basis[:t].T @ (basis[:t] @ v)  # second pass: keep the basis orthonormal
        v = v / xp.linalg.vector_norm(v)
        basis[t] = v
        residual = residual - (Q @ v) ** 2
        residual[i] = 0
    return out


def _dpp_from_q(Q: Any, gen: np.random.Generator) -> Any:
    """:func:`_dpp_host`'s indices on Q's device."""
    return asarray(_dpp_host(Q, gen), like=Q)


def _generator(seed: Any) -> np.random.Generator:
    return as_key(seed).generator()


def projection_dpp(features: Any, seed: Any = None, *, measure: Any = None) -> Any:
    """m distinct rows from the projection DPP of the column space of ``features``.

    P(T) = det(Q_T)² for the μ-orthonormalised features Q (N × m); row i is
    included with probability ℓ_i = K_ii, the i-th leverage score. Chain rule
    with Gram–Schmidt updates: O(N m²) operations (Hough et al. 2006).

    Parameters
    ----------
    features : array (N × m), full column rank
    seed : None, int or Generator
    measure : array (N,), optional
        Base measure on the rows (default uniform).

    Returns
    -------
    int64 array (m,)
        Indices in the order drawn.

    Examples
    --------
    >>> import numpy as np
    >>> idx = projection_dpp(np.random.default_rng(0).standard_normal((50, 4)), seed=1)
    >>> len(set(idx.tolist()))
    4
    """
    Q = orthonormal_features(features, measure)
    return _dpp_from_q(Q, _generator(seed))


def volume_sample(features: Any, n: int, seed: Any = None) -> Any:
    """An n-subset S of rows with P(S) ∝ det(Φ_SᵀΦ_S) (volume sampling, n ≥ m).

    A projection DPP of m rows joined by n − m rows drawn uniformly from the
    others (Dereziński and Warmuth 2017; the decomposition follows from
    Cauchy–Binet). O(N m²).

    Examples
    --------
    >>> import numpy as np
    >>> S = volume_sample(np.random.default_rng(0).standard_normal((30, 3)), 5, seed=0)
    >>> sorted(S.tolist()) == sorted(set(S.tolist())), len(S)
    (True, 5)
    """
    Q = orthonormal_features(features)
    N, m = Q.shape
    n = check_positive_int(n, "n")
    if not m <= n <= N:
        raise ValueError(f"volume sampling needs m <= n <= N, got n={n}, m={m}, N={N}")
    gen = _generator(seed)
    dpp = _dpp_host(Q, gen)
    rest = np.setdiff1d(np.arange(N), dpp)
    extra = gen.choice(rest, size=n - m, replace=False)
    return asarray(np.concatenate([dpp, extra]).astype(np.int64), like=features)


def volume_rescaled_sample(features: Any, n: int, seed: Any = None, *,
                           measure: Any = None) -> Any:
    """n points (with repetition) from volume-rescaled sampling of the optimal density.

    P(i_1..i_n) ∝ det(Σ_j w_{i_j} φ_{i_j} φ_{i_j}ᵀ) Π_j ρ_{i_j}: a projection
    DPP of m points and n − m i.i.d. draws from ρ = ℓ/m, shuffled (Dereziński,
    Warmuth and Hsu 2019). O(N m²).

    Examples
    --------
    >>> import numpy as np
    >>> volume_rescaled_sample(np.random.default_rng(0).standard_normal((40, 3)), 7, seed=0).shape
    (7,)
    """
    Q = orthonormal_features(features, measure)
    N, m = Q.shape
    n = check_positive_int(n, "n")
    if n < m:
        raise ValueError(f"volume-rescaled sampling needs n >= m = {m} points, got n={n}")
    _check_draws(n, Q)
    return _volume_rescaled(Q, n, _generator(seed))


def _volume_rescaled(Q: Any, n: int, gen: np.random.Generator) -> Any:
    xp = compat(array_module(Q))
    m = Q.shape[1]
    dpp = _dpp_from_q(Q, gen)
    iid = _choice(gen, _leverage(Q), n - m)
    # gen.permutation(a) shuffles as a[gen.permutation(len(a))]: the order is drawn on the host.
    return xp.concat([dpp, iid])[asarray(gen.permutation(n), like=dpp)]


def weighted_lstsq_sample(features: Any, n: int, method: str = "iid-optimal", seed: Any = None,
                          *, measure: Any = None) -> WeightedSample:
    """Draw n points and their weights for weighted least squares in span(features).

    Parameters
    ----------
    features : array (N × m)
        Φ_ij = φ_j(x_i) on N candidate points; full column rank.
    n : int
        Points to draw.
    method : {"iid-optimal", "volume", "dpp", "dpp-repeated"}
        ``iid-optimal``: n i.i.d. draws from ρ = ℓ/m (needs n ≳ m log m);
        ``volume``: volume-rescaled sampling (n ≥ m; unbiased, expected error
        (1 + m/(n−m+1)) times the best); ``dpp``: one projection DPP (n = m);
        ``dpp-repeated``: n/m independent projection DPPs (n a multiple of m).
    seed : None, int or Generator
    measure : array (N,), optional
        Base measure μ on the candidates (default uniform); errors are in L²(μ).

    Returns
    -------
    WeightedSample

    Examples
    --------
    >>> import numpy as np
    >>> Phi = np.polynomial.legendre.legvander(np.linspace(-1, 1, 200), 4)
    >>> smp = weighted_lstsq_sample(Phi, 5, method="dpp", seed=0)
    >>> smp.indices.shape, bool((smp.weights > 0).all())
    ((5,), True)
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    n = check_positive_int(n, "n")
    Q = orthonormal_features(features, measure)
    N, m = Q.shape
    xp = compat(array_module(Q))
    mu = _measure(measure, Q)
    _check_draws(n, Q)
    gen = _generator(seed)
    reps = 0
    if method == "iid-optimal":
        idx = _choice(gen, _leverage(Q), n)
    elif method == "volume":
        if n < m:
            raise ValueError(f"method='volume' needs n >= m = {m} points, got n={n}")
        idx, reps = _volume_rescaled(Q, n, gen), 1
    else:
        if method == "dpp" and n != m:
            raise ValueError(f"method='dpp' draws exactly m = {m} points, got n={n}; use "
                             f"'dpp-repeated' with n a multiple of m, or 'volume'")
        if n % m:
            raise ValueError(f"method='dpp-repeated' needs n to be a multiple of m = {m}, got "
                             f"n={n}; use n={m * max(1, round(n / m))}")
        reps = check_positive_int(
            n // m, "the repetitions n/m", maximum=MAX_REPETITIONS,
            why=f"n={n} is far above m log m, where method='iid-optimal' is as accurate")
        check_allocation(8.0 * N * (m + reps), f"{reps} projection DPPs of {N} points", xp=xp,
                         device=device(Q))
        idx = xp.concat([_dpp_from_q(Q, gen) for _ in range(reps)])
    lev = _leverage(Q)
    weights = mu[idx] * m / lev[idx]
    return WeightedSample(idx, weights, method, m, reps)


def weighted_lstsq(features: Any, values: Any, sample: WeightedSample | int, *,
                   method: str = "iid-optimal", seed: Any = None,
                   measure: Any = None) -> WeightedLstsqResult:
    """Weighted least-squares fit of ``values`` in span(features) from sampled points.

    Parameters
    ----------
    features : array (N × m)
    values : array (N,) or (N, k)
        f at the candidate points (only the sampled entries are read).
    sample : WeightedSample or int
        A sample from :func:`weighted_lstsq_sample`, or the number of points
        n to draw with ``method``, ``seed`` and ``measure``.

    Returns
    -------
    WeightedLstsqResult

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(-1, 1, 300); Phi = np.polynomial.legendre.legvander(x, 3)
    >>> fit = weighted_lstsq(Phi, x**3 - x, 4, method="dpp", seed=0)
    >>> bool(np.allclose(Phi @ fit.coef, x**3 - x))
    True
    """
    check_matrix(features, "features", sparse=False)
    check_vector(values, "values", length=features.shape[0])
    if isinstance(sample, WeightedSample):
        if sample.dimension != features.shape[1]:
            raise ShapeError(f"the sample was drawn for m={sample.dimension} functions, features "
                             f"has {features.shape[1]}")
    else:
        n = check_positive_int(sample, "sample")
        sample = weighted_lstsq_sample(features, n, method, seed, measure=measure)
    xp = compat(array_module(features))
    sw = xp.astype(xp.sqrt(sample.weights), features.dtype)
    A = features[sample.indices] * sw[:, None]
    vals = values[sample.indices]
    b = vals * xp.astype(sw if vals.ndim == 1 else sw[:, None], vals.dtype)
    coef, rank, _ = dense_lstsq(A, b, name="features")
    return WeightedLstsqResult(coef, sample, int(rank))
