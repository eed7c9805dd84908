"""``qla solve``: solve ``A x = b`` from files or a built-in example, with any method.

Examples
--------
>>> from qla.cli import main
>>> main(["solve", "--method", "hhl-emulate", "--clock-qubits", "2", "--time", "2.35619449019"])
... # doctest: +SKIP
"""

from __future__ import annotations

import argparse

import numpy as np


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "solve",
        help="solve A x = b (direct, cg, kaczmarz, hhl-emulate, hhl)",
        description="Solve A x = b. Without --matrix, the textbook 2x2 HHL example "
        "A = [[1, -1/3], [-1/3, 1]], b = e0 (or a random SPD matrix with --random). "
        "The default method is direct (LAPACK/SuperLU), as in qla.solve; --method "
        "hhl-emulate shows what the ideal HHL circuit would output.",
    )
    p.add_argument("--matrix", metavar="A.npy", help="matrix A (.npy, .npz sparse, or .txt)")
    p.add_argument("--rhs", metavar="b.npy", help="right-hand side b (.npy or .txt)")
    p.add_argument("--random", type=int, metavar="N", help="random SPD A of size N, b random")
    p.add_argument("--kappa", type=float, default=10.0, help="condition number for --random")
    p.add_argument("--method", default="direct",
                   choices=["direct", "cg", "kaczmarz", "hhl-emulate", "hhl"],
                   help="solver (default direct, as qla.solve)")
    p.add_argument("--backend", default=None, help="for --method hhl: 'aer' or a fake IBM "
                   "backend name such as FakeManilaV2 (default: exact statevector)")
    p.add_argument("--shots", type=int, default=None,
                   help="shots for --method hhl-emulate, or hhl with --backend")
    p.add_argument("--clock-qubits", type=int, default=None)
    p.add_argument("--time", type=float, default=None, help="evolution time t of exp(iAt)")
    p.add_argument("--observable", action="append", default=None,
                   choices=["absolute_average", "tridiagonal"],
                   help="also estimate this observable (repeatable)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", metavar="x.npy", help="save the solution estimate (.npy, written "
                   "to exactly this path)")
    p.set_defaults(run=run)


def _load(path: str, option: str):
    from pathlib import Path

    if not Path(path).is_file():
        raise OSError(f"{option} {path}: no such file")
    try:
        if path.endswith(".npz"):
            import scipy.sparse

            return scipy.sparse.load_npz(path)
        if path.endswith(".npy"):
            return np.load(path, allow_pickle=False)
        return np.loadtxt(path, ndmin=1)
    except (ValueError, OSError, EOFError, KeyError) as exc:
        raise ValueError(f"{option} {path} is not a readable matrix file ({exc})") from None
    except Exception as exc:  # zipfile.BadZipFile and other format errors of the loaders
        raise ValueError(f"{option} {path} is not a readable matrix file ({exc})") from None


def _check_out(path: str | None) -> None:
    """Refuse, before solving, an --out path that cannot be written."""
    from pathlib import Path

    if path is None:
        return
    p = Path(path)
    if p.is_dir():
        raise IsADirectoryError(f"--out {path} is a directory; give a file name such as "
                                f"{p / 'x.npy'}")
    if not p.parent.is_dir():
        raise FileNotFoundError(f"--out {path}: folder {str(p.parent)!r} does not exist")


def _backend(name: str | None):
    if name in (None, "aer"):
        return name
    from sketch.errors import require

    fp = require("qiskit_ibm_runtime.fake_provider", "ibm", "use a fake IBM backend")
    if not hasattr(fp, name):
        raise ValueError(f"unknown backend {name!r}; use 'aer' or e.g. FakeManilaV2")
    return getattr(fp, name)()


def run(args: argparse.Namespace) -> int:
    from qla.solve import solve
    from qla.tour.hhl import random_spd

    _check_out(args.out)
    if args.rhs and not args.matrix:
        raise ValueError("--rhs needs --matrix (the built-in example has its own b)")
    if args.matrix and args.random is not None:
        raise ValueError("give either --matrix or --random, not both")
    if args.matrix:
        if not args.rhs:
            raise ValueError("--matrix needs --rhs")
        A = _load(args.matrix, "--matrix")
        b = _load(args.rhs, "--rhs")
        if A.dtype.kind in "iub":
            A = A.astype(float)
        if b.dtype.kind in "iub":
            b = b.astype(float)
    elif args.random is not None:
        if args.random < 1:
            raise ValueError(f"--random must be at least 1, got {args.random}")
        A, b = random_spd(args.random, args.kappa, args.seed)
    else:
        A = np.array([[1.0, -1 / 3], [-1 / 3, 1.0]])
        b = np.array([1.0, 0.0])
    r = solve(A, b, args.method, backend=_backend(args.backend), shots=args.shots,
              observables=args.observable, clock_qubits=args.clock_qubits, time=args.time,
              seed=args.seed)
    print(r.summary())
    if r.x is not None:
        with np.printoptions(precision=6, suppress=True):
            print("x =", np.asarray(r.x))
        if args.out:
            with open(args.out, "wb") as fh:  # np.save(path) would append ".npy"
                np.save(fh, np.asarray(r.x))
    return 0
