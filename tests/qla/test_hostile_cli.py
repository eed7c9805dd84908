"""Generated bad input to the CLI subcommands ``test_hostile.py``'s argv property leaves out
(``regress``, ``optimize``, ``tour``) and to the PEFT parameter counts: every run exits 0,
1 or 2 (never a traceback or a hang), and a refusal is one line naming what was wrong.
"""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.hostile_calls import call, run_cli

pytestmark = pytest.mark.hostile

_rng = np.random.default_rng(0)
_X = _rng.standard_normal((30, 3))
_GOOD_CSV = "a,b,c,y\n" + "\n".join(",".join(f"{v:.6g}" for v in r)
                                    for r in np.column_stack([_X, _X @ [1.0, -2.0, 0.5]]))

#: Data files for ``qla regress``: (name, content).
_DATA = {
    "good.csv": _GOOD_CSV,
    "nan.csv": _GOOD_CSV.replace("\n", "\nnan,1,2,3\n", 1),
    "inf.csv": _GOOD_CSV.replace("\n", "\ninf,1,2,3\n", 1),
    "text.csv": _GOOD_CSV.replace("\n", "\nx,1,2,3\n", 1),
    "ragged.csv": _GOOD_CSV + "\n1,2\n",
    "header.csv": "a,b,c,y\n",
    "empty.csv": "",
    "one-column.csv": "y\n1\n2\n3\n",
    "huge.csv": "a,y\n1e308,1\n-1e308,2\n1e308,3\n",
    "constant.csv": "a,b,y\n1,1,1\n1,1,2\n1,1,3\n",
    "binary.csv": "\x00\x01\x02",
    "bad.npy": "not an npy file",
}
_NPY = {"good.npy": np.column_stack([_X, _X.sum(axis=1)]), "1d.npy": np.ones(5),
        "int.npy": np.ones((5, 3), dtype=np.int64), "object.npy": np.array([[1, "a"]], object),
        "nan.npy": np.full((5, 3), np.nan), "3d.npy": np.ones((2, 3, 4)),
        "good.npz": None}

_QASM = {
    "good.qasm": 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\ncx q[0],q[1];\n'
                 'cx q[0],q[1];\ncx q[0],q[1];\n',
    "empty.qasm": "",
    "garbage.qasm": "OPENQASM 3.0;\nqubit[2] q;\nfoo q;\n",
    "measure.qasm": 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\n'
                    "measure q -> c;\n",
    "wide.qasm": 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[30];\ncx q[0],q[29];\n',
}

_NUMBERS = ["-1", "0", "1", "2", "3", "4", "1e9", "nan", "inf", "-inf", "0.5", "1e-300",
            "10000000000000000000000"]
#: Values per option: mostly well-formed, so that the run reaches qla's own checks.
_VALUES = {
    "--target": ["y", "a", "0", "-1", "3", "99", "X", "nope", ""],
    "--method": ["fossils", "sketch-and-precondition", "sketch-and-solve", "direct", "foo"],
    "--sketch": ["gaussian", "rademacher", "srht", "countsketch", "sparse-sign", "srht-dct"],
    "--coupling": ["0-1", "0-0", "0-5", "a-b", "0-1,1-0", "", "0-1,", "-1"],
    "--qasm-version": ["2", "3", "4"],
    "--block-size": ["2", "3", "4", "5"],
    "--out": ["dir.csv", "missing/x.md", "out.md"],
}


def _files(tmp: Path) -> None:
    for name, text in {**_DATA, **_QASM}.items():
        (tmp / name).write_text(text)
    for name, arr in _NPY.items():
        if name.endswith(".npz"):
            np.savez(tmp / name, X=_X, y=_X.sum(axis=1))
        else:
            np.save(tmp / name, arr, allow_pickle=True)
    (tmp / "dir.csv").mkdir()


@st.composite
def argvs(draw):
    cmd = draw(st.sampled_from(["regress", "optimize", "tour"]))
    if cmd == "regress":
        argv = ["regress", draw(st.sampled_from(sorted([*_DATA, *_NPY, "dir.csv", "no.csv"])))]
        opts = ["--target", "--method", "--sketch", "--sketch-size", "--alpha", "--tol",
                "--maxiter", "--time-limit", "--seed"]
    elif cmd == "optimize":
        argv = ["optimize", draw(st.sampled_from(sorted([*_QASM, "no.qasm"]))), "--workers", "1",
                "--no-progress"]
        opts = ["--block-size", "--tolerance", "--coupling", "--workers", "--seed",
                "--qasm-version"]
    else:  # a valid tour runs for seconds: every generated tour call has a bad value
        argv = ["tour", "--no-progress", "--seed",
                draw(st.sampled_from(["-1", "foo", "4294967296", "10000000000000000000000",
                                      "1.5", ""]))]
        opts = ["--out"]
    for opt in draw(st.lists(st.sampled_from(opts), max_size=3, unique=True)):
        argv += [opt, draw(st.sampled_from(_VALUES.get(opt, _NUMBERS)))]
    return argv


