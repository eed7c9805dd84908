"""qla.export / load_qasm: round trips to the same operator, every registered kind, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Gate, Parameter
from qiskit.circuit.library import HamiltonianGate, StatePreparation, UnitaryGate
from qiskit.quantum_info import Operator, random_hermitian, random_unitary

from qla.cli import build_parser
from qla.cli.circuit import KINDS
from qla.export import export, load_qasm, qasm_version


def hard_circuit() -> QuantumCircuit:
    """Gates no QASM exporter writes as they are: Hamiltonian, unitary, state prep, custom."""
    qc = QuantumCircuit(3, name="hard")
    qc.append(StatePreparation(np.array([1, 1j, -1, 0.5]) / np.linalg.norm([1, 1, 1, 0.5])), [0, 1])
    qc.append(HamiltonianGate(random_hermitian(4, seed=1).data, 0.7), [1, 2])
    qc.append(UnitaryGate(random_unitary(8, seed=2)), [0, 1, 2])
    sub = QuantumCircuit(2, name="mine")
    sub.h(0)
    sub.cx(0, 1)
    sub.rzz(0.3, 0, 1)
    qc.append(sub.to_gate(), [2, 0])
    qc.ecr(0, 1)
    qc.iswap(1, 2)
    return qc


@pytest.mark.parametrize("version", [2, 3])
def test_hard_gates_round_trip_through_a_file(tmp_path, version):
    qc = hard_circuit()
    path = tmp_path / f"hard{version}.qasm"
    text = export(qc, path, version=version)
    assert path.read_text() == text
    assert text.startswith(f"OPENQASM {version}.0;")
    back = load_qasm(path)
    assert Operator(back).equiv(Operator(qc), atol=1e-8)


def test_custom_basis(tmp_path):
    basis = ["rz", "sx", "x", "cx"]
    back = load_qasm(export(hard_circuit(), version=2, basis=basis))
    assert set(back.count_ops()) <= set(basis)
    assert Operator(back).equiv(Operator(hard_circuit()), atol=1e-8)


def test_measurements_and_registers_survive():
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure(0, 0)
    qc.reset(0)  # mid-circuit: no operator comparison, structure only
    qc.x(2)
    qc.measure([1, 2], [1, 2])
    for version in (2, 3):
        back = load_qasm(export(qc, version=version))
        assert back.count_ops()["measure"] == 3 and back.count_ops()["reset"] == 1
        assert back.num_clbits == 3


def _kind_circuit(kind: str):
    args = build_parser().parse_args(["circuit", kind, *KINDS[kind].example])
    return KINDS[kind].build(args)


@pytest.mark.parametrize("version", [2, 3])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_registered_kind_exports_and_loads_back(kind, version):
    qc = _kind_circuit(kind)
    assert qc.num_qubits <= 10, "keep the registry's examples small"
    back = load_qasm(export(qc, version=version, check=False))
    assert back.num_qubits == qc.num_qubits
    a = qc.remove_final_measurements(inplace=False)
    b = back.remove_final_measurements(inplace=False)
    assert Operator(b).equiv(Operator(a), atol=1e-8)


def test_parameters_only_in_qasm3():
    theta = Parameter("theta")
    qc = QuantumCircuit(1)
    qc.rx(theta, 0)
    with pytest.raises(ValueError, match="OpenQASM 2 cannot hold unbound parameters.*theta"):
        export(qc, version=2)
    text = export(qc, version=3)
    assert "input float[64] theta;" in text
    back = load_qasm(text)
    assert back.num_parameters == 1
    bound = back.assign_parameters([0.4])
    assert Operator(bound).equiv(Operator(qc.assign_parameters([0.4])))


def test_unwritable_paths(tmp_path):
    qc = QuantumCircuit(1)
    with pytest.raises(OSError, match="folder .* does not exist"):
        export(qc, tmp_path / "missing" / "out.qasm")
    with pytest.raises(OSError, match="is a directory"):
        export(qc, tmp_path)


def test_bad_version_and_input():
    qc = QuantumCircuit(1)
    with pytest.raises(ValueError, match="version must be 2 or 3"):
        export(qc, version=4)
    with pytest.raises(TypeError, match="QuantumCircuit"):
        export("OPENQASM 2.0;")
    opaque = QuantumCircuit(1)
    opaque.append(Gate("mystery", 1, []), [0])
    with pytest.raises(ValueError, match="cannot rewrite circuit"):
        export(opaque)


def test_load_qasm_errors_and_version_detection(tmp_path):
    with pytest.raises(OSError, match="is not a file"):
        load_qasm(tmp_path / "nope.qasm")
    with pytest.raises(ValueError, match="cannot parse OpenQASM 2"):
        load_qasm('OPENQASM 2.0; include "qelib1.inc"; qreg q[1]; frobnicate q[0];')
    assert qasm_version("// comment\nOPENQASM 3.0;\nqubit q;") == 3
    assert qasm_version('OPENQASM 2.0;\ninclude "qelib1.inc";') == 2
    assert qasm_version("qubit[2] q;") == 3


# ------------------------------------------------------------------ CLI


def test_cli_export_qasm_and_qpy(tmp_path, capsys):
    from qiskit import qpy

    from qla.cli import main

    qc = hard_circuit()
    src = tmp_path / "in.qpy"
    with src.open("wb") as f:
        qpy.dump([qc], f)
    out = tmp_path / "out.qasm"
    assert main(["export", str(src), "--qasm-version", "3", "--out", str(out)]) == 0
    assert Operator(load_qasm(out)).equiv(Operator(qc), atol=1e-8)
    # QASM 3 in, QASM 2 to stdout
    capsys.readouterr()
    assert main(["export", str(out), "--qasm-version", "2"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("OPENQASM 2.0;")
    assert Operator(load_qasm(printed)).equiv(Operator(qc), atol=1e-8)
    # several circuits in a QPY file need --index
    two = tmp_path / "two.qpy"
    with two.open("wb") as f:
        qpy.dump([qc, QuantumCircuit(2)], f)
    assert main(["export", str(two)]) == 2
    assert "holds 2 circuits; choose one with --index" in capsys.readouterr().err
    assert main(["export", str(two), "--index", "1", "--out", str(out)]) == 0
    assert load_qasm(out).num_qubits == 2


def test_cli_export_errors(tmp_path, capsys):
    from qla.cli import main

    assert main(["export", str(tmp_path / "absent.qasm")]) == 2
    assert "no such file" in capsys.readouterr().err
    src = tmp_path / "bell.qasm"
    src.write_text('OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; h q[0]; cx q[0],q[1];')
    assert main(["export", str(src), "--out", str(tmp_path / "no" / "x.qasm")]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_cli_circuit_writes_every_kind(kind, tmp_path, capsys):
    from qla.cli import main

    out = tmp_path / f"{kind}.qasm"
    argv = ["circuit", kind, *KINDS[kind].example, "--out", str(out), "--qasm-version", "2"]
    assert main(argv) == 0
    assert f"to {out}" in capsys.readouterr().out
    assert Operator(load_qasm(out)).equiv(Operator(_kind_circuit(kind)), atol=1e-8)


def test_cli_circuit_options_and_errors(tmp_path, capsys):
    from qla.cli import main

    assert main(["circuit", "qft", "-n", "3", "--basis", "rz,sx,x,cx", "--qasm-version", "2"]) == 0
    text = capsys.readouterr().out
    assert set(load_qasm(text).count_ops()) <= {"rz", "sx", "x", "cx"}
    assert main(["circuit", "ghz", "--qubits", "0"]) == 2
    assert "--qubits must be at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["circuit", "no-such-kind"])
    # random kinds follow --seed
    main(["circuit", "random", "--seed", "1", "--qasm-version", "3"])
    a = capsys.readouterr().out
    main(["circuit", "random", "--seed", "1", "--qasm-version", "3"])
    assert capsys.readouterr().out == a
    main(["circuit", "random", "--seed", "2", "--qasm-version", "3"])
    assert capsys.readouterr().out != a


def test_dynamic_circuit_needs_qasm3():
    qc = QuantumCircuit(2, 1)
    qc.h(0)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(1)
    back = load_qasm(export(qc, version=3))
    assert "if_else" in back.count_ops()
    with pytest.raises(ValueError, match="cannot export circuit .* to OpenQASM 2"):
        export(qc, version=2)
