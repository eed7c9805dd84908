"""Input validation shared by every public function in qla.

Each check raises an exception from :mod:`sketch.errors` that names the
argument, what was wrong and what is expected. Checks never copy or convert
their input: nothing is silently changed. What a call may spend (memory, time)
is ruled in :mod:`sketch.budgets`.

Examples
--------
>>> import numpy as np
>>> A = check_matrix(np.eye(3), "A")
>>> check_matrix(np.array([[1.0, np.nan]]), "A")
Traceback (most recent call last):
...
sketch.errors.NonFiniteError: A holds NaN or infinity; clean or impute it first
"""

from __future__ import annotations

import math
import os
from types import ModuleType
from typing import Any

import numpy as np

from .backend import (
    array_module,
    backend_name,
    is_operator,
    is_sparse,
    max_abs,
    numpy_dtype,
)
from .errors import (
    BackendMismatchError,
    NonFiniteError,
    NotHermitianError,
    NotPowerOfTwoError,
    ShapeError,
    ToleranceError,
    UnsupportedBackendError,
)

_KINDS = "a NumPy/CuPy array, a scipy/cupyx sparse matrix or a LinearOperator"


_DTYPES = ("float32", "float64", "complex64", "complex128")


def check_dtype(dtype: Any, name: str) -> None:
    """Require float32, float64, complex64 or complex128.

    Integers and booleans would silently truncate; float16 and extended precision
    (float128) are refused too, because LAPACK (and so every factorisation) has no
    kernels for them — convert to float32/float64 first.
    """
    try:
        dt = numpy_dtype(dtype)
    except TypeError:  # a dtype NumPy does not know (torch.bfloat16, float8...)
        raise TypeError(f"{name} has dtype {dtype}; qla needs float32, float64, complex64 or "
                        f"complex128 — convert it first (e.g. {name}.to(torch.float32))") from None
    if dt.name not in _DTYPES:
        to = "float64" if dt.kind in "biuf" else ("complex128" if dt.kind == "c" else "float")
        raise TypeError(
            f"{name} has dtype {dt}; qla needs float32, float64, complex64 "
            f"or complex128 — convert it with {name}.astype({to})"
        )


def check_finite(x: Any, name: str) -> None:
    """Raise :class:`NonFiniteError` if a dense or sparse array holds NaN/inf."""
    if is_operator(x):
        return
    if is_sparse(x):
        _refuse_building_formats(x, name)
    data = x.data if is_sparse(x) else x
    xp = array_module(data)
    if not bool(xp.isfinite(data).all()):
        raise NonFiniteError(f"{name} holds NaN or infinity; clean or impute it first")


