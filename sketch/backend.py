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
* The dispatch functions cover what the array API lacks: :func:`qr` (all
  modes), :func:`solve_triangular`, :func:`lu`, :func:`lu_factor`/:func:`lu_solve`,
  :func:`cholesky`, :func:`dct`/:func:`idct`, :func:`fwht`, :func:`index_add`,
  :func:`bincount`, :func:`spmm` and :func:`sparse_from_csc`/:func:`sparse_coo`.
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

from __future__ import annotations

import math
import sys
from types import ModuleType
from typing import Any

import array_api_compat
import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from .errors import BackendMismatchError, require

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
    next to ``x``.
    """
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
        return t.cpu().numpy()
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


def _no_torch_module(what: str, instead: str) -> TypeError:
    return TypeError(f"torch has no {what} module; use sketch.backend.{instead}, which dispatches "
                     "to torch.linalg/torch.fft for tensors")


def linalg(xp: ModuleType) -> ModuleType:
    """``scipy.linalg`` for NumPy, ``cupyx.scipy.linalg`` for CuPy.

    For torch there is no such module: call the dispatch functions here
    (:func:`solve_triangular`, :func:`qr`, :func:`lu`, :func:`cholesky`).
    """
    name = backend_name(xp)
    if name == "numpy":
        import scipy.linalg

        return scipy.linalg
    if name == "torch":
        raise _no_torch_module("scipy.linalg", "solve_triangular / qr / lu / cholesky")
    import cupyx.scipy.linalg

    return cupyx.scipy.linalg


def sparse(xp: ModuleType) -> ModuleType:
    """``scipy.sparse`` for NumPy, ``cupyx.scipy.sparse`` for CuPy (torch: :func:`sparse_coo`)."""
    name = backend_name(xp)
    if name == "numpy":
        return scipy.sparse
    if name == "torch":
        raise _no_torch_module("scipy.sparse", "sparse_coo / sparse_from_csc / spmm")
    import cupyx.scipy.sparse

    return cupyx.scipy.sparse


def sparse_linalg(xp: ModuleType) -> ModuleType:
    """``scipy.sparse.linalg`` for NumPy, ``cupyx.scipy.sparse.linalg`` for CuPy."""
    name = backend_name(xp)
    if name == "numpy":
        return scipy.sparse.linalg
    if name == "torch":
        raise _no_torch_module("scipy.sparse.linalg", "spmm (and write the iteration generically)")
    import cupyx.scipy.sparse.linalg

    return cupyx.scipy.sparse.linalg


def fft(xp: ModuleType) -> ModuleType:
    """``scipy.fft`` for NumPy, ``cupyx.scipy.fft`` for CuPy, ``torch.fft`` for torch.

    ``torch.fft`` has no DCT: use :func:`dct`/:func:`idct` for a transform every
    backend has.
    """
    name = backend_name(xp)
    if name == "numpy":
        import scipy.fft

        return scipy.fft
    if name == "torch":
        return _torch().fft
    import cupyx.scipy.fft

    return cupyx.scipy.fft


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


# --------------------------------------------------------------------------
# dense linear algebra the array API lacks
# --------------------------------------------------------------------------


def qr(A: Any, mode: str = "reduced") -> Any:
    """QR factorisation on the array's own device (batched over leading axes).

    ``mode="reduced"`` (default) and ``"complete"`` return ``(Q, R)``; ``"r"``
    returns ``R`` alone (no Q formed).

    Examples
    --------
    >>> import numpy as np
    >>> Q, R = qr(np.eye(3)[:, :2])
    >>> Q.shape, qr(np.eye(3)[:, :2], mode="r").shape
    ((3, 2), (2, 2))
    """
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    name = backend_name(A)
    if name == "torch":
        Q, R = _torch().linalg.qr(A, mode=mode)
        return R if mode == "r" else (Q, R)
    return array_module(A).linalg.qr(A, mode=mode)


def solve_triangular(
    R: Any, B: Any, *, lower: bool = False, trans: int | str = 0, unit_diagonal: bool = False
) -> Any:
    """Solve ``R X = B`` (``trans=0``), ``Rᵀ X = B`` (``'T'``/1) or ``Rᴴ X = B`` (``'C'``/2).

    ``R`` is triangular (upper unless ``lower``); ``B`` a vector or matrix.

    Examples
    --------
    >>> import numpy as np
    >>> solve_triangular(np.array([[2.0, 1.0], [0.0, 4.0]]), np.array([3.0, 4.0])).tolist()
    [1.0, 1.0]
    """
    name = backend_name(R)
    if name != "torch":
        return linalg(array_module(R, B)).solve_triangular(
            R, B, lower=lower, trans=trans, unit_diagonal=unit_diagonal
        )
    array_module(R, B)  # same library and device, or a clear error
    torch = _torch()
    t = {0: "N", 1: "T", 2: "C"}.get(trans, trans) if not isinstance(trans, str) else trans.upper()
    if t not in ("N", "T", "C"):
        raise ValueError(f"trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")
    if t == "T":
        R, lower = R.mT, not lower
    elif t == "C":
        R, lower = R.mH, not lower
    vec = B.ndim == 1
    X = torch.linalg.solve_triangular(R, B[:, None] if vec else B, upper=not lower,
                                      unitriangular=unit_diagonal)
    return X[:, 0] if vec else X


def cholesky(A: Any, *, lower: bool = True) -> Any:
    """Cholesky factor of a Hermitian positive definite ``A`` (``L`` with ``A = L Lᴴ``,
    or ``U`` with ``A = Uᴴ U`` when ``lower=False``).

    Examples
    --------
    >>> import numpy as np
    >>> cholesky(np.array([[4.0, 2.0], [2.0, 2.0]])).tolist()
    [[2.0, 0.0], [1.0, 1.0]]
    """
    name = backend_name(A)
    if name == "torch":
        return _torch().linalg.cholesky(A, upper=not lower)
    L = array_module(A).linalg.cholesky(A)
    return L if lower else L.conj().swapaxes(-1, -2)


def lu(A: Any, *, permute_l: bool = False) -> Any:
    """LU with partial pivoting, ``A = P L U``: ``(P, L, U)``, or ``(P L, U)`` with ``permute_l``.

    Examples
    --------
    >>> import numpy as np
    >>> PL, U = lu(np.array([[1.0, 2.0], [3.0, 4.0]]), permute_l=True)
    >>> bool(np.allclose(PL @ U, [[1, 2], [3, 4]]))
    True
    """
    if backend_name(A) == "torch":
        P, L, U = _torch().linalg.lu(A)
        return (P @ L, U) if permute_l else (P, L, U)
    kw = {"check_finite": False} if backend_name(A) == "numpy" else {}
    return linalg(array_module(A)).lu(A, permute_l=permute_l, **kw)


def lu_factor(A: Any) -> tuple[Any, Any]:
    """Packed LU factors and pivots of a square ``A``, for :func:`lu_solve`."""
    if backend_name(A) == "torch":
        return _torch().linalg.lu_factor(A)
    return linalg(array_module(A)).lu_factor(A)


def lu_solve(factors: tuple[Any, Any], B: Any, *, trans: int = 0) -> Any:
    """Solve ``A X = B`` (``trans=0``), ``Aᵀ X = B`` (1) or ``Aᴴ X = B`` (2) from :func:`lu_factor`.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> bool(np.allclose(A @ lu_solve(lu_factor(A), np.ones(2)), 1))
    True
    """
    LU, piv = factors
    if backend_name(LU) != "torch":
        return linalg(array_module(LU, B)).lu_solve((LU, piv), B, trans=trans)
    torch = _torch()
    vec = B.ndim == 1
    Bm = B[:, None] if vec else B
    if trans == 1:
        # A^T x = b  <=>  A^H conj(x) = conj(b)
        X = torch.linalg.lu_solve(LU, piv, Bm.conj(), adjoint=True).conj()
    else:
        X = torch.linalg.lu_solve(LU, piv, Bm, adjoint=trans == 2)
    return X[:, 0] if vec else X


# --------------------------------------------------------------------------
# transforms
# --------------------------------------------------------------------------


def dct(x: Any, *, axis: int = 0) -> Any:
    """Orthonormal DCT-II along ``axis`` (``scipy.fft.dct(x, type=2, norm="ortho")``).

    Torch has no DCT; there it is one FFT of the even-odd reordered input
    (Makhoul, "A fast cosine transform in one and two dimensions", 1980).

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.allclose(idct(dct(np.arange(5.0))), np.arange(5.0)))
    True
    """
    if backend_name(x) != "torch":
        return fft(array_module(x)).dct(x, type=2, norm="ortho", axis=axis)
    torch = _torch()
    if x.is_complex():
        return torch.complex(dct(x.real, axis=axis), dct(x.imag, axis=axis))
    v = x.movedim(axis, 0)
    n = v.shape[0]
    w = torch.cat([v[0::2], v[1::2].flip(0)], dim=0)
    W = torch.fft.fft(w, dim=0)
    k = torch.arange(n, device=x.device, dtype=x.dtype)
    shape = (n,) + (1,) * (v.ndim - 1)
    phase = torch.polar(torch.ones_like(k), -math.pi * k / (2 * n)).reshape(shape)
    y = (W * phase).real * math.sqrt(2.0 / n)
    y[0] = y[0] / math.sqrt(2.0)
    return y.movedim(0, axis)


def idct(y: Any, *, axis: int = 0) -> Any:
    """Inverse of :func:`dct` (the orthonormal DCT-III) along ``axis``."""
    if backend_name(y) != "torch":
        return fft(array_module(y)).idct(y, type=2, norm="ortho", axis=axis)
    torch = _torch()
    if y.is_complex():
        return torch.complex(idct(y.real, axis=axis), idct(y.imag, axis=axis))
    v = y.movedim(axis, 0)
    n = v.shape[0]
    shape = (n,) + (1,) * (v.ndim - 1)
    u = v * math.sqrt(n / 2.0)
    u = torch.cat([u[:1] * math.sqrt(2.0), u[1:]], dim=0)
    # V_k = (u_k - i u_{n-k}) e^{i pi k / 2n}, u_n = 0: the FFT of the reordered input.
    rev = torch.cat([torch.zeros_like(u[:1]), u[1:].flip(0)], dim=0)
    k = torch.arange(n, device=y.device, dtype=y.dtype)
    phase = torch.polar(torch.ones_like(k), math.pi * k / (2 * n)).reshape(shape)
    w = torch.fft.ifft(torch.complex(u, -rev) * phase, dim=0).real
    half = (n + 1) // 2
    x = torch.empty_like(w)
    x[0::2] = w[:half]
    x[1::2] = w[half:].flip(0)
    return x.movedim(0, axis)


def fwht(X: Any) -> Any:
    """Orthonormal fast Walsh–Hadamard transform along axis 0 (length a power of two).

    ``H_n X / sqrt(n)`` with Sylvester's ``H_{2k} = [[H_k, H_k], [H_k, -H_k]]``,
    in ``log2 n`` butterfly passes of array-API operations (every backend).

    Examples
    --------
    >>> import numpy as np
    >>> fwht(np.array([1.0, 0.0, 0.0, 0.0])).tolist()
    [0.5, 0.5, 0.5, 0.5]
    """
    xp = namespace(X)
    n = X.shape[0]
    if n & (n - 1):
        raise ValueError(f"fwht needs a power-of-two length along axis 0, got {n}")
    rest = tuple(X.shape[1:])
    Y = X
    h = 1
    while h < n:
        Z = xp.reshape(Y, (n // (2 * h), 2, h) + rest)
        a, b = Z[:, 0, ...], Z[:, 1, ...]
        Y = xp.reshape(xp.stack([a + b, a - b], axis=1), (n,) + rest)
        h *= 2
    return Y / math.sqrt(n)


# --------------------------------------------------------------------------
# scatter and sparse
# --------------------------------------------------------------------------


def index_add(target: Any, index: Any, values: Any) -> Any:
    """``target[index[i]] += values[i]`` with repeated indices accumulated, in place.

    Returns ``target``. (``target[index] += values`` would drop repeats.)

    Examples
    --------
    >>> import numpy as np
    >>> index_add(np.zeros(3), np.array([0, 0, 2]), np.ones(3)).tolist()
    [2.0, 0.0, 1.0]
    """
    name = backend_name(target)
    if name == "torch":
        return target.index_add_(0, index.to(_torch().int64), values.to(target.dtype))
    if name == "cupy":
        import cupyx

        cupyx.scatter_add(target, index, values)
        return target
    np.add.at(target, index, values)
    return target


def bincount(x: Any, weights: Any = None, minlength: int = 0) -> Any:
    """Counts (or summed ``weights``) of each non-negative integer in ``x``, on its device.

    Examples
    --------
    >>> import numpy as np
    >>> bincount(np.array([0, 2, 2]), minlength=4).tolist()
    [1, 0, 2, 0]
    """
    if backend_name(x) == "torch":
        return _torch().bincount(x, weights=weights, minlength=minlength)
    return array_module(x).bincount(x, weights=weights, minlength=minlength)


def top_k_indices(x: Any, k: int) -> Any:
    """Indices of the ``k`` largest entries of the 1-D ``x``, in no particular order.

    ``argpartition`` on NumPy/CuPy (O(n)), ``topk`` on torch.

    Examples
    --------
    >>> import numpy as np
    >>> sorted(top_k_indices(np.array([3.0, 9.0, 1.0, 7.0]), 2).tolist())
    [1, 3]
    """
    if backend_name(x) == "torch":
        return _torch().topk(x, k, sorted=False).indices
    xp = array_module(x)
    if k >= x.shape[0]:
        return xp.arange(x.shape[0])
    return xp.argpartition(-x, k - 1)[:k]


def sparse_coo(values: Any, rows: Any, cols: Any, shape: tuple[int, int]) -> Any:
    """A sparse matrix on ``values``' library and device from coordinates (repeats summed).

    SciPy/cupyx: CSR; torch: a coalesced sparse COO tensor.

    Examples
    --------
    >>> import numpy as np
    >>> sparse_coo(np.ones(2), np.array([0, 0]), np.array([1, 1]), (2, 2)).toarray().tolist()
    [[0.0, 2.0], [0.0, 0.0]]
    """
    if backend_name(values) == "torch":
        torch = _torch()
        idx = torch.stack([rows.to(torch.int64), cols.to(torch.int64)])
        return torch.sparse_coo_tensor(idx, values, size=shape, check_invariants=True).coalesce()
    xp = array_module(values)
    return sparse(xp).coo_matrix((values, (rows, cols)), shape=shape).tocsr()


def sparse_from_csc(data: Any, indices: Any, indptr: Any, shape: tuple[int, int],
                    xp: ModuleType | None = None) -> Any:
    """A sparse matrix on ``data``'s library and device from its three CSC arrays.

    SciPy/cupyx: CSC; torch: a sparse COO tensor (the layout every torch
    device multiplies with).
    """
    xp = array_module(data) if xp is None else xp
    if is_torch_namespace(xp):
        torch = _torch()
        counts = indptr[1:] - indptr[:-1]
        cols = torch.repeat_interleave(torch.arange(shape[1], device=data.device), counts)
        return sparse_coo(data, indices, cols, shape)
    return sparse(xp).csc_matrix((data, indices, indptr), shape=shape)


def spmm(S: Any, A: Any) -> Any:
    """``S @ A`` for a sparse ``S`` and a dense ``A``, returned dense on their device.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> spmm(sp.eye(2, format="csr"), np.ones((2, 1))).tolist()
    [[1.0], [1.0]]
    """
    if is_torch(S) or is_torch(A):
        array_module(S, A)
        torch = _torch()
        if is_sparse(S):
            return torch.sparse.mm(S, A) if A.ndim == 2 else torch.sparse.mm(S, A[:, None])[:, 0]
        return S @ to_dense(A)
    out = S @ A
    return to_dense(out)
