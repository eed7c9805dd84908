"""Pauli parameterization: circuit vs structured matrix, orthogonality, counts, gradients."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from qiskit.quantum_info import Operator

from circuits.peft import (
    num_qubits_for,
    pauli_circuit,
    pauli_num_params,
    pauli_stiefel,
    pauli_unitary,
    stiefel_num_params,
)
from sketch.errors import ShapeError


def _angles(p, seed=0, shape=()):
    return np.random.default_rng(seed).uniform(-np.pi, np.pi, shape + (p,))


@pytest.mark.parametrize("entangler", ["cz", "cx"])
@pytest.mark.parametrize("q,layers", [(1, 1), (2, 1), (2, 3), (3, 2), (4, 1), (5, 3)])
def test_circuit_operator_equals_matrix(q, layers, entangler):
    theta = _angles(pauli_num_params(q, layers), seed=10 * q + layers)
    qc = pauli_circuit(q, layers, theta, entangler=entangler)
    op = Operator(qc).data
    assert np.abs(op.imag).max() < 1e-12  # real gates only
    U = pauli_unitary(theta, q, layers, entangler=entangler)
    assert np.abs(U - op.real).max() < 1e-10
    # first K columns are the leading columns of the same matrix
    K = max(1, (1 << q) // 2)
    assert (
        np.abs(pauli_unitary(theta, q, layers, columns=K, entangler=entangler) - U[:, :K]).max()
        < 1e-12
    )


def test_parameterized_circuit_binds_to_the_same_matrix():
    q, layers = 3, 2
    theta = _angles(pauli_num_params(q, layers), seed=3)
    qc = pauli_circuit(q, layers)
    bound = qc.assign_parameters(theta)
    assert np.abs(Operator(bound).data.real - pauli_unitary(theta, q, layers)).max() < 1e-10


def test_runs_on_aer_and_exports_to_qasm():
    from qiskit import qasm2, qasm3, transpile
    from qiskit_aer import AerSimulator

    q, layers = 4, 2
    theta = _angles(pauli_num_params(q, layers), seed=5)
    qc = pauli_circuit(q, layers, theta)
    sim = AerSimulator(method="statevector")
    run = qc.copy()
    run.save_statevector()
    state = np.asarray(sim.run(transpile(run, sim)).result().get_statevector())
    # |0…0⟩ is column 0: the circuit prepares the first column of U
    assert np.abs(state - pauli_unitary(theta, q, layers, columns=1)[:, 0]).max() < 1e-10
    for text, load in ((qasm2.dumps(qc), qasm2.loads), (qasm3.dumps(qc), qasm3.loads)):
        back = load(text)
        assert np.abs(Operator(back).data - Operator(qc).data).max() < 1e-10


def test_parameter_count_formula():
    for q in range(1, 15):
        for layers in range(1, 5):
            p = pauli_num_params(q, layers)
            assert p == (2 * layers + 1) * q - 2 * layers
            if q <= 6:
                assert pauli_circuit(q, layers).num_parameters == p
    assert pauli_num_params(0, 3) == 0
    for n, expect in [(1, 0), (2, 1), (256, 22), (300, 2 * 22), (5, 2 * pauli_num_params(2, 1))]:
        assert stiefel_num_params(n, 1) == expect
    assert [num_qubits_for(n) for n in (1, 2, 3, 1024, 1025)] == [0, 1, 2, 10, 11]


@pytest.mark.parametrize("n", [1, 2, 3, 5, 6, 7, 12, 16, 31, 100])
@pytest.mark.parametrize("layers", [1, 2])
def test_stiefel_is_orthonormal_for_any_size(n, layers):
    theta = _angles(stiefel_num_params(n, layers), seed=n + layers)
    O = pauli_stiefel(theta, n, layers)
    assert O.shape == (n, n)
    assert np.abs(O.T @ O - np.eye(n)).max() < 1e-12
    assert np.abs(O @ O.T - np.eye(n)).max() < 1e-12
    K = min(n, 3)
    U = pauli_stiefel(theta, n, layers, columns=K)
    assert np.abs(U - O[:, :K]).max() < 1e-12


def test_non_power_of_two_is_the_documented_two_window_product():
    n, layers = 11, 2
    q = num_qubits_for(n)
    m = 1 << (q - 1)
    p1 = pauli_num_params(q - 1, layers)
    theta = _angles(2 * p1, seed=7)
    A = pauli_unitary(theta[:p1], q - 1, layers)
    B = pauli_unitary(theta[p1:], q - 1, layers)
    PA = np.eye(n)
    PA[:m, :m] = A
    PB = np.eye(n)
    PB[n - m :, n - m :] = B
    assert np.abs(pauli_stiefel(theta, n, layers) - PB @ PA).max() < 1e-12
    # the windows overlap, so generic angles reach every row with the first column
    assert np.all(np.abs(pauli_stiefel(theta, n, layers, columns=1)) > 1e-8)


def test_batched_and_float32():
    q, layers, K = 4, 2, 3
    theta = _angles(pauli_num_params(q, layers), seed=1, shape=(3, 2))
    U = pauli_unitary(theta, q, layers, columns=K)
    assert U.shape == (3, 2, 16, K)
    for i in range(3):
        for j in range(2):
            assert np.abs(U[i, j] - pauli_unitary(theta[i, j], q, layers, columns=K)).max() < 1e-13
    th32 = _angles(stiefel_num_params(13, 1), seed=2).astype(np.float32)
    U32 = pauli_stiefel(th32, 13, 1, columns=K)
    assert U32.dtype == np.float32
    assert np.abs(U32.T @ U32 - np.eye(K)).max() < 1e-5


def test_orthogonal_matrix_determinant():
    for q, layers in [(1, 2), (2, 1), (2, 2), (3, 1), (4, 3)]:
        det = np.linalg.det(pauli_unitary(_angles(pauli_num_params(q, layers)), q, layers))
        assert abs(det - ((-1) ** layers if q == 2 else 1.0)) < 1e-10


def test_bad_input():
    with pytest.raises(ValueError, match="layers must be at least 1"):
        pauli_unitary(np.zeros(3), 3, 0)
    with pytest.raises(ValueError, match="layers must be at least 1"):
        pauli_circuit(3, 0)
    with pytest.raises(ValueError, match="exceeds the dimension"):
        pauli_stiefel(np.zeros(stiefel_num_params(6, 1)), 6, 1, columns=7)
    with pytest.raises(ShapeError, match=r"shape \(\.\.\., 4\)"):
        pauli_unitary(np.zeros(3), 2, 1)
    with pytest.raises(ShapeError):
        pauli_circuit(2, 1, np.zeros(3))
    with pytest.raises(ValueError, match="entangler"):
        pauli_unitary(np.zeros(4), 2, 1, entangler="swap")
    with pytest.raises(ValueError, match="finite"):
        pauli_unitary(np.full(4, np.nan), 2, 1)
    with pytest.raises(TypeError, match="real"):
        pauli_unitary(np.zeros(4, dtype=complex), 2, 1)


def test_circuits_does_not_import_torch():
    code = "import sys, circuits, circuits.peft; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_torch_matches_numpy_and_gradcheck():
    torch = pytest.importorskip("torch")
    n, layers, K = 6, 2, 2
    theta = _angles(stiefel_num_params(n, layers), seed=4)
    t = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    U = pauli_stiefel(t, n, layers, columns=K)
    assert isinstance(U, torch.Tensor)
    assert np.abs(U.detach().numpy() - pauli_stiefel(theta, n, layers, columns=K)).max() < 1e-13
    assert torch.autograd.gradcheck(lambda x: pauli_stiefel(x, n, layers, columns=K), (t,))
    for ent in ("cz", "cx"):
        t8 = torch.tensor(_angles(pauli_num_params(3, 1), seed=8), requires_grad=True)
        assert torch.autograd.gradcheck(
            lambda x, e=ent: pauli_unitary(x, 3, 1, columns=3, entangler=e), (t8,)
        )
    # float32 stays float32 on torch too
    U32 = pauli_unitary(torch.zeros(pauli_num_params(4, 1), dtype=torch.float32), 4, 1, columns=2)
    assert U32.dtype == torch.float32


@pytest.mark.gpu
def test_cupy_matches_numpy(cupy):
    theta = _angles(stiefel_num_params(20, 2), seed=9, shape=(2,))
    U = pauli_stiefel(cupy.asarray(theta), 20, 2, columns=4)
    assert isinstance(U, cupy.ndarray)
    assert np.abs(cupy.asnumpy(U) - pauli_stiefel(theta, 20, 2, columns=4)).max() < 1e-12
