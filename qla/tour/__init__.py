"""The tour: one real case from every area of qla, with a compact report.

Each stop is a module of this package listed in :data:`STOPS` that defines
``run(seed: int, xp) -> Stop``: it solves a problem on built-in or generated
data, measures its accuracy against the exact answer, and times both.

Examples
--------
>>> stops = tour(progress=False, echo=False)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

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
        Time of the baseline, when one ran.
    """

    area: str
    case: str
    accuracy: str
    seconds: float
    baseline: str = ""
    baseline_seconds: float | None = None

    @property
    def speedup(self) -> float | None:
        """Baseline time over qla's time (> 1: qla is faster)."""
        if self.baseline_seconds is None or self.seconds <= 0:
            return None
        return self.baseline_seconds / self.seconds


def _row(s: Stop) -> list[str]:
    ratio = f"{s.speedup:.3g}x" if s.speedup is not None else "-"
    base = f"{s.baseline} {s.baseline_seconds:.3f}s" if s.baseline_seconds is not None else "-"
    return [s.area, s.case, s.accuracy, f"{s.seconds:.3f}s", base, ratio]


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
