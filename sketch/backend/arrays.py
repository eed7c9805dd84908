"""Which array library, which device: namespaces, dtypes, devices and transfers.

Part of :mod:`sketch.backend` (import from there). NumPy (with SciPy), CuPy (with
cupyx.scipy) and PyTorch tensors on any device. CuPy and torch are looked at only
when the caller already imported them.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

import array_api_compat
import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from ..errors import BackendMismatchError, require

# --------------------------------------------------------------------------
# which library, which device
# --------------------------------------------------------------------------


def _cupy_loaded() -> bool:
    # CuPy is only relevant when the caller already imported it; never import it here.
    return sys.modules.get("cupy") is not None


def _torch_loaded() -> bool:
    # Same for PyTorch: a tensor can only exist if torch was imported.
    return sys.modules.get("torch") is not None


def is_cupy(x: Any) -> bool:
    """True for a CuPy array or a cupyx.scipy.sparse matrix."""
    if not _cupy_loaded():
        return False
    if array_api_compat.is_cupy_array(x):
        return True
    import cupyx.scipy.sparse as cusparse

    return cusparse.issparse(x)


def is_torch(x: Any) -> bool:
    """True for a PyTorch tensor (dense or sparse, any device).

    Examples
    --------
    >>> import numpy as np
    >>> is_torch(np.ones(2))
    False
    """
    if not _torch_loaded():
        return False
    import torch

    return isinstance(x, torch.Tensor)


def is_sparse(x: Any) -> bool:
    """True for a scipy.sparse / cupyx.scipy.sparse matrix or a sparse torch tensor."""
    if scipy.sparse.issparse(x):
        return True
    if _cupy_loaded():
        import cupyx.scipy.sparse as cusparse

        if cusparse.issparse(x):
            return True
    if is_torch(x):
        import torch

        return x.layout != torch.strided
    return False


def is_operator(x: Any) -> bool:
    """True for a ``scipy.sparse.linalg.LinearOperator``."""
    return isinstance(x, scipy.sparse.linalg.LinearOperator)


def _torch_namespace() -> ModuleType:
    import array_api_compat.torch as xtorch

    return xtorch


def backend_name(x: Any) -> str:
    """``"numpy"``, ``"cupy"`` or ``"torch"`` for an array, sparse matrix or namespace.

    Examples
    --------
    >>> import numpy as np
    >>> backend_name(np), backend_name(np.zeros(1))
    ('numpy', 'numpy')
    """
    if isinstance(x, ModuleType):
        name = x.__name__
        if name in ("numpy", "array_api_compat.numpy"):
            return "numpy"
        if name in ("cupy", "array_api_compat.cupy"):
            return "cupy"
        if name in ("torch", "array_api_compat.torch"):
            return "torch"
        raise TypeError(f"{name} is not a supported array namespace (numpy, cupy, torch)")
    if is_cupy(x):
        return "cupy"
    if is_torch(x):
        return "torch"
    if isinstance(x, np.ndarray) or np.isscalar(x) or is_sparse(x) or is_operator(x):
        return "numpy"
    if array_api_compat.is_array_api_obj(x):
        raise TypeError(
            f"arrays of type {type(x).__module__}.{type(x).__name__} are not supported "
            "here; pass a NumPy or CuPy array or a torch tensor (e.g. numpy.asarray(x))"
        )
    raise TypeError(
        f"expected a NumPy/CuPy array, a torch tensor, a sparse matrix or a LinearOperator, "
        f"got {type(x).__name__}; convert it with numpy.asarray(...)"
    )


def is_numpy_namespace(xp: Any) -> bool:
    """True when ``xp`` is NumPy (or its array-API wrapper)."""
    return backend_name(xp) == "numpy"


def is_torch_namespace(xp: Any) -> bool:
    """True when ``xp`` is the torch namespace returned by :func:`array_module`."""
    return backend_name(xp) == "torch"


def array_module(*arrays: Any) -> ModuleType:
    """The namespace that owns ``arrays``: ``numpy``, ``cupy`` or ``array_api_compat.torch``.

    ``None`` entries and Python scalars are ignored. Sparse matrices and
    LinearOperators count as their library's arrays (LinearOperator: NumPy).
    The torch namespace follows the array API standard (``xp.asarray``,
    ``xp.astype(x, dtype)``, ``xp.linalg.qr``...); tensors have no ``.astype``.

    Raises
    ------
    BackendMismatchError
        If arrays of different libraries, or tensors on different devices, are mixed.
    TypeError
        If an object is not an array of a supported library.

    Examples
    --------
    >>> import numpy as np
    >>> array_module(None, 2.0, np.ones(2)).__name__
    'numpy'
    """
    found: set[str] = set()
    devices: set[str] = set()
    for a in arrays:
        if a is None or isinstance(a, (int, float, complex)):
            continue
        name = backend_name(a)
        found.add(name)
        if name == "torch":
            devices.add(str(a.device))
    if len(found) > 1:
        raise BackendMismatchError(
            f"arrays of different libraries were mixed ({', '.join(sorted(found))}); convert "
            "them to one first (cupy.asarray(x) for the GPU, sketch.backend.to_numpy(x) for "
            "the host, torch.as_tensor(x, device=...) for torch)"
        )
    if len(devices) > 1:
        raise BackendMismatchError(
            f"tensors on different devices were mixed ({', '.join(sorted(devices))}); move "
            "them to one device first (x.to(device))"
        )
    if found == {"cupy"}:
        import cupy

        return cupy
    if found == {"torch"}:
        return _torch_namespace()
    return np


def compat(xp: Any) -> ModuleType:
    """The array-API namespace of the library ``xp`` (``numpy`` → ``array_api_compat.numpy``).

    Code written against it (``xp.astype(x, t)``, ``xp.permute_dims``,
    ``xp.linalg.diagonal``...) runs unchanged on NumPy, CuPy and torch.

    Examples
    --------
    >>> import numpy as np
    >>> compat(np).__name__
    'array_api_compat.numpy'
    """
    import importlib

    return importlib.import_module(f"array_api_compat.{backend_name(xp)}")


def numpy_dtype(dtype: Any) -> np.dtype:
    """``dtype`` (a NumPy, CuPy or torch dtype, or a name) as a ``numpy.dtype``.

    Examples
    --------
    >>> numpy_dtype("complex64")
    dtype('complex64')
    """
    if _torch_loaded() and isinstance(dtype, _torch().dtype):
        return np.dtype(str(dtype).removeprefix("torch."))
    return np.dtype(dtype)


def library_dtype(xp: Any, dtype: Any) -> Any:
    """``dtype`` as the dtype object of the library ``xp`` (torch: ``torch.complex128``...).

    Examples
    --------
    >>> library_dtype(np, "float32")
    dtype('float32')
    """
    dt = numpy_dtype(dtype)
    return getattr(compat(xp), dt.name) if backend_name(xp) == "torch" else dt


def real_dtype(xp: Any, dtype: Any) -> Any:
    """The real dtype of ``dtype`` (``complex128`` → ``float64``) as ``xp``'s dtype object.

    Examples
    --------
    >>> real_dtype(np, np.complex64)
    dtype('float32')
    """
    return library_dtype(xp, np.finfo(numpy_dtype(dtype)).dtype)


def namespace(*arrays: Any) -> Any:
    """The array-API namespace of ``arrays`` (via ``array_api_compat``).

    Unlike :func:`array_module`, NumPy arrays get ``array_api_compat.numpy``
    (strict array-API names), so code written against it runs unchanged on
    every backend.

    Examples
    --------
    >>> import numpy as np
    >>> namespace(np.ones(2)).__name__
    'array_api_compat.numpy'
    """
    return array_api_compat.array_namespace(*arrays)


def device(x: Any) -> Any:
    """The library's own device object of ``x`` (``"cpu"`` for NumPy, a ``torch.device``...).

    Pass it as ``device=`` to the namespace's creation functions to create arrays
    next to ``x``. A sparse matrix is on its data's device (SciPy's: ``"cpu"``).

    Examples
    --------
    >>> import scipy.sparse
    >>> device(np.ones(2)), device(scipy.sparse.eye(2))
    ('cpu', 'cpu')
    """
    if is_sparse(x) and not is_torch(x):
        return x.data.device if is_cupy(x) else "cpu"
    return array_api_compat.device(x)


def device_of(x: Any) -> str:
    """``"cpu"`` or ``"gpu"`` for an array or tensor.

    Examples
    --------
    >>> import numpy as np
    >>> device_of(np.ones(1))
    'cpu'
    """
    if is_cupy(x):
        return "gpu"
    if is_torch(x):
        return "cpu" if x.device.type == "cpu" else "gpu"
    return "cpu"


def to_numpy(x: Any) -> np.ndarray:
    """Copy ``x`` to a host NumPy array (an explicit device→host transfer).

    Examples
    --------
    >>> to_numpy([1, 2]).tolist()
    [1, 2]
    """
    if is_cupy(x):
        return x.get()
    if is_torch(x):
        t = x.detach()
        if t.layout != _torch().strided:
            t = t.to_dense()
        return t.resolve_conj().resolve_neg().cpu().numpy()  # a lazy conj()/neg() view too
    return np.asarray(x)


def to_host(x: Any) -> Any:
    """``x`` on the host, keeping its kind: cupyx sparse → scipy.sparse, CuPy or torch
    dense → NumPy, host objects unchanged (an explicit device→host transfer).

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> sp.issparse(to_host(sp.eye(2)))
    True
    """
    if is_cupy(x) or is_torch(x):
        return x.get() if is_cupy(x) else to_numpy(x)
    return x


def asarray(a: Any, like: Any = None, *, xp: Any = None, device: Any = None) -> Any:
    """``a`` (host data or an array) as an array of ``like``'s library and device.

    An explicit transfer: the one way for tests and callers to move host data
    next to an array they hold. Without ``like``, ``xp`` and ``device`` decide.

    Examples
    --------
    >>> import numpy as np
    >>> asarray([1.0, 2.0], like=np.zeros(1)).dtype
    dtype('float64')
    """
    if like is not None:
        xp = array_module(like)
        device = array_api_compat.device(like) if not is_numpy_namespace(xp) else None
    xp = np if xp is None else xp
    name = backend_name(xp)
    if name == "torch":
        torch = _torch()
        if is_cupy(a):
            a = a.get()
        if isinstance(a, torch.Tensor):
            return a.to(device) if device is not None else a
        return torch.as_tensor(np.asarray(a), device=device)
    if name == "cupy":
        return xp.asarray(to_numpy(a) if is_torch(a) else a)
    return np.asarray(to_numpy(a) if (is_torch(a) or is_cupy(a)) else a)


def _torch() -> ModuleType:
    import torch

    return torch


def to_dense(A: Any) -> Any:
    """A dense array on ``A``'s device: sparse matrices densified, arrays as they are."""
    if not is_sparse(A):
        return A
    return A.to_dense() if is_torch(A) else A.toarray()