def all_finite(x: np.ndarray) -> bool:
    """Whether a dense NumPy float or complex array holds no NaN or infinity, in one read.

    The sum of the (real view of the) entries is finite only if every entry is: a NaN
    or an infinity makes it NaN or infinity (``inf - inf`` is NaN). NumPy's sum reads
    ``x`` once with no temporary, where ``isfinite(x).all()`` writes and reads a boolean
    array as well; only when the sum is not finite (bad entries, or finite ones whose
    sum overflows) are the entries tested.

    Not a BLAS dot, though one reads ``x`` as fast: a multithreaded OpenBLAS call
    leaves its worker threads spinning for about 2**28 cycles (0.1 s) after it returns,
    and a threaded kernel called next then shares a core with them. Run after every
    ``S @ A``, a dot made the next CountSketch on 2 threads take 3.4 passes over A
    instead of 2.1 (issue 20, 100000 × 1000, s = 4000).

    Examples
    --------
    >>> all_finite(np.array([1.0, 2.0])), all_finite(np.array([1.0, np.inf]))
    (True, False)
    >>> all_finite(np.array([1e308, 1e308]))  # the sum overflows: each entry is tested
    True
    """
    flat = x.reshape(-1)
    if flat.dtype.kind == "c":
        flat = flat.view(flat.real.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(flat)
    return bool(np.isfinite(total)) or bool(np.isfinite(flat).all())


def check_same_backend(**arrays: Any) -> ModuleType:
    """The namespace that owns the named ``arrays`` (see :func:`~sketch.backend.array_module`);
    a mix of libraries or devices, or of dtypes among torch tensors (which torch does not
    promote), is refused naming which argument is which.

    Examples
    --------
    >>> import numpy as np
    >>> check_same_backend(A=np.eye(2), b=None).__name__
    'numpy'
    """
    try:
        xp = array_module(*arrays.values())
    except BackendMismatchError as exc:
        owners = ", ".join(f"{name} is {_owner(x)}" for name, x in arrays.items()
                           if x is not None and not isinstance(x, (int, float, complex)))
        raise BackendMismatchError(f"{owners}: {exc}") from None
    if backend_name(xp) == "torch":
        # torch promotes no dtypes in products (a float32 A times a float64 x fails deep inside)
        dtypes = {name: x.dtype for name, x in arrays.items() if x is not None}
        if len(set(dtypes.values())) > 1:
            first = next(iter(dtypes))
            raise TypeError(
                " and ".join(f"{n} is {dt}" for n, dt in dtypes.items()) + "; torch multiplies "
                f"only tensors of one dtype — convert them to one, e.g. x.to({first}.dtype)")
    return xp


def _owner(x: Any) -> str:
    name = backend_name(x)
    return f"a torch tensor on {x.device}" if name == "torch" else f"a {name} array"


def check_sampling_mass(total: float, name: str = "A") -> None:
    """Refuse to sample rows by leverage scores that sum to zero (``name`` is the zero matrix).

    Examples
    --------
    >>> check_sampling_mass(0.0)
    Traceback (most recent call last):
    ...
    ValueError: A is zero: every leverage score vanishes, so there is no row to sample
    """
    if not total > 0:
        raise ValueError(f"{name} is zero: every leverage score vanishes, so there is no row "
                         "to sample")


def check_array(x: Any, name: str) -> None:
    """Refuse None, lists, foreign objects and torch sparse layouts, naming the argument."""
    try:
        array_module(x)
    except TypeError as exc:
        raise TypeError(f"{name}: {exc}") from exc
    if not hasattr(x, "dtype"):
        raise TypeError(f"{name} must be an array, got {type(x).__name__}")
    _refuse_torch_sparse(x, name)


def _refuse_torch_sparse(x: Any, name: str) -> None:
    """Sparse torch tensors are qla's own operators' layout, not an input it takes."""
    if is_sparse(x) and backend_name(x) == "torch":
        raise UnsupportedBackendError(
            f"{name} is a torch tensor with layout {x.layout}; qla takes dense (strided) torch "
            f"tensors — pass {name}.to_dense(), or a scipy.sparse matrix for sparse input"
        )


def _refuse_building_formats(A: Any, name: str) -> None:
    if getattr(A, "format", None) in ("lil", "dok"):  # their .data is not an array
        raise TypeError(f"{name} is a scipy.sparse {A.format.upper()} matrix, a format for "
                        f"building matrices; pass {name}.tocsr()")


def check_matrix(
    A: Any,
    name: str = "A",
    *,
    sparse: bool = True,
    operator: bool = False,
    finite: bool = True,
) -> Any:
    """Validate a 2-D matrix argument and return it unchanged.

    Parameters
    ----------
    A : array, sparse matrix or LinearOperator
    name : str
        Argument name, for messages.
    sparse, operator : bool
        Whether scipy/cupyx sparse matrices and LinearOperators are accepted.
    finite : bool
        Whether to scan for NaN/inf (skipped for LinearOperators).
    """
    if is_operator(A):
        if not operator:
            raise TypeError(f"{name} is a LinearOperator, but this function needs its entries")
    elif is_sparse(A):
        _refuse_torch_sparse(A, name)
        _refuse_building_formats(A, name)
        if not sparse:
            raise TypeError(
                f"{name} is sparse; this function needs a dense array ({name}.toarray())"
            )
    else:
        check_array(A, name)
        if getattr(A, "ndim", None) != 2:
            raise ShapeError(f"{name} must be a 2-D matrix, got shape {getattr(A, 'shape', None)}")
    if min(A.shape) == 0:
        raise ShapeError(f"{name} is empty (shape {A.shape}); it needs at least one row and column")
    check_dtype(A.dtype, name)
    if finite:
        check_finite(A, name)
    return A


def check_vector(b: Any, name: str = "b", *, length: int | None = None, finite: bool = True):
    """Validate a 1-D vector (or 2-D block of right-hand sides) and return it (dense: a
    sparse right-hand side reached LAPACK and LSQR as a 0-d object and failed there)."""
    check_array(b, name)
    if is_sparse(b):
        raise TypeError(f"{name} is sparse; a vector or block of right-hand sides must be "
                        f"dense ({name}.toarray())")
    if getattr(b, "ndim", None) not in (1, 2):
        raise ShapeError(f"{name} must be 1-D (or 2-D for several right-hand sides), "
                         f"got shape {getattr(b, 'shape', None)}")
    if b.shape[0] == 0:
        raise ShapeError(f"{name} is empty")
    if length is not None and b.shape[0] != length:
        raise ShapeError(
            f"{name} has {b.shape[0]} rows but the matrix has {length}; they must match"
        )
    check_dtype(b.dtype, name)
    if finite:
        check_finite(b, name)
    return b


def check_square(A: Any, name: str = "A") -> None:
    """Require a square matrix."""
    if A.shape[0] != A.shape[1]:
        raise ShapeError(f"{name} must be square, got shape {A.shape}")


def hermitian_deviation(A: Any) -> tuple[float, float]:
    """``(max |A − A^H|, max |A|)`` of a square dense or sparse matrix (NumPy or CuPy)."""
    return max_abs(A - A.conj().T), max_abs(A)


def is_hermitian(A: Any, *, rtol: float = 1e-10) -> bool:
    """Whether square ``A`` equals ``A^H`` up to ``rtol`` relative to ``max|A|``.

    Examples
    --------
    >>> import numpy as np
    >>> is_hermitian(np.array([[1.0, 2.0], [2.0, 3.0]])), is_hermitian(np.triu(np.ones((2, 2))))
    (True, False)
    """
    if A.shape[0] != A.shape[1]:
        return False
    dev, scale = hermitian_deviation(A)
    return dev <= rtol * max(scale, np.finfo(float).tiny)


def check_hermitian(
    A: Any,
    name: str = "A",
    *,
    rtol: float = 1e-10,
    fix: str = "symmetrise it ((A + A^H)/2) or use the Hermitian dilation [[0, A], [A^H, 0]]",
) -> None:
    """Require ``A == A^H`` up to ``rtol`` relative to ``max|A|`` (dense or sparse).

    The one home of the Hermitian rule (matrices, HHL systems, observables);
    ``fix`` is the advice the message ends with.
    """
    check_square(A, name)
    dev, scale = hermitian_deviation(A)
    if dev > rtol * max(scale, np.finfo(float).tiny):
        raise NotHermitianError(
            f"{name} is not Hermitian: max |{name} - {name}^H| = {dev:.3g}; {fix}"
        )


def check_observable(M: Any, size: int, name: str = "M") -> Any:
    """Validate a Hermitian ``size × size`` observable ``M`` (for ``x†Mx``) and return it.

    Dense or sparse; finite, square, of the unknowns' size and Hermitian — otherwise
    ``x†Mx`` is not a measurable expectation value.

    Examples
    --------
    >>> import numpy as np
    >>> check_observable(np.eye(2), 2).shape
    (2, 2)
    >>> check_observable(np.array([[0.0, 1.0], [0.0, 0.0]]), 2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sketch.errors.NotHermitianError: M is not Hermitian: max |M - M^H| = 1; x†Mx is only ...
    """
    check_matrix(M, name)
    if M.shape != (size, size):
        raise ShapeError(f"{name} must be {size}×{size} like the unknowns, got shape {M.shape}")
    check_hermitian(M, name, fix="x†Mx is only measurable for Hermitian M: use (M + M^H)/2 "
                    "(same real part of x†Mx)")
    return M


def check_power_of_two(n: int, name: str) -> int:
    """Require ``n`` to be a positive power of two; return ``log2(n)``."""
    if n < 1 or n & (n - 1):
        raise NotPowerOfTwoError(f"{name} must be a power of two, got {n}; pad it to "
                                 f"{1 << max(0, int(n - 1).bit_length())}")
    return n.bit_length() - 1


#: The largest size :func:`check_positive_int` accepts by default (and the largest a computed
#: size may reach, :func:`check_computed_size`).
MAX_SIZE = 2**62


def check_positive_int(
    k: Any, name: str, *, minimum: int = 1, maximum: int | None = None, why: str = ""
) -> int:
    """Require an integer in ``[minimum, maximum]`` (bools refused) and return it as ``int``.

    ``maximum`` bounds iteration counts whose work is not sized by memory; ``why`` (appended
    to the error) says why larger values are refused and what to do instead. Without it,
    :data:`MAX_SIZE` (2⁶²) is the bound: no size beyond it fits any memory, and larger
    integers (10**400) overflow a float or a C integer in the arithmetic that follows.

    Examples
    --------
    >>> check_positive_int(3, "iters", maximum=10)
    3
    >>> check_positive_int(10**6, "iters", maximum=1000, why="use a Krylov method")
    Traceback (most recent call last):
    ...
    ValueError: iters must be at most 1000, got 1000000; use a Krylov method
    """
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(k).__name__}")
    if k < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {k}")
    if maximum is None:
        maximum, why = MAX_SIZE, why or "no size beyond 2**62 fits in any memory"
    if k > maximum:
        shown = k if k < 10**30 else f"an integer of {len(str(k))} digits"
        raise ValueError(f"{name} must be at most {maximum}, got {shown}"
                         + (f"; {why}" if why else ""))
    return int(k)


