"""Importance sampling of rows: the :class:`Sample` returned by every sampler.

A sample draws ``size`` row indices i.i.d. from probabilities ``q`` (with
replacement) using the keyed counter-based stream of :mod:`sketch.rng`, so the
same seed draws the same rows on NumPy and CuPy. Draw j gets the weight
``1/(size · q_{i_j})``, which makes ``Σ_j w_j f(i_j)`` an unbiased estimate of
``Σ_i f(i)`` for any per-row quantity f (a loss, ``|a_iᵀx|^p``, ``a_i a_iᵀ``).
The sampled, rescaled matrix for an ℓp guarantee is ``diag(w^{1/p}) A[idx]``
(:meth:`Sample.apply`).

Examples
--------
>>> import numpy as np
>>> smp = sample_rows(np.array([0.5, 0.25, 0.25]), 4, seed=0)
>>> smp.indices.shape, smp.weights.shape
((4,), (4,))
>>> float(np.sum(smp.weights * np.ones(4)[smp.indices] ** 0)) > 0
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .backend import array_module, compat, device, is_dask, is_sparse, numpy_dtype, real_dtype
from .budgets import check_allocation
from .checks import check_matrix, check_p, check_positive_int, check_vector
from .errors import ShapeError
from .rng import as_key

__all__ = ["Sample", "sample_rows", "uniform_sample"]


@dataclass
class Sample:
    """Sampled row indices with importance weights.

    Attributes
    ----------
    indices : int64 array (size,)
        Drawn rows (with repetition).
    weights : float array (size,)
        ``1 / (size · q_i)`` per draw: multiply a per-row loss by it.
    probabilities : float array (m,)
        The sampling distribution q (sums to one).
    required_size : int
        The sample size the guarantee asked for (equals ``size`` unless the
        caller overrode it).
    scheme : str
        How q was built (``"leverage"``, ``"lewis"``, ...).
    """

    indices: Any
    weights: Any
    probabilities: Any
    required_size: int
    scheme: str = "custom"

    @property
    def size(self) -> int:
        return int(self.indices.shape[0])

    def apply(self, A: Any, p: float = 2.0) -> Any:
        """The sampled, rescaled rows ``diag(w^{1/p}) A[indices]`` (dense or sparse A).

        For p = 2 this is the sampling sketch S A with ``E[(SA)^H SA] = A^H A``.
        """
        if not is_dask(A):
            (check_vector if getattr(A, "ndim", None) == 1 else check_matrix)(A, "A")
        if A.shape[0] != self.probabilities.shape[0]:
            raise ShapeError(f"A has {A.shape[0]} rows but the sample was drawn from "
                             f"{self.probabilities.shape[0]}; apply it to the matrix it is for")
        p = check_p(p)
        rows = A[self.indices]
        scale = self.weights ** (1.0 / p)
        if is_sparse(rows):
            from .backend import sparse

            xp = array_module(rows)
            return sparse(xp).diags(scale.astype(rows.dtype)) @ rows
        if is_dask(rows):  # lazy: the rows are scaled where they live (sketch.distributed)
            scale = scale.astype(np.finfo(rows.dtype).dtype, copy=False)
            return rows * (scale[:, None] if rows.ndim == 2 else scale)
        xp = compat(array_module(rows))
        scale = xp.astype(scale, real_dtype(xp, rows.dtype), copy=False)
        return rows * (scale[:, None] if rows.ndim == 2 else scale)


def sample_rows(
    probabilities: Any, size: int, seed: Any = None, *, scheme: str = "custom",
    required_size: int | None = None,
) -> Sample:
    """Draw ``size`` rows i.i.d. from ``probabilities`` (normalised here).

    Inverse-CDF sampling with keyed uniforms (one counter per draw), so the
    draws do not depend on the backend.

    Parameters
    ----------
    probabilities : 1-D array, non-negative, positive sum
    size : int
    seed : None, int or Generator

    Returns
    -------
    Sample

    Examples
    --------
    >>> import numpy as np
    >>> s = sample_rows(np.array([0.0, 1.0]), 3, seed=1)
    >>> s.indices.tolist(), s.weights.tolist()
    ([1, 1, 1], [0.3333333333333333, 0.3333333333333333, 0.3333333333333333])
    """
    check_vector(probabilities, "probabilities")
    xp = compat(array_module(probabilities))
    if probabilities.ndim != 1 or numpy_dtype(probabilities.dtype).kind == "c":
        raise ShapeError(f"probabilities must be a real 1-D array, got shape "
                         f"{probabilities.shape} and dtype {probabilities.dtype}")
    q = xp.astype(xp.asarray(probabilities), xp.float64)
    if bool(xp.any(q < 0)):
        raise ValueError("probabilities must be non-negative")
    total = float(xp.sum(q))
    if not total > 0:
        raise ValueError("probabilities must have a positive sum")
    size = check_positive_int(size, "sample size")
    # indices, uniforms, weights and the search's temporaries: about five words per draw
    check_allocation(40 * size, f"a sample of size={size} draws", xp=xp, device=device(q),
                     fix="ask for a smaller size")
    q = q / total
    cdf = xp.cumulative_sum(q)
    u = as_key(seed).child("rows").uniform(range(size), xp, device=device(q))
    idx = xp.searchsorted(cdf, u * float(cdf[-1]), side="right")
    idx = xp.astype(xp.clip(idx, max=q.shape[0] - 1), xp.int64)
    # Round-off at the CDF's flat parts could land on a zero-probability row: move it right.
    weights = 1.0 / (size * q[idx])
    if not bool(xp.all(xp.isfinite(weights))):
        nz = xp.nonzero(q > 0)[0]
        pos = xp.clip(xp.searchsorted(nz, idx), max=nz.shape[0] - 1)
        idx = nz[pos]
        weights = 1.0 / (size * q[idx])
    return Sample(indices=idx, weights=weights, probabilities=q,
                  required_size=size if required_size is None else int(required_size),
                  scheme=scheme)


def uniform_sample(m: int, size: int, seed: Any = None, xp: Any = np) -> Sample:
    """``size`` rows drawn uniformly from ``m`` (the baseline importance sampling beats).

    Examples
    --------
    >>> uniform_sample(10, 4, seed=0).weights.tolist()
    [2.5, 2.5, 2.5, 2.5]
    """
    m = check_positive_int(m, "m")
    check_allocation(16 * m, f"uniform probabilities over m={m} rows", xp=xp,
                     fix="use a smaller m")
    return sample_rows(xp.full(m, 1.0 / m), size, seed, scheme="uniform")
