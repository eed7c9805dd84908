"""qla.solve: every method against the classical answer, HHL diagnostics, bad input, CLI."""

import math
import warnings

import numpy as np
import pytest
import scipy.sparse

import qla
from qla.cli import main
from sketch.errors import (
    AccuracyWarning,
    NonFiniteError,
    NotHermitianError,
    ShapeError,
    SingularMatrixError,
)
from sketch.hhl import random_spd_system

A2 = np.array([[1.0, -1 / 3], [-1 / 3, 1.0]])
B2 = np.array([1.0, 0.0])
X2 = np.array([1.125, 0.375])


@pytest.mark.parametrize("method", ["direct", "cg", "kaczmarz", "hhl-emulate", "hhl"])
def test_every_method_solves_the_textbook_case(method):
    r = qla.solve(A2, B2, method, clock_qubits=2, time=3 * np.pi / 4, seed=0,
                  observables=["absolute_average", "tridiagonal"])
    np.testing.assert_allclose(r.x, X2, atol=1e-7)
    assert r.norm == pytest.approx(1.1858541225631423, abs=1e-7)
    assert r.observables["absolute_average"] == pytest.approx(0.75, abs=1e-7)
    assert r.observables["tridiagonal"] == pytest.approx(X2 @ X2 - X2[0] * X2[1], abs=1e-7)
    if method.startswith("hhl"):
        assert r.fidelity == pytest.approx(1.0, abs=1e-12)
        assert r.success_probability == pytest.approx(0.625, abs=1e-12)
        assert r.sizing.clock_qubits == 2
    if method == "hhl":
        assert r.resources["qubits"] == 4 and r.resources["cx"] > 0


def test_methods_agree_on_random_spd_and_sparse():
    A, b = random_spd_system(8, 10.0, seed=3)
    ref = np.linalg.solve(A, b)
    for method in ("direct", "cg", "kaczmarz"):
        r = qla.solve(A, b, method, seed=1)
        assert r.error < 1e-6 and r.residual < 1e-7 and r.converged
    rs = qla.solve(scipy.sparse.csr_matrix(A), b, "direct")
    np.testing.assert_allclose(rs.x, ref, atol=1e-10)
    emu = qla.solve(A, b, "hhl-emulate", clock_qubits=10)
    assert emu.fidelity > 0.99999 and emu.error < 1e-2


def test_hhl_circuit_equals_emulation_and_estimator():
    A, b = random_spd_system(4, 5.0, seed=4)
    kw = dict(clock_qubits=3, time=2.0, resources=False, observables="absolute_average")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AccuracyWarning)
        emu = qla.solve(A, b, "hhl-emulate", **kw)
        sv = qla.solve(A, b, "hhl", **kw)
        est = qla.solve(A, b, "hhl", backend="aer", **kw)
    np.testing.assert_allclose(sv.x, emu.x, atol=1e-10)
    assert sv.norm == pytest.approx(emu.norm, abs=1e-10)
    assert est.x is None  # a device reports observables only
    assert est.norm == pytest.approx(emu.norm, abs=1e-10)
    assert est.fidelity == pytest.approx(emu.fidelity, abs=1e-10)
    assert est.observables["absolute_average"] == pytest.approx(
        emu.observables["absolute_average"], abs=1e-10)


def test_shot_noise_is_within_binomial_error():
    shots = 4000
    r = qla.solve(A2, B2, "hhl", backend="aer", shots=shots, clock_qubits=2,
                  time=3 * np.pi / 4, seed=5, resources=False)
    p = 0.625
    assert abs(r.success_probability - p) < 5 * math.sqrt(p * (1 - p) / shots)
    e = qla.solve(A2, B2, "hhl-emulate", shots=shots, clock_qubits=2, time=3 * np.pi / 4,
                  seed=5)
    p_hat = (e.observables["norm_shots"] / 1.5) ** 2  # scale = ‖b‖/C = 1.5
    assert abs(p_hat - p) < 5 * math.sqrt(p * (1 - p) / shots)


