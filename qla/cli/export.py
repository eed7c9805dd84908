"""``qla export IN.qasm|IN.qpy [--qasm-version 2|3] [--out OUT.qasm]``: convert to OpenQASM.

The input is an OpenQASM 2/3 file or a QPY file (``qiskit.qpy.dump``) holding one
circuit (``--index`` picks one of several). Gates outside the target language are
transpiled away and the written program is checked to load back to the same operator.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from qla.cli import add_qasm_version

    p = sub.add_parser("export", help="convert a .qasm or .qpy circuit to OpenQASM 2 or 3")
    p.add_argument("input", metavar="IN", help="an OpenQASM (.qasm) or QPY (.qpy) file")
    add_qasm_version(p)
    p.add_argument("--out", metavar="OUT.qasm", help="output file (default: print it)")
    p.add_argument("--index", type=int, default=None,
                   help="which circuit of a QPY file holding several (default: the only one)")
    p.add_argument("--no-verify", action="store_true",
                   help="skip loading the output back to compare operators")
    p.set_defaults(run=run)


def read_circuit(path: str | Path, index: int | None = None):
    """The circuit stored in a ``.qasm`` or ``.qpy`` file."""
    from qla.export import load_qasm

    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"cannot read {str(path)!r}: it is a directory")
    if not path.is_file():
        raise OSError(f"cannot read {str(path)!r}: no such file")
    if path.suffix.lower() != ".qpy":
        return load_qasm(path)
    from qiskit import qpy

    with path.open("rb") as f:
        try:
            circuits = qpy.load(f)
        except Exception as exc:  # QpyError and friends
            raise ValueError(f"cannot read QPY file {str(path)!r}: {exc}") from exc
    if index is None:
        if len(circuits) != 1:
            raise ValueError(
                f"{str(path)!r} holds {len(circuits)} circuits; choose one with --index"
            )
        index = 0
    if not 0 <= index < len(circuits):
        raise ValueError(f"--index {index} is out of range: the file holds {len(circuits)}")
    return circuits[index]


def run(args: argparse.Namespace) -> int:
    from qla.export import export

    circuit = read_circuit(args.input, args.index)
    text = export(circuit, args.out, version=args.qasm_version, check=not args.no_verify)
    if args.out is None:
        print(text, end="")
    else:
        print(f"wrote OpenQASM {args.qasm_version} ({circuit.num_qubits} qubits) to {args.out}")
    return 0