# --------------------------------------------------------------------------
# library modules (NumPy and CuPy only) and optional imports
# --------------------------------------------------------------------------


def _library(xp: Any, host: str, gpu: str, torch_instead: str, torch_mod: str = "") -> ModuleType:
    """The SciPy-like module ``host`` (NumPy) / ``gpu`` (CuPy) / ``torch_mod`` (torch)."""
    import importlib

    name = backend_name(xp)
    if name == "torch" and not torch_mod:
        raise TypeError(f"torch has no {host} module; use sketch.backend.{torch_instead}, which "
                        "dispatches to torch.linalg/torch.fft/torch.sparse for tensors")
    return importlib.import_module({"numpy": host, "cupy": gpu, "torch": torch_mod}[name])


def linalg(xp: ModuleType) -> ModuleType:
    """``scipy.linalg`` for NumPy, ``cupyx.scipy.linalg`` for CuPy.

    For torch there is no such module: call the dispatch functions here
    (:func:`solve_triangular`, :func:`qr`, :func:`lu`, :func:`cholesky`).
    """
    return _library(xp, "scipy.linalg", "cupyx.scipy.linalg",
                    "solve_triangular / qr / lu / cholesky")


def sparse(xp: ModuleType) -> ModuleType:
    """``scipy.sparse`` for NumPy, ``cupyx.scipy.sparse`` for CuPy (torch: :func:`sparse_coo`)."""
    return _library(xp, "scipy.sparse", "cupyx.scipy.sparse", "sparse_coo / sparse_from_csc / spmm")


