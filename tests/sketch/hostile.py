"""Harness of the property-based bad-input suite (``test_hostile*.py``).

An *entry* is a public function with valid arguments and a *role* for each argument it
checks (matrix, vector, size, tolerance, probability, seed, choice). A case replaces one
argument by a value Hypothesis generates for that role — mostly bad (wrong shapes, NaN/inf,
empty, int/bool/float16/object dtypes, lists, huge/negative/zero/bool/float sizes), some
valid — and calls the function under a time limit and a memory budget. The property:

* a value that is bad on its own (NaN, empty, 1-D matrix, ``size=0``, ...) is refused;
* a refusal is a :mod:`sketch.errors` class or the builtin ``TypeError``/``ValueError``
  (``MemoryError`` only as :class:`~sketch.errors.InsufficientMemoryError`), and a
  ``TypeError``/``ValueError`` names the argument;
* nothing hangs (per-case limit) and a returned result holds no NaN or infinity.
"""

from __future__ import annotations

import dataclasses
import math
import re
import resource
import signal
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import Phase, given, reject, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from threadpoolctl import threadpool_limits

import sketch.budgets
from sketch import errors
from sketch.backend import is_torch, to_numpy

TIME_LIMIT_S = 20.0
MEMORY_BUDGET = 1 << 26  # what check_allocation is told is free during a case
# The work budget (s) check_work allows a case: a tenth of the time limit. Estimates are
# rounded-down costs measured on a loaded 2-core machine, so a case the rule admits may run a
# few times longer under heavy load; with the default 600 s budget only the memory budget
# bounded valid sizes, and random_clifford_circuit(n≈1000) (about 37 s) raced the limit.
WORK_BUDGET_S = TIME_LIMIT_S / 10
ADDRESS_SPACE = 6 << 30  # hard cap on address space cases may add to the process (virtual)
QUICK = dict(max_examples=6, phases=[Phase.explicit, Phase.generate])  # known failures

_QLA_ERRORS = tuple(
    c for c in vars(errors).values()
    if isinstance(c, type) and issubclass(c, Exception) and c.__module__ == errors.__name__
)


# Valid data every suite starts from: a 12 × 3 matrix and a consistent right-hand side.
M, D = 12, 3
A = np.random.default_rng(0).standard_normal((M, D))
X_TRUE = np.array([1.0, -2.0, 0.5])
b = A @ X_TRUE


class CaseTimeout(BaseException):
    """A case ran past :data:`TIME_LIMIT_S` (a hang)."""


# --------------------------------------------------------------------------
# generated values: each strategy yields (value, must_refuse)
# --------------------------------------------------------------------------
_NONFINITE = st.sampled_from([math.nan, math.inf, -math.inf])
_DTYPES = [np.float64, np.float32, np.float16, np.int64, np.bool_, np.complex128,
           np.longdouble, np.uint8]
_SUPPORTED = {np.dtype(t) for t in (np.float32, np.float64, np.complex64, np.complex128)}


def _elements(dtype: Any) -> st.SearchStrategy:
    kind = np.dtype(dtype).kind
    if kind == "b":
        return st.booleans()
    if kind in "iu":
        return st.integers(0, 5)
    finite = st.floats(-4, 4, width=16 if np.dtype(dtype).itemsize == 2 else 64)
    return st.one_of(finite, finite, finite, finite, _NONFINITE)


@st.composite
def arrays(draw, *, ndim: int, rows: int, cols: int | None = None) -> tuple[Any, bool]:
    """An array that is usually the right shape (so dtype and values are what is tested)."""
    dtype = draw(st.sampled_from(_DTYPES))
    right = (rows,) if ndim == 1 else (rows, cols)
    shape = draw(st.one_of(
        st.just(right), st.just(right),
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
    ))
    value = draw(hnp.arrays(dtype, shape, elements=_elements(dtype)))
    if draw(st.booleans()) and value.ndim == 2 and min(value.shape) > 1:
        value = value[::2, ::-1]  # odd strides must not matter
    bad = (value.ndim not in (ndim, 2) or value.size == 0
           or np.dtype(value.dtype) not in _SUPPORTED or not np.isfinite(value).all())
    # A 2-D right-hand side may be a block of several (valid for some functions).
    return value, (True if bad else (None if value.ndim != ndim else False))


