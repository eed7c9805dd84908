"""Batched Haar-random unitaries, orthogonal matrices, states and isometries.

A matrix ``Z`` with i.i.d. standard complex Gaussian entries (the Ginibre
ensemble) has a QR factorisation ``Z = QR``; if ``R`` is normalised to have a
positive real diagonal, ``Q`` is distributed by the Haar measure on U(d)
(Mezzadri, "How to generate random matrices from the classical compact
groups", Notices AMS 54, 2007). LAPACK does not normalise ``R``, so the fix is
``Q · diag(R_ii / |R_ii|)``; forgetting it gives a biased ensemble. The real
case gives Haar O(d).

Two QR paths, both on the array's device:

* NumPy: Householder QR with Mezzadri's phase correction: LAPACK's
  ``geqrf``/``ungqr`` called matrix by matrix for ``d >= 32``, the stacked
  ``numpy.linalg.qr`` for ``4 <= d < 32``, and for ``d <= 3`` the vectorised
  Gram–Schmidt below, which beats per-matrix LAPACK calls there.
* CuPy or torch on a GPU with ``d <= 32``: classical Gram–Schmidt applied twice ("twice is
  enough", Giraud–Langou–Rozložník 2005) with elementwise operations
  vectorised over the batch, so a batch of small matrices costs a few dozen
  kernel launches instead of one solver call per matrix. It produces the
  positive-diagonal ``R`` directly, so no phase fix is needed. Larger ``d``
  uses the library's batched QR (``sketch.backend.qr``) with the phase fix.
  Torch on the CPU takes the host's choices.

Both paths compute the same ``Q`` (the QR factor with positive diagonal ``R`` is
unique), so CPU and GPU results agree to rounding.

Randomness comes from :mod:`sketch.rng`: the Gaussian entries of sample ``i``
are a pure function of the key and of counters ``i*d*d ... (i+1)*d*d - 1``, so
NumPy, CuPy and torch draw the same matrices (to rounding), and the first ``k``
samples of a batch of ``b`` equal a batch of ``k`` from the same seed.
``device="torch"`` (or ``"torch:cuda"``, a ``torch.device``) returns tensors.

Examples
--------
>>> import numpy as np
>>> U = haar_unitary(4, batch=3, seed=0)
>>> U.shape
(3, 4, 4)
>>> bool(np.allclose(U[0] @ U[0].conj().T, np.eye(4)))
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from .backend import (
    backend_name,
    compat,
    library_dtype,
    module_for_device,
    native_device,
    numpy_dtype,
    qr,
)
from .budgets import check_allocation, check_work
from .checks import check_positive_int
from .rng import Key, as_key

__all__ = [
    "haar_unitary",
    "haar_orthogonal",
    "haar_state",
    "haar_isometry",
    "complex_ginibre",
]

#: Largest ``d`` served by the vectorised Gram–Schmidt path on the GPU.
GRAM_SCHMIDT_MAX_D = 32
#: Largest ``d`` served by it on the host (LAPACK's per-call overhead only dominates below).
GRAM_SCHMIDT_MAX_D_HOST = 3
#: Smallest ``d`` for which the host calls LAPACK matrix by matrix (below, the stacked
#: ``numpy.linalg.qr``: a Python loop over tens of thousands of tiny matrices costs more).
LAPACK_LOOP_MIN_D = 32
# Peak working memory of a draw, in multiples of the output's size: the
# uniforms (2 float64 per complex entry), the Gaussian array and QR workspace.
_WORK_FACTOR = 5


def _check_draw(entries: int, t: _Target, what: str) -> None:
    check_allocation(entries * max(t.dtype.itemsize, 16) * _WORK_FACTOR, what, xp=t.xp,
                     device=t.device,
                     fix="draw a smaller batch (or loop over batches with different seeds)")


# Host cost per sample for the work rule (sketch.budgets.check_work): the Gaussian entries
# (about 5 ns each) and the Householder QR and its Q, at least 8·d·k² flops at an assumed
# (generous) 5e10 flop/s; measured 0.3 s for one 864 x 864 unitary on a 2-core machine.
_ENTRY_S = 2e-9
_QR_FLOP_S = 2e-11


def _check_host_work(count: int, d: int, k: int, t: _Target, what: str) -> None:
    if t.host:
        check_work(float(count) * d * k * (_ENTRY_S + 8 * k * _QR_FLOP_S), what,
                   fix="draw a smaller batch or dimension (a GPU: device='cupy')")


def _batch_shape(batch: Any) -> tuple[int, ...]:
    if batch is None:
        return ()
    if isinstance(batch, (tuple, list)):
        return tuple(check_positive_int(b, "batch") for b in batch)
    return (check_positive_int(batch, "batch"),)


@dataclass(frozen=True)
class _Target:
    """Where and how to draw: key, array-API namespace, device, dtype."""

    key: Key
    xp: Any  # array-API namespace (array_api_compat.numpy / cupy / torch)
    device: Any
    dtype: np.dtype

    @property
    def host(self) -> bool:
        return backend_name(self.xp) == "numpy" or str(self.device) == "cpu"


def _resolve(seed: Any, device: Any, dtype: Any, real: bool) -> _Target:
    xp = module_for_device(device)
    dt = numpy_dtype(dtype)
    if real and dt.kind != "f":
        raise TypeError(f"dtype must be float32 or float64 for real samples, got {dt}")
    if not real and dt.kind != "c":
        raise TypeError(f"dtype must be complex64 or complex128, got {dt}")
    if dt.itemsize not in ((4, 8) if real else (8, 16)):
        raise TypeError(f"dtype {dt} is not supported; use float32/64 or complex64/128")
    return _Target(as_key(seed), compat(xp), native_device(device), dt)


def complex_ginibre(
    key: Key, start: int, count: int, xp: ModuleType = np, device: Any = None
) -> Any:
    """``count`` standard complex Gaussians (E|z|^2 = 1) from counters ``start...``.

    Complex Box–Muller: ``z = sqrt(-log(1 - v1)) exp(2 pi i v2)`` with ``v1, v2`` in
    [0, 1) from the key's words ``2c`` and ``2c + 1`` (:meth:`sketch.rng.Key.complex_normal`);
    the real and imaginary parts are independent N(0, 1/2).

    Examples
    --------
    >>> z = complex_ginibre(as_key(1), 0, 20000)
    >>> bool(abs(np.mean(np.abs(z) ** 2) - 1) < 0.05)
    True
    """
    return key.complex_normal(range(start, start + count), xp, device=device)


def _gaussian(t: _Target, key: Key, shape: tuple[int, ...], real: bool) -> Any:
    count = math.prod(shape)
    if real:
        return t.xp.reshape(key.normal(range(count), t.xp, device=t.device), shape)
    return t.xp.reshape(complex_ginibre(key, 0, count, t.xp, t.device), shape)


def _gram_schmidt(Z: Any, xp: Any) -> Any:
    """Orthonormalise the columns of each matrix in the stack ``Z`` (CGS2).

    Works on the transposed stack so a column is a contiguous last axis.
    Returns Q with R's diagonal real positive (no phase fix needed).
    """
    A = xp.matrix_transpose(Z) * 1  # rows of A = columns of Z, a fresh contiguous copy
    k = A.shape[-2]
    for j in range(k):
        v = A[..., j, :]
        if j:
            Q = A[..., :j, :]
            for _ in range(2):  # re-orthogonalise once: orthogonality to eps
                h = xp.sum(xp.conj(Q) * v[..., None, :], axis=-1)
                v = v - xp.sum(h[..., :, None] * Q, axis=-2)
        norm = xp.sqrt(xp.sum(xp.real(v * xp.conj(v)), axis=-1))
        A[..., j, :] = v / norm[..., None]
    return xp.matrix_transpose(A)


def _orthonormal_columns(Z: Any, t: _Target) -> Any:
    """Mezzadri's phase-fixed Q of each Gaussian matrix in ``Z`` (which it may overwrite)."""
    # Per-matrix solver calls cost a fixed overhead: on the GPU it dominates up to
    # d = 32; on the host LAPACK wins from d = 4 on, vectorised CGS2 below that
    # (measured with NumPy 2.4 / OpenBLAS: d = 2 is 2x faster, d = 3 even, d = 4 1.3x slower).
    xp = t.xp
    limit = GRAM_SCHMIDT_MAX_D_HOST if t.host else GRAM_SCHMIDT_MAX_D
    if Z.shape[-2] <= limit:
        return _gram_schmidt(Z, xp)
    if Z.shape[-2] >= LAPACK_LOOP_MIN_D and backend_name(xp) == "numpy":
        return _lapack_loop(Z)
    if backend_name(xp) == "numpy" and _STACKED_QR is not None:
        Q, diag = _stacked_qr_in_place(Z)
    else:
        Q, R = qr(Z)
        diag = xp.linalg.diagonal(R)
    # Mezzadri's fix; a zero pivot has probability 0 but must not give NaN.
    zero = diag == 0
    phase = xp.where(zero, xp.ones_like(diag), diag / xp.where(zero, xp.ones_like(diag),
                                                               xp.abs(diag)))
    Q *= phase[..., None, :]
    return Q