def test_noisy_fake_backend_degrades_the_observable():
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    r = qla.solve(A2, B2, "hhl", backend=FakeManilaV2(), clock_qubits=2, time=3 * np.pi / 4,
                  seed=1, resources=False, observables="absolute_average")
    assert r.resources["isa_two_qubit"] > 0
    assert 0.5 < r.fidelity < 0.999  # noise, not exactness
    assert abs(r.observables["absolute_average"] - 0.75) > 1e-3


def test_warnings_for_leakage_and_low_success():
    A, b = random_spd_system(4, 30.0, seed=6)
    with pytest.warns(AccuracyWarning, match="leakage") as rec:
        r = qla.solve(A, b, "hhl-emulate", clock_qubits=4, time=5.0)
    assert any("leakage" in w for w in r.warnings) and len(rec) >= 1
    with pytest.warns(AccuracyWarning, match="success probability"):
        qla.solve(np.diag([1.0, 1e4]), np.array([0.0, 1.0]), "hhl-emulate", clock_qubits=16)


@pytest.mark.parametrize(
    "A, b, kw, err, match",
    [
        (A2, B2, dict(method="magic"), ValueError, "method"),
        (np.ones((2, 2)), B2, dict(method="direct"), SingularMatrixError, "singular"),
        (np.ones((2, 2)), B2, dict(method="hhl-emulate"), SingularMatrixError, "singular"),
        (A2, np.zeros(2), dict(method="hhl"), ValueError, "b is zero"),
        (A2, np.array([np.nan, 1.0]), dict(method="cg"), NonFiniteError, "NaN"),
        (np.full((2, 2), np.inf), B2, dict(method="direct"), NonFiniteError, "NaN"),
        (A2, np.ones(3), dict(method="hhl"), ShapeError, "rows"),
        (A2, B2, dict(method="hhl-emulate", observables=np.array([[0.0, 1.0], [2.0, 0.0]])),
         NotHermitianError, "Hermitian"),
        (A2, B2, dict(method="hhl-emulate", observables="mean"), ValueError, "unknown"),
        (A2, B2, dict(method="hhl", shots=0), ValueError, "shots"),
        (A2, B2, dict(method="hhl", backend="ibm"), ValueError, "backend"),
        (A2, B2, dict(method="hhl", clock_qubits=40, time=1.0), ValueError, "qubits"),
    ],
)
def test_bad_input(A, b, kw, err, match):
    with pytest.raises(err, match=match):
        qla.solve(A, b, **kw)


def test_cli_solve(tmp_path, capsys):
    assert main(["solve", "--method", "hhl-emulate", "--clock-qubits", "2",
                 "--time", str(3 * np.pi / 4)]) == 0
    out = capsys.readouterr().out
    assert "norm 1.18585" in out and "1.125" in out
    np.save(tmp_path / "A.npy", A2)
    np.save(tmp_path / "b.npy", B2)
    assert main(["solve", "--matrix", str(tmp_path / "A.npy"), "--rhs", str(tmp_path / "b.npy"),
                 "--method", "cg", "--out", str(tmp_path / "x.npy")]) == 0
    np.testing.assert_allclose(np.load(tmp_path / "x.npy"), X2)
    assert main(["solve", "--matrix", str(tmp_path / "A.npy")]) == 2  # needs --rhs
    assert "needs --rhs" in capsys.readouterr().err


def test_tour_stop_runs():
    from qla.tour import hhl as stop

    s = stop.run(0, np)
    assert s.area == "hhl" and "fidelity" in s.accuracy and s.baseline_seconds is not None


@pytest.mark.gpu
def test_solve_on_cupy_keeps_the_device(cupy):
    A, b = random_spd_system(8, 10.0, seed=3)
    Ag, bg = cupy.asarray(A), cupy.asarray(b)
    for method in ("direct", "cg", "hhl-emulate"):
        r = qla.solve(Ag, bg, method, clock_qubits=8)
        assert isinstance(r.x, cupy.ndarray)
        ref = qla.solve(A, b, method, clock_qubits=8)
        np.testing.assert_allclose(cupy.asnumpy(r.x), ref.x, atol=1e-8)
