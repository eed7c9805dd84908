"""``qla synth``: synthesize a circuit for a unitary stored in a ``.npy`` file.

Examples
--------
>>> from qla.cli import main
>>> main(["synth", "U.npy", "--tol", "1e-8", "--out", "circuit.qasm"])  # doctest: +SKIP
synth: 3 qubits, 14 CNOTs (lower bound 14), distance 3.1e-13, 0.52 s -> circuit.qasm
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from qla.cli import add_qasm_version

    p = sub.add_parser(
        "synth", help="synthesize a cx+u circuit for a unitary (.npy) and write OpenQASM"
    )
    p.add_argument("unitary", metavar="U.npy", help="the 2^n x 2^n unitary (numpy .npy file)")
    p.add_argument("--method", choices=["exact", "numerical", "approximate"],
                   default="numerical", help="synthesis method (default numerical)")
    p.add_argument("--tol", type=float, default=1e-8,
                   help="distance target min_a ||e^{ia} V - U||_F / sqrt(d) (default 1e-8)")
    p.add_argument("--max-cnots", type=int, default=None, help="CNOT budget")
    p.add_argument("--coupling", default=None, metavar="0-1,1-2",
                   help="allowed CNOT pairs, e.g. 0-1,1-2 (default: all pairs)")
    p.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help="return the best circuit found within this time")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--basis", default="cx,u",
                   help="output gate names (default cx,u; OpenQASM 2 writes u as u3)")
    p.add_argument("--out", metavar="circuit.qasm", default=None,
                   help="write the circuit as OpenQASM (default: print it)")
    add_qasm_version(p)
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from circuits.synthesis import synthesize
    from qla.cli import parse_pairs
    from qla.export import export

    path = Path(args.unitary)
    if not path.exists():
        raise OSError(f"no such file: {path}")
    try:
        U = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:  # empty, truncated, pickled or foreign
        raise ValueError(f"{path} is not a readable .npy file ({exc})") from None
    basis = [b.strip() for b in args.basis.split(",") if b.strip()]
    res = synthesize(
        U, method=args.method, tol=args.tol, max_cnots=args.max_cnots,
        coupling_map=parse_pairs(args.coupling), time_limit=args.time_limit, seed=args.seed,
        progress=False if args.no_progress else None,
        basis=tuple(basis),
    )
    # export writes the file and checks that it loads back to the same operator
    text = export(res.circuit, args.out, version=args.qasm_version, basis=basis)
    n = res.circuit.num_qubits
    where = args.out or "stdout"
    status = "" if res.converged else f" (did NOT reach tol {args.tol:g})"
    summary = (f"synth: {n} qubits, {res.cnot_count} CNOTs (lower bound {res.lower_bound}), "
               f"distance {res.distance:.2g}{status}, {res.seconds:.2f} s -> {where}")
    if args.out:
        print(summary)
    else:
        print(text)
        print("// " + summary)
    return 0 if res.converged else 1
