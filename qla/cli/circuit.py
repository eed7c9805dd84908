"""``qla circuit KIND [kind options] [--out F.qasm] [--qasm-version 2|3]``: build, write QASM.

Every kind is one entry of :data:`KINDS`: a :class:`Kind` holding a function that
adds the kind's options to its sub-parser, a function that builds the
``QuantumCircuit`` from the parsed arguments, a one-line help and a small example
argument list (the tests build every kind with it and check that it exports to
OpenQASM 2 and 3 and loads back to the same operator). Options every kind gets:
``--out``, ``--qasm-version``, ``--seed``, ``--basis``. Circuits beyond
:data:`MAX_GATES` gates are refused before they are built (a QASM file of millions of
lines is not what this command is for; build such circuits from Python).

Adding a kind (e.g. HHL from :mod:`circuits`) takes one build function and one
registry line; the example options must build a small instance with no files::

    def _hhl(args):
        from circuits.hhl import hhl   # lazily: `qla --help` stays fast
        A, b = textbook_system(args.size) if args.matrix is None else load(args.matrix, args.rhs)
        return hhl(A, b, clock_qubits=args.clock)

    KINDS["hhl"] = Kind(lambda p: (p.add_argument("--size", type=int, default=2),
                                   p.add_argument("--matrix"), p.add_argument("--rhs"),
                                   p.add_argument("--clock", type=int, default=3)),
                        _hhl, "HHL linear-system solver", ["--size", "2"])

Examples
--------
>>> from qla.cli import main
>>> main(["circuit", "ghz", "--qubits", "3", "--qasm-version", "2"])
OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
h q[0];
cx q[0],q[1];
cx q[1],q[2];
0
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, NamedTuple


class Kind(NamedTuple):
    """One ``qla circuit`` kind.

    Attributes
    ----------
    add_arguments : callable
        ``add_arguments(parser)`` adds the kind's options to its ``argparse`` sub-parser.
    build : callable
        ``build(args) -> QuantumCircuit`` from the parsed arguments (``args.seed`` is
        always there).
    help : str
        One line for ``qla circuit --help``.
    example : list of str
        Options for a small instance (a few qubits), used by the tests.
    """

    add_arguments: Callable[[argparse.ArgumentParser], Any]
    build: Callable[[argparse.Namespace], Any]
    help: str
    example: list[str]


def _qubits(p: argparse.ArgumentParser, default: int = 3) -> None:
    p.add_argument("--qubits", "-n", type=int, default=default,
                   help=f"number of qubits (default {default})")


#: Most gates ``qla circuit`` builds (and writes as one QASM line each).
MAX_GATES = 1_000_000


def _positive(n: int, name: str) -> int:
    if n < 1:
        raise ValueError(f"--{name} must be at least 1, got {n}")
    return n


def _check_gates(count: float, what: str, fix: str) -> None:
    """Refuse, before building, a circuit of more than :data:`MAX_GATES` gates."""
    if count > MAX_GATES:
        raise ValueError(f"{what} has about {count:.3g} gates, above the {MAX_GATES:,} that "
                         f"qla circuit writes; {fix}")


def _qft_args(p: argparse.ArgumentParser) -> None:
    _qubits(p)
    p.add_argument("--approximation-degree", type=int, default=0,
                   help="drop controlled rotations of the smallest angles (default 0: exact)")
    p.add_argument("--inverse", action="store_true", help="the inverse QFT")
    p.add_argument("--no-swaps", action="store_true", help="leave out the final qubit reversal")


def _qft(args: argparse.Namespace):
    """Quantum Fourier transform (Coppersmith 1994), approximate form by Barenco et al. 1996."""
    from qiskit.synthesis import synth_qft_full

    from sketch.checks import check_positive_int

    n = _positive(args.qubits, "qubits")
    deg = check_positive_int(args.approximation_degree, "approximation_degree", minimum=0)
    _check_gates(n + sum(min(k, max(n - 1 - deg, 0)) for k in range(n)) + n // 2,
                 f"the {n}-qubit QFT", "use fewer --qubits or a larger --approximation-degree")
    return synth_qft_full(n, do_swaps=not args.no_swaps, inverse=args.inverse,
                          approximation_degree=deg, name=f"qft{n}")


def _ghz(args: argparse.Namespace):
    """GHZ state (|0…0⟩ + |1…1⟩)/√2 by a Hadamard and a CX chain."""
    from qiskit import QuantumCircuit

    n = _positive(args.qubits, "qubits")
    _check_gates(n, f"the {n}-qubit GHZ circuit", "use fewer --qubits")
    qc = QuantumCircuit(n, name=f"ghz{n}")
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    return qc


def _random_args(p: argparse.ArgumentParser) -> None:
    _qubits(p)
    p.add_argument("--depth", type=int, default=4, help="layers of random gates (default 4)")
    p.add_argument("--max-operands", type=int, default=3, help="largest gate (default 3 qubits)")


def _random(args: argparse.Namespace):
    """Random circuit of Qiskit's standard gates (``qiskit.circuit.random.random_circuit``)."""
    from qiskit.circuit.random import random_circuit

    from sketch.checks import check_positive_int

    n = _positive(args.qubits, "qubits")
    depth = _positive(args.depth, "depth")
    most = check_positive_int(args.max_operands, "max_operands", maximum=4,
                              why="Qiskit's random gates act on at most 4 qubits")
    _check_gates(float(n) * depth, f"a random circuit of {n} qubits and depth {depth}",
                 "use fewer --qubits or a smaller --depth")
    qc = random_circuit(n, depth, max_operands=min(most, n), seed=args.seed)
    qc.name = f"random{n}x{depth}"
    return qc


