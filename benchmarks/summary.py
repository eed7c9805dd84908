"""The summary ``python -m benchmarks all`` writes after running every benchmark.

Each benchmark writes ``NAME-<host>-<date>.json`` (and ``.md``) through
:func:`benchmarks.harness.write_results`; :func:`write_summary` collects the
files written during the run into ``benchmarks/results/<host>-<date>.json`` and
a markdown summary beside it (the tables of every benchmark, one after another),
the file the README's latest table is copied from.
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import Any

from benchmarks.harness import RESULTS, machine

#: Seconds a file's mtime may read earlier than the ``time.time()`` taken before it was
#: written: file stamps come from a coarser clock, and a virtual machine's clock may be
#: stepped back while a run goes on (the summary test once found no file of its own run).
MTIME_SLACK = 2.0


def results_file(
    name: str, since: float, host: str, stamp: str, results: Path | None = None
) -> Path | None:
    """The JSON file benchmark ``name`` wrote at or after time ``since`` (a ``time.time()``,
    less :data:`MTIME_SLACK`)."""
    results = RESULTS if results is None else results
    since -= MTIME_SLACK
    exact = results / f"{name}-{host}-{stamp}.json"
    if exact.is_file() and exact.stat().st_mtime >= since:
        return exact
    fresh = [
        p for p in results.glob(f"{name}*-{host}-{stamp}.json") if p.stat().st_mtime >= since
    ]
    return max(fresh, key=lambda p: p.stat().st_mtime) if fresh else None


def write_summary(
    outcomes: dict[str, dict[str, Any]], since: float, results: Path | None = None
) -> tuple[Path, Path]:
    """Write ``<host>-<date>.json`` and ``.md`` from the benchmarks run since ``since``.

    Parameters
    ----------
    outcomes : dict
        Benchmark name → ``{"status": exit code, "seconds": wall time, "error": str?}``.
    since : float
        ``time.time()`` when the run started; older result files are not collected.

    Returns
    -------
    (json path, markdown path)
    """
    results = RESULTS if results is None else results
    meta = machine()
    stamp = _dt.date.today().isoformat()
    results.mkdir(parents=True, exist_ok=True)
    entries: dict[str, Any] = {}
    parts = [f"# Benchmarks — {meta['host']}, {stamp}\n",
             f"{meta['cpus']} CPUs, {meta['processor']}, Python {meta['python']}, "
             f"NumPy {meta['numpy']}" + (f", GPU {meta['gpu']}" if "gpu" in meta else "")
             + ". Machine shared with other jobs: compare ratios, not seconds.\n",
             "| benchmark | status | wall time | results |", "|---|---|---|---|"]
    tables = []
    for name, outcome in outcomes.items():
        path = results_file(name, since, meta["host"], stamp, results)
        entry: dict[str, Any] = dict(outcome)
        entry["file"] = path.name if path else None
        if path:
            entry["rows"] = json.loads(path.read_text()).get("rows", [])
            md = path.with_suffix(".md")
            if md.is_file():
                tables.append(md.read_text().strip())
        entries[name] = entry
        why = outcome.get("error", f"exit {outcome.get('status')}")
        state = "ok" if outcome.get("status") == 0 else f"failed ({why})"
        parts.append(f"| {name} | {state} | {outcome.get('seconds', 0.0):.1f}s | "
                     f"{path.name if path else 'no results file'} |")
    stem = results / f"{meta['host']}-{stamp}"
    payload = {"date": stamp, "machine": meta, "benchmarks": entries}
    stem.with_suffix(".json").write_text(json.dumps(payload, indent=2, default=str))
    text = "\n".join(parts) + "\n\n" + "\n\n".join(tables) + "\n"
    stem.with_suffix(".md").write_text(text)
    return stem.with_suffix(".json"), stem.with_suffix(".md")