_SPARSE_FORMATS = ["csr", "csc", "coo", "dia", "bsr", "lil"]


@st.composite
def sparse(draw, *, rows: int, cols: int) -> tuple[Any, bool]:
    """:func:`arrays` as SciPy sparse matrices (CSR/CSC/COO/DIA/BSR/LIL) of generated values,
    explicit zeros kept, or a sparse array (``csr_array``): NaN/inf in the stored values, int
    and bool dtypes, empty or wrongly shaped, and sometimes a duplicated COO entry."""
    import scipy.sparse as sp

    value, bad = draw(arrays(ndim=2, rows=rows, cols=cols))
    if value.ndim != 2 or np.dtype(value.dtype).name in ("float16", "longdouble", "float128"):
        return sp.csr_matrix(np.ones((rows, cols))[:0]), True  # SciPy has no such sparse type
    fmt = draw(st.sampled_from(_SPARSE_FORMATS))
    S = sp.coo_matrix(value)
    if fmt == "coo" and S.nnz and draw(st.booleans()):  # a duplicate: summed on conversion
        S = sp.coo_matrix((np.r_[S.data, S.data[:1]], (np.r_[S.row, S.row[:1]],
                                                       np.r_[S.col, S.col[:1]])), shape=S.shape)
    S = S.asformat(fmt)
    if draw(st.booleans()):
        S = (sp.csr_array if fmt != "coo" else sp.coo_array)(S)
    return S, bad


_NON_ARRAYS = st.sampled_from([None, "A", 3.0, [[1.0, 2.0], [3.0, 4.0]], (1.0, 2.0),
                               np.array([[object()]], dtype=object)])


_TORCH_DTYPES = {"float64": "float64", "float32": "float32", "float16": "float16",
                 "int64": "int64", "bool": "bool", "complex128": "complex128",
                 "uint8": "uint8", "longdouble": "bfloat16", "float128": "bfloat16"}


@st.composite
def tensors(draw, *, ndim: int, rows: int, cols: int | None = None) -> tuple[Any, bool]:
    """:func:`arrays` as torch CPU tensors, laid out contiguously, transposed in memory,
    strided (non-contiguous views must not matter) or sparse (COO, which qla refuses: it
    takes scipy.sparse for sparse input); extended precision becomes bfloat16,
    which torch has and qla refuses alike."""
    import torch

    value, bad = draw(arrays(ndim=ndim, rows=rows, cols=cols))
    dtype = getattr(torch, _TORCH_DTYPES[np.dtype(value.dtype).name])
    layout = draw(st.sampled_from(["contiguous", "fortran", "strided", "sparse"]))
    host = np.ascontiguousarray(value.astype(np.float64) if dtype is torch.bfloat16 else value)
    if layout == "sparse" and value.ndim >= 1:  # torch's sparse layouts are refused by name
        return torch.from_numpy(host).to(dtype).to_sparse(), True
    if layout == "strided" and value.ndim >= 1:
        t = torch.from_numpy(np.repeat(host, 2, axis=0)).to(dtype)[::2]
    elif layout == "fortran" and value.ndim == 2:
        t = torch.from_numpy(np.ascontiguousarray(host.T)).to(dtype).T
    else:
        t = torch.from_numpy(host).to(dtype)
    return t, bad


def _non_arrays(optional: bool) -> st.SearchStrategy:
    return _NON_ARRAYS.map(lambda v: (v, not (optional and v is None)))


