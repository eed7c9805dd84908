"""The ``qla`` command line.

Each subcommand lives in a module of this package that defines
``register(subparsers)``; the module adds its parser and sets ``run`` (a
function of the parsed arguments returning an exit code) as a default. Errors
a user can fix (bad files, bad values, missing extras) print one line, not a
traceback.

Examples
--------
>>> main(["--version"])  # doctest: +SKIP
qla 0.1.0
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: Subcommand modules, in the order ``qla --help`` lists them.
SUBCOMMANDS = [
    "qla.cli.tour",
    "qla.cli.solve",
    "qla.cli.regress",
    "qla.cli.circuit",
    "qla.cli.export",
    "qla.cli.synth",
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    from qla import __version__

    parser = argparse.ArgumentParser(
        prog="qla", description="Quantum and randomized linear algebra."
    )
    parser.add_argument("--version", action="version", version=f"qla {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def parse_pairs(text: str | None, option: str = "--coupling") -> list[tuple[int, int]] | None:
    """Qubit pairs from ``"0-1,1-2"`` (``None`` for an empty option), for coupling-map options.

    Examples
    --------
    >>> parse_pairs("0-1,1-2")
    [(0, 1), (1, 2)]
    """
    if not text:
        return None
    try:
        pairs = [tuple(int(v) for v in edge.split("-")) for edge in text.split(",")]
    except ValueError as exc:
        raise ValueError(f"{option} must look like 0-1,1-2, got {text!r}") from exc
    if any(len(p) != 2 for p in pairs):
        raise ValueError(f"{option} must look like 0-1,1-2, got {text!r}")
    return pairs


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except (ValueError, TypeError, OSError, ImportError, KeyError) as exc:
        print(f"qla {args.command}: error: {exc}", file=sys.stderr)
        return 2