def _numpy_qr_gufuncs() -> tuple[Any, Any] | None:
    """NumPy's stacked QR gufuncs (``numpy.linalg.qr`` calls them), when they are there."""
    try:
        from numpy.linalg import _umath_linalg as um
    except ImportError:  # pragma: no cover - a NumPy without them: the public qr is used
        return None
    if not (hasattr(um, "qr_r_raw") and hasattr(um, "qr_reduced")):  # pragma: no cover
        return None
    return um.qr_r_raw, um.qr_reduced


_STACKED_QR = _numpy_qr_gufuncs()


def _stacked_qr_in_place(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(Q, diag R)`` of each matrix of the stack ``Z``, which it overwrites.

    What ``numpy.linalg.qr`` does (Householder ``geqrf``, then ``ungqr``/``orgqr``),
    less what a sampler that owns its Gaussian draw does not need: the defensive copy
    of the input and R's upper triangle (only its diagonal is used). At d = 16 those
    were ~8% of a draw.
    """
    raw, reduced = _STACKED_QR
    cplx = np.iscomplexobj(Z)
    with np.errstate(invalid="raise", over="ignore", divide="ignore", under="ignore"):
        tau = raw(Z, signature="D->D" if cplx else "d->d")
        Q = reduced(Z, tau, signature="DD->D" if cplx else "dd->d")
    return Q, np.diagonal(Z, axis1=-2, axis2=-1)


def _lapack_loop(Z: np.ndarray) -> np.ndarray:
    """Mezzadri's phase-fixed Householder QR of each matrix, straight from LAPACK.

    ``geqrf`` then ``ungqr``/``orgqr`` with their optimal workspace, one matrix at a
    time: for ``d >= LAPACK_LOOP_MIN_D`` this is 1.1-1.5x faster than
    ``numpy.linalg.qr`` on the stack (measured, one BLAS thread; the loop's
    per-matrix overhead makes it slower below d = 24), whose batched wrapper
    copies more and blocks less.
    """
    from scipy.linalg import lapack

    count, d, k = Z.shape
    geqrf, gqr = lapack.get_lapack_funcs(
        ("geqrf", "ungqr" if np.iscomplexobj(Z) else "orgqr"), (Z,))
    lw1 = max(1, int(geqrf(Z[0], lwork=-1)[2][0].real))
    Q = np.empty_like(Z)
    for i in range(count):
        packed, tau, _, info = geqrf(Z[i], lwork=lw1)
        diag = packed.diagonal().copy()
        if i == 0:
            lw2 = max(1, int(gqr(packed, tau, lwork=-1)[1][0].real))
        q, _, info2 = gqr(packed, tau, lwork=lw2, overwrite_a=True)
        if info or info2:
            raise RuntimeError(f"LAPACK QR failed (info {info}, {info2})")
        # Mezzadri's fix; a zero pivot has probability 0 but must not give NaN.
        mag = np.abs(diag)
        np.multiply(q, np.where(mag == 0, 1.0, diag / np.where(mag == 0, 1.0, mag)), out=Q[i])
    return Q


def _sample(
    d: int, k: int, batch: Any, seed: Any, device: Any, dtype: Any, real: bool, what: str
) -> Any:
    t = _resolve(seed, device, dtype, real)
    shape = _batch_shape(batch)
    count = math.prod(shape) if shape else 1
    _check_draw(count * d * k, t, what)
    _check_host_work(count, d, k, t, what)
    label = "haar-orthogonal" if real else "haar-unitary"
    Z = _gaussian(t, t.key.child(label), (count, d, k), real)
    Q = _orthonormal_columns(Z, t)
    Q = t.xp.astype(Q, library_dtype(t.xp, t.dtype), copy=False)
    return t.xp.reshape(Q, shape + (d, k))


def haar_unitary(
    d: int,
    batch: int | tuple[int, ...] | None = None,
    seed: Any = None,
    device: Any = None,
    dtype: Any = np.complex128,
) -> Any:
    """Haar-random unitary matrices from U(d), batched.

    Parameters
    ----------
    d : int
        Matrix size (``>= 1``).
    batch : int, tuple of int or None
        Number (or shape) of independent samples; ``None`` returns one ``(d, d)``
        matrix, otherwise the result has shape ``batch + (d, d)``.
    seed : None, int, Generator or Key
        Reproducibility (see :func:`sketch.rng.as_key`).
    device : None, "cpu", "gpu", "torch", "torch:cpu", "torch:cuda" or torch.device
        Where to create the samples: NumPy (default), CuPy (``"gpu"``) or torch
        tensors on the given device.
    dtype : complex64 or complex128
        Result precision (sampling is done in float64).

    Returns
    -------
    ndarray or Tensor
        NumPy or CuPy array, or torch tensor, of unitaries.

    Raises
    ------
    TypeError, ValueError
        Non-integer, zero or negative ``d``/``batch``; a real dtype.
    MemoryError
        When the draw cannot fit in free memory (raised before allocating).

    Notes
    -----
    Mezzadri (2007): ``Q diag(R_ii/|R_ii|)`` of a complex Ginibre matrix.
    Checks: ``E|U_ij|^2 = 1/d``, ``E|Tr U|^{2k} = k!`` for ``k <= d``.

    Examples
    --------
    >>> U = haar_unitary(8, batch=(2, 5), seed=1)
    >>> U.shape, U.dtype
    ((2, 5, 8, 8), dtype('complex128'))
    """
    d = check_positive_int(d, "d")
    return _sample(d, d, batch, seed, device, dtype, False, f"haar_unitary(d={d})")


def haar_orthogonal(
    d: int,
    batch: int | tuple[int, ...] | None = None,
    seed: Any = None,
    device: Any = None,
    dtype: Any = np.float64,
) -> Any:
    """Haar-random orthogonal matrices from O(d), batched (real Ginibre QR).

    Same parameters as :func:`haar_unitary` with a real ``dtype``.

    Examples
    --------
    >>> O = haar_orthogonal(3, seed=0)
    >>> bool(np.allclose(O.T @ O, np.eye(3)))
    True
    """
    d = check_positive_int(d, "d")
    return _sample(d, d, batch, seed, device, dtype, True, f"haar_orthogonal(d={d})")


def haar_isometry(
    d: int,
    k: int,
    batch: int | tuple[int, ...] | None = None,
    seed: Any = None,
    device: Any = None,
    dtype: Any = np.complex128,
) -> Any:
    """Haar-random isometries ``V`` (``d x k``, ``V^H V = I_k``): ``k`` columns of a Haar unitary.

    Examples
    --------
    >>> V = haar_isometry(8, 2, seed=0)
    >>> bool(np.allclose(V.conj().T @ V, np.eye(2)))
    True
    """
    d = check_positive_int(d, "d")
    k = check_positive_int(k, "k")
    if k > d:
        raise ValueError(f"an isometry from C^{k} into C^{d} needs k <= d, got k={k} > d={d}")
    return _sample(d, k, batch, seed, device, dtype, False, f"haar_isometry(d={d}, k={k})")


def haar_state(
    d: int,
    batch: int | tuple[int, ...] | None = None,
    seed: Any = None,
    device: Any = None,
    dtype: Any = np.complex128,
) -> Any:
    """Haar-random unit vectors in C^d (normalised complex Gaussian vectors).

    Returns shape ``batch + (d,)``.

    Examples
    --------
    >>> psi = haar_state(16, batch=4, seed=3)
    >>> bool(np.allclose(np.linalg.norm(psi, axis=-1), 1))
    True
    """
    d = check_positive_int(d, "d")
    t = _resolve(seed, device, dtype, False)
    shape = _batch_shape(batch)
    count = math.prod(shape) if shape else 1
    _check_draw(count * d, t, f"haar_state(d={d})")
    xp = t.xp
    z = _gaussian(t, t.key.child("haar-state"), (count, d), False)
    z = z / xp.sqrt(xp.sum(xp.real(z * xp.conj(z)), axis=-1))[:, None]
    return xp.reshape(xp.astype(z, library_dtype(xp, t.dtype), copy=False), shape + (d,))
