"""The one place in qla that knows about array backends.

Three array libraries are served: NumPy (with SciPy), CuPy (with cupyx.scipy)
and PyTorch tensors on any device (through ``array_api_compat.torch`` and
``torch.linalg``/``torch.fft``). The input decides the device; nothing here
copies between host and device unless a function says so in its name
(:func:`to_numpy`, :func:`asarray`).

* :func:`array_module` / :func:`namespace` give the namespace to write array
  code against: ``numpy``, ``cupy``, or ``array_api_compat.torch`` for tensors.
* :func:`backend_name`, :func:`is_cupy`, :func:`is_torch`, :func:`device_of`
  and :func:`device` answer "which library, which device" for an array or a
  namespace; no other module should sniff types (``hasattr(x, "get")``).
* What the array API lacks, one function each (modules ``factorizations``, ``norms``,
  ``transforms``, ``scatter``): :func:`qr` (all
  modes), :func:`shifted_r` (R of [R; θI]), :func:`solve_triangular`, :func:`lu`,
  :func:`lu_factor`/:func:`lu_solve`, :func:`cholesky`,
  :func:`dense_lstsq` (minimum-norm least squares), :func:`vector_norm`,
  :func:`astype`, :func:`dct`/:func:`idct`, :func:`fwht`, :func:`index_add`,
  :func:`bincount`, :func:`spmm`, :func:`sparse_from_csc`/:func:`sparse_coo` and
  :func:`sparse_values_astype` (a sparse copy sharing the indices).
  NumPy → SciPy, CuPy → cupyx.scipy, torch → torch.linalg/torch.fft/torch.sparse.

Examples
--------
>>> import numpy as np
>>> xp = array_module(np.ones(3))
>>> xp.__name__
'numpy'
>>> linalg(xp).__name__
'scipy.linalg'
>>> backend_name(np.ones(3)), device_of(np.ones(3))
('numpy', 'cpu')
"""

from .arrays import (
    array_module,
    asarray,
    astype,
    available_bytes,
    backend_name,
    compat,
    cupy_module,
    device,
    device_of,
    fft,
    is_cupy,
    is_dask,
    is_numpy_namespace,
    is_operator,
    is_sparse,
    is_torch,
    is_torch_namespace,
    library_dtype,
    linalg,
    module_for_device,
    namespace,
    native_device,
    numpy_dtype,
    real_dtype,
    sparse,
    sparse_linalg,
    synchronize,
    to_dense,
    to_host,
    to_numpy,
    torch_module,
)
from .factorizations import (
    cholesky,
    dense_lstsq,
    lu,
    lu_factor,
    lu_solve,
    qr,
    qr_lstsq,
    shifted_r,
    solve_triangular,
)
from .norms import max_abs, refuse_overflow, safe_norm, times_pow2, vector_norm
from .scatter import (
    bincount,
    index_add,
    sparse_coo,
    sparse_from_csc,
    sparse_values_astype,
    spmm,
    top_k_indices,
)
from .transforms import dct, fwht, idct

__all__ = [
    "array_module", "asarray", "available_bytes", "backend_name", "compat", "cupy_module",
    "device", "device_of", "fft", "is_cupy", "is_numpy_namespace", "is_operator", "is_sparse",
    "is_torch", "is_torch_namespace", "library_dtype", "linalg", "module_for_device",
    "is_dask", "namespace", "native_device", "numpy_dtype", "real_dtype", "sparse", "sparse_linalg",
    "synchronize", "to_dense", "to_host", "to_numpy", "torch_module",
    "bincount", "cholesky", "dct", "fwht", "idct", "index_add", "lu", "lu_factor", "lu_solve",
    "astype", "dense_lstsq", "max_abs", "qr", "qr_lstsq", "refuse_overflow", "safe_norm",
    "shifted_r",
    "solve_triangular", "times_pow2", "vector_norm",
    "sparse_coo", "sparse_from_csc", "sparse_values_astype", "spmm", "top_k_indices",
]
