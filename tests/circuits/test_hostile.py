"""Bad input to the circuit builders: refused early and clearly, or answered correctly.

One test per case found by hand (issue 16), then property-based suites
(Hypothesis, ``-m hostile``) over ``circuits.hhl``, ``circuits.synthesize`` and the
Quantum-PEFT ansatz that accept only a correct result or one of qla's documented
errors (:mod:`tests.hostile_calls`).
"""

from __future__ import annotations

import importlib.util
import time
import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from qiskit.quantum_info import Operator, Statevector

import circuits
from circuits.peft import pauli_circuit, pauli_num_params, pauli_unitary
from circuits.synthesis import check_basis, synthesize
from sketch.errors import NonFiniteError, NotHermitianError, ShapeError
from sketch.hhl import emulate_hhl
from tests.hostile_calls import call

A2 = np.array([[1.0, -1 / 3], [-1 / 3, 1.0]])
B2 = np.array([1.0, 0.0])
HAS_TORCH = importlib.util.find_spec("torch") is not None


def test_ill_conditioned_hhl_is_refused_before_growing():
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ValueError, match=r"28 clock qubits.*κ = 1e\+08.*max_clock_qubits"):
            circuits.hhl(np.diag([1.0, 1e-8]), np.ones(2))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20  # it grew to 8.5 GB before the check
    assert time.perf_counter() - start < 10


def test_hhl_non_square_and_zero_rhs():
    with pytest.raises(ShapeError, match="must be square"):
        circuits.hhl(np.ones((2, 4)), np.ones(2))
    with pytest.raises(ValueError, match="b is zero"):
        circuits.hhl(A2, np.zeros(2))


def test_hhl_observables_use_the_one_rule():
    h = circuits.hhl(A2, B2, clock_qubits=2, time=3 * np.pi / 4)
    with pytest.raises(NotHermitianError, match="x†Mx is only measurable"):
        h.observable(np.array([[0.0, 1.0], [0.0, 0.0]]))
    with pytest.raises(ShapeError, match="2×2"):
        h.observable(np.eye(3))
    with pytest.raises(NonFiniteError):
        h.observable(np.array([[np.inf, 0.0], [0.0, 1.0]]))


