"""What one call may spend: memory, estimated time, and a caller's own time limit.

The resource rules of qla, next to the input checks of :mod:`sketch.checks`:

* :func:`check_allocation` — refuse, before allocating, work that needs more
  memory than is free now;
* :func:`check_work` — refuse, before starting, work estimated to run past the
  work budget (:func:`work_budget`, ten minutes unless ``QLA_WORK_BUDGET`` says
  otherwise);
* :func:`check_time_limit` — validate a ``time_limit=`` of an iterative loop,
  which stops on convergence or at its limit (:mod:`sketch.progress`) rather
  than being refused up front.

Examples
--------
>>> check_allocation(1e3, "a small draw")
>>> check_time_limit(None) is None
True
"""

from __future__ import annotations

import math
import os
import time
from types import ModuleType
from typing import Any

import numpy as np

from .backend import available_bytes, backend_name
from .errors import InsufficientMemoryError, ToleranceError, WorkBudgetError

__all__ = ["WORK_BUDGET_S", "check_allocation", "check_time_limit", "check_work", "work_budget"]


def _as_float(x: float) -> float:
    """``x`` as a float; an integer past the float range (a size of 10**400) as infinity."""
    try:
        return float(x)
    except OverflowError:
        return math.inf


def check_allocation(
    nbytes: float, what: str, *, xp: ModuleType = np, device: Any = None,
    fix: str = "ask for a smaller size"
) -> None:
    """Refuse, before allocating, work that needs ``nbytes`` more than is free now.

    The one home of the memory-budget rule: every entry point that allocates from a
    user-given size (sketch rows, samples, shots, qubits) calls it first, with the
    peak working memory it is about to need.

    Parameters
    ----------
    nbytes : float
        Peak bytes the work needs (may exceed what an ``int`` of the array library holds).
    what : str
        What would be allocated, naming the argument, e.g. ``"a sketch with sketch_size=10**12
        rows"``.
    xp : module
        The array module whose device would hold it (NumPy: the host).
    device : optional
        The device that would hold it, as :func:`sketch.backend.device` gives it for
        the input (a ``torch.device``). Needed for torch, whose namespace serves every
        device: without it a torch-CUDA allocation would be checked against host memory.
    fix : str
        What the caller can do instead.

    Raises
    ------
    InsufficientMemoryError
        (a ``MemoryError``) naming ``what``, the GiB needed and the GiB free.

    Examples
    --------
    >>> check_allocation(1e3, "a small draw")            # fits: no error
    >>> check_allocation(1e30, "a sketch with sketch_size=10**26 rows")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sketch.errors.InsufficientMemoryError: a sketch with sketch_size=10**26 rows needs ...
    """
    nbytes = _as_float(nbytes)
    free = available_bytes(xp, device)
    if free is not None and nbytes > free:
        on_gpu = backend_name(xp) == "cupy" or getattr(device, "type", "cpu") != "cpu"
        where = "host" if not on_gpu else "GPU" if device is None else f"device {device}"
        raise InsufficientMemoryError(
            f"{what} needs about {nbytes / 2**30:.3g} GiB but only {free / 2**30:.3g} GiB "
            f"is free on the {where}; {fix}"
        )


#: Seconds of estimated work one call may start before :func:`check_work` refuses it
#: (the environment variable ``QLA_WORK_BUDGET`` overrides it; ``inf`` lifts the rule).
#: Ten minutes: a typo such as ``batch=10**9`` is refused at once, while a legitimate
#: long job (a Haar unitary of d = 5000, a 6-qubit ``instantiate``) still runs; the test
#: suite sets 10 s, below its 20 s hang guard.
WORK_BUDGET_S = 600.0