def sparse_linalg(xp: ModuleType) -> ModuleType:
    """``scipy.sparse.linalg`` for NumPy, ``cupyx.scipy.sparse.linalg`` for CuPy."""
    return _library(xp, "scipy.sparse.linalg", "cupyx.scipy.sparse.linalg",
                    "spmm (and write the iteration generically)")


def fft(xp: ModuleType) -> ModuleType:
    """``scipy.fft`` for NumPy, ``cupyx.scipy.fft`` for CuPy, ``torch.fft`` for torch.

    ``torch.fft`` has no DCT: use :func:`dct`/:func:`idct` for a transform every
    backend has.
    """
    return _library(xp, "scipy.fft", "cupyx.scipy.fft", "dct / idct", torch_mod="torch.fft")


def cupy_module(purpose: str = "use the GPU") -> ModuleType:
    """Import CuPy or raise an error naming the ``gpu`` extra."""
    return require("cupy", "gpu", purpose)


def torch_module(purpose: str = "use PyTorch tensors") -> ModuleType:
    """Import PyTorch or raise an error naming the ``torch`` extra."""
    return require("torch", "torch", purpose)


def module_for_device(device: Any) -> ModuleType:
    """The namespace for ``device``: ``None``/``"cpu"`` → NumPy, ``"gpu"``/``"cuda"`` → CuPy,
    ``"torch"``, ``"torch:cpu"``, ``"torch:cuda[:i]"`` or a ``torch.device`` → torch.

    Used by functions that create arrays from nothing (e.g. Haar sampling);
    pair it with :func:`native_device` for the ``device=`` of the creation calls.

    Examples
    --------
    >>> module_for_device("cpu").__name__
    'numpy'
    """
    if device in (None, "cpu"):
        return np
    if device in ("gpu", "cuda"):
        return cupy_module("create arrays on the GPU")
    if _is_torch_device(device):
        torch_module("create tensors")
        return _torch_namespace()
    raise ValueError(
        f"device must be 'cpu', 'gpu', 'torch', 'torch:cpu', 'torch:cuda' or a torch.device, "
        f"got {device!r}"
    )


