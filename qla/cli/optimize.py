"""``qla optimize IN.qasm -o OUT.qasm``: fewer CNOTs by block resynthesis.

Reads OpenQASM 2 or 3 (or QPY), runs :func:`circuits.optimize`, writes OpenQASM
(``--qasm-version``) and prints the CNOT counts before and after, the distance
bound and the time.

Examples
--------
>>> from qla.cli import main
>>> main(["optimize", "adder.qasm", "-o", "out.qasm"])  # doctest: +SKIP
optimize: 6 qubits, 33 -> 27 CX (-18.2%), distance bound 3.1e-14 (operator norm), 9.3 s -> out.qasm
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    from qla.cli import add_qasm_version

    p = sub.add_parser(
        "optimize", help="lower a circuit's CNOT count by block resynthesis (.qasm in and out)"
    )
    p.add_argument("input", metavar="IN", help="an OpenQASM 2/3 (.qasm) or QPY (.qpy) file")
    p.add_argument("-o", "--out", metavar="OUT.qasm", default=None,
                   help="write the optimised circuit here (default: print it)")
    p.add_argument("--block-size", type=int, default=4, choices=(2, 3, 4),
                   help="widest block to resynthesise (default 4: 4-qubit passes only "
                        "when the 3-qubit ones gained)")
    p.add_argument("--tolerance", type=float, default=1e-10,
                   help="largest accepted ||V - U||_F / sqrt(d) of a replaced block "
                        "(default 1e-10)")
    p.add_argument("--coupling", default=None, metavar="0-1,1-2",
                   help="coupled qubit pairs the (routed) input respects (default: all pairs)")
    p.add_argument("--workers", type=int, default=None,
                   help="processes for the block searches (default: one per CPU)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    add_qasm_version(p)
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from circuits.optimization import optimize
    from qla.cli import parse_pairs
    from qla.cli.export import read_circuit
    from qla.export import export

    qc = read_circuit(args.input)
    res = optimize(qc, block_size=args.block_size, coupling_map=parse_pairs(args.coupling),
                   tolerance=args.tolerance, workers=args.workers, seed=args.seed,
                   progress=False if args.no_progress else None)
    # export writes the file and checks that it loads back to the same operator
    text = export(res.circuit, args.out, version=args.qasm_version)
    where = args.out or "stdout"
    summary = (f"optimize: {qc.num_qubits} qubits, {res.cx_before} -> {res.cx_after} CX "
               f"({-res.reduction:+.1%}), distance bound {res.distance_bound:.2g} "
               f"(operator norm), {res.seconds:.2f} s -> {where}")
    if args.out:
        print(summary)
    else:
        print(text, end="")
        print("// " + summary)
    return 0
