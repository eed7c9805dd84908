"""What the property-based bad-input suites (``-m hostile``) accept from a call.

A call on generated bad input must either return (and the test then checks the
result) or raise one of qla's documented errors: a class of :mod:`sketch.errors`,
or a builtin ``TypeError``/``ValueError``/``MemoryError`` whose message names the
argument. Anything else — a raw NumPy/Qiskit/Aer exception, an ``AttributeError``,
a ``ZeroDivisionError`` — and any call running past its time limit fails the test.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterable
from typing import Any

import sketch.errors

#: Seconds one generated case may take before it counts as a hang.
CASE_SECONDS = 20

_DOCUMENTED = (TypeError, ValueError, MemoryError, ImportError, OSError, FileNotFoundError,
               IsADirectoryError, NotADirectoryError, PermissionError)


class Hang(AssertionError):
    """A generated case ran past its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float = CASE_SECONDS):
    """Fail with :class:`Hang` when the block runs past ``seconds`` (SIGALRM, main thread)."""

    def _alarm(signum, frame):
        raise Hang(f"the call ran for more than {seconds} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def is_documented(exc: BaseException, names: Iterable[str]) -> bool:
    """Whether ``exc`` is one of qla's own errors, or a builtin one naming an argument."""
    if type(exc).__module__ == sketch.errors.__name__:
        return True
    if type(exc) not in _DOCUMENTED:
        return False
    text = str(exc)
    return any(n in text for n in names)


def call(
    f: Callable[[], Any], names: Iterable[str], seconds: float = CASE_SECONDS
) -> tuple[bool, Any]:
    """Run ``f()`` under the time limit: ``(True, result)``, or ``(False, error)`` if documented.

    Raises
    ------
    AssertionError
        For an undocumented exception (chained, so the traceback shows it) or a hang.
    """
    names = list(names)
    with time_limit(seconds):
        try:
            return True, f()
        except Hang:
            raise
        except BaseException as exc:  # noqa: BLE001 - the point is to see every kind
            if isinstance(exc, (KeyboardInterrupt, SystemExit)) or not is_documented(exc, names):
                raise AssertionError(
                    f"undocumented {type(exc).__module__}.{type(exc).__name__}: {exc}"
                ) from exc
            return False, exc


def run_cli(argv: list[str]) -> int:
    """``qla argv``'s exit status, warnings silenced (argparse's usage errors give 2)."""
    import warnings

    from qla.cli import main

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return main(argv)
        except SystemExit as exc:  # argparse's usage errors
            return exc.code


def exact_norm(v: Any) -> float:
    """‖v‖₂ (Frobenius for a matrix) as ``s·‖v/s‖`` with ``s = max|v|``: the oracle the
    answer checks use, independent of :func:`sketch.backend.safe_norm`, which the
    library's reported norms come from (a check through it could not fail)."""
    import numpy as np

    v = np.asarray(v)
    s = float(np.abs(v).max()) if v.size else 0.0
    return s * float(np.linalg.norm(v / s)) if s > 0 else 0.0
