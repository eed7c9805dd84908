"""The ``qla`` command line.

Each subcommand lives in a module of this package that defines
``register(subparsers)``; the module adds its parser and sets ``run`` (a
function of the parsed arguments returning an exit code) as a default. Errors
a user can fix (bad files, bad values, missing extras) print one line, not a
traceback; Ctrl-C prints one line and exits with 130, and a closed output
pipe (``qla ... | head``) ends the command quietly.

Examples
--------
>>> main(["--version"])  # doctest: +SKIP
qla 0.1.0
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from typing import Any

#: Subcommand modules, in the order ``qla --help`` lists them.
SUBCOMMANDS = [
    "qla.cli.tour",
    "qla.cli.solve",
    "qla.cli.regress",
    "qla.cli.circuit",
    "qla.cli.export",
    "qla.cli.synth",
    "qla.cli.optimize",
]


class FlagParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` that records each option's flag under its Python name as the
    option is added (``flags``: ``{"time_limit": "--time-limit"}``, the longest spelling), and
    hands the flags of every parser that took part in a parse (the command's and its
    subcommands', which its ``add_subparsers`` makes of this class) to the namespace as
    ``flags``: the one mapping from the names the library's errors use to what the user
    typed, through argparse's public methods only.

    Examples
    --------
    >>> p = FlagParser(prog="x")
    >>> _ = p.add_argument("--time-limit", "-t", type=float)
    >>> p.parse_args(["-t", "2"]).flags
    {'time_limit': '--time-limit'}
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.flags: dict[str, str] = {}  # before __init__, which adds --help
        super().__init__(*args, **kwargs)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        if action.option_strings and action.dest != "help":
            self.flags[action.dest] = max(action.option_strings, key=len)
        return action

    def parse_known_args(self, args: Any = None, namespace: Any = None
                         ) -> tuple[argparse.Namespace, list[str]]:
        ns, extras = super().parse_known_args(args, namespace)
        ns.flags = {**self.flags, **getattr(ns, "flags", {})}  # a subcommand's win
        return ns, extras


def build_parser() -> FlagParser:
    """The argument parser with every registered subcommand."""
    from qla import __version__

    parser = FlagParser(
        prog="qla", description="Quantum and randomized linear algebra."
    )
    parser.add_argument("--version", action="version", version=f"qla {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(name).register(sub)
    return parser


#: OpenQASM version the commands that write QASM (circuit, export, synth) default to.
QASM_VERSION = 3


def add_qasm_version(parser: argparse.ArgumentParser) -> None:
    """The one ``--qasm-version`` option of ``qla circuit``, ``qla export`` and ``qla synth``."""
    parser.add_argument("--qasm-version", type=int, choices=(2, 3), default=QASM_VERSION,
                        help=f"OpenQASM version to write (default {QASM_VERSION})")


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
    flags = args.flags  # FlagParser's; also for a subcommand that prints the library's warnings
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        code = int(args.run(args) or 0)
        sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
        return code
    except KeyboardInterrupt:
        print(f"qla {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader (e.g. `head`) has what it wanted; send the rest of our output nowhere
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):  # stdout is not a file (captured)
            pass
        return 141  # 128 + SIGPIPE, what a shell reports for a writer whose pipe closed
    except (ValueError, TypeError, OSError, ImportError, KeyError, MemoryError) as exc:
        print(f"qla {args.command}: error: {in_flags(str(exc), flags)}", file=sys.stderr)
        return 2


def in_flags(message: str, flags: dict[str, str]) -> str:
    """``message`` with each option's Python name replaced by its flag: everywhere for a
    name with an underscore (``raise sketch_size``), and where it names the argument for a
    plain word (``alpha must ...``, ``sketch='x'``; "the sketch" stays prose).

    Examples
    --------
    >>> in_flags("time_limit must be positive, got -1.0", {"time_limit": "--time-limit"})
    '--time-limit must be positive, got -1.0'
    """
    for dest, flag in flags.items():
        # a name with an underscore is never prose; a plain word only where it names the option
        after = "" if "_" in dest else r"(?=\s+(?:must|should)\b|=)"
        message = re.sub(rf"(?<![\w-]){re.escape(dest)}(?![\w-]){after}", flag, message)
    return message
