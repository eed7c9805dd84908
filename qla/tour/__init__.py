"""The tour: one real case from every area of qla, with a compact report.

Each stop is a module of this package listed in :data:`STOPS` that defines
``run(seed: int, xp) -> Stop``: it solves a problem on built-in or generated
data and measures its accuracy against the exact answer. A speed-up is shown
only where it is a stable comparison: a peer doing the same job to the same
accuracy, both timed as the median of :data:`REPEATS` runs after a warm-up.
Other stops show accuracy and time, and name what they were checked against.

Examples
--------
>>> stops = tour(progress=False, echo=False)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from sketch.checks import check_positive_int

#: Tour stop modules, in the order they run.
STOPS: list[str] = [
    "qla.tour.regression",
    "qla.tour.lowrank",
    "qla.tour.coordinated",
    "qla.tour.hhl",
    "qla.tour.haar",
    "qla.tour.synthesis",
    "qla.tour.peft",
    "qla.tour.execution",
]


#: Timed runs per side of a speed-up comparison (the median is reported).
REPEATS = 3


def median_time(fn: Callable[[], Any], repeats: int = REPEATS,
                sync: Callable[[], None] | None = None) -> tuple[float, Any]:
    """Median wall time of ``fn()`` over ``repeats`` runs after one warm-up, and its result."""
    out = fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        if sync is not None:
            sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


@dataclass
class Stop:
    """One line of the tour report.

    Attributes
    ----------
    area : str
        The part of qla (e.g. ``"regression"``).
    case : str
        What ran, in a few words.
    accuracy : str
        Accuracy against the exact answer, formatted (e.g. ``"rel. residual 1.2e-11"``).
    seconds : float
        Time of qla's run.
    baseline : str
        What qla was compared with (e.g. ``"scipy lstsq"``), or ``""``.
    baseline_seconds : float or None
        Time of the baseline, when it is a peer doing the same job to the same
        accuracy (None otherwise: then no speed-up is claimed).
    repeats : int
        Timed runs behind ``seconds`` and ``baseline_seconds`` (medians).
    """

    area: str
    case: str
    accuracy: str
    seconds: float
    baseline: str = ""
    baseline_seconds: float | None = None
    repeats: int = 1

    @property
    def speedup(self) -> float | None:
        """Baseline time over qla's time (> 1: qla is faster), for stable comparisons only."""
        if self.baseline_seconds is None or self.seconds <= 0 or self.repeats < REPEATS:
            return None
        return self.baseline_seconds / self.seconds


def _row(s: Stop) -> list[str]:
    ratio = f"{s.speedup:.3g}x" if s.speedup is not None else "-"
    if s.baseline_seconds is not None:
        base = f"{s.baseline} {s.baseline_seconds:.3f}s"
    else:
        base = f"{s.baseline} (no speed-up claimed)" if s.baseline else "-"
    med = f" (median of {s.repeats})" if s.repeats > 1 else ""
    return [s.area, s.case, s.accuracy, f"{s.seconds:.3f}s{med}", base, ratio]


def report(stops: list[Stop]) -> str:
    """The tour report as a markdown table."""
    head = ["area", "case", "accuracy", "time", "baseline", "speed-up"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_row(s)) + " |" for s in stops]
    return "\n".join(lines)


def _module(gpu: bool) -> ModuleType:
    from sketch.backend import module_for_device

    return module_for_device("gpu" if gpu else "cpu")


def tour(
    seed: int = 0,
    out: str | Path | None = None,
    gpu: bool = False,
    progress: bool = True,
    echo: bool = True,
) -> list[Stop]:
    """Run every tour stop and print (and optionally save) the report.

    Parameters
    ----------
    seed : int
        Seed for every stop's data and randomness.
    out : path, optional
        Write the markdown report there as well.
    gpu : bool
        Run array work on the GPU (needs ``qla[gpu]`` and a CUDA device).
    progress : bool
        Show a progress bar.
    echo : bool
        Print the report.

    Returns
    -------
    list of Stop
    """
    seed = check_positive_int(seed, "seed", minimum=0, maximum=2**32 - 1,
                              why="the stops seed scikit-learn, which takes 32-bit seeds")
    xp = _module(gpu)
    if out is not None:
        out = Path(out)
        if out.is_dir():
            raise OSError(f"cannot write the report: {out} is a directory")
        if not out.parent.exists():
            raise OSError(f"cannot write the report: folder {out.parent} does not exist")
    modules = [importlib.import_module(name) for name in STOPS]
    stops = []
    start = time.perf_counter()
    if progress:
        from tqdm.auto import tqdm

        modules = tqdm(modules, desc="qla tour", unit="stop")
    for mod in modules:
        stops.append(mod.run(seed, xp))
    text = report(stops) + f"\n\nTotal {time.perf_counter() - start:.1f}s on {xp.__name__}.\n"
    if echo:
        print(text)
    if out is not None:
        out.write_text("# qla tour\n\n" + text)
    return stops