def _hhl_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size", type=int, default=2,
                   help="system size N (default 2: the textbook A = [[1, -1/3], [-1/3, 1]], "
                        "b = e0; larger N: random SPD A with condition number --kappa)")
    p.add_argument("--kappa", type=float, default=10.0, help="condition number for N > 2")
    p.add_argument("--clock-qubits", type=int, default=None, help="override the automatic sizing")


def _hhl(args: argparse.Namespace):
    """HHL linear-system circuit (Harrow–Hassidim–Lloyd 2009), see :func:`circuits.hhl`."""
    import numpy as np

    from circuits.hhl import hhl
    from sketch.hhl import random_spd_system

    n = _positive(args.size, "size")
    if n == 2:
        A, b = np.array([[1.0, -1 / 3], [-1 / 3, 1.0]]), np.array([1.0, 0.0])
    else:
        A, b = random_spd_system(n, args.kappa, seed=args.seed)
    return hhl(A, b, clock_qubits=args.clock_qubits).circuit


def _haar(args: argparse.Namespace):
    """Haar-random unitary as an exact CX + one-qubit-gate circuit (Mezzadri 2007 sampling)."""
    from circuits.random_circuits import haar_circuit

    return haar_circuit(_positive(args.qubits, "qubits"), seed=args.seed)


def _brickwork_args(p: argparse.ArgumentParser) -> None:
    _qubits(p, default=4)
    p.add_argument("--depth", type=int, default=4, help="layers of Haar 2-qubit gates (default 4)")
    p.add_argument("--coupling", metavar="0-1,1-2", help="bonds to use (default: a line)")


def _brickwork(args: argparse.Namespace):
    """Brickwork of Haar-random two-qubit gates on a line or the given bonds."""
    from circuits.random_circuits import random_brickwork
    from qla.cli import parse_pairs

    n = _positive(args.qubits, "qubits")
    _check_gates(8.0 * n * _positive(args.depth, "depth"), f"a brickwork of {n} qubits",
                 "use fewer --qubits or a smaller --depth")
    return random_brickwork(n, args.depth, seed=args.seed,
                            coupling_map=parse_pairs(args.coupling))


def _pfc_args(p: argparse.ArgumentParser) -> None:
    _qubits(p, default=3)
    p.add_argument("--mode", choices=("prp", "t-design", "ideal"), default="prp",
                   help="keyed pseudorandom (default), 2t-wise independent, or truly random f, π")
    p.add_argument("--t", type=int, default=2, help="design order of --mode t-design (default 2)")
    p.add_argument("--strong", action="store_true", help="append an outer Clifford (D·P·F·C)")


def _pfc(args: argparse.Namespace):
    """PFC pseudorandom unitary P_π F_f C (Metger–Poremba–Sinha–Yuen 2024), keyed by --seed."""
    from circuits.pfc import pfc

    return pfc(_positive(args.qubits, "qubits"), key=args.seed, mode=args.mode, t=args.t,
               strong=args.strong)


def _peft_args(p: argparse.ArgumentParser) -> None:
    _qubits(p, default=3)
    p.add_argument("--layers", type=int, default=2, help="entangling layers L (default 2)")
    p.add_argument("--entangler", choices=("cz", "cx"), default="cz",
                   help="two-qubit gate of the entangling layers (default cz)")


