"""``qla tour``: the main job — one real case from every area, on built-in data."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tour", help="run one real case from every area and print a report")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", metavar="REPORT.md", help="also write the report as markdown")
    p.add_argument("--gpu", action="store_true", help="run the array work on the GPU (CuPy)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from qla.tour import tour

    tour(seed=args.seed, out=args.out, gpu=args.gpu, progress=not args.no_progress)
    return 0
