"""``python -m benchmarks NAME [options]`` — see :mod:`benchmarks`."""

from __future__ import annotations

import importlib
import sys
import time
import traceback

from benchmarks import BENCHMARKS


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m benchmarks {" + ",".join([*BENCHMARKS, "all"]) + "} [--quick] ...")
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    # `all` leaves out the GPU check, which refuses to run without a CUDA device.
    names = [n for n in BENCHMARKS if n != "gpu"] if name == "all" else [name]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {unknown[0]!r}; choose one of: {', '.join(BENCHMARKS)}, all")
        return 2
    if name != "all":
        return importlib.import_module(BENCHMARKS[name]).main(rest)
    # `all`: keep going past a failing benchmark, then write the summary of the run
    from benchmarks.summary import write_summary

    status, since, outcomes = 0, time.time(), {}
    for n in names:
        t0 = time.perf_counter()
        try:
            rc = importlib.import_module(BENCHMARKS[n]).main(rest)
            outcomes[n] = {"status": rc}
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not stop the rest
            traceback.print_exc()
            rc = 1
            outcomes[n] = {"status": rc, "error": f"{type(exc).__name__}: {exc}"}
        outcomes[n]["seconds"] = time.perf_counter() - t0
        status |= rc
    json_path, md_path = write_summary(outcomes, since)
    print(f"\nsummary: {json_path} and {md_path}")
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