@pytest.mark.parametrize("kw, match", [
    (dict(starts=0), "starts must be at least 1"),
    (dict(time_limit=-1), "time_limit"),
    (dict(time_limit=0), "time_limit"),
    (dict(max_cnots=-1), "max_cnots"),
    (dict(heuristic_weight=float("nan")), "heuristic_weight"),
    (dict(basis=("foo",)), "'foo', which is not a Qiskit standard gate"),
    (dict(basis=()), "basis is empty"),
])
def test_synthesize_checks_its_options(kw, match):
    U = np.kron(np.eye(2), [[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises((ValueError, TypeError), match=match) as e:
        synthesize(U, method="numerical", progress=False, **kw)
    assert "target" not in str(e.value)


def test_synthesize_refuses_wide_numerical_search():
    from sketch.haar import haar_unitary

    with pytest.raises(ValueError, match="6 qubits.*method='exact'"):
        synthesize(haar_unitary(64, seed=0), method="numerical")


def test_check_basis():
    assert check_basis(["rz", "sx", "x", "cx"]) == ["rz", "sx", "x", "cx"]
    with pytest.raises(TypeError, match="list or tuple"):
        check_basis("cx,u")


@pytest.mark.skipif(not HAS_TORCH, reason="needs PyTorch")
def test_pauli_circuit_reads_torch_angles_with_grad():
    import torch

    p = pauli_num_params(3, 2)
    theta = torch.linspace(-1.0, 1.0, p, dtype=torch.float64, requires_grad=True)
    qc = pauli_circuit(3, 2, theta)
    U = pauli_unitary(theta.detach().numpy(), 3, 2)
    np.testing.assert_allclose(Operator(qc).data, U, atol=1e-12)


# ------------------------------------------------------------------ generated bad input


@st.composite
def hhl_systems(draw):
    n = draw(st.integers(1, 4))
    m = draw(st.sampled_from([n, n, n, n + 1]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    kind = draw(st.sampled_from(["spd", "general", "ill", "special"]))
    A = rng.normal(size=(n, m))
    if kind == "spd" and n == m:
        A = A @ A.T + np.eye(n)
    elif kind == "ill" and n == m:
        A = np.diag(np.logspace(0, -draw(st.integers(1, 12)), n))
    elif kind == "special":
        A.flat[draw(st.integers(0, n * m - 1))] = draw(st.sampled_from([np.nan, np.inf, 0.0]))
    b = rng.normal(size=draw(st.sampled_from([n, n, n + 1])))
    if draw(st.booleans()):
        b = b * draw(st.sampled_from([0.0, 1e-300, 1e300]))
    return A, b


@pytest.mark.hostile
@given(hhl_systems(), st.sampled_from([None, 0, 1, 3, 40, -2, 2.5]),
       st.sampled_from([None, 1.0, -1.0, 0.0, np.inf]))
def test_hhl_circuit_answers_or_refuses(system, clock, t):
    A, b = system
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ok, h = call(lambda: circuits.hhl(A, b, clock_qubits=clock, time=t),
                     ["A", "b", "clock", "time", "qubits"])
        if not ok:
            return
        # the circuit computes what the exact emulation of the same sizing says
        emu = emulate_hhl(A, b, sizing=h.sizing)
    if h.circuit.num_qubits <= 10:
        x = h.postselect(Statevector(h.circuit).data) * h.scale
        # amplitudes are exact to ~1e-12; reading x multiplies them by scale = ‖b‖/C
        atol = 1e-7 * (1 + np.abs(emu.solution).max()) + 1e-10 * h.scale
        np.testing.assert_allclose(x, emu.solution, atol=atol)


_UNITARIES = st.sampled_from(["cx", "eye1", "eye8", "not_unitary", "nan", "3x3", "list",
                              "vector", "complex64"])


def _target(name):
    cx = np.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]], dtype=complex)
    return {"cx": cx, "eye1": np.eye(2), "eye8": np.eye(8), "not_unitary": 2 * np.eye(2),
            "nan": np.full((2, 2), np.nan), "3x3": np.eye(3), "list": cx.tolist(),
            "vector": np.ones(4), "complex64": cx.astype(np.complex64)}[name]


@pytest.mark.hostile
@given(_UNITARIES, st.fixed_dictionaries({}, optional={
    "method": st.sampled_from(["exact", "numerical", "approximate", "magic"]),
    "tol": st.sampled_from([1e-8, 0.0, -1.0, 1.0, 1e-20, np.nan]),
    "max_cnots": st.sampled_from([None, 0, 1, -1, 3]),
    "starts": st.sampled_from([1, 0, -3, 2.5]),
    "time_limit": st.sampled_from([None, 5.0, 0.0, -1.0]),
    "basis": st.sampled_from([("cx", "u"), ("foo",), (), ("rz", "sx", "x", "cx"), "cx"]),
    "coupling_map": st.sampled_from([None, [(0, 1)], [(0, 0)], [(0, 5)], []]),
}))
def test_synthesize_answers_or_refuses(name, kw):
    U = _target(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ok, res = call(lambda: synthesize(U, progress=False, seed=0, **kw),
                       ["U", "tol", "method", "basis", "starts", "time_limit", "max_cnots",
                        "coupling_map", "numpy.asarray"])
    if ok:  # what it reports is true of the circuit it returns
        V = Operator(res.circuit).data
        Ut = np.asarray(U, dtype=complex)
        phase = np.exp(1j * np.angle(np.vdot(V, Ut)))
        dist = np.linalg.norm(phase * V - Ut) / np.sqrt(len(Ut))
        assert dist == pytest.approx(res.distance, abs=1e-9)
        assert res.converged == (res.distance <= res.tol)


@pytest.mark.hostile
@given(st.sampled_from([0, 1, 2, 3, -1, 2.0]), st.sampled_from([0, 1, 2, -1]),
       st.sampled_from(["ok", "short", "nan", "2d", "none"]),
       st.sampled_from(["cz", "cx", "swap"]))
def test_pauli_ansatz_answers_or_refuses(q, layers, theta_kind, entangler):
    def build():
        p = pauli_num_params(q, layers)
        theta = {"ok": np.linspace(-1, 1, p), "short": np.zeros(max(p - 1, 0)),
                 "nan": np.full(p, np.nan), "2d": np.zeros((1, p)), "none": None}[theta_kind]
        return pauli_circuit(q, layers, theta, entangler=entangler), theta

    ok, out = call(build, ["q", "layers", "theta", "entangler", "angles"])
    if ok and theta_kind == "ok":
        qc, theta = out
        U = pauli_unitary(theta, q, layers, entangler=entangler)
        np.testing.assert_allclose(Operator(qc).data, U, atol=1e-12)


_H = circuits.hhl(A2, B2, clock_qubits=2, time=3 * np.pi / 4)
_STATE = _H.statevector()
_STATES = st.sampled_from(["ok", "short", "nan", "2d", "none", "list", "int", "empty"])
_OBSERVABLES = st.sampled_from([None, "eye", "nonherm", "big", "nan", "sparse", "str", "vec"])


@pytest.mark.hostile
@given(_STATES, st.booleans(), _OBSERVABLES,
       st.sampled_from([None, 1, 5, 30, 0, -1, 2.5, "4", True, 10**400]))
def test_hhl_circuit_methods_answer_or_refuse(state_kind, unknowns, obs_kind, max_qubits):
    """The methods of a built HHL circuit: postselect, observable, statevector."""
    import scipy.sparse

    state = {"ok": _STATE, "short": _STATE[:-1], "nan": np.full_like(_STATE, np.nan),
             "2d": _STATE.reshape(2, -1), "none": None, "list": list(_STATE),
             "int": np.ones(_STATE.shape, int), "empty": _STATE[:0]}[state_kind]
    ok, out = call(lambda: _H.postselect(state, unknowns), ["state"])
    if ok:
        assert state_kind in ("ok", "2d")  # a 2-D reshape of the same amplitudes is fine
        full = _H.postselect(_STATE, unknowns=False)
        np.testing.assert_array_equal(out, _H.problem.extract(full) if unknowns else full)
    M = {None: None, "eye": np.eye(2), "nonherm": np.triu(np.ones((2, 2))), "big": np.eye(3),
         "nan": np.full((2, 2), np.nan), "sparse": scipy.sparse.eye(2, format="csr"),
         "str": "Z", "vec": np.ones(2)}[obs_kind]
    ok, op = call(lambda: _H.observable(M), ["M", "x†Mx"])
    if ok:
        assert obs_kind in (None, "eye", "sparse") and op.num_qubits == _H.circuit.num_qubits
    key = repr(max_qubits)  # the same call gives the same state: run Aer once per value
    if key not in _SIMULATED:
        _SIMULATED[key] = call(lambda: _H.statevector(max_qubits), ["max_qubits", "qubits"])
    ok, sv = _SIMULATED[key]
    if ok:
        np.testing.assert_allclose(sv, _STATE, atol=1e-12)


_SIMULATED: dict = {}


_STRUCTURES = st.sampled_from([[], [(0, 1)], [(1, 0), (0, 1)], [(0, 2)], [(0, 0)], "ab",
                               [(0.5, 1)], None])


@pytest.mark.hostile
@given(_UNITARIES, _STRUCTURES)
def test_instantiate_and_operator_distance_answer_or_refuse(name, structure):
    """Were IndexError, einsum and reshape errors on non-square, 3 x 3, 1-D or sparse targets
    and on CNOTs between qubits the target does not have."""
    U = _target(name)
    ok, res = call(lambda: circuits.instantiate(U, structure, starts=2, max_iter=20, seed=0),
                   ["U", "structure", "numpy.asarray"])
    if ok:  # the distance it reports is that of the circuit it describes
        assert circuits.operator_distance(U, res.circuit()) == pytest.approx(res.distance,
                                                                             abs=1e-6)
    ok, dist = call(lambda: circuits.operator_distance(U, circuits.haar_circuit(1, seed=0)),
                    ["U", "circuit", "numpy.asarray"])
    if ok:
        assert name in ("eye1", "not_unitary", "complex64") and np.isfinite(dist)


@pytest.mark.parametrize("call_, err, match", [
    (lambda: circuits.synthesize_diagonal(np.ones(2**22)), ValueError,
     "qubits of diagonal must be at most 16, got 22"),  # ran for hours
    (lambda: circuits.synthesize_state(np.ones(2**22) / 2**11), ValueError,
     "qubits of psi must be at most 16, got 22"),  # ran for hours
    (lambda: circuits.synthesize_state(np.ones(1)), ValueError,
     "qubits of psi must be at least 1"),  # was QiskitError
    (lambda: circuits.operator_distance(np.eye(4), circuits.haar_circuit(1, seed=0)),
     ShapeError, "circuit has 1 qubits"),  # was a reshape ValueError naming neither
    (lambda: circuits.operator_distance(np.eye(2), "h 0"), TypeError, "circuit must be"),
    (lambda: circuits.instantiate(np.eye(4), [(0, 2)]), ValueError, "structure holds"),
])
def test_found_circuit_failures_are_refused_by_name(call_, err, match):
    with pytest.raises(err, match=match):
        call_()


@pytest.mark.parametrize("call_, what", [
    (lambda: circuits.pauli_errors(40, 30), "Pauli labels"),  # 6.8e23 labels: ran out of memory
    (lambda: circuits.pauli_errors(10**6), "Pauli labels"),  # 3e6 strings of 1e6 characters
    (lambda: circuits.random_clifford_circuit(10**6), "random_clifford_circuit"),  # n^2 tableau
    (lambda: circuits.random_brickwork(10**6, 2), "random_brickwork"),
    (lambda: circuits.random_brickwork(2, 10**12), "random_brickwork"),  # 1e12 gate positions
])
def test_huge_circuits_are_refused_before_building(call_, what, monkeypatch):
    import sketch.budgets
    from sketch.errors import InsufficientMemoryError

    monkeypatch.setattr(sketch.budgets, "available_bytes", lambda xp=None, device=None: 1 << 26)
    start = time.perf_counter()
    with pytest.raises(InsufficientMemoryError, match=what):
        call_()
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("call_, what", [
    (lambda: circuits.pauli_circuit(10**6, 1), "pauli_circuit"),  # 4e6 gates: ran ~50 s
    (lambda: circuits.pauli_circuit(2, 10**6), "pauli_circuit"),  # 3e6 gates
    (lambda: pauli_unitary(np.zeros(pauli_num_params(2, 10**7)), 2, 10**7), "pauli_unitary"),
    (lambda: circuits.clifford_unitaries(2, batch=10**6), "clifford_unitaries"),  # ran ~115 s
    (lambda: circuits.brickwork_unitaries(2, 2, 10**6), "brickwork_unitaries"),  # ~14 s
    (lambda: circuits.brickwork_unitaries(2, 10**6, 1), "brickwork_unitaries"),  # 1e6 positions
    (lambda: circuits.random_brickwork(2, 10**6), "random_brickwork"),  # 1e6 UnitaryGates
    # its O(n^3) synthesis ran 37 s at n = 1000 (found by the long hostile profile)
    (lambda: circuits.random_clifford_circuit(1000), "random_clifford_circuit\\(n=1000\\)"),
    # ran past 20 s at max_iter=300 (about 1 s an iteration); a time_limit lifts the rule
    (lambda: circuits.instantiate(np.eye(128), []), "max_iter=300"),
    (lambda: circuits.instantiate(np.eye(4), [(0, 1)], max_iter=10**9), "max_iter"),
    (lambda: circuits.instantiate(np.eye(4), [(0, 1)] * 10**4), "10000 CNOTs"),
    (lambda: circuits.pfc(8, 1, rounds=10**6), "rounds=1000000"),  # 0.5 ms a round
    (lambda: circuits.pfc(8, 1, mode="t-design", t=10**6), "t=1000000"),  # (2t - 2)n ancillas
    (lambda: circuits.pfc_matrix(4, 1, rounds=10**6), "rounds=1000000"),
    # 4096 unknowns: eigenvalues and clock exponentials of 4096 x 4096 matrices (minutes)
    (lambda: circuits.hhl(np.eye(2**12), np.ones(2**12)), "exp\\(iAt\\) on 12 system"),
    # the partitions of k: p(200) is 4e12 (and k = 10**6 never ended)
    (lambda: circuits.statistics.haar_trace_moment(200, 150), "haar_trace_moment"),
    (lambda: circuits.statistics.haar_trace_moment(10**4, 2), "haar_trace_moment"),
    # Qiskit's Operator of an 8-qubit QSD circuit (~80 000 gates on a 256 x 256 matrix)
    (lambda: circuits.synthesize(np.eye(256), method="exact"), "exact synthesis of 8 qubits"),
])
def test_long_requests_are_refused_by_the_work_rule(call_, what, monkeypatch):
    from sketch.errors import WorkBudgetError
    from tests.hostile_calls import time_limit

    monkeypatch.setenv("QLA_WORK_BUDGET", "10")
    with time_limit(), pytest.raises(WorkBudgetError, match=f"{what}.*QLA_WORK_BUDGET"):
        call_()


def test_work_rule_is_lifted_by_a_time_limit_or_the_budget(monkeypatch):
    monkeypatch.setenv("QLA_WORK_BUDGET", "10")
    r = circuits.instantiate(np.eye(4), [(0, 1)] * 2, max_iter=10**9, time_limit=5.0, seed=0)
    assert r.converged
    monkeypatch.setenv("QLA_WORK_BUDGET", "1e-9")
    with pytest.raises(ValueError, match="work budget"):
        circuits.clifford_unitaries(1, 2, seed=0)
    monkeypatch.setenv("QLA_WORK_BUDGET", "inf")
    assert circuits.clifford_unitaries(1, 2, seed=0).shape == (2, 2, 2)
    monkeypatch.setenv("QLA_WORK_BUDGET", "soon")
    with pytest.raises(ValueError, match="QLA_WORK_BUDGET"):
        circuits.clifford_unitaries(1, 2, seed=0)


def test_cnot_lower_bound_of_a_huge_width_is_refused():
    assert circuits.cnot_lower_bound(0) == 0 and circuits.cnot_lower_bound(5) == 252
    with pytest.raises(ValueError, match="n must be at most 10000"):
        circuits.cnot_lower_bound(10**9)  # 4**n of a billion-qubit width: hung


@pytest.mark.parametrize("call_, match", [
    # never ended: factorials of 10**6 and partitions of 10**6
    (lambda: circuits.statistics.haar_trace_moment(10**6, 10**6), "k must be at most 10000"),
    (lambda: circuits.statistics.haar_output_moment(10**6, 10**6), "k must be at most 10000"),
    # 10**6 powers of the sample, and a reference k! that overflows float64
    (lambda: circuits.statistics.trace_moments(np.stack([np.eye(2)] * 3), 10**6),
     "kmax must be at most 170"),
    (lambda: circuits.statistics.frame_potential(np.stack([np.eye(2)] * 3), 10**6),
     "t must be at most 170"),
    (lambda: circuits.statistics.output_moments(np.ones((3, 4)) / 2, 10**6),
     "kmax must be at most 170"),
])
def test_huge_moment_orders_are_refused(call_, match):
    from tests.hostile_calls import time_limit

    with time_limit(), pytest.raises(ValueError, match=match):
        call_()


def test_exact_moments_agree_with_the_partition_sums():
    """The k <= d shortcut (k!) and the pruned partitions give the full sums' values."""
    import math

    from circuits.statistics import _dim_irrep, _partitions, haar_output_moment, haar_trace_moment

    for k in range(9):
        for d in range(1, 11):
            full = sum(_dim_irrep(lam) ** 2 for lam in _partitions(k) if len(lam) <= d)
            assert haar_trace_moment(k, d) == full
            want = math.factorial(k) * math.factorial(d) / math.factorial(d + k - 1)
            assert haar_output_moment(k, d) == pytest.approx(want, rel=1e-15)
    assert haar_output_moment(3, 10**9) == pytest.approx(6 / ((10**9 + 1) * (10**9 + 2)))


def test_huge_shot_counts_for_collisions_are_refused():
    from sketch.errors import InsufficientMemoryError, WorkBudgetError
    from tests.hostile_calls import time_limit

    qcs = [circuits.haar_circuit(1, seed=0)]
    # 10**10 shots: Aer's own std::bad_alloc (AerError); 10**8: minutes of sampling
    for shots in (10**10, 10**8):
        with time_limit(), pytest.raises((InsufficientMemoryError, WorkBudgetError),
                                         match=f"shots={shots}"):
            circuits.statistics.aer_collision_probability(qcs, shots=shots)


@pytest.mark.parametrize("make, err, match", [
    # complex angles were cast to their real part, NaN angles built a circuit
    (lambda: pauli_circuit(2, 1, np.ones(4, complex)), TypeError, "theta must be real"),
    (lambda: pauli_circuit(2, 1, np.full(4, np.nan)), ValueError, "theta contains NaN"),
    (lambda: pauli_circuit(2, 1, "abcd"), TypeError, "theta must be an array"),  # float('a')
    (lambda: pauli_circuit(2, 1, np.zeros((2, 4))), ShapeError, "theta must be one vector"),
    (lambda: pauli_unitary("abcd", 2, 1), TypeError, "theta must be an array"),
])
def test_pauli_angles_are_checked_by_name(make, err, match):
    with pytest.raises(err, match=match):
        make()


@pytest.mark.skipif(not HAS_TORCH, reason="needs PyTorch")
def test_sparse_torch_angles_are_refused_by_name():
    import torch

    from circuits.peft import pauli_stiefel
    from sketch.errors import UnsupportedBackendError

    with pytest.raises(UnsupportedBackendError, match="theta is a torch tensor with layout"):
        pauli_stiefel(torch.zeros(4).to_sparse(), 4, 1)  # was aten's NotImplementedError
