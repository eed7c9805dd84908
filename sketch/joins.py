"""Statistics of a join of two tables from per-table coordinated sketches.

Two tables share a key column but live apart (two databases, a data lake and
a query table). Each owner sketches a matrix built from its own table, keyed
by the join key, with a shared seed; the join's statistics are matrix products
between the two, so :func:`sketch.coordinated.estimate_product` estimates them
without moving or joining the tables (Daliri, Freire, Musco, Santos and Zhang,
VLDB 2024, for join correlation; Daliri, Freire, Li and Musco, ICLR 2025, for
regression):

* correlation of column x (table 1) with y (table 2) over the join: the 3 × 3
  product [1, x, x²]ᵀ[1, y, y²] holds the join size, Σx, Σy, Σx², Σy², Σxy;
* regression of y (table 2) on features X (table 1): Xᵀy and the join-restricted
  XᵀX are products of F = [X, vech(xxᵀ)] with [y, 1].

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> keys1 = np.arange(0, 3000); keys2 = np.arange(1000, 4000)   # join = keys 1000..2999
>>> x = rng.standard_normal(3000)
>>> y = np.concatenate([2 * x[1000:] + rng.standard_normal(2000),   # joined rows
...                     rng.standard_normal(1000)])                # rows outside the join
>>> Sx = correlation_sketch(x, 1500, keys=keys1, seed=3)
>>> Sy = correlation_sketch(y, 1500, keys=keys2, seed=3)
>>> exact = np.corrcoef(x[1000:], y[:2000])[0, 1]
>>> bool(abs(join_correlation(Sx, Sy) - exact) < 0.1)
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .backend import array_module, asarray, compat, device, numpy_dtype
from .budgets import check_allocation
from .checks import check_matrix, check_positive_int, check_tolerance, check_vector
from .coordinated import LinearSketch, SampledSketch, coordinated_sketch, estimate_product
from .coordinated.estimates import _check_sketch
from .errors import ShapeError, SingularMatrixError

__all__ = [
    "correlation_sketch",
    "join_correlation",
    "regression_feature_sketch",
    "regression_target_sketch",
    "join_regression",
]

Sketch = SampledSketch | LinearSketch


def correlation_sketch(x: Any, size: int, *, keys: Any = None, method: str = "priority",
                       seed: Any = None) -> Sketch:
    """Sketch of [1, x, x²] for one column x of a table keyed by ``keys``.

    Parameters
    ----------
    x : (n,) array
    size : int
        Sketch size (k or r).
    keys : (n,) integer array, optional
        The join key (distinct).
    method : str
        ``priority``, ``threshold``, ``jl`` or ``countsketch``.
    seed
        Shared by both tables.
    """
    check_vector(x, "x")
    xp = array_module(x)
    if x.ndim != 1:
        raise ShapeError(f"x must be a 1-D column, got shape {x.shape}")
    F = xp.stack([xp.ones_like(x), x, x * x], axis=1)
    return coordinated_sketch(F, method, size, seed, keys=keys)


def join_correlation(Sx: Sketch, Sy: Sketch) -> float:
    """Pearson correlation of x and y over the join, from two :func:`correlation_sketch`.

    Raises ``ValueError`` when the estimated join is too small or constant to
    define a correlation.
    """
    _check_sketch(Sx, "Sx")
    _check_sketch(Sy, "Sy")
    if Sx.n_cols != 3 or Sy.n_cols != 3:
        raise ShapeError(f"Sx and Sy must come from correlation_sketch (3 columns), got "
                         f"{Sx.n_cols} and {Sy.n_cols} columns")
    G = estimate_product(Sx, Sy).value
    G = [[float(G[i, j]) for j in range(3)] for i in range(3)]
    n, sx, sy = G[0][0], G[1][0], G[0][1]
    sxx, syy, sxy = G[2][0], G[0][2], G[1][1]
    vx, vy = n * sxx - sx * sx, n * syy - sy * sy
    if n <= 1 or vx <= 0 or vy <= 0:
        raise ValueError(
            f"the sketches see a join of ≈{n:.1f} rows with no variance; the join is too "
            "small for this sketch size — use larger sketches"
        )
    return max(-1.0, min(1.0, (n * sxy - sx * sy) / math.sqrt(vx * vy)))


def _feature_matrix(X: Any) -> Any:
    xp = compat(array_module(X))
    iu, ju = (asarray(i, like=X) for i in np.triu_indices(X.shape[1]))
    quad = X[:, iu] * X[:, ju]
    return xp.concat([X, quad], axis=1)


def regression_feature_sketch(X: Any, size: int, *, keys: Any = None, method: str = "priority",
                              seed: Any = None) -> Sketch:
    """Sketch of F = [X, vech(xᵢxᵢᵀ)] for the feature table (add a ones column for an intercept).

    Parameters
    ----------
    X : (n, d) array
    size, keys, method, seed
        As for :func:`correlation_sketch`.
    """
    check_matrix(X, "X", sparse=False)
    n, d = X.shape
    check_allocation(2 * n * (d + d * (d + 1) // 2) * numpy_dtype(X.dtype).itemsize,
                     f"the {d * (d + 3) // 2} feature columns [X, vech(xxᵀ)] of X",
                     xp=array_module(X), device=device(X), fix="sketch fewer features")
    return coordinated_sketch(_feature_matrix(X), method, size, seed, keys=keys)


def regression_target_sketch(y: Any, size: int, *, keys: Any = None, method: str = "priority",
                             seed: Any = None) -> Sketch:
    """Sketch of [y, 1] for the target table.

    Parameters
    ----------
    y : (n,) array
    size, keys, method, seed
        As for :func:`correlation_sketch`.
    """
    check_vector(y, "y")
    xp = array_module(y)
    if y.ndim != 1:
        raise ShapeError(f"y must be 1-D, got shape {y.shape}")
    return coordinated_sketch(xp.stack([y, xp.ones_like(y)], axis=1), method, size, seed,
                              keys=keys)


def join_regression(SF: Sketch, ST: Sketch, d: int, ridge: float = 0.0) -> tuple[Any, Any, Any]:
    """Least-squares coefficients of y on X over the join, from the two sketches.

    Solves (XᵀX + ridge·I) β = Xᵀy with both Gram quantities estimated from
    FᵀT, F = [X, vech(xxᵀ)] and T = [y, 1].

    Parameters
    ----------
    SF : sketch from :func:`regression_feature_sketch` (d features)
    ST : sketch from :func:`regression_target_sketch`
    d : int
        Number of features.
    ridge : float
        Optional regulariser (the estimated XᵀX can be indefinite when sketches are small).

    Returns
    -------
    beta, XtX, Xty : arrays
        Coefficients (d,), estimated XᵀX (d × d) and Xᵀy (d,).
    """
    _check_sketch(SF, "SF")
    _check_sketch(ST, "ST")
    d = check_positive_int(d, "d")
    ridge = check_tolerance(ridge, "ridge", allow_zero=True)
    expected = d + d * (d + 1) // 2
    if ST.n_cols != 2:
        raise ShapeError(f"ST must come from regression_target_sketch (2 columns), got "
                         f"{ST.n_cols} columns")
    if SF.n_cols != expected:
        raise ShapeError(f"the feature sketch has {SF.n_cols} columns; d={d} features need "
                         f"{expected} (build it with regression_feature_sketch)")
    G = estimate_product(SF, ST).value
    xp = compat(array_module(G))
    Xty = G[:d, 0]
    iu, ju = (asarray(i, like=G) for i in np.triu_indices(d))
    XtX = xp.zeros((d, d), dtype=G.dtype, device=device(G))
    XtX[iu, ju] = G[d:, 1]
    XtX[ju, iu] = G[d:, 1]
    try:
        beta = xp.linalg.solve(XtX + ridge * xp.eye(d, dtype=G.dtype, device=device(G)), Xty)
    except (np.linalg.LinAlgError, RuntimeError) as exc:  # torch's LinAlgError: a RuntimeError
        raise SingularMatrixError(
            "the estimated XᵀX over the join is singular; pass ridge > 0 or use larger "
            "sketches") from exc
    return beta, XtX, Xty
