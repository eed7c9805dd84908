"""Bad input to qla's front door and CLI: clear errors, bounded resources, no wrong answers.

Two parts: one test per case found by hand (issue 16), and property-based suites
(Hypothesis, ``-m hostile``) that generate bad input for ``qla.solve``, ``qla.run``,
``qla.export``/``load_qasm`` and the CLI and accept only a correct result or one of
qla's documented errors (:mod:`tests.hostile_calls`).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import inspect
import tempfile
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from qiskit import QuantumCircuit, qasm2

import circuits
import qla
from qla.cli import build_parser, main
from sketch.errors import (
    AccuracyWarning,
    InsufficientMemoryError,
    NonFiniteError,
    NotHermitianError,
    ShapeError,
)
from sketch.hhl import eigenvalue_bounds, emulate_hhl
from tests.hostile_calls import call, exact_norm, run_cli

A2 = np.array([[1.0, -1 / 3], [-1 / 3, 1.0]])
B2 = np.array([1.0, 0.0])
HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_IBM = importlib.util.find_spec("qiskit_ibm_runtime") is not None


def bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, name="bell")
    qc.h(0)
    qc.cx(0, 1)
    return qc


# ------------------------------------------------------------------ qla.solve


@pytest.mark.parametrize("method", ["direct", "cg", "kaczmarz"])
def test_zero_rhs_gives_zero_solution(method):
    r = qla.solve(A2, np.zeros(2), method)
    assert np.array_equal(r.x, np.zeros(2)) and r.residual == 0.0 and r.converged


@pytest.mark.parametrize("method", ["direct", "cg", "hhl-emulate", "hhl"])
def test_non_square_is_reported_as_non_square(method):
    with pytest.raises(ShapeError, match="square"):
        qla.solve(np.ones((3, 2)), np.ones(3), method)


def test_non_square_to_the_emulator_and_circuit():
    for f in (emulate_hhl, circuits.hhl):
        with pytest.raises(ShapeError, match="must be square.*qla.lstsq"):
            f(np.ones((3, 2)), np.ones(3))


def test_cg_on_non_symmetric_matrix_says_so():
    with pytest.raises(NotHermitianError, match="CG needs a Hermitian"):
        qla.solve(np.array([[2.0, 1.0], [0.0, 2.0]]), np.ones(2), "cg")


@pytest.mark.parametrize("kw", [dict(method="direct", shots=10), dict(method="hhl", shots=10),
                                dict(method="cg", backend="aer")])
def test_shots_and_backend_where_they_do_nothing(kw):
    with pytest.raises(ValueError, match="shots|backend"):
        qla.solve(A2, B2, **kw)


def test_solve_validates_maxiter():
    with pytest.raises(ValueError, match="maxiter"):
        qla.solve(A2, B2, "cg", maxiter=-1)


def test_large_constant_warns():
    with pytest.warns(AccuracyWarning, match="constant C = 100 exceeds min"):
        out = emulate_hhl(np.array([[2.0, 1.0], [1.0, 3.0]]), np.ones(2), constant=100)
    assert out.fidelity < 0.95  # the distortion the warning announces


def test_dense_bounds_beyond_the_exact_limit():
    # dense input above exact_limit used to reach `.tocsc()` on an ndarray
    d = np.linspace(-3.0, 5.0, 40)
    d[np.abs(d) < 0.5] = 0.5
    lo, hi, neg, src = eigenvalue_bounds(np.diag(d), exact_limit=8, seed=1)
    assert src == "lanczos" and neg
    assert lo == pytest.approx(np.abs(d).min(), rel=1e-4)
    assert hi == pytest.approx(np.abs(d).max(), rel=1e-6)


@pytest.mark.skipif(not HAS_IBM, reason="needs qiskit-ibm-runtime's fake devices")
def test_hhl_with_shots_on_a_large_fake_device():
    from qiskit_ibm_runtime.fake_provider import FakeGuadalupeV2

    # 16 device qubits: measuring all of them made Aer's density matrix need 4^16·16 bytes
    device = FakeGuadalupeV2()
    r = qla.solve(A2, B2, "hhl", backend=device, shots=2000, seed=1)
    # the counts agree with the Estimator's exact expectation under the same noise model
    # (0.36; ideal 0.625): within shot noise (σ ≈ 0.011) plus the readout error the
    # Estimator leaves out
    p = qla.solve(A2, B2, "hhl", backend=device, seed=1).success_probability
    assert abs(r.success_probability - p) < 0.06
    scale = emulate_hhl(A2, B2, sizing=r.sizing).scale
    assert r.norm == pytest.approx(np.sqrt(r.success_probability) * scale, rel=1e-12)


# ------------------------------------------------------------------ qla.run


@pytest.mark.parametrize("kw, err, match", [
    (dict(optimization_level=7), ValueError, "optimization_level"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(seed=2**70), ValueError, "seed"),
    (dict(noise_model="foo"), TypeError, "noise_model"),
    (dict(observables="AB"), ValueError, "observables"),
    (dict(observables=3), TypeError, "observables"),
    (dict(shots=10**12), InsufficientMemoryError, "shots"),
])
def test_run_names_the_bad_argument(kw, err, match):
    with pytest.raises(err, match=match):
        qla.run(bell(), **kw)


@pytest.mark.parametrize("circs, err, match", [
    (None, TypeError, "circuits"),
    ([], ValueError, "no circuits"),
    (QuantumCircuit(0), ValueError, "no qubits"),
    (["OPENQASM 2.0;"], TypeError, "circuits"),
])
def test_run_refuses_what_is_not_a_circuit(circs, err, match):
    with pytest.raises(err, match=match):
        qla.run(circs)


def test_run_takes_a_builders_result():
    res = qla.run(circuits.hhl(A2, B2), shots=100, seed=1)  # the README's example
    assert sum(res.get_counts().values()) == 100 and len(next(iter(res.get_counts()))) == 5


def test_simulation_memory_check_has_its_own_name():
    import qla.execution as ex

    assert hasattr(ex, "check_simulation_memory") and not hasattr(ex, "check_memory")
    qc = QuantumCircuit(40)
    qc.h(range(40))
    qc.t(0)
    with pytest.raises(InsufficientMemoryError, match="40 active qubits"):
        ex.check_simulation_memory(qc, "statevector")


def test_huge_shot_counts_are_refused_by_the_work_rule(monkeypatch):
    from sketch.errors import WorkBudgetError
    from tests.hostile_calls import time_limit

    monkeypatch.setenv("QLA_WORK_BUDGET", "10")
    qc = bell()
    qc.measure_all()
    # 10**8 shots fit in memory (6 GB of results) but sample for minutes
    with time_limit(), pytest.raises(WorkBudgetError, match="shots=100000000"):
        qla.run(qc, shots=10**8)


# ------------------------------------------------------------------ export and load_qasm


def test_export_verification_of_a_wide_circuit_is_refused_by_name():
    from tests.hostile_calls import time_limit

    qc = QuantumCircuit(30)
    qc.h(range(30))
    # verify_qubits=30 formed two 2^30 x 2^30 operators: numpy's "array is too big"
    with time_limit(), pytest.raises(InsufficientMemoryError, match="verify_qubits"):
        qla.export(qc, verify_qubits=30)


def test_unknown_basis_gate_is_named_without_qiskit_advice():
    with pytest.raises(ValueError, match="'foo', which is not a Qiskit standard gate") as e:
        qla.export(bell(), basis=["foo"])
    assert "target" not in str(e.value)


@pytest.mark.parametrize("content, match", [
    (b"", "empty"),
    (b"// only a comment\n", "empty"),
    (bytes(range(256)), "not a UTF-8 text file"),
    (b"OPENQASM 3.0;\nqubit[2] q;\nfoo bar baz;\n", "line 3, column 9"),
])
def test_load_qasm_on_bad_files(tmp_path, content, match):
    path = tmp_path / "bad.qasm"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        qla.load_qasm(path)


def test_qasm2_loads_with_both_loaders():
    qc = QuantumCircuit(2)
    qc.u(0.1, 0.2, 0.3, 0)
    qc.p(0.4, 1)
    qc.cp(0.5, 0, 1)
    qc.sx(0)
    text = qla.export(qc, version=2)
    for back in (qasm2.loads(text),
                 qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)):
        assert qla.export.__module__ and back.num_qubits == 2


# ------------------------------------------------------------------ Quantum-PEFT


@pytest.mark.skipif(not HAS_TORCH, reason="needs PyTorch")
def test_peft_float64_model_trains_and_merges():
    import torch

    from qla.peft import apply_quantum_peft, merge_quantum_peft

    model = torch.nn.Sequential(torch.nn.Linear(8, 6), torch.nn.ReLU(),
                                torch.nn.Linear(6, 4)).double()
    apply_quantum_peft(model, rank=2, seed=0)
    x = torch.randn(5, 8, dtype=torch.float64)
    model(x).sum().backward()
    with torch.no_grad():
        for m in model.modules():
            if hasattr(m, "lam"):
                m.lam.add_(0.3)
        y = model(x)
    merged = merge_quantum_peft(model)
    assert merged[0].weight.dtype == torch.float64
    torch.testing.assert_close(merged(x), y)
    with pytest.raises(TypeError, match="dtype"):
        apply_quantum_peft(torch.nn.Sequential(torch.nn.Linear(4, 4)).double(), rank=1)(
            torch.ones(1, 4))


@pytest.mark.skipif(not HAS_TORCH, reason="needs PyTorch")
def test_peft_huge_layers_are_refused_before_drawing_angles():
    import torch

    from qla.peft import QuantumPEFTLinear

    # 4e9 angles: numpy's own MemoryError after seconds of trying
    with pytest.raises(InsufficientMemoryError, match="layers=1000000000"):
        QuantumPEFTLinear(torch.nn.Linear(4, 4), rank=2, layers=10**9)


@pytest.mark.skipif(not HAS_TORCH, reason="needs PyTorch")
def test_peft_adapter_input_is_checked_by_name():
    import torch

    from qla.peft import LoRALinear, QuantumPEFTLinear, apply_lora, merge_quantum_peft

    with pytest.raises(ValueError, match="entangler must be one of"):  # was at the 1st forward
        QuantumPEFTLinear(torch.nn.Linear(6, 5), 2, entangler="swap")
    for layer in (QuantumPEFTLinear(torch.nn.Linear(6, 5), 2, seed=0),
                  LoRALinear(torch.nn.Linear(6, 5), 2, seed=0)):
        with pytest.raises(ShapeError, match="in_features = 6"):  # was torch's RuntimeError
            layer(torch.ones(3, 7))
        with pytest.raises(TypeError, match="x must be a torch.Tensor"):
            layer(np.ones((3, 6)))
        assert layer(torch.ones(2, 3, 6)).shape == (2, 3, 5)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):  # AttributeError
        merge_quantum_peft(3)
    with pytest.raises(ValueError, match="target_modules holds '5'"):
        apply_lora(torch.nn.Sequential(torch.nn.Linear(3, 3)), ["5"])


@pytest.mark.skipif(not HAS_TORCH, reason="needs PyTorch")
def test_peft_twice_and_empty_targets_are_refused():
    import torch

    from qla.peft import apply_lora, apply_quantum_peft, merge_quantum_peft

    model = torch.nn.Sequential(torch.nn.Linear(8, 8))
    apply_quantum_peft(model, rank=2, seed=0)
    with pytest.raises(ValueError, match="adapted already"):
        apply_quantum_peft(model, rank=2)
    with pytest.raises(ValueError, match="adapted already"):
        apply_lora(model, ["0"], rank=2)
    assert isinstance(merge_quantum_peft(model)[0], torch.nn.Linear)
    with pytest.raises(ValueError, match="target_modules is empty"):
        apply_quantum_peft(torch.nn.Sequential(torch.nn.Linear(8, 8)), target_modules=[])


# ------------------------------------------------------------------ CLI


@pytest.mark.parametrize("argv, match", [
    (["solve", "--random", "0"], "--random must be at least 1"),
    (["solve", "--rhs", "b.npy"], "--rhs needs --matrix"),
    (["solve", "--random", "1000000"], "GiB"),
    (["circuit", "hhl", "--size", "100000"], "GiB"),
    (["circuit", "synth", "-n", "8"], "8 qubits.*method='exact'"),
    (["circuit", "qft", "-n", "2000"], "2e\\+06 gates"),
])
def test_cli_refuses_with_one_line(argv, match, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    import re

    assert re.search(match, err), err


@pytest.mark.parametrize("name, content, match", [
    # a .npy with no bytes: numpy's EOFError came out as a traceback
    ("empty.npy", b"", r"qla synth: error: .*empty.npy is not a readable .npy file"),
])
def test_cli_synth_bad_files(tmp_path, capsys, name, content, match):
    import re

    path = tmp_path / name
    path.write_bytes(content)
    assert main(["synth", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and re.search(match, err), err


@pytest.mark.parametrize("command", ["export", "optimize"])
@pytest.mark.parametrize("text, match", [
    # 10**8 qubits in OpenQASM 3: the importer would build them for minutes
    ('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[100000000] q;\nh q[0];\n',
     "loading an OpenQASM 3 program of 4 statements on 100000000 qubits"),
    # 2·10**7 qubits in OpenQASM 2: loaded, then lowered/partitioned for minutes
    ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[20000000];\nh q[0];\n',
     "loading an OpenQASM 2 program of 4 statements on 20000000 qubits"),
])
def test_cli_refuses_huge_programs_fast(tmp_path, capsys, monkeypatch, command, text, match):
    from tests.hostile_calls import time_limit

    monkeypatch.setenv("QLA_WORK_BUDGET", "10")
    path = tmp_path / "big.qasm"
    path.write_text(text)
    with time_limit():
        assert main([command, str(path)]) == 2
    err = capsys.readouterr().err
    assert match in err and "QLA_WORK_BUDGET" in err, err


def test_cli_export_of_a_directory_says_so(tmp_path, capsys):
    (tmp_path / "d.qasm").mkdir()
    assert main(["export", str(tmp_path / "d.qasm")]) == 2
    assert "it is a directory" in capsys.readouterr().err  # said "no such file"


def test_cli_out_is_written_exactly_and_directories_refused(tmp_path, capsys):
    assert main(["solve", "--out", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
    out = tmp_path / "x.bin"
    assert main(["solve", "--out", str(out)]) == 0
    assert out.is_file() and not (tmp_path / "x.bin.npy").exists()
    np.testing.assert_allclose(np.load(out), [1.125, 0.375])


def test_default_solve_method_agrees_and_is_documented():
    sub = build_parser()._subparsers._group_actions[0].choices["solve"]
    action = next(a for a in sub._actions if a.dest == "method")
    python_default = inspect.signature(qla.solve).parameters["method"].default
    assert action.default == python_default == "direct"
    assert "default direct" in action.help


def test_qasm_version_option_is_the_same_everywhere():
    choices = build_parser()._subparsers._group_actions[0].choices
    parsers = [choices["export"], choices["synth"],
               *choices["circuit"]._subparsers._group_actions[0].choices.values()]
    for p in parsers:
        opts = {o: a for a in p._actions for o in a.option_strings}
        assert "--qasm-version" in opts and "--version" not in opts
        assert opts["--qasm-version"].default == 3


def _interrupt(args: argparse.Namespace) -> int:
    raise KeyboardInterrupt


def _broken_pipe(args: argparse.Namespace) -> int:
    raise BrokenPipeError


def test_ctrl_c_and_closed_pipe(monkeypatch, capsys):
    import qla.cli.solve as solve_cli

    monkeypatch.setattr(solve_cli, "run", _interrupt)
    assert main(["solve"]) == 130
    assert capsys.readouterr().err.strip() == "qla solve: interrupted"
    monkeypatch.setattr(solve_cli, "run", _broken_pipe)
    assert main(["solve"]) == 141
    assert capsys.readouterr().err == ""


def test_regress_underdetermined_warns_and_duplicates_refused(tmp_path, capsys):
    rng = np.random.default_rng(0)
    data = np.column_stack([rng.normal(size=(6, 10)), rng.normal(size=6)])
    path = tmp_path / "under.csv"
    header = ",".join([f"x{i}" for i in range(10)] + ["y"])
    path.write_text(header + "\n" + "\n".join(",".join(map(str, r)) for r in data) + "\n")
    assert main(["regress", str(path), "--method", "direct"]) == 0
    out = capsys.readouterr()
    assert "underdetermined" in out.err and "not a measure of fit" in out.out
    dup = tmp_path / "dup.csv"
    dup.write_text("a,a,y\n1,2,3\n4,5,6\n7,8,10\n")
    assert main(["regress", str(dup)]) == 2
    assert "repeats column name(s) 'a'" in capsys.readouterr().err


# ------------------------------------------------------------------ generated bad input

_FLOATS = st.sampled_from([0.0, 1.0, -1.0, 1e-300, 1e300, np.nan, np.inf, 1e-8, 3.5])


@st.composite
def systems(draw):
    """Small, often hostile, square-or-not systems."""
    m = draw(st.integers(1, 5))
    n = draw(st.sampled_from([m, m, m, m + 1, max(m - 1, 1)]))
    kind = draw(st.sampled_from(["random", "special", "singular", "symmetric"]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(m, n))
    if kind == "special":
        A.flat[draw(st.integers(0, m * n - 1))] = draw(_FLOATS)
    elif kind == "singular" and min(m, n) > 1:
        A[:, 0] = A[:, 1]
    elif kind == "symmetric" and m == n:
        A = A @ A.T + draw(st.sampled_from([0.0, 1e-12, 1.0])) * np.eye(m)
    b = rng.normal(size=draw(st.sampled_from([m, m, m + 1])))
    if draw(st.booleans()):
        b = b * draw(_FLOATS)
    return A, b


@pytest.mark.hostile
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(systems(), st.sampled_from(["direct", "cg", "kaczmarz", "hhl-emulate"]))
def test_solve_answers_or_refuses(system, method):
    A, b = system
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ok, r = call(lambda: qla.solve(A, b, method, seed=0), ["A", "b", "method", "HHL"])
    if not ok:
        return
    x = np.asarray(r.x)
    assert np.all(np.isfinite(x))
    if method == "direct":  # backward stable: the residual is at rounding level
        assert exact_norm(A @ x - b) <= 1e-10 * (exact_norm(A) * exact_norm(x) + exact_norm(b))
    elif method in ("cg", "kaczmarz") and r.converged:
        assert exact_norm(A @ x - b) <= 1e-6 * exact_norm(b)
    if r.residual is not None:  # what it reports is what it computed (scaled: no overflow)
        s = np.abs(b).max()
        want = np.linalg.norm((b - A @ x) / s) / np.linalg.norm(b / s) if s else 0.0
        assert r.residual == pytest.approx(want, rel=1e-6, abs=1e-12)


_RUN_ARGS = st.fixed_dictionaries({}, optional={
    "shots": st.sampled_from([0, -5, 1, 17, 2**62, 1.5, True, "100"]),
    "seed": st.sampled_from([None, -1, 0, 7, 2**63, 2**70, 1.0, "x"]),
    "optimization_level": st.sampled_from([-1, 0, 3, 4, 7, 1.0, None]),
    "method": st.sampled_from(["automatic", "statevector", "stabilizer", "", None]),
    "noise_model": st.sampled_from([None, "foo", 3]),
    "observables": st.sampled_from([None, "ZZ", "AB", "ZZZ", ["XX", "ZI"], 3, [], [["ZZ"]]]),
    "precision": st.sampled_from(["double", "single", "quad"]),
    "backend": st.sampled_from(["aer", "qasm_simulator", None, 5]),
})


@pytest.mark.hostile
@given(_RUN_ARGS, st.sampled_from(["bell", "empty", "none", "list", "params", "wide"]))
def test_run_answers_or_refuses(kw, which):
    from qiskit.circuit import Parameter

    circs = {"bell": bell(), "empty": QuantumCircuit(0), "none": None,
             "list": [bell(), bell()], "params": QuantumCircuit(1), "wide": QuantumCircuit(60)}
    if which == "params":
        circs["params"].rx(Parameter("t"), 0)
    if which == "wide":
        circs["wide"].h(range(60))
        circs["wide"].t(0)
    names = ["circuits", *kw, "circuit", "backend", "method", "observable", "parameter",
             "qubits", "bell"]
    ok, res = call(lambda: qla.run(circs[which], **kw), names)
    if ok:
        shots = kw.get("shots", 1024)
        for c in res:
            if c.counts is not None:
                assert sum(c.counts.values()) == shots
            else:
                assert np.all(np.abs(c.expectation_values) <= 1 + 1e-9)


_INDICES = st.sampled_from([None, 0, 1, -1, -2, 2, 10**400, True, 1.0, "0", np.int64(1)])


@pytest.mark.hostile
@given(_INDICES, st.sampled_from(["get_counts", "get_probabilities"]))
def test_run_result_methods_answer_or_refuse(i, method):
    res = _two_runs()
    try:
        ok, out = call(lambda: getattr(res, method)(i), ["i"])
    except AssertionError as exc:  # a Sequence's out-of-range index is an IndexError
        if not isinstance(exc.__cause__, IndexError) or "i=" not in str(exc.__cause__):
            raise
        ok = False
    if ok:
        assert isinstance(out, list if i is None else dict)
        if i is not None:
            assert out == getattr(res[int(i)], method.removeprefix("get_"))


def _two_runs():
    """A RunResult of two circuits, built directly (the methods are tested, not the run)."""
    from qla.execution import CircuitResult, RunResult

    circs = [CircuitResult(f"c{k}", 2, 2, 1, {"cx": 1}, counts={"00": 40 + k, "11": 24 - k},
                           probabilities={"00": (40 + k) / 64, "11": (24 - k) / 64})
             for k in range(2)]
    return RunResult(circs, "aer_simulator", 64, "statevector", "sampler", 1, 0.1)


_FITTED: dict = {}  # one fit per estimator: predict is what is tested
_BAD_X = st.sampled_from([np.ones((3, 2)), np.ones((3, 5)), np.full((2, 3), np.nan), np.ones(3),
                          np.ones((0, 3)), "X", None, [[1.0, 2.0, 3.0]], np.ones((2, 3), int),
                          np.array([[1.0, 2.0, 3.0]], dtype=object)])


@pytest.mark.hostile
@given(_BAD_X, st.sampled_from(["SketchedLinearRegression", "SketchedRidge",
                                "SketchedRidgelessRegression"]))
def test_estimator_predict_answers_or_refuses(X, name):
    if name not in _FITTED:
        Xt = np.random.default_rng(0).standard_normal((40, 3))
        options = dict(sketch_size=1.0) if "Ridgeless" in name else {}  # no size search
        _FITTED[name] = getattr(qla, name)(random_state=0, **options).fit(Xt, Xt @ np.ones(3))
    model = _FITTED[name]
    ok, out = call(lambda: model.predict(X), ["X", "feature", "array", "NaN", "infinity"])
    if ok:
        assert np.asarray(X).shape[1] == 3 and np.isfinite(out).all()
        assert np.allclose(out, np.asarray(X, dtype=float) @ model.coef_ + model.intercept_)


_QASM = st.sampled_from([
    "", "   ", "OPENQASM 2.0;", 'OPENQASM 2.0; include "qelib1.inc"; qreg q[1]; u(1,2,3) q[0];',
    'OPENQASM 2.0; include "qelib1.inc"; qreg q[1]; foo q[0];', "OPENQASM 3.0; qubit q; h q;",
    "OPENQASM 3.0; qubit q; h q", "OPENQASM 4.0; qubit q;", "qubit[2] q; cx q[0], q[1];",
    "OPENQASM 2.0; qreg q[2]; CX q[0],q[3];", "\x00\x01\x02;", "OPENQASM 3.0; qubit[3] q; "
    "measure q;", "OPENQASM 3.0; gate g a { h a; } qubit q; g q; g q, q;",
])


@pytest.mark.hostile
@given(_QASM, st.sampled_from([None, 2, 3, 4]),
       st.sampled_from([None, ["cx", "u"], ["foo"], [], "cx", ["rz", "sx", "x", "cx"]]))
@example("OPENQASM 4.0; qubit q;", None, None)  # long profile: KeyError from the work rule's table
def test_qasm_round_trip_answers_or_refuses(text, version, basis):
    ok, qc = call(lambda: qla.load_qasm(text, version), ["OpenQASM", "version"])
    if not ok:
        return
    ok, out = call(lambda: qla.export(qc, version=version or 3, basis=basis),
                   ["basis", "version", "OpenQASM"])
    if ok:  # export verifies the round trip itself; check it once more independently
        assert qla.load_qasm(out).num_qubits == qc.num_qubits


_CLI_VALUES = st.sampled_from(["-1", "0", "1", "2", "3", "1e9", "nan", "foo", "1000000"])


@st.composite
def argvs(draw):
    cmd = draw(st.sampled_from([
        ["solve"], ["circuit", "qft"], ["circuit", "ghz"], ["circuit", "hhl"],
        ["circuit", "random"], ["circuit", "haar"], ["circuit", "pfc"], ["circuit", "peft"],
        ["circuit", "synth"], ["circuit", "brickwork"], ["export", "missing.qasm"],
        ["synth", "missing.npy"],
    ]))
    opts = {"solve": ["--random", "--kappa", "--method", "--clock-qubits", "--time", "--shots",
                      "--seed", "--out", "--rhs", "--matrix"],
            "circuit": ["--qubits", "--depth", "--size", "--kappa", "--clock-qubits", "--layers",
                        "--approximation-degree", "--qasm-version", "--basis", "--t", "--seed"],
            "export": ["--qasm-version", "--index"], "synth": ["--tol", "--max-cnots"]}[cmd[0]]
    argv = list(cmd)
    for opt in draw(st.lists(st.sampled_from(opts), max_size=3, unique=True)):
        argv += [opt, draw(_CLI_VALUES)]
    return argv


@pytest.mark.hostile
@given(argvs())
def test_cli_answers_or_refuses(argv):
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):  # --out files land here
        ok, code = call(lambda: run_cli(argv), [])
    assert ok and code in (0, 1, 2), (argv, code)


def _sparse(kind):
    import scipy.sparse

    A = scipy.sparse.random(60, 4, density=0.5, random_state=0, format="csr")
    A = A + scipy.sparse.eye(60, 4, format="csr")
    if kind == "explicit-nan":
        A.data[3] = np.nan
    elif kind == "duplicate-nan":  # COO adds duplicates: NaN hides until they are summed
        A = scipy.sparse.coo_matrix((np.array([1.0, np.nan]), (np.zeros(2, int), np.zeros(2, int))),
                                    shape=(60, 4))
    elif kind == "int64":
        A = A.multiply(10).astype(np.int64)
    return A


@pytest.mark.parametrize("method", [None, "direct", "sketch-and-solve",
                                    "sketch-and-precondition", "fossils"])
@pytest.mark.parametrize("kind, err", [("explicit-nan", NonFiniteError),
                                       ("duplicate-nan", NonFiniteError), ("int64", TypeError)])
def test_lstsq_refuses_bad_sparse_matrices(method, kind, err):
    with pytest.raises(err, match=r"^A (holds|has)"):
        qla.lstsq(_sparse(kind), np.ones(60), method=method, seed=0)


@pytest.mark.parametrize("method", ["direct", "sketch-and-precondition", "fossils"])
def test_sparse_right_hand_side_is_refused_by_name(method):
    """A sparse b reached LAPACK (LinAlgError: 0-dimensional array) or LSQR (a
    broadcasting ValueError) before check_vector refused it."""
    import scipy.sparse

    with pytest.raises(TypeError, match="b is sparse"):
        qla.lstsq(np.eye(6, 3), scipy.sparse.csr_matrix(np.ones((6, 1))), method=method)
    with pytest.raises(TypeError, match="b is sparse"):
        qla.solve(np.eye(3), scipy.sparse.csr_matrix(np.ones((3, 1))))
