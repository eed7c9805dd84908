"""`qla regress`: good runs on each file type, and one-line errors for every bad input."""

from __future__ import annotations

import re

import numpy as np
import pytest

from qla.cli import main

M, N = 400, 3
COEF = np.array([1.5, -2.0, 0.25])


@pytest.fixture
def data():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((M, N))
    y = X @ COEF + 4.0 + 0.1 * rng.standard_normal(M)
    A = np.c_[np.ones(M), X]
    beta = np.linalg.lstsq(A, y, rcond=None)[0]
    r2 = 1 - np.sum((y - A @ beta) ** 2) / np.sum((y - y.mean()) ** 2)
    return X, y, beta, r2


def _printed(out: str) -> tuple[np.ndarray, float, str]:
    lines = out.splitlines()
    start = lines.index("coefficients:") + 1
    stop = lines.index("fit:")
    coef = np.array([float(line.split()[-1]) for line in lines[start:stop]])
    r2 = float(re.search(r"R\^2\s+(\S+)", out).group(1))
    return coef, r2, out


def _run(capsys, *argv):
    rc = main(["regress", *map(str, argv)])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def _error(capsys, *argv) -> str:
    rc, out, err = _run(capsys, *argv)
    assert rc == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qla regress: error: "), err
    return lines[0]


def _check_fit(out, beta, r2, names):
    coef, r2_printed, text = _printed(out)
    # sketch-and-precondition runs LSQR to tol 1e-10 on a κ≈1 problem: coefficients to ~1e-9
    np.testing.assert_allclose(coef, beta, rtol=1e-7, atol=1e-9)
    assert r2_printed == pytest.approx(r2, abs=1e-6)
    assert "converged           True" in text
    for name in names:
        assert f"  {name} " in text
    for stat in ("residual norm", "iterations", "sketch", "condition estimate", "time"):
        assert stat in text


def test_csv_by_name_and_index(tmp_path, capsys, data):
    X, y, beta, r2 = data
    path = tmp_path / "d.csv"
    # the target in the middle, to check the feature order is kept
    table = np.c_[X[:, :1], y, X[:, 1:]]
    np.savetxt(path, table, delimiter=",", header="a,target,b,c", comments="")
    rc, out, err = _run(capsys, path, "--target", "target", "--seed", "3")
    assert rc == 0 and err == ""
    _check_fit(out, beta, r2, ["intercept", "a", "b", "c"])
    # 400 x 3: the default is sketch.lstsq's, LAPACK here; a named method is kept
    assert "method              direct" in out and "sketch              none" in out
    rc, out3, _ = _run(capsys, path, "--target", "target", "--seed", "3", "--method", "fossils")
    assert rc == 0 and "method              fossils" in out3
    rc, out2, _ = _run(capsys, path, "--target", "1", "--seed", "3")
    assert rc == 0 and _printed(out2)[0].tolist() == _printed(out)[0].tolist()


def test_npy_default_last_column(tmp_path, capsys, data):
    X, y, beta, r2 = data
    path = tmp_path / "d.npy"
    np.save(path, np.c_[X, y])
    rc, out, _ = _run(capsys, path, "--sketch", "countsketch", "--sketch-size", "40")
    assert rc == 0
    _check_fit(out, beta, r2, ["x0", "x1", "x2"])
    assert "CountSketch, 40 rows" in out


def test_npz_with_target_key_and_direct(tmp_path, capsys, data):
    X, y, beta, r2 = data
    path = tmp_path / "d.npz"
    np.savez(path, X=X, price=y)
    rc, out, _ = _run(capsys, path, "--target", "price", "--method", "direct")
    assert rc == 0
    _check_fit(out, beta, r2, ["x0"])
    assert "sketch              none" in out


def test_ridge_and_no_intercept(tmp_path, capsys, data):
    X, y, _, _ = data
    path = tmp_path / "d.npz"
    np.savez(path, X=X, y=y)
    alpha = 50.0
    Xc, yc = X - X.mean(0), y - y.mean()
    ridge = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(N), Xc.T @ yc)
    rc, out, _ = _run(capsys, path, "--alpha", alpha)
    assert rc == 0
    np.testing.assert_allclose(_printed(out)[0][1:], ridge, rtol=1e-8)
    plain = np.linalg.lstsq(X, y, rcond=None)[0]
    rc, out, _ = _run(capsys, path, "--no-intercept", "--method", "sketch-and-solve",
                      "--sketch", "gaussian", "--sketch-size", "200")
    coef = _printed(out)[0]
    assert rc == 0 and "  intercept " not in out and coef.shape == (N,)
    # sketch-and-solve (Sarlós): residual ≤ (1 + ε)/(1 − ε) · optimal for an ε-embedding;
    # a 200-row Gaussian embeds 3 dimensions with ε ≤ (√3 + √(2 ln 200))/√200 ≈ 0.35 w.p. 0.99
    best = np.linalg.norm(X @ plain - y)
    printed = float(re.search(r"residual norm\s+(\S+)", out).group(1))
    assert best * (1 - 1e-6) <= printed <= best * 1.35 / 0.65
    assert printed == pytest.approx(np.linalg.norm(X @ coef - y), rel=1e-5)


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--maxiter", "1", "FOSSILS stopped"),
    ("--time-limit", "1e-9", "--time-limit=1e-09 s passed"),
])
def test_nonconvergence_is_a_one_line_warning(tmp_path, capsys, option, value, message):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 20)) * np.logspace(0, -6, 20)
    path = tmp_path / "d.npz"
    np.savez(path, X=X, y=rng.standard_normal(300))
    rc, out, err = _run(capsys, path, option, value, "--sketch-size", "21")
    assert rc == 0 and "converged           False" in out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qla regress: warning: FOSSILS stopped")
    assert message in lines[0]


