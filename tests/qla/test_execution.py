"""qla.run: results against exact statevector probabilities, batching, backends, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.circuit.random import random_circuit
from qiskit.synthesis import synth_qft_full

import qla
from qla.execution import (
    ideal_probabilities,
    memory_estimate,
    run,
    total_variation,
)
from sketch.errors import MissingDependencyError


def ghz(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n, name=f"ghz{n}")
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    return qc


def qft_on_basis_state(n: int, x: int) -> QuantumCircuit:
    qc = QuantumCircuit(n, name=f"qft{n}")
    for i in range(n):
        if x >> i & 1:
            qc.x(i)
    qc.h(0)  # make the output distribution non-uniform
    qc.compose(synth_qft_full(n), inplace=True)
    return qc


def tv_bound(support: int, shots: int, delta: float = 1e-6) -> float:
    """High-probability bound on the TV distance of an empirical distribution.

    With probability ≥ 1 − δ, ‖p̂ − p‖₁ ≤ √(K/N) + √(2 ln(1/δ)/N) for K outcomes and N
    shots (E‖p̂ − p‖₁ ≤ √(K/N) by Cauchy–Schwarz; McDiarmid for the deviation, each shot
    moving ‖·‖₁ by at most 2/N). TV distance is half the ℓ1 distance.
    """
    return 0.5 * (math.sqrt(support / shots) + math.sqrt(2 * math.log(1 / delta) / shots))


@pytest.fixture(scope="module")
def manila():
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    return FakeManilaV2()


def test_noiseless_aer_matches_statevector_within_shot_noise():
    circuits = [ghz(3), qft_on_basis_state(3, 5), random_circuit(4, 4, max_operands=2, seed=3)]
    shots = 4000
    res = run(circuits, shots=shots, seed=11)
    assert len(res) == 3 and res.shots == shots and res.primitive == "aer SamplerV2"
    for circ, cr in zip(circuits, res):
        exact = ideal_probabilities(circ)
        assert sum(cr.counts.values()) == shots
        assert math.isclose(sum(cr.probabilities.values()), 1.0)
        tv = total_variation(cr.probabilities, exact)
        assert tv <= tv_bound(2**circ.num_qubits, shots), (circ.name, tv)
        assert cr.depth >= 1 and cr.two_qubit_gates >= 0


def test_seed_reproduces_counts_and_changes_with_seed():
    qc = random_circuit(3, 3, max_operands=2, seed=1)
    a = run(qc, shots=300, seed=5).get_counts()
    b = run(qc, shots=300, seed=5).get_counts()
    c = run(qc, shots=300, seed=6).get_counts()
    assert a == b
    assert a != c


def test_metadata_depth_and_two_qubit_count():
    res = run(ghz(4), shots=10, seed=0, method="statevector")
    r = res[0]
    assert r.two_qubit_gates == 3
    assert r.operations["cx"] == 3 and r.operations["measure"] == 4
    assert res.method == "statevector" and res.backend.startswith("aer_simulator")
    assert res.seconds > 0


def test_existing_measurements_are_kept():
    qc = QuantumCircuit(2, 1)
    qc.x(1)
    qc.measure(1, 0)
    assert run(qc, shots=50, seed=1).get_counts() == {"1": 50}


def test_noisy_fake_backend_is_isa_and_close_to_exact(manila):
    qc = ghz(3)
    shots = 2000
    res = run(qc, backend=manila, shots=shots, seed=3)
    assert res.backend == "fake_manila"
    r = res[0]
    allowed = set(manila.target.operation_names) | {"barrier"}
    assert set(r.operations) <= allowed  # ISA: only the device's gates
    assert r.two_qubit_gates >= 2
    tv = total_variation(r.probabilities, ideal_probabilities(qc))
    # noise is present (beyond shot noise from the ideal {00..0, 11..1}) yet modest
    assert 0.005 < tv < 0.25
    # by name, the same device model
    by_name = run(qc, backend="fake_manila", shots=shots, seed=3)
    assert by_name.backend == "fake_manila"


def test_density_matrix_with_device_noise_agrees_with_statevector_trajectories(manila):
    from qiskit_aer.noise import NoiseModel

    qc = ghz(2)
    noise = NoiseModel.from_backend(manila)
    dm = run(qc, shots=4000, seed=1, method="density_matrix", noise_model=noise)
    sv = run(qc, shots=4000, seed=2, method="statevector", noise_model=noise)
    assert dm.method == "density_matrix"
    # two samples of one noisy distribution on 4 outcomes: both within the shot bound of it
    assert total_variation(dm.get_probabilities(), sv.get_probabilities()) < 2 * tv_bound(4, 4000)
    assert total_variation(dm.get_probabilities(), ideal_probabilities(qc)) > 0.002


def test_mps_runs_wide_ghz():
    res = run(ghz(40), method="matrix_product_state", shots=64, seed=0)
    assert set(res.get_counts()) <= {"0" * 40, "1" * 40}


def test_estimator_exact_on_aer_and_layout_on_device(manila):
    bell = ghz(2)
    res = run([bell, bell], observables=["ZZ", "XX", "ZI"], seed=0)
    assert res.primitive == "aer EstimatorV2"
    np.testing.assert_allclose(res[0].expectation_values, [1.0, 1.0, 0.0], atol=1e-12)
    # on the device the observables follow the layout; noise pulls ⟨ZZ⟩ below 1
    dev = run(bell, backend=manila, observables="ZZ", seed=0, shots=2000)
    assert 0.7 < dev[0].expectation_values[0] < 1.0
    per = run([bell, QuantumCircuit(1)], observables=[["ZZ"], ["Z", "X"]], seed=0)
    np.testing.assert_allclose(per[1].expectation_values, [1.0, 0.0], atol=1e-12)


def test_generic_backendv2_uses_backend_primitives():
    from qiskit.providers.fake_provider import GenericBackendV2

    backend = GenericBackendV2(num_qubits=3, seed=1, noise_info=False)
    res = run(ghz(3), backend=backend, shots=500, seed=4)
    assert res.primitive == "BackendSamplerV2"
    assert res.method is None
    assert total_variation(res.get_probabilities(), ideal_probabilities(ghz(3))) <= tv_bound(2, 500)
    est = run(ghz(3), backend=backend, observables="ZZI", shots=400, seed=4)
    assert est.primitive == "BackendEstimatorV2"
    assert abs(est[0].expectation_values[0] - 1.0) < 6 / math.sqrt(400)


def test_user_simulator_is_not_modified():
    from qiskit_aer import AerSimulator

    sim = AerSimulator(method="statevector")
    res = run(ghz(2), backend=sim, method="density_matrix", shots=20, seed=1)
    assert res.method == "density_matrix"
    assert sim.options.method == "statevector"


# ------------------------------------------------------------------ memory estimates


def test_memory_estimate_formulas():
    assert memory_estimate(10, "statevector") == 16 * 2**10
    assert memory_estimate(10, "statevector", "single") == 8 * 2**10
    assert memory_estimate(10, "density_matrix") == 16 * 4**10
    assert memory_estimate(10, "matrix_product_state") is None


def test_too_many_qubits_for_statevector_is_refused_before_allocating():
    qc = ghz(40)
    qc.t(0)  # not Clifford: Aer could not fall back to the stabilizer method
    with pytest.raises(MemoryError, match=r"40 active qubits.*16 TiB.*17592186044416 bytes"):
        run(qc, method="statevector")
    with pytest.raises(MemoryError, match="statevector"):
        run(qc)  # automatic on a non-Clifford circuit


def test_too_many_qubits_for_density_matrix_is_refused():
    qc = ghz(20)
    with pytest.raises(MemoryError, match=r"density_matrix.*16·4\^n.*17592186044416 bytes"):
        run(qc, method="density_matrix")


# ------------------------------------------------------------------ bad input


def test_unknown_backend_names():
    with pytest.raises(ValueError, match="unknown backend 'qasm_simulator'.*'aer'"):
        run(ghz(2), backend="qasm_simulator")
    with pytest.raises(ValueError, match="unknown fake IBM backend 'fake_nowhere'"):
        run(ghz(2), backend="fake_nowhere")
    with pytest.raises(TypeError, match="backend must be"):
        run(ghz(2), backend=3)


def test_unbound_parameters_are_refused():
    qc = QuantumCircuit(1)
    qc.rx(Parameter("theta"), 0)
    with pytest.raises(ValueError, match=r"1 unbound parameter\(s\) \(theta\).*assign_parameters"):
        run(qc)


def test_more_qubits_than_device(manila):
    with pytest.raises(ValueError, match="6 qubits but backend 'fake_manila' supports at most 5"):
        run(ghz(6), backend=manila)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"shots": 0}, ValueError, "shots must be at least 1"),
        ({"method": "stabilizer_magic"}, ValueError, "method must be one of"),
        ({"precision": "half"}, ValueError, "precision"),
        ({"observables": "ZZZ"}, ValueError, "acts on 3 qubits but the circuit has 2"),
        ({"observables": [["ZZ"], ["ZZ"]]}, ValueError, "2 observable lists for 1 circuits"),
        ({"seed": 1.5}, TypeError, "seed"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        run(ghz(2), **kwargs)


def test_not_a_circuit_and_empty():
    with pytest.raises(TypeError, match="expected a qiskit QuantumCircuit"):
        run(["OPENQASM 2.0;"])
    with pytest.raises(ValueError, match="no circuits"):
        run([])


def test_noise_model_on_generic_backend_is_refused():
    from qiskit.providers.fake_provider import GenericBackendV2
    from qiskit_aer.noise import NoiseModel

    with pytest.raises(ValueError, match="noise_model applies to Aer"):
        run(ghz(2), backend=GenericBackendV2(2, seed=0), noise_model=NoiseModel())


def test_aer_gpu_without_gpu_says_what_is_missing():
    from qiskit_aer import AerSimulator

    if "GPU" in AerSimulator().available_devices():
        pytest.skip("Aer has a GPU device here")
    with pytest.raises(MissingDependencyError, match="available_devices.*qiskit-aer-gpu"):
        run(ghz(2), backend="aer-gpu")


@pytest.mark.gpu
def test_aer_gpu_matches_statevector():
    from qiskit_aer import AerSimulator

    if "GPU" not in AerSimulator().available_devices():
        pytest.skip("qiskit-aer-gpu is not installed")
    qc = qft_on_basis_state(4, 3)
    res = run(qc, backend="aer-gpu", shots=4000, seed=1, method="statevector")
    assert total_variation(res.get_probabilities(), ideal_probabilities(qc)) <= tv_bound(16, 4000)


def test_front_door_names():
    assert qla.run is run
    assert callable(qla.export) and callable(qla.load_qasm)


# ------------------------------------------------------------------ every registered kind


def _device_for(n: int):
    from qiskit_ibm_runtime.fake_provider import FakeGuadalupeV2, FakeManilaV2

    if n <= 5:
        return FakeManilaV2()
    if n <= 16:
        return FakeGuadalupeV2()
    pytest.skip(f"{n} qubits: keep the registry example at 16 qubits or fewer")


def _kind_circuit(kind: str):
    from qla.cli import build_parser
    from qla.cli.circuit import KINDS

    args = build_parser().parse_args(["circuit", kind, *KINDS[kind].example])
    return KINDS[kind].build(args)


def _registered_kinds() -> list[str]:
    from qla.cli.circuit import KINDS

    return sorted(KINDS)


@pytest.mark.parametrize("kind", _registered_kinds())
def test_every_registered_kind_runs_end_to_end_on_a_fake_device(kind):
    """Noiseless Aer within shot noise of the exact distribution; the noisy device within
    ``1 − ESP`` of it (stochastic noise: the error-free branch has weight ≥ ESP)."""
    # measured on all qubits, so counts and the exact distribution share their keys
    qc = _kind_circuit(kind).remove_final_measurements(inplace=False)
    shots = 2000
    exact = ideal_probabilities(qc)
    bound = tv_bound(min(2**qc.num_qubits, shots), shots)
    clean = run(qc, shots=shots, seed=1)
    assert total_variation(clean.get_probabilities(), exact) <= bound
    device = _device_for(qc.num_qubits)
    noisy = run(qc, backend=device, shots=shots, seed=1)
    r = noisy[0]
    assert set(r.operations) <= set(device.target.operation_names) | {"barrier"}
    assert r.success_estimate is not None and 0 < r.success_estimate < 1
    assert total_variation(r.probabilities, exact) <= 1 - r.success_estimate + bound


def test_success_estimate_is_product_of_calibrated_errors(manila):
    res = run(ghz(2), backend=manila, shots=100, seed=0)
    r = res[0]
    isa_errors = []
    # rebuild the product by hand from the device's calibration for the same ISA circuit
    from qiskit.transpiler import generate_preset_pass_manager

    isa = generate_preset_pass_manager(1, backend=manila, seed_transpiler=0).run(
        ghz(2).measure_all(inplace=False)
    )
    idx = {q: i for i, q in enumerate(isa.qubits)}
    for inst in isa.data:
        if inst.operation.name == "barrier":
            continue
        props = manila.target[inst.operation.name][tuple(idx[q] for q in inst.qubits)]
        isa_errors.append(props.error or 0.0)
    assert r.success_estimate == pytest.approx(float(np.prod(1 - np.array(isa_errors))))
    assert run(ghz(2), shots=10, seed=0)[0].success_estimate is None


def test_ibm_runtime_primitives_path_in_local_mode(manila, monkeypatch):
    """The IBMBackend branch builds qiskit_ibm_runtime's SamplerV2/EstimatorV2 with our options;
    runtime's local testing mode runs them on a fake device offline."""
    import qla.execution as ex

    monkeypatch.setattr(ex, "_is_fake_ibm", lambda backend: False)
    monkeypatch.setattr(ex, "_is_ibm_runtime", lambda backend: True)
    res = run(ghz(2), backend=manila, shots=300, seed=1)
    assert res.primitive == "ibm-runtime SamplerV2" and res.method is None
    assert sum(res.get_counts().values()) == 300
    assert total_variation(res.get_probabilities(), ideal_probabilities(ghz(2))) < 0.3
    assert run(ghz(2), backend=manila, shots=300, seed=1).get_counts() == res.get_counts()
    est = run(ghz(2), backend=manila, observables="ZZ", shots=400, seed=1)
    assert est.primitive == "ibm-runtime EstimatorV2"
    # noisy ⟨ZZ⟩ < 1, estimated to precision 1/√shots (the estimate itself may exceed 1)
    assert 0.6 < est[0].expectation_values[0] <= 1.0 + 5 / math.sqrt(400)
