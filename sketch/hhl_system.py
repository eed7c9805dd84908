"""The linear system HHL solves: ``A x = b`` brought to a Hermitian, power-of-two form.

HHL (Harrow, Hassidim and Lloyd, PRL 2009) applies ``e^{iAt}`` on ``n`` qubits, so A must
be Hermitian and of size ``2^n``. A non-Hermitian A is replaced by its Hermitian dilation
``[[0, A], [A†, 0]]`` and any size is padded to the next power of two without changing the
solution (:class:`HHLProblem`). Also here: the overflow-safe norm the emulator and the
circuits normalise ``|b⟩`` with, and the random SPD test systems of known condition number.
:mod:`sketch.hhl` emulates the circuit on such a problem.

Examples
--------
>>> import numpy as np
>>> p = hhl_problem(np.array([[0.0, 1.0], [2.0, 0.0]]), np.ones(2))
>>> p.dilated, p.num_qubits, p.extract(p.rhs).tolist()
(True, 2, [0.0, 0.0])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from .backend import (
    array_module,
    compat,
    device,
    is_sparse,
    is_torch,
    numpy_dtype,
    qr,
    safe_norm,
    sparse,
    to_dense,
)
from .budgets import check_allocation, check_time_limit
from .checks import (
    check_backend,
    check_matrix,
    check_positive_int,
    check_progress,
    check_square,
    check_vector,
    is_hermitian,
)
from .errors import ShapeError
from .hhl_sizing import DENSE_LIMIT, eigenvalue_bounds
from .rng import as_key


def stable_norm(v: Any) -> float:
    """``‖v‖₂`` as a Python float, right also where the squares of v under- or overflow
    (:func:`~sketch.backend.safe_norm`, the one home of that rule).

    Examples
    --------
    >>> import numpy as np
    >>> round(stable_norm(np.array([3e-300, 4e-300])) / 1e-300, 12)
    5.0
    """
    return float(safe_norm(v))


@dataclass
class HHLProblem:
    """A linear system ``A x = b`` brought to the form HHL needs.

    Non-Hermitian A is replaced by the Hermitian dilation
    ``H = [[0, A], [A†, 0]]`` with right-hand side ``[b; 0]``: then
    ``H [y; x] = [b; 0]`` has ``x = A⁻¹b`` in its lower block. A size that is not a power of two
    is padded to ``H ⊕ c I`` with ``b`` padded by zeros: the matrix is block
    diagonal and b has no component in the added block, so ``e^{iHt}`` never
    moves amplitude into it and the solution's first block is unchanged —
    for any ``c``; ``c`` is taken inside the spectrum so κ does not grow.

    Attributes
    ----------
    matrix : array or sparse matrix
        The Hermitian, padded matrix of size ``2**num_qubits``.
    rhs : array
        ``b`` padded (and stacked for the dilation), not normalised.
    num_qubits : int
    size : int
        The original number of unknowns.
    offset : int
        Where the unknowns start in the padded vector (``rows of A`` for the dilation).
    dilated, padded : bool
    bounds : tuple or None
        :func:`eigenvalue_bounds` of the matrix when they were computed for the
        padding (reused by the sizing).
    """

    matrix: Any
    rhs: Any
    num_qubits: int
    size: int
    offset: int
    dilated: bool
    padded: bool
    bounds: tuple | None = None

    def extract(self, v: Any) -> Any:
        """The unknowns' block of a padded vector."""
        return v[self.offset : self.offset + self.size]

    def embed(self, v: Any) -> Any:
        """Put a vector of unknowns into the padded space (zeros elsewhere)."""
        xp = compat(array_module(v))
        out = xp.zeros(self.rhs.shape[0], dtype=xp.result_type(v.dtype, self.rhs.dtype),
                       device=device(v))
        out[self.offset : self.offset + self.size] = v
        return out