def matrices(rows: int, cols: int, *, vector_ok: bool = False,
             torch: bool = False, sparse_only: bool = False) -> st.SearchStrategy:
    """2-D arrays of shape (rows, cols) (``vector_ok``: a 1-D array is valid too;
    ``torch``: torch CPU tensors instead of NumPy arrays; ``sparse_only``: SciPy sparse
    matrices, :func:`sparse`)."""
    if sparse_only:
        return st.one_of(sparse(rows=rows, cols=cols), _non_arrays(False))
    mats = (tensors if torch else arrays)(ndim=2, rows=rows, cols=cols)
    if vector_ok:
        mats = mats.map(lambda vb: (vb[0], None if vb[0].ndim == 1 and vb[1] else vb[1]))
    return st.one_of(mats, _non_arrays(False))


def vectors(rows: int, *, optional: bool = False, torch: bool = False) -> st.SearchStrategy:
    """1-D arrays of ``rows`` entries (``optional``: None is a valid value; ``torch``: torch
    CPU tensors instead of NumPy arrays)."""
    return st.one_of((tensors if torch else arrays)(ndim=1, rows=rows), _non_arrays(optional))


def sizes(minimum: int = 1) -> st.SearchStrategy:
    """Integer sizes (``minimum`` and up valid) and every kind of bad size."""
    ints = st.one_of(st.integers(-3, 6), st.integers(-2**70, 2**70),
                     st.sampled_from([10**6, 10**9, 10**12, 2**63, 2**64 + 1, 10**400]))
    good = ints.map(lambda k: (k, k < minimum))
    npint = st.integers(-3, 6).map(lambda k: (np.int64(k), k < minimum))
    bad = st.sampled_from([True, False, 2.5, 3.0, np.float64(4.0), "5", math.nan, math.inf,
                           [3], 3 + 0j]).map(lambda v: (v, True))
    return st.one_of(good, npint, bad)


def tolerances(*, upper: float | None = None, zero_ok: bool = False,
               optional: bool = False) -> st.SearchStrategy:
    """Positive reals (below ``upper``) and bad ones (``optional``: None is valid)."""
    def judge(x: float) -> tuple[float, bool]:
        ok = math.isfinite(x) and (x >= 0 if zero_ok else x > 0) and (upper is None or x < upper)
        return x, not ok

    reals = st.floats(allow_nan=True, allow_infinity=True).map(judge)
    small = st.floats(1e-3, 0.9).map(judge)
    bad = st.sampled_from([True, "0.1", 0.1 + 0.1j, None, [0.1], np.array([0.1, 0.2])]
                          ).map(lambda v: (v, not (optional and v is None)))
    return st.one_of(reals, small, small, bad)


def seeds() -> st.SearchStrategy:
    good = st.one_of(st.integers(0, 2**63), st.just(None)).map(lambda s: (s, False))
    bad = st.sampled_from([-1, 2**70, "abc", 1.5, True, [1, 2]]).map(lambda s: (s, None))
    return st.one_of(good, bad)  # None: either a result or a clear refusal


def choices(valid: list[str], *, optional: bool = False) -> st.SearchStrategy:
    """One of the valid names, or not (``optional``: None is valid)."""
    good = st.sampled_from(valid).map(lambda s: (s, False))
    bad = st.sampled_from(["bogus", "", None, 3, valid[0].upper()]).map(
        lambda s: (s, not (optional and s is None)))
    return st.one_of(good, bad)


# --------------------------------------------------------------------------
# entries and the property
# --------------------------------------------------------------------------
@dataclasses.dataclass
class Entry:
    """One public function: how to call it validly, and a strategy per argument role."""

    name: str
    call: Callable[..., Any]
    valid: dict[str, Any]
    strategies: dict[str, st.SearchStrategy]
    aliases: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    #: whether a result's arrays may hold infinities (an honest value, e.g. a risk curve
    #: through its pole); NaN is never accepted
    infinite_ok: bool = False

    def names(self, arg: str) -> tuple[str, ...]:
        return (arg,) + self.aliases.get(arg, ())


