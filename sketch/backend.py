"""The one place in qla that knows about array backends.

NumPy inputs are served by NumPy/SciPy, CuPy inputs by CuPy/cupyx.scipy. The
input decides the device; nothing here copies between host and device unless a
function says so in its name (:func:`to_numpy`).

Examples
--------
>>> import numpy as np
>>> xp = array_module(np.ones(3))
>>> xp.__name__
'numpy'
>>> linalg(xp).__name__
'scipy.linalg'
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

import array_api_compat
import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from .errors import BackendMismatchError, require


def _cupy_loaded() -> bool:
    # CuPy is only relevant when the caller already imported it; never import it here.
    return "cupy" in sys.modules


def is_cupy(x: Any) -> bool:
    """True for a CuPy array or a cupyx.scipy.sparse matrix."""
    if not _cupy_loaded():
        return False
    if array_api_compat.is_cupy_array(x):
        return True
    import cupyx.scipy.sparse as cusparse

    return cusparse.issparse(x)


def is_sparse(x: Any) -> bool:
    """True for a scipy.sparse or cupyx.scipy.sparse matrix or array."""
    if scipy.sparse.issparse(x):
        return True
    if _cupy_loaded():
        import cupyx.scipy.sparse as cusparse

        return cusparse.issparse(x)
    return False


def is_operator(x: Any) -> bool:
    """True for a ``scipy.sparse.linalg.LinearOperator``."""
    return isinstance(x, scipy.sparse.linalg.LinearOperator)


def array_module(*arrays: Any) -> ModuleType:
    """The array library (``numpy`` or ``cupy``) that owns ``arrays``.

    ``None`` entries and Python scalars are ignored. Sparse matrices and
    LinearOperators count as their library's arrays (LinearOperator: NumPy).

    Raises
    ------
    BackendMismatchError
        If NumPy and CuPy objects are mixed.
    TypeError
        If an object is not an array of a supported library.
    """
    found: set[str] = set()
    for a in arrays:
        if a is None or isinstance(a, (int, float, complex)):
            continue
        if is_cupy(a):
            found.add("cupy")
        elif isinstance(a, np.ndarray) or np.isscalar(a) or is_sparse(a) or is_operator(a):
            found.add("numpy")
        elif array_api_compat.is_array_api_obj(a):
            raise TypeError(
                f"arrays of type {type(a).__module__}.{type(a).__name__} are not supported "
                "here; pass a NumPy or CuPy array (e.g. numpy.asarray(x))"
            )
        else:
            raise TypeError(
                f"expected a NumPy/CuPy array, sparse matrix or LinearOperator, "
                f"got {type(a).__name__}; convert it with numpy.asarray(...)"
            )
    if len(found) > 1:
        raise BackendMismatchError(
            "NumPy and CuPy arrays were mixed; move them to one device first "
            "(cupy.asarray(x) for the GPU, cupy.asnumpy(x) for the host)"
        )
    if found == {"cupy"}:
        import cupy

        return cupy
    return np


def namespace(*arrays: Any) -> Any:
    """The array-API namespace of ``arrays`` (via ``array_api_compat``).

    Used where code is written against the array API standard and should also
    accept PyTorch tensors (e.g. Quantum-PEFT matrices).
    """
    return array_api_compat.array_namespace(*arrays)


def linalg(xp: ModuleType) -> ModuleType:
    """``scipy.linalg`` for NumPy, ``cupyx.scipy.linalg`` for CuPy."""
    if xp is np:
        import scipy.linalg

        return scipy.linalg
    import cupyx.scipy.linalg

    return cupyx.scipy.linalg


def sparse(xp: ModuleType) -> ModuleType:
    """``scipy.sparse`` for NumPy, ``cupyx.scipy.sparse`` for CuPy."""
    if xp is np:
        return scipy.sparse
    import cupyx.scipy.sparse

    return cupyx.scipy.sparse


def sparse_linalg(xp: ModuleType) -> ModuleType:
    """``scipy.sparse.linalg`` for NumPy, ``cupyx.scipy.sparse.linalg`` for CuPy."""
    if xp is np:
        return scipy.sparse.linalg
    import cupyx.scipy.sparse.linalg

    return cupyx.scipy.sparse.linalg


def fft(xp: ModuleType) -> ModuleType:
    """``scipy.fft`` for NumPy, ``cupyx.scipy.fft`` for CuPy."""
    if xp is np:
        import scipy.fft

        return scipy.fft
    import cupyx.scipy.fft

    return cupyx.scipy.fft


def qr(A: Any) -> tuple[Any, Any]:
    """Economic QR factorisation ``A = Q R`` on the array's own device."""
    xp = array_module(A)
    return xp.linalg.qr(A, mode="reduced")


def solve_triangular(R: Any, B: Any, *, lower: bool = False, trans: int | str = 0) -> Any:
    """Solve ``R X = B`` (``trans=0``) or ``Rᵀ X = B`` (``trans='T'``) for triangular ``R``."""
    xp = array_module(R, B)
    return linalg(xp).solve_triangular(R, B, lower=lower, trans=trans)


def to_numpy(x: Any) -> np.ndarray:
    """Copy ``x`` to a host NumPy array (an explicit device→host transfer)."""
    if is_cupy(x):
        return x.get()
    return np.asarray(x)


def to_dense(A: Any) -> Any:
    """A dense array on ``A``'s device: sparse matrices densified, arrays as they are."""
    return A.toarray() if is_sparse(A) else A


def available_bytes(xp: ModuleType) -> int | None:
    """Free memory on the device of ``xp`` now (``None`` when it cannot be told).

    NumPy: the host's available memory; CuPy: the free memory of the current GPU.
    Used to refuse, before allocating, work that cannot fit.

    Examples
    --------
    >>> available_bytes(np) is None or available_bytes(np) > 0
    True
    """
    if xp is not np:
        try:
            return int(xp.cuda.runtime.memGetInfo()[0])
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


def cupy_module(purpose: str = "use the GPU") -> ModuleType:
    """Import CuPy or raise an error naming the ``gpu`` extra."""
    return require("cupy", "gpu", purpose)


def synchronize(xp: ModuleType) -> None:
    """Wait for queued GPU work (a no-op on NumPy); call before stopping a clock."""
    if xp is not np:
        xp.cuda.get_current_stream().synchronize()


def device_of(x: Any) -> str:
    """``"cpu"`` or ``"gpu"`` for an array."""
    return "gpu" if is_cupy(x) else "cpu"


def module_for_device(device: str | None) -> ModuleType:
    """The array module for ``device`` in {``None``, ``"cpu"``, ``"gpu"``}.

    Used by functions that create arrays from nothing (e.g. Haar sampling).
    """
    if device in (None, "cpu"):
        return np
    if device in ("gpu", "cuda"):
        return cupy_module("create arrays on the GPU")
    raise ValueError(f"device must be 'cpu' or 'gpu', got {device!r}")


def sparse_from_csc(data: Any, indices: Any, indptr: Any, shape: tuple[int, int], xp: ModuleType):
    """A CSC sparse matrix on ``xp``'s device from its three arrays."""
    return sparse(xp).csc_matrix((data, indices, indptr), shape=shape)


# -- Dask (issue 19) ------------------------------------------------------------------


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