def _peft(args: argparse.Namespace):
    """Quantum-PEFT Pauli ansatz (Koike-Akino et al. 2025) with seeded angles in [-π, π)."""
    import math

    import numpy as np

    from circuits.peft import pauli_circuit, pauli_num_params
    from sketch.rng import as_key

    q = _positive(args.qubits, "qubits")
    layers = _positive(args.layers, "layers")
    counters = np.arange(pauli_num_params(q, layers), dtype=np.uint64)
    u = as_key(args.seed).child("qla circuit peft").uniform(counters)
    qc = pauli_circuit(q, layers, theta=(2 * u - 1) * math.pi, entangler=args.entangler)
    qc.name = f"peft{q}x{layers}"
    return qc


def _synth_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--unitary", metavar="U.npy", help="target unitary (default: a Haar-random "
                   "one on --qubits qubits, seeded by --seed)")
    _qubits(p, default=2)
    p.add_argument("--method", choices=("exact", "numerical", "approximate"),
                   default="numerical", help="synthesis method (default numerical)")
    p.add_argument("--tol", type=float, default=1e-8, help="distance target (default 1e-8)")


def _synth(args: argparse.Namespace):
    """Synthesized circuit of a unitary (see :func:`circuits.synthesize`)."""
    import numpy as np

    from circuits.synthesis import synthesize

    if args.unitary is not None:
        U = np.load(args.unitary, allow_pickle=False)
    else:
        from sketch.haar import haar_unitary

        U = haar_unitary(2 ** _positive(args.qubits, "qubits"), seed=args.seed)
    return synthesize(U, method=args.method, tol=args.tol, seed=args.seed).circuit


#: ``qla circuit`` kinds: name → :class:`Kind`. Registering a kind here is all it takes
#: for the CLI and the export round-trip tests to cover it.
KINDS: dict[str, Kind] = {
    "qft": Kind(_qft_args, _qft, "quantum Fourier transform", ["--qubits", "3"]),
    "ghz": Kind(_qubits, _ghz, "GHZ state preparation", ["--qubits", "4"]),
    "random": Kind(_random_args, _random, "random circuit of standard gates",
                   ["--qubits", "3", "--depth", "3"]),
    "hhl": Kind(_hhl_args, _hhl, "HHL linear-system solver", ["--size", "2"]),
    "haar": Kind(_qubits, _haar, "Haar-random unitary as an exact circuit", ["--qubits", "2"]),
    "brickwork": Kind(_brickwork_args, _brickwork, "brickwork of Haar-random 2-qubit gates",
                      ["--qubits", "3", "--depth", "2"]),
    "pfc": Kind(_pfc_args, _pfc, "PFC pseudorandom unitary (keyed by --seed)",
                ["--qubits", "3"]),
    "peft": Kind(_peft_args, _peft, "Quantum-PEFT Pauli ansatz with seeded angles",
                 ["--qubits", "3", "--layers", "2"]),
    "synth": Kind(_synth_args, _synth, "synthesized circuit of a unitary (.npy or Haar)",
                  ["--qubits", "2"]),
}


def register(sub: argparse._SubParsersAction) -> None:
    from qla.cli import add_qasm_version

    p = sub.add_parser("circuit", help="build a circuit and write it as OpenQASM",
                       description="Build a circuit of one KIND and write it as OpenQASM 2 or 3.")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", required=True)
    for name, kind in KINDS.items():
        k = kinds.add_parser(name, help=kind.help, description=kind.help)
        kind.add_arguments(k)
        k.add_argument("--out", metavar="F.qasm", help="output file (default: print it)")
        add_qasm_version(k)
        k.add_argument("--seed", type=int, default=0, help="seed of random kinds (default 0)")
        k.add_argument("--basis", metavar="G1,G2,...",
                       help="gates to write, e.g. rz,sx,x,cx (default: the language's gates)")
    p.set_defaults(run=run)


def build(args: argparse.Namespace):
    """The circuit that the parsed ``qla circuit`` arguments describe."""
    return KINDS[args.kind].build(args)


def run(args: argparse.Namespace) -> int:
    from qla.export import export

    circuit = build(args)
    basis = [g.strip() for g in args.basis.split(",") if g.strip()] if args.basis else None
    text = export(circuit, args.out, version=args.qasm_version, basis=basis)
    if args.out is None:
        print(text, end="")
    else:
        print(f"wrote {args.kind} ({circuit.num_qubits} qubits) as OpenQASM {args.qasm_version} "
              f"to {args.out}")
    return 0