def work_budget() -> float:
    """The work budget in seconds: ``QLA_WORK_BUDGET`` if set, else :data:`WORK_BUDGET_S`.

    Examples
    --------
    >>> work_budget() > 0
    True
    """
    text = os.environ.get("QLA_WORK_BUDGET")
    if text is None:
        return WORK_BUDGET_S
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value > 0:  # also NaN
        raise ValueError(f"the environment variable QLA_WORK_BUDGET must be a positive number "
                         f"of seconds or 'inf', got {text!r}")
    return value


def check_work(seconds: float, what: str, *, fix: str) -> None:
    """Refuse, before starting, work estimated to run longer than the work budget.

    The one home of the time rule, as :func:`check_allocation` is of the memory rule: an
    entry point whose running time grows with a user-given number (a batch, a depth, a
    gate count, an iteration cap) estimates it first and calls this. Estimates count
    elementary steps times a per-step cost measured on a 2-core CI-class machine and
    rounded down, so only requests that would surely run past :func:`work_budget`
    seconds there are refused; a faster machine runs them sooner.

    Parameters
    ----------
    seconds : float
        Estimated running time (may be huge: ``1e30`` for a request that never ends).
    what : str
        The request, naming the argument that sizes it, e.g. ``"clifford_unitaries(n=2,
        batch=10**9)"``.
    fix : str
        What the caller can do instead (a smaller size, a time limit, several calls).

    Raises
    ------
    WorkBudgetError
        (a ``ValueError``) naming ``what``, the estimate, the budget and ``fix``.

    Examples
    --------
    >>> check_work(1.0, "a small batch", fix="use a smaller batch")     # within budget
    >>> check_work(1e9, "batch=10**12", fix="use a smaller batch")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sketch.errors.WorkBudgetError: batch=10**12 would run for about 1e+09 s, ...
    """
    budget = work_budget()
    seconds = _as_float(seconds)
    if not seconds <= budget:  # also NaN
        raise WorkBudgetError(
            f"{what} would run for about {seconds:.3g} s, beyond the work budget of "
            f"{budget:.3g} s; {fix} (or raise the budget: QLA_WORK_BUDGET=seconds)"
        )


def check_time_limit(value: Any, name: str = "time_limit") -> float | None:
    """Validate a time limit in seconds: ``None`` (no limit), a positive number or ``inf``.

    Iterative loops take it instead of a worst-case work estimate (:func:`check_work`),
    which would refuse normal calls that stop on convergence long before ``maxiter``.
    Raises ``TypeError`` for non-numbers (bools, strings) and :class:`ToleranceError`
    (a ``ValueError``) for zero, negative values and NaN.

    Examples
    --------
    >>> check_time_limit(None) is None, check_time_limit(2)
    (True, 2.0)
    >>> check_time_limit(0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sketch.errors.ToleranceError: time_limit must be a positive number of seconds ..., got 0
    """
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                     np.floating)):
        raise TypeError(f"{name} must be a number of seconds or None, got {type(value).__name__}")
    if not float(value) > 0:  # also NaN
        raise ToleranceError(f"{name} must be a positive number of seconds (or None for no "
                             f"limit), got {value}")
    return float(value)


#: What a stage started at or past its call's deadline still gets (s): one step, so that
#: every stage of a call with a time limit runs at least once and says it was cut short.
LAST_STEP_S = 1e-9


def time_left(start: float, time_limit: float | None) -> float | None:
    """The part of a call's ``time_limit`` left for its next stage: one deadline for all
    of them, ``start`` being the call's :func:`time.perf_counter` at entry.

    ``None`` without a limit; never below :data:`LAST_STEP_S`, so that a stage begun at the
    deadline still takes its first step.

    Examples
    --------
    >>> import time
    >>> start = time.perf_counter()
    >>> time_left(start, None) is None, 0 < time_left(start, 60.0) <= 60.0
    (True, True)
    >>> time_left(start - 100.0, 60.0) == LAST_STEP_S
    True
    """
    if time_limit is None:
        return None
    return max(time_limit - (time.perf_counter() - start), LAST_STEP_S)
