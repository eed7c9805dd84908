"""Randomized linear algebra on row-chunked Dask arrays, passes where the blocks live.

The public functions of :mod:`sketch` take this path when their input is a
``dask.array.Array`` — one entry point, as for NumPy and CuPy:
:func:`sketch.lstsq` (FOSSILS, as accurate as in memory), :func:`sketch.randomized_svd`,
:func:`sketch.block_krylov_svd`, :func:`sketch.nystrom`, :func:`sketch.leverage_scores`
and :func:`sketch.leverage_sample`. Every pass over A runs on the workers and
returns small arrays; factors with a dimension of A's rows stay on the
workers as Dask arrays.

========================  ================================================
module                    what it holds
========================  ================================================
``rows``                  row-chunked arrays: validation, one-pass reductions, TSQR
``sketches``              :func:`sketch_dask`, :func:`coordinated_sketch_dask`
``lstsq``                 the products of the least-squares solvers
``krylov``                block Krylov SVD of a tall A, the basis on the client
``lowrank``               the other low-rank routines: passes as in memory
``leverage``              approximate leverage scores and row sampling
========================  ================================================

dask is optional: ``pip install "qla[dask]"``.
"""

from .lstsq import sketched_lstsq_dask
from .sketches import coordinated_sketch_dask, sketch_dask

__all__ = ["sketch_dask", "coordinated_sketch_dask", "sketched_lstsq_dask"]