def _is_torch_device(device: Any) -> bool:
    if isinstance(device, str):
        return device == "torch" or device.startswith("torch:")
    return _torch_loaded() and isinstance(device, _torch().device)


def native_device(device: Any) -> Any:
    """The ``device=`` argument for :func:`module_for_device`'s namespace (``None``: default).

    Examples
    --------
    >>> native_device("cpu") is None
    True
    """
    if isinstance(device, str) and device.startswith("torch"):
        torch = torch_module("create tensors")
        return torch.device(device[6:] or "cpu")
    if _is_torch_device(device):
        return device
    return None


def synchronize(xp: ModuleType) -> None:
    """Wait for queued GPU work (a no-op on the host); call before stopping a clock."""
    name = backend_name(xp)
    if name == "cupy":
        xp.cuda.get_current_stream().synchronize()
    elif name == "torch":
        torch = _torch()
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.synchronize()


def available_bytes(xp: ModuleType, device: Any = None) -> int | None:
    """Free memory on the device of ``xp`` now (``None`` when it cannot be told).

    NumPy and torch-CPU: the host's available memory; CuPy: the free memory of
    the current GPU; torch on CUDA (``device`` a CUDA ``torch.device``): that
    GPU's free memory. Used to refuse, before allocating, work that cannot fit.

    Examples
    --------
    >>> available_bytes(np) is None or available_bytes(np) > 0
    True
    """
    name = backend_name(xp)
    try:
        if name == "cupy":
            return int(xp.cuda.runtime.memGetInfo()[0])
        if name == "torch" and device is not None and _torch().device(device).type == "cuda":
            return int(_torch().cuda.mem_get_info(_torch().device(device))[0])
    except Exception:  # noqa: BLE001 - no way to ask: the caller skips its check
        return None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import os

        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def is_dask(x: Any) -> bool:
    """True for a ``dask.array.Array`` (whose chunks may be NumPy or CuPy arrays).

    Checked without importing dask: an object is a dask array only if dask is loaded.

    Examples
    --------
    >>> is_dask(np.ones(3))
    False
    """
    if "dask.array" not in sys.modules:
        return False
    return isinstance(x, sys.modules["dask.array"].Array)


def astype(x: Any, dtype: Any) -> Any:
    """``x`` in ``dtype`` (a NumPy dtype or any library's), no copy when it already is.

    Examples
    --------
    >>> import numpy as np
    >>> astype(np.ones(2, dtype=np.float32), np.float64).dtype
    dtype('float64')
    """
    if is_torch(x):
        return x.to(library_dtype(x, dtype))
    return x.astype(numpy_dtype(dtype), copy=False)  # NumPy, CuPy (and Dask) arrays