def hhl_problem(A: Any, b: Any, *, hermitian: bool | None = None,
                time_limit: float | None = None, progress: bool | None = None) -> HHLProblem:
    """Validate ``A x = b`` and return its Hermitian, power-of-two form.

    Parameters
    ----------
    A : (n, n) array or sparse matrix
        Square and invertible. Hermitian matrices are used as they are; others
        through the dilation.
    b : (n,) array
        Must be finite and non-zero.

    Raises
    ------
    ShapeError
        A is not square (HHL solves square invertible systems; a rectangular
        system is a least-squares problem: ``qla.lstsq``).
    ValueError
        b is zero (x = 0; there is no state |b⟩ to prepare).
    hermitian : bool, optional
        Force (False) the dilation or skip the test (True). Default: test.
    time_limit, progress : optional
        Seconds, and the tqdm bar, of the Lanczos eigenvalue bounds that padding to a power
        of two needs beyond ``DENSE_LIMIT`` rows (:func:`~sketch.hhl_sizing.eigenvalue_bounds`).

    Examples
    --------
    >>> import numpy as np
    >>> p = hhl_problem(np.diag([1.0, 2.0, 3.0]), np.ones(3))
    >>> p.num_qubits, p.padded, p.dilated
    (2, True, False)
    """
    time_limit, progress = check_time_limit(time_limit), check_progress(progress)
    if is_torch(A) and is_sparse(A):
        # A sparse tensor at the sizes the emulator diagonalises densely costs nothing to
        # densify; beyond, the Lanczos path needs a sparse format with a SciPy API.
        if A.shape[0] > DENSE_LIMIT:
            check_backend(A, "A", ("numpy", "cupy"), f"Lanczos on sparse A above {DENSE_LIMIT} "
                          "rows", "pass a scipy.sparse (or cupyx) matrix, or a dense tensor")
        A = to_dense(A)
    check_matrix(A, "A", sparse=True, operator=False)
    if A.shape[0] != A.shape[1]:
        raise ShapeError(
            f"A must be square for HHL, got shape {A.shape}: a rectangular system has no "
            "inverse to apply; solve it in the least-squares sense with qla.lstsq"
        )
    check_vector(b, "b", length=A.shape[0])
    if b.ndim != 1:
        raise ShapeError("b must be one right-hand side (1-D); solve several systems one by one")
    xp = compat(array_module(A, b))
    if not bool(xp.any(b)):
        raise ValueError("b is zero, so x = 0: HHL needs a non-zero right-hand side to prepare |b>")
    herm = is_hermitian(A) if hermitian is None else hermitian
    dtype = xp.result_type(A.dtype, b.dtype)
    n_rows, n_cols = A.shape
    if herm:
        check_square(A, "A")
        H, rhs, offset, size = A, b, 0, n_cols
    else:
        H = _dilation(A, xp)
        rhs = xp.concat([b, xp.zeros(n_cols, dtype=b.dtype, device=device(b))])
        offset, size = n_rows, n_cols
    dim = H.shape[0]
    nq = max(1, (dim - 1).bit_length())
    padded = (1 << nq) != dim
    bounds = None
    if padded:
        extra = (1 << nq) - dim
        # Pad with max|λ|: the padded spectrum then has the same min|λ|, max|λ| and sign
        # pattern, so κ and the automatic sizing are unchanged (and the bounds are reused).
        bounds = eigenvalue_bounds(H, time_limit=time_limit, progress=progress)
        c = bounds[1]
        if is_sparse(H):
            sp = sparse(xp)
            H = sp.block_diag([H, sp.identity(extra, dtype=dtype) * c], format="csr")
        else:
            big = xp.zeros((dim + extra, dim + extra), dtype=dtype, device=device(H))
            big[:dim, :dim] = H
            idx = xp.arange(dim, dim + extra, device=device(H))
            big[idx, idx] = c
            H = big
        rhs = xp.concat([rhs, xp.zeros(extra, dtype=rhs.dtype, device=device(rhs))])
    return HHLProblem(H, rhs, nq, size, offset, not herm, padded, bounds)


def _dilation(A: Any, xp: ModuleType) -> Any:
    """The Hermitian dilation ``[[0, A], [A†, 0]]``, sparse (CSR) when A is."""
    if is_sparse(A):
        sp = sparse(xp)
        As = A.tocsr()
        return sp.bmat([[None, As], [As.conj().T, None]], format="csr")
    n_rows, n_cols = A.shape
    dev = device(A)
    top = xp.concat([xp.zeros((n_rows, n_rows), dtype=A.dtype, device=dev), A], axis=1)
    low = xp.concat([xp.conj(A).T, xp.zeros((n_cols, n_cols), dtype=A.dtype, device=dev)], axis=1)
    return xp.concat([top, low], axis=0)




def random_spd_system(
    n: int, kappa: float, seed: Any = None, xp: ModuleType = np, dtype: Any = np.float64,
    device: Any = None,
) -> tuple[Any, Any]:
    """A random symmetric positive definite ``A`` with condition number ``kappa`` and a ``b``.

    Eigenvalues geometrically spaced in ``[1/kappa, 1]`` (so ``κ`` is exact),
    eigenvectors from the QR of a Gaussian matrix; ``b`` Gaussian. Both from
    ``as_key(seed)``, created on ``xp``'s device (for torch, ``device``: a
    ``torch.device``); the same seed gives the same system on every backend.

    Examples
    --------
    >>> import numpy as np
    >>> A, b = random_spd_system(4, 10.0, seed=0)
    >>> round(float(np.linalg.cond(A)), 6)
    10.0
    """
    n = check_positive_int(n, "n")
    if not (kappa >= 1 and math.isfinite(kappa)):
        raise ValueError(f"kappa must be a finite condition number >= 1, got {kappa}")
    # the Gaussian, its Q and A: three n×n float64 arrays at the peak
    check_allocation(3 * 8 * float(n) ** 2, f"a random {n}×{n} system (n={n})", xp=xp,
                     device=device, fix="ask for a smaller n")
    key = as_key(seed).child("random-spd")
    cx = compat(xp)
    G = cx.reshape(key.child("Q").normal(range(n * n), xp, device=device), (n, n))
    Q = qr(G)[0]
    lam = kappa ** (-cx.linspace(0.0, 1.0, n, dtype=cx.float64, device=device))
    A = (Q * lam[None, :]) @ Q.T
    A = (A + A.T) / 2
    b = key.child("b").normal(range(n), xp, device=device)
    dt = numpy_dtype(dtype)
    return cx.astype(A, getattr(cx, dt.name)), cx.astype(b, getattr(cx, dt.name))


__all__ = ["HHLProblem", "hhl_problem", "random_spd_system", "stable_norm"]
