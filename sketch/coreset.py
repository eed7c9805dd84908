"""Clustering-based sensitivity sampling for data selection (weighted coresets).

Axiotis, Cohen-Addad, Henzinger, Jerome, Mirrokni, Saulpic, Woodruff and
Wunder (ICML 2024), "Data-efficient learning via clustering-based sensitivity
sampling: foundation models and beyond": cluster the examples' embeddings with
k-means, then sample each example with probability proportional to

    s(x) = ‖x − c(x)‖² / Σ_y ‖y − c(y)‖²  +  1 / |C(x)|

(its share of the clustering cost plus an equal share of its cluster; the
total is k + 1), and weight it by ``1/(size·q(x))``. If the loss of a model is
Λ-Lipschitz in the embedding, the weighted average loss of
``k + 1/ε²``-ish samples is within ``ε`` (relative to the loss plus Λ times the
clustering cost) of the full average loss, for that model — reported there to
match leverage-score sampling for regression, at the cost of one k-means.

The k-means is a small Lloyd's iteration with k-means++ seeding (Arthur and
Vassilvitskii 2007) on the array's own device, so scikit-learn is not needed.

Examples
--------
>>> import numpy as np
>>> X = np.random.default_rng(0).standard_normal((1000, 3))
>>> smp = cluster_sensitivity_sample(X, k=10, size=200, seed=0)
>>> smp.size, round(float(smp.weights.sum()) / 1000, 1)
(200, 1.0)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

from .backend import array_module, bincount, compat, device, numpy_dtype
from .budgets import check_allocation, check_time_limit
from .checks import (
    check_computed_size,
    check_matrix,
    check_positive_int,
    check_progress,
    check_tolerance,
)
from .errors import AccuracyWarning, ConvergenceWarning, ShapeError
from .progress import CONVERGED, TIME_LIMIT, IterationWatch
from .rng import as_key
from .rowsample import Sample, sample_rows

__all__ = ["KMeansResult", "kmeans", "cluster_sensitivity_sample", "coreset_size"]


@dataclass
class KMeansResult:
    """Centres, labels and cost of a k-means run.

    Attributes
    ----------
    centers : array (k, d)
    labels : int64 array (m,)
    cost : float
        Σ squared distances to the assigned centre.
    converged : bool
    iterations : int
    residual : float
        Relative cost decrease in the last iteration.
    stop_reason : {"converged", "maxiter", "time_limit"}
        What ended Lloyd's iteration (``"time_limit"``: centres, labels and cost are
        those of the last assignment step, consistent with each other).
    """

    centers: Any
    labels: Any
    cost: float
    converged: bool
    iterations: int
    residual: float
    stop_reason: str = CONVERGED


def _check_points(X: Any) -> None:
    check_matrix(X, "X", sparse=False)
    if numpy_dtype(X.dtype).kind == "c":
        raise TypeError("X is complex; k-means clusters real points — to treat each complex "
                        "coordinate as two real ones pass numpy.hstack([X.real, X.imag])")


def _sq_dist(X: Any, C: Any, xp: Any) -> Any:
    d = xp.sum(X * X, axis=1)[:, None] - 2.0 * (X @ C.T) + xp.sum(C * C, axis=1)[None, :]
    return xp.maximum(d, xp.zeros_like(d))


def kmeans(X: Any, k: int, *, maxiter: int = 100, tol: float = 1e-4, seed: Any = None,
           time_limit: float | None = None, progress: bool | None = None) -> KMeansResult:
    """k-means by Lloyd's iteration from k-means++ seeding.

    k-means++ (Arthur and Vassilvitskii 2007) is O(log k)-competitive in
    expectation before any Lloyd step; Lloyd's steps only decrease the cost.

    Parameters
    ----------
    X : array (m × d), real
    k : int
        Number of clusters, ``1 <= k <= m``.
    maxiter, tol
        Lloyd's steps stop at a relative cost decrease ≤ tol.
    seed : None, int or Generator
    time_limit : float, optional
        Seconds for Lloyd's steps; past them the run returns its current clustering with
        ``converged=False`` and ``stop_reason="time_limit"``. Default: no limit.
    progress : bool, optional
        tqdm bar over Lloyd's steps (cost); ``None`` shows it only for runs longer than 2 s.

    Returns
    -------
    KMeansResult

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [0.1], [10.0], [10.1]])
    >>> res = kmeans(X, 2, seed=0)
    >>> sorted(np.round(res.centers[:, 0], 2).tolist())
    [0.05, 10.05]
    """
    _check_points(X)
    xp = compat(array_module(X))
    m = X.shape[0]
    k = check_positive_int(k, "k")
    maxiter = check_positive_int(maxiter, "maxiter")
    tol = check_tolerance(tol, "tol", allow_zero=True)
    time_limit, progress = check_time_limit(time_limit), check_progress(progress)
    check_allocation(3 * m * k * 8, f"k-means with k={k} clusters of {m} points", xp=xp,
                     device=device(X),
                     fix="choose fewer clusters")
    if k > m:
        raise ValueError(f"k={k} clusters cannot exceed the number of points m={m}")
    key = as_key(seed).child("kmeans++")
    u = key.uniform(range(k)).tolist()  # k host uniforms: the seeding's only draws
    first = min(int(float(u[0]) * m), m - 1)
    C = X[first:first + 1]
    D = _sq_dist(X, C, xp)[:, 0]
    for j in range(1, k):
        total = float(xp.sum(D))
        if total <= 0:  # fewer distinct points than k: repeat one
            idx = j % m
        else:
            cdf = xp.cumulative_sum(D)
            # searchsorted(cdf, u·total, side="right"), counted on the device
            idx = min(int(xp.sum(cdf <= u[j] * float(cdf[-1]))), m - 1)
        C = xp.concat([C, X[idx:idx + 1]], axis=0)
        D = xp.minimum(D, _sq_dist(X, X[idx:idx + 1], xp)[:, 0])
    cost = math.inf
    rel = math.inf
    ok = False
    it = 0
    labels = xp.zeros(m, dtype=xp.int64, device=device(X))
    clusters = xp.arange(k, device=device(X))
    watch = IterationWatch(f"k-means k={k}", time_limit=time_limit, progress=progress,
                           total=maxiter)
    while it < maxiter:
        it += 1
        Dall = _sq_dist(X, C, xp)
        labels = xp.argmin(Dall, axis=1)
        new = float(xp.sum(xp.min(Dall, axis=1)))
        rel = (cost - new) / new if math.isfinite(cost) and new > 0 else math.inf
        if (math.isfinite(cost) and new > 0 and rel <= tol) or new == 0.0:
            cost = new
            ok = True
            break
        cost = new
        if watch.step(cost=cost):
            break  # out of time: keep the centres these labels and this cost belong to
        onehot = xp.astype(labels[:, None] == clusters[None, :], X.dtype)
        counts = xp.sum(onehot, axis=0)
        sums = onehot.T @ X
        keep = counts > 0  # an empty cluster keeps its old centre
        C = xp.where(keep[:, None], sums / xp.maximum(counts, xp.ones_like(counts))[:, None], C)
    watch.close()
    reason = watch.reason(ok)
    if not ok:
        why = f" (time_limit={time_limit:g} s ran out)" if reason == TIME_LIMIT else ""
        warnings.warn(f"k-means did not converge in {it} iterations{why}", ConvergenceWarning,
                      stacklevel=2)
    return KMeansResult(centers=C, labels=labels, cost=cost, converged=ok, iterations=it,
                        residual=rel, stop_reason=reason)


def coreset_size(k: int, eps: float) -> int:
    """The sample size ``k + ⌈1/ε²⌉`` of Axiotis et al. (2024).

    Examples
    --------
    >>> coreset_size(10, 0.1)
    110
    """
    k = check_positive_int(k, "k")
    eps = check_tolerance(eps, "eps", upper=1)
    return k + check_computed_size(1.0 / eps / eps, f"the coreset size for eps={eps}",
                                   fix="raise eps")


def cluster_sensitivity_sample(
    X: Any,
    k: int,
    eps: float = 0.1,
    *,
    size: int | None = None,
    clustering: KMeansResult | None = None,
    seed: Any = None,
) -> Sample:
    """Select a weighted subset by clustering-based sensitivity sampling (Axiotis et al. 2024).

    Parameters
    ----------
    X : array (m × d)
        Embeddings of the examples (e.g. features, or features and target).
    k : int
        Number of k-means clusters.
    eps : float
        Target relative error; the default size is :func:`coreset_size` ``(k, eps)``.
    size : int, optional
        Override the size (below ``k + 1/ε²`` warns).
    clustering : KMeansResult, optional
        Reuse a clustering of X.
    seed : None, int or Generator

    Returns
    -------
    Sample
        ``Σⱼ wⱼ f(x_{iⱼ})`` estimates ``Σᵢ f(xᵢ)``; divide by m for the average loss.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> X = rng.standard_normal((2000, 2)); loss = (X ** 2).sum(axis=1)
    >>> smp = cluster_sensitivity_sample(X, 20, eps=0.1, seed=0)
    >>> est = float(np.sum(smp.weights * loss[smp.indices]))
    >>> bool(abs(est / loss.sum() - 1) < 0.1)
    True
    """
    _check_points(X)
    xp = compat(array_module(X))
    need = coreset_size(k, eps)
    s = need if size is None else check_positive_int(size, "size")
    if s < need:
        warnings.warn(f"{s} samples are fewer than k + 1/eps^2 = {need}", AccuracyWarning,
                      stacklevel=2)
    key = as_key(seed)
    cl = clustering if clustering is not None else kmeans(X, k, seed=key.child("kmeans"))
    if not isinstance(cl, KMeansResult) or cl.labels.shape != (X.shape[0],) or (
            cl.centers.ndim != 2 or cl.centers.shape[1] != X.shape[1]) or not bool(
            xp.all((cl.labels >= 0) & (cl.labels < cl.centers.shape[0]))):
        raise ShapeError("clustering must be the KMeansResult of kmeans(X, k) for this X "
                         f"({X.shape[0]} labels, centres of {X.shape[1]} columns)")
    labels = cl.labels
    dist = xp.sum((X - cl.centers[labels]) ** 2, axis=1)
    counts = xp.astype(bincount(labels, minlength=cl.centers.shape[0]), X.dtype)
    total = float(xp.sum(dist))
    sens = (dist / total if total > 0 else 0.0 * dist) + 1.0 / counts[labels]
    return sample_rows(xp.astype(sens, xp.float64), s, key.child("draw"),
                       scheme="cluster-sensitivity", required_size=need)
