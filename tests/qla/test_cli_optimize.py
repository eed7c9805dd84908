"""``qla optimize``: QASM in, fewer CX out, the same operator, counts printed."""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit, qasm2, qasm3
from qiskit.quantum_info import Operator

from qla.cli import main
from qla.export import load_qasm


def _reducible() -> QuantumCircuit:
    qc = QuantumCircuit(3)
    qc.ccx(0, 1, 2)
    qc.cx(0, 1)
    qc.cx(0, 1)
    qc.ccx(0, 1, 2)
    qc.h(2)
    return qc


def test_round_trip_qasm2_and_qasm3(tmp_path, capsys):
    qc = _reducible()
    for version, dumps in ((2, qasm2.dumps), (3, qasm3.dumps)):
        src, out = tmp_path / f"in{version}.qasm", tmp_path / f"out{version}.qasm"
        src.write_text(dumps(qc))
        rc = main(["optimize", str(src), "-o", str(out), "--qasm-version", str(version),
                   "--no-progress"])
        assert rc == 0
        said = capsys.readouterr().out
        assert "14 -> 0 CX" in said and "distance bound" in said
        back = load_qasm(out)
        assert out.read_text().startswith(f"OPENQASM {version}")
        assert np.allclose(Operator(back).data, Operator(qc).data, atol=1e-10)


def test_measurements_survive_and_stdout(tmp_path, capsys):
    qc = _reducible()
    qc.measure_all()
    src = tmp_path / "m.qasm"
    src.write_text(qasm2.dumps(qc))
    assert main(["optimize", str(src), "--no-progress", "--qasm-version", "2"]) == 0
    text = capsys.readouterr().out
    assert text.count("measure") == 3 and "// optimize: 3 qubits" in text


def test_bad_inputs(tmp_path, capsys):
    assert main(["optimize", str(tmp_path / "missing.qasm")]) == 2
    assert "no such file" in capsys.readouterr().err
    src = tmp_path / "c.qasm"
    src.write_text(qasm2.dumps(_reducible()))
    assert main(["optimize", str(src), "--tolerance", "0"]) == 2
    assert "tolerance" in capsys.readouterr().err
    assert main(["optimize", str(src), "--coupling", "0-2"]) == 2
    assert "not routed" in capsys.readouterr().err