def _finite_result(obj: Any, depth: int = 0, *, infinite_ok: bool = False) -> bool:
    """Whether every float array reachable from a result is finite (and no number is NaN).

    A scalar infinity can be an honest answer (e.g. an unmeasured residual), and so can an
    infinite array entry where ``infinite_ok``; NaN never is.
    """
    if depth > 3 or obj is None:
        return True
    if is_torch(obj):
        return _finite_result(to_numpy(obj), depth, infinite_ok=infinite_ok)
    if isinstance(obj, (float, complex, np.floating, np.complexfloating)):
        return not bool(np.isnan(obj))
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "fc":
            return True
        return not bool((np.isnan(obj) if infinite_ok else ~np.isfinite(obj)).any())
    if hasattr(obj, "toarray") and hasattr(obj, "data"):  # scipy sparse
        return _finite_result(np.asarray(obj.data), depth + 1)
    if isinstance(obj, (tuple, list)):
        return all(_finite_result(o, depth + 1, infinite_ok=infinite_ok) for o in obj[:50])
    if dataclasses.is_dataclass(obj):
        return all(_finite_result(getattr(obj, f.name), depth + 1, infinite_ok=infinite_ok)
                   for f in dataclasses.fields(obj) if not f.name.startswith("_"))
    return True


def _alarm(signum, frame):
    raise CaseTimeout


class _Budget:
    """Time limit, a small memory budget for check_allocation, a work budget for check_work
    well inside the time limit, a hard address-space cap, and BLAS on one thread: two
    OpenBLAS threads on a busy 2-core machine spin-wait for each other (haar_unitary(864)
    took 0.8-17.6 s there against 0.2-1.3 s on one thread), which made valid cases trip
    the time limit under load; the cases are small."""

    def __init__(self, limit: float):
        self.limit = limit

    def __enter__(self):
        self._blas = threadpool_limits(limits=1, user_api="blas")
        self._avail = sketch.budgets.available_bytes
        sketch.budgets.available_bytes = lambda xp=None, device=None: MEMORY_BUDGET
        self._work = sketch.budgets.work_budget
        sketch.budgets.work_budget = lambda: WORK_BUDGET_S
        self._limit = resource.getrlimit(resource.RLIMIT_AS)
        if not _CAP:
            vm = _vm_bytes()
            _CAP.append(0 if vm is None else vm + ADDRESS_SPACE)
        if _CAP[0] and (self._limit[1] == resource.RLIM_INFINITY or _CAP[0] < self._limit[1]):
            # A fixed cap (not relative to now): whatever a case leaks, the process stays bounded.
            resource.setrlimit(resource.RLIMIT_AS, (_CAP[0], self._limit[1]))
        self._old = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, self.limit)
        return self

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self._old)
        resource.setrlimit(resource.RLIMIT_AS, self._limit)
        sketch.budgets.available_bytes = self._avail
        sketch.budgets.work_budget = self._work
        self._blas.restore_original_limits()
        return False


def _vm_bytes() -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


_CAP: list[int] = []  # set at the first case: the address space then, plus ADDRESS_SPACE


def cases(entries: list[Entry], xfail: dict[tuple[str, str], Any]) -> list[Any]:
    """One pytest parameter per (entry, argument), with its known-failure mark if any."""
    import pytest

    return [pytest.param(e, arg, id=f"{e.name}-{arg}", marks=xfail.get((e.name, arg), ()))
            for e in entries for arg in e.strategies]


def suite(entries: list[Entry], xfail: dict[tuple[str, str], Any] | None = None, *,
          share: float = 1.0) -> tuple[Any, Any]:
    """The two tests of a hostile suite, for a test module to bind at its top level:
    ``test_valid_call_answers, test_bad_argument_is_refused_clearly = suite(...)``.

    The first checks each entry's valid call (:func:`check_valid_call`); the second runs
    the property per (entry, argument) (:func:`cases`, :func:`run_property` with ``share``),
    fewer and unshrunk cases where ``xfail`` marks a known failure.
    """
    import pytest

    @pytest.mark.parametrize("entry", entries, ids=lambda e: e.name)
    def test_valid_call_answers(entry):
        check_valid_call(entry)

    @pytest.mark.parametrize("entry, arg", cases(entries, xfail or {}))
    def test_bad_argument_is_refused_clearly(entry, arg, request):
        run_property(entry, arg, share=share,
                     known_failure=request.node.get_closest_marker("xfail") is not None)

    return test_valid_call_answers, test_bad_argument_is_refused_clearly


