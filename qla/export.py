"""OpenQASM 2 and 3 export that always loads back to the same circuit.

Qiskit's exporters write a gate only if the target language (or a gate
definition they can emit) knows it; circuits from the builders hold
``HamiltonianGate``, ``UnitaryGate``, ``StatePreparation`` and custom
composite gates that do not survive the trip. :func:`export` therefore first
transpiles the circuit to a basis both languages share — the ``qelib1.inc`` /
``stdgates.inc`` gates (:data:`QASM2_BASIS`, :data:`QASM3_BASIS`) — then dumps
it, and (by default) loads the text back with :func:`load_qasm` and checks that
the loaded circuit has the same operator up to a global phase (for circuits
of at most ``verify_qubits`` qubits).

Loading uses :func:`qiskit.qasm2.loads` with ``LEGACY_CUSTOM_INSTRUCTIONS``
(so ``sx``, ``rzz``, ``cu3``... map to Qiskit's gates) and
:func:`qiskit.qasm3.loads`, which needs the ``qiskit-qasm3-import`` package.

Examples
--------
>>> from qiskit import QuantumCircuit
>>> from qiskit.circuit.library import UnitaryGate
>>> qc = QuantumCircuit(2)
>>> _ = qc.append(UnitaryGate([[0, 1], [1, 0]]), [0]); _ = qc.cx(0, 1)
>>> text = export(qc, version=2)
>>> text.splitlines()[0]
'OPENQASM 2.0;'
>>> load_qasm(text).num_qubits
2
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sketch.budgets import check_work
from sketch.errors import MissingDependencyError

_DIRECTIVES = ["measure", "reset"]  # barriers pass through transpile as they are

#: Gates kept as they are in OpenQASM 2: those of the original ``qelib1.inc`` (Cross et al.
#: 2017), which every loader reads — ``qiskit.qasm2.load`` with its default instructions as
#: well as ``QuantumCircuit.from_qasm_file``; everything else is transpiled.
QASM2_BASIS = [
    "id", "x", "y", "z", "h", "s", "sdg", "t", "tdg",
    "rx", "ry", "rz", "u1", "u2", "u3",
    "cx", "cy", "cz", "ch", "ccx", "crz", "cu1", "cu3",
]  # fmt: skip

#: Gates kept as they are in OpenQASM 3 (``stdgates.inc``, plus the ones Qiskit defines inline).
QASM3_BASIS = [
    "id", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "sxdg",
    "rx", "ry", "rz", "p", "u", "u1", "u2", "u3",
    "cx", "cy", "cz", "ch", "csx", "swap", "ccx", "cswap",
    "crx", "cry", "crz", "cp", "cu1", "cu3", "cu", "rxx", "rzz",
]  # fmt: skip

#: OpenQASM 2 spellings, in the original ``qelib1.inc``, of the same gates under newer names.
QASM2_ALIASES = {"u": "u3", "p": "u1", "cp": "cu1"}

_HEADER = re.compile(r"^\s*OPENQASM\s+(\d+)(?:\.\d+)?\s*;", re.MULTILINE)
_REGISTERS = re.compile(r"\b(?:qreg\s+\w+|qubit)\s*\[\s*(\d+)\s*\]")
# Per-item costs for the work rule (sketch.budgets.check_work), measured on a 2-core machine and
# rounded down: Qiskit's OpenQASM 2 loader, about 1 us a qubit and 4 us a statement; the
# OpenQASM 3 importer about 13 us a qubit and 270 us a statement; lowering, writing and
# reading back an exported circuit about 20 us per qubit and gate.
_LOAD_S = {2: (1e-6, 3e-6), 3: (5e-6, 1e-4)}
_EXPORT_S = 1e-5


def _check_version(version: Any) -> int:
    if version not in (2, 3):
        raise ValueError(f"version must be 2 or 3 (OpenQASM 2.0 or 3.0), got {version!r}")
    return int(version)


def to_qasm_basis(circuit, version: int = 2, basis: list[str] | None = None):
    """Transpile ``circuit`` so every gate is one the OpenQASM ``version`` exporter knows.

    Gates already in the basis are kept (``optimization_level=0``); unitary, Hamiltonian,
    state-preparation and composite gates are decomposed. For OpenQASM 2, ``u``, ``p`` and
    ``cp`` in ``basis`` are written as ``u3``, ``u1`` and ``cu1`` (:data:`QASM2_ALIASES`),
    which the original ``qelib1.inc`` defines; other gates it lacks (``sx``, ``rzz``, ...)
    load only with Qiskit's legacy instructions (``QuantumCircuit.from_qasm_file``).

    Raises
    ------
    ValueError
        If a gate cannot be decomposed (an opaque gate without a definition), or the
        circuit has unbound parameters for OpenQASM 2 (which has no inputs).
    """
    from qiskit import transpile

    version = _check_version(version)
    if version == 2 and circuit.parameters:
        names = ", ".join(sorted(p.name for p in circuit.parameters)[:5])
        raise ValueError(
            f"OpenQASM 2 cannot hold unbound parameters ({names}); bind them with "
            "circuit.assign_parameters({...}) or export with version=3 (input parameters)"
        )
    if basis is not None:
        from circuits.synthesis import check_basis

        basis = check_basis(basis)
    gates = list(basis or (QASM2_BASIS if version == 2 else QASM3_BASIS))
    if version == 2:
        gates = list(dict.fromkeys(QASM2_ALIASES.get(g, g) for g in gates))
    try:
        return transpile(circuit, basis_gates=gates + _DIRECTIVES, optimization_level=0)
    except Exception as exc:  # TranspilerError has no common builtin base
        raise ValueError(
            f"cannot rewrite circuit {circuit.name!r} in OpenQASM {version} gates: {exc}"
        ) from exc


def dumps(circuit, version: int = 2) -> str:
    """OpenQASM text of a circuit already in the target basis (see :func:`to_qasm_basis`)."""
    from qiskit import qasm2, qasm3

    version = _check_version(version)
    text = qasm2.dumps(circuit) if version == 2 else qasm3.dumps(circuit)
    return text if text.endswith("\n") else text + "\n"


def _read_source(source: str | Path) -> str:
    if isinstance(source, Path) or (
        isinstance(source, str) and source.strip() and "\n" not in source and ";" not in source
    ):
        path = Path(source)
        if not path.is_file():
            raise OSError(f"cannot read OpenQASM: {str(path)!r} is not a file")
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(
                f"cannot read OpenQASM: {str(path)!r} is not a UTF-8 text file (byte "
                f"{exc.start} is {exc.object[exc.start:exc.start + 1]!r}); is it a binary file "
                "such as QPY? (qla export reads .qpy files by their suffix)"
            ) from None
    if not isinstance(source, str):
        raise TypeError(f"expected OpenQASM text or a path, got {type(source).__name__}")
    return source


def qasm_version(text: str) -> int:
    """The OpenQASM major version a program declares (3 when it declares none, as 3 allows)."""
    m = _HEADER.search(re.sub(r"//[^\n]*", "", text))
    return int(m.group(1)) if m else 3


def load_qasm(source: str | Path, version: int | None = None):
    """Load an OpenQASM 2 or 3 program (text or file path) into a ``QuantumCircuit``.

    Parameters
    ----------
    source : str or Path
        Program text, or the path of a ``.qasm`` file.
    version : {2, 3}, optional
        Force the language version; by default it is read from the ``OPENQASM`` header.

    Raises
    ------
    OSError
        If a path does not name a readable file.
    ValueError
        If the program does not parse.
    MissingDependencyError
        For OpenQASM 3 without ``qiskit-qasm3-import``.

    Examples
    --------
    >>> qc = load_qasm('OPENQASM 2.0; include "qelib1.inc"; qreg q[1]; sx q[0];')
    >>> qc.data[0].operation.name
    'sx'
    """
    from qiskit import qasm2, qasm3

    text = _read_source(source)
    if not re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.DOTALL).strip():
        raise ValueError("cannot parse OpenQASM: the program is empty (no statements)")
    if version is None:
        version = qasm_version(text)
        if version not in _LOAD_S:  # a header such as OPENQASM 4.0 (was a KeyError)
            raise ValueError(f"cannot parse OpenQASM: the program declares OPENQASM {version}; "
                             "qla reads versions 2 and 3")
    else:
        version = _check_version(version)
    qubits = sum(int(m) for m in _REGISTERS.findall(text))
    per_qubit, per_statement = _LOAD_S[version]
    check_work(per_qubit * qubits + per_statement * text.count(";"),
               f"loading an OpenQASM {version} program of {text.count(';')} statements on "
               f"{qubits} qubits", fix="load a smaller program")
    try:
        if version == 2:
            return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
        try:
            import qiskit_qasm3_import  # noqa: F401 - qasm3.loads needs it installed
        except ImportError as exc:
            raise MissingDependencyError(
                "loading OpenQASM 3 needs the qiskit-qasm3-import package (a qla dependency): "
                "pip install qiskit-qasm3-import"
            ) from exc
        return qasm3.loads(text)
    except ImportError:
        raise
    except Exception as exc:  # QASM2ParseError / QASM3ImporterError
        why = str(exc).strip() or _qasm3_syntax_error(text)
        raise ValueError(f"cannot parse OpenQASM {version}: {why}") from exc


def _qasm3_syntax_error(text: str) -> str:
    """Where the OpenQASM 3 reference parser fails (its exception carries no message)."""
    try:
        import openqasm3.parser

        openqasm3.parser.parse(text)
    except Exception as exc:  # QASM3ParsingError from ANTLR's ParseCancellationException
        inner = exc.__cause__.args[0] if exc.__cause__ is not None and exc.__cause__.args else exc
        tok = getattr(inner, "offendingToken", None)
        if tok is not None:
            return f"syntax error at line {tok.line}, column {tok.column + 1}, near {tok.text!r}"
    return "syntax error (the parser reports no position)"


def _unitary_part(circuit):
    """The circuit without final measurements and barriers, or None if it is not unitary."""
    from qiskit.circuit import ControlFlowOp

    qc = circuit.remove_final_measurements(inplace=False)
    for inst in qc.data:
        if inst.operation.name in ("measure", "reset") or isinstance(inst.operation, ControlFlowOp):
            return None
    return qc


def same_operator(a, b, atol: float = 1e-8) -> bool:
    """True if two circuits implement the same unitary up to a global phase."""
    from qiskit.quantum_info import Operator

    from circuits.targets import check_operator_work

    if a.num_qubits != b.num_qubits:
        return False
    check_operator_work(a.size() + b.size(), a.num_qubits,
                        f"comparing the operators of two {a.num_qubits}-qubit circuits",
                        fix="lower verify_qubits, or export with check=False")
    return Operator(a).equiv(Operator(b), atol=atol)


def verify(circuit, text: str, version: int | None = None, max_qubits: int = 10) -> None:
    """Check that ``text`` loads back to ``circuit``.

    The loaded program must have the same number of qubits and clbits; for a bound
    circuit of at most ``max_qubits`` qubits without mid-circuit measurement, the
    same operator up to a global phase.

    Raises
    ------
    ValueError
        If the text does not load, or loads to a different circuit.
    """
    back = load_qasm(text, version)
    if (back.num_qubits, back.num_clbits) != (circuit.num_qubits, circuit.num_clbits):
        raise ValueError(
            f"exported program has {back.num_qubits} qubits/{back.num_clbits} clbits, "
            f"the circuit {circuit.num_qubits}/{circuit.num_clbits}"
        )
    if circuit.parameters or circuit.num_qubits > max_qubits:
        return
    a, b = _unitary_part(circuit), _unitary_part(back)
    if a is None or b is None:
        return
    if not same_operator(a, b):
        raise ValueError(
            f"exported OpenQASM does not reproduce circuit {circuit.name!r}'s operator"
        )


def _write(path: str | Path, text: str) -> Path:
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"cannot write OpenQASM to {str(path)!r}: it is a directory")
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"cannot write OpenQASM to {str(path)!r}: folder {str(path.parent)!r} does not exist"
        )
    try:
        path.write_text(text)
    except OSError as exc:
        raise OSError(f"cannot write OpenQASM to {str(path)!r}: {exc.strerror or exc}") from exc
    return path


def export(
    circuit,
    path: str | Path | None = None,
    version: int = 2,
    *,
    basis: list[str] | None = None,
    verify_qubits: int = 10,
    check: bool = True,
) -> str:
    """Write ``circuit`` as OpenQASM 2 or 3 and return the text.

    Parameters
    ----------
    circuit : QuantumCircuit
    path : str or Path, optional
        Where to write the program; nothing is written when omitted.
    version : {2, 3}
        OpenQASM 2.0 (``qelib1.inc``) or OpenQASM 3.0 (``stdgates.inc``).
    basis : list of str, optional
        Gate names to keep (default :data:`QASM2_BASIS` / :data:`QASM3_BASIS`); e.g.
        ``["rz", "sx", "x", "cx"]`` for IBM-style output.
    verify_qubits : int
        Compare operators (``2^n × 2^n`` matrices) only up to this many qubits.
    check : bool
        Load the written text back and verify it (:func:`verify`).

    Returns
    -------
    str
        The OpenQASM program.

    Raises
    ------
    ValueError
        Bad version, gates that cannot be decomposed, parameters in OpenQASM 2, or a
        round trip that changes the circuit.
    OSError
        If ``path`` cannot be written (missing folder, a directory, no permission).

    Examples
    --------
    >>> from qiskit.circuit.library import QFTGate
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(3); _ = qc.append(QFTGate(3), range(3))
    >>> print(export(qc, version=3).splitlines()[1])
    include "stdgates.inc";
    """
    from qiskit import QuantumCircuit

    if not isinstance(circuit, QuantumCircuit):
        raise TypeError(f"expected a qiskit QuantumCircuit, got {type(circuit).__name__}")
    version = _check_version(version)
    if path is not None:
        p = Path(path)
        if p.is_dir() or not p.parent.is_dir():
            _write(p, "")  # raises the clear error before any transpiling work
    check_work(_EXPORT_S * (circuit.num_qubits + circuit.size()),
               f"exporting a circuit of {circuit.size()} gates on {circuit.num_qubits} qubits",
               fix="export a smaller circuit")
    lowered = to_qasm_basis(circuit, version, basis)
    try:
        text = dumps(lowered, version)
    except Exception as exc:  # QASM2ExportError / QASM3ExporterError
        raise ValueError(
            f"cannot export circuit {circuit.name!r} to OpenQASM {version}: {exc}"
        ) from exc
    if check:
        verify(circuit, text, version, max_qubits=verify_qubits)
    if path is not None:
        _write(path, text)
    return text