def check_tolerance(
    value: Any, name: str, *, upper: float | None = None, allow_zero: bool = False
) -> float:
    """Require a real number in ``(0, upper)`` (``[0, upper)`` with ``allow_zero``).

    For tolerances, distortions and failure probabilities. Returns it as ``float``.
    Raises ``TypeError`` for non-numbers (bools, strings, complex, arrays) and
    :class:`ToleranceError` (a ``ValueError``) for NaN, infinity or a value out of range.

    Examples
    --------
    >>> check_tolerance(0.1, "eps")
    0.1
    >>> check_tolerance(-1.0, "tol")
    Traceback (most recent call last):
    ...
    sketch.errors.ToleranceError: tol must be a positive number, got -1.0
    """
    v = _real(value, name)
    low_ok = v >= 0 if allow_zero else v > 0
    if not (math.isfinite(v) and low_ok):
        what = "a non-negative" if allow_zero else "a positive"
        raise ToleranceError(f"{name} must be {what} number, got {value}")
    if upper is not None and not v < upper:
        raise ToleranceError(f"{name} must be below {upper}, got {value}")
    return v


def _real(value: Any, name: str) -> float:
    """``value`` as a float (±inf for an int past the float range); TypeError for non-numbers
    (bools, strings, complex, arrays)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                     np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    # float(10**400) raises OverflowError
    return float(value) if not isinstance(value, int) or abs(value) < 2**1023 else (
        math.inf if value > 0 else -math.inf)


def check_finite_real(value: Any, name: str) -> float:
    """Require a finite real number (any sign) and return it as ``float``: ``TypeError`` for
    non-numbers (bools, strings, complex, arrays), ``ValueError`` for NaN and infinities.

    Examples
    --------
    >>> check_finite_real(-2, "factor")
    -2.0
    >>> check_finite_real(float("nan"), "factor")
    Traceback (most recent call last):
    ...
    ValueError: factor must be a finite number, got nan
    """
    v = _real(value, name)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return v


def check_progress(value: Any, name: str = "progress") -> bool | None:
    """Validate a ``progress=`` flag: ``True``, ``False`` or ``None`` (show when long).

    Examples
    --------
    >>> check_progress(None) is None
    True
    """
    if value is not None and not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True, False or None (a bar once the run is long), "
                        f"got {type(value).__name__}")
    return None if value is None else bool(value)


def check_p(p: Any, *, allow_inf: bool = False) -> float:
    """Validate the exponent p (1 ≤ p < ∞) and return it as a float.

    Examples
    --------
    >>> check_p(1)
    1.0
    >>> check_p(0.5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: p must satisfy 1 <= p < inf (got 0.5); ...
    """
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"p must be a number, got {type(p).__name__}")
    p = float(p)
    if math.isnan(p) or p < 1 or (p == math.inf and not allow_inf):
        raise ValueError(
            f"p must satisfy 1 <= p < inf (got {p}); p < 1 is not a norm and the sampling "
            "guarantees do not hold"
        )
    return p


#: Counters and integer labels of :class:`sketch.rng.Key` are 64-bit patterns: an int in
#: ``[-2**63, 2**64)`` (a negative one is the bits of ``c + 2**64``).
COUNTER_RANGE = (-(2**63), 2**64)


def check_scalar_counter(value: Any, name: str, expected: str = "an integer counter") -> int:
    """Require one counter of a keyed random stream (an integer in :data:`COUNTER_RANGE`; no
    range, no array, no bool) and return it as ``int``; ``expected`` names what is accepted
    in the ``TypeError``.

    Examples
    --------
    >>> check_scalar_counter(2**64 - 1, "start")
    18446744073709551615
    >>> check_scalar_counter(1.0, "start")
    Traceback (most recent call last):
    ...
    TypeError: start must be an integer counter, got float
    """
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be {expected}, got {type(value).__name__}")
    check_counter(value, name)
    return int(value)


def check_counter(counter: Any, name: str = "counter") -> None:
    """Require a counter of a keyed random stream: an integer in :data:`COUNTER_RANGE`, a
    ``range``, or an integer array (NumPy/CuPy/torch). A float, a bool or a string is
    refused (``1.5`` would silently read counter 1), as is an integer past 64 bits.

    Examples
    --------
    >>> check_counter(range(4))
    >>> check_counter(1.5)
    Traceback (most recent call last):
    ...
    TypeError: counter must be an integer, a range or an integer array, got float
    """
    if isinstance(counter, range):
        return
    if isinstance(counter, (int, np.integer)) and not isinstance(counter, (bool, np.bool_)):
        if not COUNTER_RANGE[0] <= counter < COUNTER_RANGE[1]:
            shown = counter if abs(counter) < 10**30 else f"{len(str(counter))} digits"
            raise ValueError(f"{name} must be a 64-bit integer in [-2**63, 2**64), got {shown}")
        return
    dtype = getattr(counter, "dtype", None)
    if dtype is not None and hasattr(counter, "shape") and not is_sparse(counter):
        kind = numpy_dtype(dtype).kind
        if kind in "iu":
            return
        raise TypeError(f"{name} must hold integers, got dtype {dtype}; counters index a "
                        "random stream")
    raise TypeError(f"{name} must be an integer, a range or an integer array, got "
                    f"{type(counter).__name__}")


def check_path(path: Any, name: str = "path") -> str | bytes | os.PathLike:
    """Require a file path: a non-empty ``str``, ``bytes`` or ``os.PathLike`` without NUL.

    An int is refused (``open(3)`` would write to file descriptor 3), as are ``""`` and an
    embedded NUL byte, whose errors from the OS name nothing.

    Examples
    --------
    >>> check_path("sketch.npz")
    'sketch.npz'
    >>> check_path(3)
    Traceback (most recent call last):
    ...
    TypeError: path must be a file name (str or os.PathLike), got int
    """
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"{name} must be a file name (str or os.PathLike), got "
                        f"{type(path).__name__}")
    text = os.fspath(path)
    if not text or (b"\0" if isinstance(text, bytes) else "\0") in text:
        raise ValueError(f"{name} must be a non-empty file name without NUL bytes, got "
                         f"{path!r}")
    return path


def check_computed_size(value: float, what: str, *, fix: str) -> int:
    """A sample or sketch size computed from tolerances, as an ``int`` of at least 1.

    Refuses (:class:`ToleranceError`) a size that is infinite, NaN or beyond 2⁶²
    (tiny ``eps`` or ``delta`` make ``1/eps²`` overflow), naming ``what`` and the fix.

    Examples
    --------
    >>> check_computed_size(12.2, "the sample size for eps=0.3", fix="raise eps")
    13
    """
    if not value < MAX_SIZE:  # also catches NaN and infinity
        raise ToleranceError(f"{what} is {value:.3g}, beyond any memory; {fix}")
    return max(1, math.ceil(value))


def check_backend(x: Any, name: str, supported: tuple[str, ...], what: str, fix: str) -> None:
    """Refuse an array of a library that ``what`` does not serve, naming the conversion.

    The one rule for NumPy/SciPy-only (or NumPy/CuPy-only) code paths: a torch tensor
    (or CuPy array) given to them is refused with :class:`UnsupportedBackendError`
    rather than silently copied to the host.

    Parameters
    ----------
    x : array
        The argument to check.
    name : str
        Its name in the caller's signature.
    supported : tuple of str
        The libraries served (``"numpy"``, ``"cupy"``, ``"torch"``).
    what : str
        The code path, e.g. ``"sparsify"``.
    fix : str
        What the caller can pass instead.

    Examples
    --------
    >>> import numpy as np
    >>> check_backend(np.ones(2), "G", ("numpy",), "sparsify", "pass a SciPy matrix")
    """
    lib = backend_name(x)
    if lib not in supported:
        raise UnsupportedBackendError(
            f"{name} is a {lib} array, but {what} runs on {' or '.join(supported)} arrays "
            f"only; {fix}"
        )
