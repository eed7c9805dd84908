"""Timing, machine description and result files shared by every benchmark.

Hygiene (DESIGN.md §6): warm up, take the median of several runs, synchronise
the GPU before stopping the clock, record the BLAS vendor and thread count and
peak memory, and report ratios against the peer measured in the same run.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import socket
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    """Host, CPU, BLAS vendor and threads, library versions, GPU if any."""
    info: dict[str, Any] = {
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    try:
        import scipy

        info["scipy"] = scipy.__version__
    except ImportError:  # pragma: no cover - scipy is a core dependency
        pass
    from threadpoolctl import threadpool_info

    info["blas"] = [
        {k: p.get(k) for k in ("internal_api", "version", "num_threads")}
        for p in threadpool_info()
        if p.get("user_api") == "blas"
    ]
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() > 0:
            props = cupy.cuda.runtime.getDeviceProperties(0)
            info["gpu"] = props["name"].decode()
    except Exception:  # noqa: BLE001 - any CuPy/driver failure means "no GPU"
        pass
    return info


def timeit(
    fn: Callable[[], Any], repeat: int = 5, warmup: int = 1, sync: Callable[[], None] | None = None
) -> dict[str, Any]:
    """Median wall time of ``fn()`` over ``repeat`` runs after ``warmup`` runs.

    ``sync`` (e.g. a CuPy stream synchronize) is called before each clock stop.
    Returns ``{"median": s, "times": [...], "result": last return value}``.
    """
    result = None
    for _ in range(warmup):
        result = fn()
        if sync:
            sync()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        if sync:
            sync()
        times.append(time.perf_counter() - t0)
    return {"median": statistics.median(times), "times": times, "result": result}


def peak_memory(fn: Callable[[], Any]) -> int:
    """Peak bytes allocated on the host while ``fn()`` runs (NumPy buffers included)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def markdown_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """A markdown table of ``rows`` (dicts) over ``columns``; floats in 4 significant digits."""

    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4g}"
        return "" if v is None else str(v)

    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(fmt(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(out)


def write_results(
    name: str, rows: list[dict[str, Any]], columns: Sequence[str], notes: str = ""
) -> tuple[Path, Path]:
    """Write ``NAME-<host>-<date>.json`` and ``.md`` under ``benchmarks/results``.

    Returns the two paths. The markdown holds the machine line, the table and
    ``notes``; it is also printed.
    """
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = machine()
    stamp = _dt.date.today().isoformat()
    stem = RESULTS / f"{name}-{meta['host']}-{stamp}"
    payload = {"benchmark": name, "date": stamp, "machine": meta, "rows": rows}
    stem.with_suffix(".json").write_text(json.dumps(payload, indent=2, default=str))
    blas = meta.get("blas")
    blas_txt = ", ".join(f"{b['internal_api']} x{b['num_threads']}" for b in blas) if isinstance(
        blas, list) else blas
    text = (
        f"## {name}\n\n{meta['host']}: {meta['cpus']} CPUs, {meta['processor']}, BLAS {blas_txt}"
        + (f", GPU {meta['gpu']}" if "gpu" in meta else "")
        + f", {stamp}\n\n"
        + markdown_table(rows, columns)
        + (f"\n\n{notes}\n" if notes else "\n")
    )
    stem.with_suffix(".md").write_text(text)
    print(text)
    return stem.with_suffix(".json"), stem.with_suffix(".md")
