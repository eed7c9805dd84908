"""The orthonormal DCT-II, its inverse and the Walsh–Hadamard transform, on every backend.

Part of :mod:`sketch.backend` (import from there). NumPy → scipy.fft, CuPy →
cupyx.scipy.fft, torch → torch.fft.
"""

from __future__ import annotations

import math
from typing import Any

from .arrays import (
    _torch,
    array_module,
    backend_name,
    fft,
    namespace,
)


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
    return _cosine_transform(x, axis, inverse=False)


def idct(y: Any, *, axis: int = 0) -> Any:
    """Inverse of :func:`dct` (the orthonormal DCT-III) along ``axis``."""
    return _cosine_transform(y, axis, inverse=True)


def _cosine_transform(x: Any, axis: int, inverse: bool) -> Any:
    if backend_name(x) != "torch":
        f = fft(array_module(x))
        return (f.idct if inverse else f.dct)(x, type=2, norm="ortho", axis=axis)
    if x.is_complex():
        return _torch().complex(_cosine_transform(x.real, axis, inverse),
                                _cosine_transform(x.imag, axis, inverse))
    v = x.movedim(axis, 0)
    return (_idct_torch(v) if inverse else _dct_torch(v)).movedim(0, axis)


def _phase(n: int, sign: float, like: Any, ndim: int) -> Any:
    """``exp(sign i pi k / 2n)`` for k < n, shaped to broadcast along axis 0."""
    torch = _torch()
    k = torch.arange(n, device=like.device, dtype=like.dtype)
    return torch.polar(torch.ones_like(k), sign * math.pi * k / (2 * n)).reshape(
        (n,) + (1,) * (ndim - 1))


def _dct_torch(v: Any) -> Any:
    torch = _torch()
    n = v.shape[0]
    w = torch.cat([v[0::2], v[1::2].flip(0)], dim=0)
    y = (torch.fft.fft(w, dim=0) * _phase(n, -1.0, v, v.ndim)).real * math.sqrt(2.0 / n)
    y[0] = y[0] / math.sqrt(2.0)
    return y


def _idct_torch(v: Any) -> Any:
    torch = _torch()
    n = v.shape[0]
    u = v * math.sqrt(n / 2.0)
    u = torch.cat([u[:1] * math.sqrt(2.0), u[1:]], dim=0)
    # V_k = (u_k - i u_{n-k}) e^{i pi k / 2n}, u_n = 0: the FFT of the reordered input.
    rev = torch.cat([torch.zeros_like(u[:1]), u[1:].flip(0)], dim=0)
    w = torch.fft.ifft(torch.complex(u, -rev) * _phase(n, 1.0, v, v.ndim), dim=0).real
    half = (n + 1) // 2
    x = torch.empty_like(w)
    x[0::2] = w[:half]
    x[1::2] = w[half:].flip(0)
    return x


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
