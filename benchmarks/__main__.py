"""``python -m benchmarks NAME [options]`` — see :mod:`benchmarks`."""

from __future__ import annotations

import importlib
import sys

from benchmarks import BENCHMARKS


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m benchmarks {" + ",".join([*BENCHMARKS, "all"]) + "} [--quick] ...")
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    names = list(BENCHMARKS) if name == "all" else [name]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {unknown[0]!r}; choose one of: {', '.join(BENCHMARKS)}, all")
        return 2
    status = 0
    for n in names:
        status |= importlib.import_module(BENCHMARKS[n]).main(rest)
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
