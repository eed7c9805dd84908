"""``qla synth``: writes OpenQASM that loads back to the target unitary."""

from __future__ import annotations

import numpy as np
from qiskit import qasm2
from qiskit.quantum_info import Operator
from scipy.stats import unitary_group

from qla.cli import main


def _distance(U, qc):
    V = Operator(qc).data
    R = np.exp(1j * np.angle(np.vdot(V, U))) * V - U
    return np.linalg.norm(R) / np.sqrt(len(U))


def test_synth_writes_loadable_qasm2(tmp_path, capsys):
    U = unitary_group.rvs(4, random_state=3)
    np.save(tmp_path / "U.npy", U)
    out = tmp_path / "c.qasm"
    rc = main(["synth", str(tmp_path / "U.npy"), "--tol", "1e-8", "--out", str(out),
               "--no-progress", "--qasm-version", "2"])
    assert rc == 0
    assert "3 CNOTs" in capsys.readouterr().out
    # both loaders read it: qasm2.load with the original qelib1.inc, and the legacy one
    # behind QuantumCircuit.from_qasm_file
    for qc in (qasm2.load(out),
               qasm2.loads(out.read_text(), custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)):
        assert _distance(U, qc) < 1e-8


def test_synth_qasm3_and_exact(tmp_path):
    U = unitary_group.rvs(8, random_state=1)
    np.save(tmp_path / "U.npy", U)
    out = tmp_path / "c.qasm"
    assert main(["synth", str(tmp_path / "U.npy"), "--method", "exact", "--qasm-version", "3",
                 "--out", str(out)]) == 0
    assert out.read_text().startswith("OPENQASM 3")


def test_synth_bad_inputs(tmp_path, capsys):
    assert main(["synth", str(tmp_path / "missing.npy")]) == 2
    np.save(tmp_path / "bad.npy", np.ones((3, 3)))
    assert main(["synth", str(tmp_path / "bad.npy")]) == 2
    assert "power of two" in capsys.readouterr().err
    np.save(tmp_path / "nu.npy", np.ones((4, 4)))
    assert main(["synth", str(tmp_path / "nu.npy")]) == 2
    assert "not unitary" in capsys.readouterr().err