def known_failure(reason: str) -> Any:
    """A non-strict xfail for a failure in a module owned by another issue."""
    import pytest

    return pytest.mark.xfail(strict=False, reason=reason)


def run_property(entry: Entry, arg: str, *, known_failure: bool = False,
                 share: float = 1.0, most: int | None = None) -> None:
    """Run the property for one argument of one entry (fewer, unshrunk cases if known to fail).

    ``share``: the fraction of the profile's examples to run, and ``most`` at most that many
    (for costly entries).
    """
    limit = 1.5 if known_failure else TIME_LIMIT_S

    @given(data=st.data())
    def prop(data):
        value, must_refuse = data.draw(entry.strategies[arg], label=arg)
        check_case(entry, arg, value, must_refuse, limit=limit)

    if known_failure:
        prop = settings(**QUICK)(prop)
    elif share != 1.0 or most is not None:
        n = max(5, round(settings().max_examples * share))
        prop = settings(max_examples=n if most is None else min(n, most))(prop)
    prop()


def check_valid_call(entry: Entry) -> None:
    """The entry's valid call answers under the harness's budget (a finite result).

    If it were refused (say by an over-cautious memory estimate), every case of the entry
    would end in that refusal, which the property accepts: the entry would test nothing.
    """
    with _Budget(TIME_LIMIT_S), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = entry.call(**entry.valid)
    assert _finite_result(result, infinite_ok=entry.infinite_ok), entry.name


def check_case(entry: Entry, arg: str, value: Any, must_refuse: bool | None, *,
               limit: float = TIME_LIMIT_S) -> None:
    """Call ``entry`` with ``arg=value`` and assert the property (see the module doc)."""
    kwargs = dict(entry.valid)
    kwargs[arg] = value
    shown = _show(value)
    try:
        with _Budget(limit), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = entry.call(**kwargs)
    except CaseTimeout:
        raise AssertionError(f"{entry.name}({arg}={shown}) ran past {limit:.0f} s") from None
    except errors.InsufficientMemoryError:
        return
    except MemoryError as exc:
        if getattr(exc, "_total_size", MEMORY_BUDGET) < MEMORY_BUDGET // 4:
            reject()  # the process hit the harness's address-space cap, not a case's request
        raise AssertionError(f"{entry.name}({arg}={shown}) allocated without checking memory "
                             f"first: {exc}") from None
    except (TypeError, ValueError) as exc:
        msg = str(exc)
        if not any(re.search(rf"(?<![A-Za-z_]){re.escape(n)}(?![A-Za-z_])", msg)
                   for n in entry.names(arg)):
            raise AssertionError(f"{entry.name}({arg}={shown}) raised {type(exc).__name__} "
                                 f"without naming {arg!r}: {msg}") from None
        return
    except _QLA_ERRORS:
        return
    except BaseException as exc:  # noqa: BLE001 - anything else is what the suite hunts
        raise AssertionError(f"{entry.name}({arg}={shown}) raised {type(exc).__name__}: "
                             f"{exc}") from None
    if must_refuse:
        raise AssertionError(f"{entry.name}({arg}={shown}) accepted a bad value and returned "
                             f"{type(result).__name__}")
    if not _finite_result(result, infinite_ok=entry.infinite_ok):
        raise AssertionError(f"{entry.name}({arg}={shown}) returned NaN or infinity")


def _show(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array(shape={value.shape}, dtype={value.dtype}, finite={_finite_or_na(value)})"
    if is_torch(value):
        return (f"tensor(shape={tuple(value.shape)}, dtype={value.dtype}, "
                f"contiguous={value.is_contiguous()})")
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


def _finite_or_na(a: np.ndarray) -> Any:
    try:
        return bool(np.isfinite(a).all())
    except TypeError:
        return "n/a"