# -- bad input: one line on stderr, exit code 2 ---------------------------------------


def test_missing_file_and_unknown_format(tmp_path, capsys):
    assert "no such file" in _error(capsys, tmp_path / "none.csv")
    (tmp_path / "d.txt").write_text("1 2\n")
    assert "unknown data format '.txt'" in _error(capsys, tmp_path / "d.txt")


@pytest.mark.parametrize("text, target, message", [
    ("a,b,y\n1,2,3\n4,5,6\n", "q", "no column 'q'"),
    ("a,b,y\n1,2,3\n4,5,6\n", "3", "column index 3 is out of range"),
    ("a,b,y\n1,2,3\n4,x,6\n", None, "non-numeric value 'x' in column 'b', line 3"),
    ("a,b,y\n1,2,3\n4,,6\n", None, "non-numeric value '' in column 'b'"),
    ("a,b,y\n1,2,3\n4,5\n", None, "line 3 has 2 fields, the header has 3"),
    ("a,b,y\n1,2,3\n4,inf,6\n", None, "non-finite value in column 'b', data row 2"),
    ("a,b,y\n", None, "no data rows"),
    ("", None, "no data rows"),
    ("y\n1\n2\n", None, "no feature columns"),
])
def test_bad_csv(tmp_path, capsys, text, target, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    argv = [path] + (["--target", target] if target else [])
    assert message in _error(capsys, *argv)


def test_binary_garbage_as_csv(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_bytes(bytes(range(256)) * 4)
    assert "bad.csv" in _error(capsys, path)


def test_bad_npy(tmp_path, capsys):
    path = tmp_path / "d.npy"
    np.save(path, np.arange(5.0))
    assert "1-D array; regress needs a 2-D array" in _error(capsys, path)
    np.save(path, np.array([["a", "b"], ["c", "d"]]))
    assert "is not numeric" in _error(capsys, path)
    np.save(path, np.ones((4, 3)))
    assert "--target must be a column index" in _error(capsys, path, "--target", "y")
    assert "--target must be a column index" in _error(capsys, path, "--target", "9")
    np.save(path, np.array([[np.nan, 1.0], [2.0, 3.0]]))
    assert "non-finite value in column 'x0'" in _error(capsys, path)
    path.write_bytes(b"not an npy file at all")
    assert "not a readable .npy file" in _error(capsys, path)


def test_bad_npz(tmp_path, capsys):
    path = tmp_path / "d.npz"
    np.savez(path, A=np.ones((4, 2)), y=np.ones(4))
    assert "has no array 'X' (it has: A, y)" in _error(capsys, path)
    np.savez(path, X=np.ones((4, 2)), target=np.ones(4))
    assert "has no array 'y'" in _error(capsys, path)
    assert "has no array 'z'" in _error(capsys, path, "--target", "z")
    np.savez(path, X=np.ones((4, 2)), y=np.ones(3))
    assert "one value per row of X (4)" in _error(capsys, path)
    np.savez(path, X=np.ones(4), y=np.ones(4))
    assert "'X' in" in _error(capsys, path) and "must be 2-D" in _error(capsys, path)
    np.savez(path, X=np.array([["a", "b"]]), y=np.ones(1))
    assert "is not numeric" in _error(capsys, path)
    path.write_bytes(b"PK\x03\x04 truncated zip")
    assert "not a readable .npz file" in _error(capsys, path)


def test_bad_options(tmp_path, capsys):
    path = tmp_path / "d.npy"
    np.save(path, np.random.default_rng(0).standard_normal((50, 4)))
    assert "at least n rows" in _error(capsys, path, "--sketch-size", "2")
    assert "alpha must be" in _error(capsys, path, "--alpha", "-1")
    assert "--time-limit must be a positive" in _error(capsys, path, "--time-limit", "0")


@pytest.mark.parametrize("method", ["direct", "fossils"])
def test_columns_of_wildly_different_scale_get_their_own_coefficients(tmp_path, capsys, data,
                                                                      method):
    """X·diag(1e-300, 1e300, 1): the coefficients are β/d exactly; one scale for the whole
    matrix put the 1e-300 column below the rank cut-off (coefficient 0, error 1.0 on main)."""
    X, y, beta, _ = data
    d = np.array([1e-300, 1e300, 1.0])
    path = tmp_path / "d.npy"
    np.save(path, np.c_[X * d, y])
    rc, out, _ = _run(capsys, path, "--method", method)
    assert rc == 0
    coef = _printed(out)[0]
    assert np.allclose(coef[1:] * d, beta[1:], rtol=1e-9, atol=0), (coef, beta)
    assert np.isclose(coef[0], beta[0], rtol=1e-9)
