"""Time limits and progress bars for iterative loops: the library's one helper for both.

An iterative routine whose iteration count the caller controls (``maxiter``) can run for
hours when it does not converge. A worst-case work estimate would refuse normal calls (the
loops usually stop on convergence long before ``maxiter``), so instead each such loop
takes ``time_limit=`` (seconds) and ``progress=``, and calls :meth:`IterationWatch.step`
once per iteration:

* ``time_limit``: the loop stops at the next iteration boundary past the deadline and
  returns its current iterate with ``converged=False`` and
  ``stop_reason == "time_limit"`` (:data:`TIME_LIMIT`);
* ``progress``: a tqdm bar with the iteration count and the current residual. ``None``
  (the default) opens it only once a run has lasted :data:`PROGRESS_DELAY_S` seconds, so
  short calls (tests, doctests) never print one and never pay for it; ``True`` shows it
  at once, ``False`` never.

Loops of a fixed length the caller chose (``power_iters=``, ``iters=``) and the circuits'
searches (``circuits.synthesize``, ``circuits.optimize``: a free-form postfix, a total
that grows as blocks are found, a deadline counted from the call) use the same watch.

Examples
--------
>>> watch = IterationWatch("demo", time_limit=None, progress=False)
>>> watch.step(residual=0.5)   # False: no deadline
False
>>> watch.close(); watch.iterations
1
"""

from __future__ import annotations

import time
from typing import Any

#: ``stop_reason`` of a run that met its tolerance.
CONVERGED = "converged"
#: ``stop_reason`` of a run that used its ``maxiter`` iterations.
MAXITER = "maxiter"
#: ``stop_reason`` of a run stopped by its ``time_limit``.
TIME_LIMIT = "time_limit"

#: Seconds a run lasts before ``progress=None`` opens its bar (as ``circuits.synthesize``).
PROGRESS_DELAY_S = 2.0


def remedy(reason: str, otherwise: str, time_limit: float | None = None) -> str:
    """What a non-convergence warning tells the caller to change: the time limit where it
    stopped the run (naming it when given), else ``otherwise``.

    Examples
    --------
    >>> remedy(TIME_LIMIT, "raise maxiter"), remedy(MAXITER, "raise maxiter")
    ('raise time_limit', 'raise maxiter')
    """
    if reason != TIME_LIMIT:
        return otherwise
    return ("raise time_limit" if time_limit is None
            else f"time_limit={time_limit:g} s passed; raise time_limit")


class IterationWatch:
    """Deadline and lazily opened progress bar of one iterative loop.

    Parameters
    ----------
    what : str
        The bar's label (the routine's name).
    time_limit : float or None
        Seconds from construction (validated by :func:`sketch.budgets.check_time_limit`);
        ``None`` or ``inf``: no limit.
    progress : bool or None
        ``True`` show the bar at once, ``False`` never, ``None`` after
        :data:`PROGRESS_DELAY_S` seconds.
    total : int, optional
        The iteration cap, shown as the bar's total (with an ETA); :meth:`add_total` grows
        it where the work is found while running (the blocks of a circuit optimisation).
    unit : str
        What one iteration is ("it", "projection", ...).
    start : float, optional
        ``time.perf_counter()`` at which the run (and its time limit) began, where that
        was before the watch was made (argument checks); default: now.

    Examples
    --------
    >>> with IterationWatch("loop", time_limit=1e-9, progress=False) as watch:
    ...     stopped = watch.step(residual=1.0)
    >>> stopped, watch.timed_out
    (True, True)
    """

    def __init__(self, what: str, *, time_limit: float | None, progress: bool | None,
                 total: int | None = None, unit: str = "it", start: float | None = None) -> None:
        self.start = time.perf_counter() if start is None else start
        self.deadline = (None if time_limit is None or time_limit == float("inf")
                         else self.start + time_limit)
        self.what, self.progress, self.total, self.unit = what, progress, total, unit
        self.time_limit = time_limit
        self.iterations = 0
        self.timed_out = False
        self.bar: Any = None
        if progress:
            self._open()

    def _open(self) -> None:
        from tqdm.auto import tqdm

        # delay > 0 keeps tqdm from drawing before start_t is set: a bar opened late counts
        # its elapsed time (and rate, ETA) from the loop's start
        self.bar = tqdm(desc=self.what, total=self.total, unit=self.unit, initial=self.iterations,
                        leave=False, delay=1e-9)
        self.bar.start_t -= time.perf_counter() - self.start
        self.bar.refresh()

    def step(self, n: int = 1, *, note: str | None = None, **status: float) -> bool:
        """Count ``n`` iterations, show ``status`` (e.g. ``residual=``) or a ``note`` (a
        free-form postfix); True past the deadline."""
        self.iterations += n
        now = time.perf_counter()
        if self.bar is None and self.progress is None and now - self.start >= PROGRESS_DELAY_S:
            self._open()
        elif self.bar is not None:
            self.bar.update(n)
        if self.bar is not None and status:
            self.bar.set_postfix(status, refresh=False)
        if self.bar is not None and note is not None:
            self.bar.set_postfix_str(note, refresh=False)
        return self._check(now)

    def _check(self, now: float) -> bool:
        if self.deadline is not None and now >= self.deadline:
            self.timed_out = True
        return self.timed_out

    def out_of_time(self) -> bool:
        """True past the deadline (checked now; nothing is counted)."""
        return self._check(time.perf_counter())

    def remaining(self) -> float:
        """Seconds to the deadline (0 past it, ``inf`` without one)."""
        if self.deadline is None:
            return float("inf")
        return max(0.0, self.deadline - time.perf_counter())

    def add_total(self, n: int) -> None:
        """Grow the bar's total by ``n`` (work found while running)."""
        self.total = (self.total or 0) + n
        if self.bar is not None:
            self.bar.total = self.total
            self.bar.refresh()

    def reason(self, converged: bool) -> str:
        """The ``stop_reason`` of the finished loop."""
        return CONVERGED if converged else TIME_LIMIT if self.timed_out else MAXITER

    def close(self) -> None:
        """Remove the bar (if one was opened)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> IterationWatch:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


__all__ = ["CONVERGED", "MAXITER", "TIME_LIMIT", "PROGRESS_DELAY_S", "IterationWatch", "remedy"]