@given(argvs())
@example(["tour", "--seed", "-1"])  # numpy's "expected non-negative integer", not naming --seed
@example(["tour", "--seed", "10000000000000000000000"])  # scikit-learn's message, stops later
def test_cli_answers_or_refuses(argv):
    err = io.StringIO()
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp), \
            contextlib.redirect_stderr(err):
        _files(Path(tmp))
        ok, code = call(lambda: run_cli(argv), [])
    assert ok and code in (0, 1, 2), (argv, code)
    # a refusal names the flags typed, not the Python arguments behind them
    assert not re.search(r"(?<![\w-])(time_limit|sketch_size|qasm_version|block_size)\b",
                         err.getvalue()), err.getvalue()


@pytest.mark.parametrize("argv, match", [
    (["tour", "--seed", "-1"], "seed must be at least 0"),
    (["tour", "--seed", "10000000000000000000000"], "seed must be at most 4294967295"),
])
def test_cli_tour_names_a_bad_seed_before_running(argv, match, capsys):
    from tests.hostile_calls import time_limit

    with time_limit(5):
        assert run_cli(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and match in err, err


# Defects of `qla regress` (this campaign); each failed on main before its fix.
def _regress(tmp_path, csv, *opts):
    (tmp_path / "d.csv").write_text(csv)
    return run_cli(["regress", str(tmp_path / "d.csv"), *opts])


def test_regress_fits_a_column_of_1e308(tmp_path, capsys):
    """The centring's mean of 1e308 + 1e308 overflowed: "A holds NaN or infinity", exit 2,
    though the fit (slope -1e-308, intercept 2.5) is representable and lstsq(direct) answers."""
    csv = "a,y\n1e308,1\n1e308,2\n-1e308,3\n-1e308,4\n"
    assert _regress(tmp_path, csv) == 0
    out = capsys.readouterr().out
    coef = {ln.split()[0]: float(ln.split()[1]) for ln in out.splitlines()[2:4]}
    assert coef["intercept"] == pytest.approx(2.5, rel=1e-12)
    assert coef["a"] == pytest.approx(-1e-308, rel=1e-12)


def test_regress_refuses_a_coefficient_that_really_overflows(tmp_path, capsys):
    assert _regress(tmp_path, "a,y\n1e-300,1e300\n2e-300,3e300\n3e-300,2e300\n",
                    "--no-intercept") == 2
    assert "a coefficient overflows float64" in capsys.readouterr().err


def test_regress_warnings_and_hints_name_the_flags(tmp_path, capsys):
    """The long profile: "warning: sketch_size=3 is not smaller ..." and "(raise sketch_size;
    ...)" named the Python argument in a warning and in the middle of a message."""
    assert _regress(tmp_path, "a,y\n1,1\n2,2\n3,4\n", "--sketch-size", "3",
                    "--method", "sketch-and-precondition") == 0
    assert "warning: --sketch-size=3 is not smaller" in capsys.readouterr().err
    assert _regress(tmp_path, "a,b,y\n1,1,1\n1,1,2\n1,1,3\n", "--sketch-size", "1") == 2
    err = capsys.readouterr().err
    assert "--sketch-size is 1 rows" in err and "raise --sketch-size;" in err, err


@pytest.mark.parametrize("opts, flag", [
    (["--time-limit", "-1"], "--time-limit"), (["--sketch-size", "0"], "--sketch-size"),
    (["--maxiter", "0"], "--maxiter"), (["--alpha", "nan"], "--alpha"),
])
def test_regress_errors_name_the_flags(tmp_path, capsys, opts, flag):
    """lstsq's refusal said "time_limit must be ...": the Python name, not the flag typed."""
    assert _regress(tmp_path, _GOOD_CSV, "--method", "sketch-and-precondition", *opts) == 2
    err = capsys.readouterr().err
    assert f"error: {flag} must" in err, err


def test_circuit_kind_errors_name_the_kinds_flags(capsys):
    """The flags of `qla circuit KIND` come from the kind's own parser too
    (qla.cli.FlagParser): main said "clock_qubits must be ..." (the Python name)."""
    assert run_cli(["circuit", "hhl", "--clock-qubits", "0"]) == 2
    err = capsys.readouterr().err
    assert "--clock-qubits must be at least 1" in err, err


def test_the_flags_are_recorded_without_argparse_internals():
    """qla.cli maps names to flags through public argparse only (no ``_actions``, no
    ``_SubParsersAction``), so a Python upgrade cannot break its error messages."""
    import inspect

    import qla.cli

    source = inspect.getsource(qla.cli)
    assert "_actions" not in source and "_SubParsersAction" not in source
    args = qla.cli.build_parser().parse_args(["regress", "d.csv", "--time-limit", "1"])
    assert args.flags["time_limit"] == "--time-limit" and args.flags["sketch_size"] == (
        "--sketch-size")


@pytest.mark.parametrize("argv, match", [
    (["circuit", "random", "--max-operands", "0"], "--max-operands must be at least 1"),
    (["circuit", "random", "-n", "6", "--max-operands", "5"], "--max-operands must be at most 4"),
    (["circuit", "qft", "--approximation-degree", "-1"],
     "--approximation-degree must be at least 0"),
])
def test_circuit_kind_options_are_checked_before_qiskit(argv, match, capsys):
    """Main crashed with Qiskit's tracebacks: AttributeError ('NoneType' object has no
    attribute 'values'), CircuitError and OverflowError (a negative unsigned)."""
    assert run_cli(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and match in err, err
