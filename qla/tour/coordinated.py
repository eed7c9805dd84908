"""Tour stop: AᵀB of two sparse tables from independent coordinated-sampling sketches.

Two parties hold A and B (20000 rows, 100 columns, 4 nonzeros per row) and
sketch them separately with a shared seed (priority sampling, Daliri, Freire,
Li and Musco, ICLR 2025); the product is estimated from the sketches alone and
compared with the exact AᵀB and with a JL sketch of equal storage. The exact
product is a different job (no sketch, no error), so no speed-up is claimed:
the stop shows accuracy and time.
"""

from __future__ import annotations

import time
from types import ModuleType

import numpy as np
import scipy.sparse as sp

from qla.tour import Stop
from sketch.backend import sparse, to_numpy
from sketch.coordinated import estimate_product, jl_sketch, priority_sample


def _table(n: int, d: int, s: int, rng: np.random.Generator) -> sp.csr_matrix:
    cols = np.argsort(rng.random((n, d)), axis=1)[:, :s].ravel()
    return sp.csr_matrix((rng.standard_normal(n * s), (np.repeat(np.arange(n), s), cols)),
                         shape=(n, d))


def run(seed: int, xp: ModuleType) -> Stop:
    """Run the stop; ``xp`` is NumPy or CuPy."""
    rng = np.random.default_rng(seed)
    n, d, s, k = 20_000, 100, 4, 1000
    A, B = _table(n, d, s, rng), _table(n, d, s, rng)
    if xp is not np:
        A, B = sparse(xp).csr_matrix(A), sparse(xp).csr_matrix(B)
    t0 = time.perf_counter()
    SA, SB = priority_sample(A, k, seed=seed), priority_sample(B, k, seed=seed)
    est = estimate_product(SA, SB)
    value = to_numpy(est.value)
    seconds = time.perf_counter() - t0
    exact = to_numpy((A.T @ B).toarray())
    scale = float(np.linalg.norm(to_numpy(A.data)) * np.linalg.norm(to_numpy(B.data)))
    err = np.linalg.norm(value - exact) / scale
    r = max(1, round(SA.storage_words / d))
    jl = estimate_product(jl_sketch(A, r, seed=seed), jl_sketch(B, r, seed=seed))
    err_jl = np.linalg.norm(to_numpy(jl.value) - exact) / scale
    return Stop(
        area="coordinated sampling",
        case=f"AᵀB, {n}×{d} sparse tables, sketches of {SA.storage_words:.0f} words",
        accuracy=f"rel. err {err:.3f} (est. {est.std_error / scale:.3f}); JL same storage "
                 f"{err_jl:.3f}",
        seconds=seconds,
        baseline="JL sketch of equal storage (accuracy only)",
    )
