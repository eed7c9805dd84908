"""The exact HHL emulator: textbook answers, QPE kernel identities, sizing rule, bad input."""

import math

import numpy as np
import pytest
import scipy.sparse

import sketch.hhl as shhl
import sketch.hhl_system
from sketch.errors import (
    AccuracyWarning,
    NonFiniteError,
    NotHermitianError,
    ShapeError,
    SingularMatrixError,
    ToleranceError,
)
from sketch.hhl import (
    emulate_hhl,
    hhl_problem,
    qpe_kernel,
    random_spd_system,
    size_hhl,
)

A2 = np.array([[1.0, -1 / 3], [-1 / 3, 1.0]])
B2 = np.array([1.0, 0.0])


def test_textbook_2x2_is_exact_when_eigenvalues_sit_on_the_grid():
    # λ = 2/3, 4/3 with m = 2, t = 3π/4: λt/2π = 1/4, 1/2 exactly → no leakage.
    out = emulate_hhl(A2, B2, clock_qubits=2, time=3 * np.pi / 4)
    np.testing.assert_allclose(out.solution, [1.125, 0.375], atol=1e-14)
    assert out.norm == pytest.approx(1.1858541225631423, abs=1e-14)
    assert out.fidelity == pytest.approx(1.0, abs=1e-14)
    # P_success = C²‖A⁻¹b̂‖² = (2/3)² · 1.40625
    assert out.success_probability == pytest.approx(0.625, abs=1e-14)
    assert out.leakage == pytest.approx(0.0, abs=1e-14)


def test_automatic_sizing_is_exact_for_the_textbook_case_too():
    out = emulate_hhl(A2, B2)
    assert out.sizing.chosen == {"signed": "auto", "clock_qubits": "auto", "time": "auto",
                                 "constant": "auto"}
    np.testing.assert_allclose(out.solution, [1.125, 0.375], atol=1e-13)


def test_kernel_is_a_probability_distribution_and_peaks_on_grid():
    lam = np.random.default_rng(0).uniform(0.1, 5.0, 7)
    f = qpe_kernel(lam, 5, 1.0)
    np.testing.assert_allclose((np.abs(f) ** 2).sum(axis=1), 1.0, atol=1e-13)
    # Fejér kernel in closed form: |f_k|² = sin²(Nπδ)/(N² sin²(πδ)), δ = λt/2π − k/N
    N = 32
    delta = lam[:, None] / (2 * np.pi) - np.arange(N)[None, :] / N
    fejer = np.sin(N * np.pi * delta) ** 2 / (N**2 * np.sin(np.pi * delta) ** 2)
    np.testing.assert_allclose(np.abs(f) ** 2, fejer, atol=1e-12)


def test_sizing_puts_lambda_min_on_the_grid_without_aliasing():
    for kappa in (2.0, 10.0, 100.0):
        A, _ = random_spd_system(8, kappa, seed=1)
        s = size_hhl(A)
        N = 1 << s.clock_qubits
        k0 = 1 / kappa * s.time / (2 * np.pi) * N  # λ_min = 1/κ
        assert k0 == pytest.approx(round(k0), abs=1e-9) and round(k0) >= 1
        assert 1.0 * s.time / (2 * np.pi) < 1  # λ_max = 1 does not alias
        assert s.constant == pytest.approx(1 / kappa)


def test_leakage_reduces_fidelity_and_more_clock_qubits_restore_it():
    A, b = random_spd_system(4, 10.0, seed=3)
    x = np.linalg.solve(A, b)
    with pytest.warns(AccuracyWarning, match="cannot resolve"):
        emulate_hhl(A, b, clock_qubits=3)
    fids = [emulate_hhl(A, b, clock_qubits=m).fidelity for m in (4, 5, 8, 11)]
    assert fids[0] < 0.9999  # off-grid eigenvalues leak
    assert all(f1 < f2 for f1, f2 in zip(fids, fids[1:]))
    assert fids[-1] > 0.999999
    out = emulate_hhl(A, b, clock_qubits=11)
    # 11 clock qubits, kappa = 10: over 30 random systems the norm's relative error from the
    # off-grid eigenvalues has median 5e-5 and maximum 1.5e-4 (it depends on where the drawn
    # eigenvalues fall on the grid, so on the stream: STREAM_VERSION 2 drew 1.24e-4 here).
    assert out.norm == pytest.approx(np.linalg.norm(x), rel=2e-4)
    assert out.leakage > 0  # still off-grid, just narrower kernels


def test_flag_probability_bounds_success_probability():
    A, b = random_spd_system(8, 20.0, seed=4)
    out = emulate_hhl(A, b, clock_qubits=4, time=2.0)
    assert 0 < out.success_probability <= out.flag_probability <= 1
    assert out.clock_distribution.sum() == pytest.approx(1.0)


def test_dilation_and_padding_do_not_change_the_solution():
    rng = np.random.default_rng(5)
    A = rng.normal(size=(3, 3)) + 3 * np.eye(3)  # not symmetric, size 3
    b = rng.normal(size=3)
    p = hhl_problem(A, b)
    assert p.dilated and p.padded and p.num_qubits == 3
    Hx = np.linalg.solve(p.matrix, p.rhs)
    np.testing.assert_allclose(p.extract(Hx), np.linalg.solve(A, b), atol=1e-12)
    # everything outside the unknowns' block is exactly zero
    np.testing.assert_allclose(np.delete(Hx, np.arange(3, 6)), 0, atol=1e-12)
    out = emulate_hhl(A, b, clock_qubits=12)
    assert out.sizing.signed  # the dilation has ±σ
    assert out.fidelity > 0.999
    # padding with max|λ| keeps κ: the dilation's κ is A's 2-norm condition number
    assert out.sizing.kappa == pytest.approx(np.linalg.cond(A), rel=1e-10)
    S, bs = random_spd_system(5, 7.0, seed=2)
    assert emulate_hhl(S, bs).sizing.kappa == pytest.approx(7.0, rel=1e-10)


def test_complex_hermitian_with_negative_eigenvalues():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    A = X + X.conj().T
    b = rng.normal(size=4) + 1j * rng.normal(size=4)
    lam = np.linalg.eigvalsh(A)
    out = emulate_hhl(A, b, clock_qubits=12)  # κ ≈ 590: needs 11 bits + sign
    assert out.sizing.signed and lam.min() < 0
    assert out.output.dtype == np.complex128
    exact = np.linalg.solve(A, b)
    np.testing.assert_allclose(out.exact, exact, atol=1e-10)
    assert out.fidelity > 0.999999
    np.testing.assert_allclose(out.solution, exact, rtol=0, atol=1e-3 * np.linalg.norm(exact))


def test_lanczos_path_matches_dense(monkeypatch):
    rng = np.random.default_rng(7)
    # Few distinct eigenvalues: the Krylov space of b is invariant after 3 steps.
    d = rng.choice([1.0, 2.0, 4.0], size=64)
    A = scipy.sparse.diags(d).tocsr()
    b = rng.normal(size=64)
    dense = emulate_hhl(A.toarray(), b, clock_qubits=5)
    monkeypatch.setattr(shhl, "DENSE_LIMIT", 8)
    lanczos = emulate_hhl(A, b, sizing=dense.sizing)
    assert lanczos.spectrum.method == "lanczos" and lanczos.spectrum.exact
    np.testing.assert_allclose(lanczos.output, dense.output, atol=1e-12)
    assert lanczos.success_probability == pytest.approx(dense.success_probability, rel=1e-12)


def test_randomized_lanczos_bounds_match_exact():
    rng = np.random.default_rng(12)
    d = np.concatenate([-rng.uniform(0.5, 3.0, 40), rng.uniform(0.2, 4.0, 60)])
    Q = scipy.sparse.random(100, 100, density=0.02, random_state=1)
    A = (scipy.sparse.diags(d) + 1e-3 * (Q + Q.T)).tocsr()
    exact = shhl.eigenvalue_bounds(A)
    approx = shhl.eigenvalue_bounds(A, exact_limit=10, seed=3)
    assert exact[3] == "exact" and approx[3] == "lanczos"
    assert approx[2] and exact[2]
    np.testing.assert_allclose(approx[:2], exact[:2], rtol=1e-6)
    assert shhl.eigenvalue_bounds(A, exact_limit=10, seed=3) == approx  # reproducible


def test_lanczos_too_short_warns(monkeypatch):
    monkeypatch.setattr(shhl, "DENSE_LIMIT", 8)
    A, b = random_spd_system(32, 5.0, seed=8)
    with pytest.warns(AccuracyWarning, match="Lanczos"):
        emulate_hhl(scipy.sparse.csr_matrix(A), b, clock_qubits=4, krylov_dim=5)


def test_shot_noise_samples_are_binomial():
    out = emulate_hhl(A2, B2, clock_qubits=2, time=3 * np.pi / 4)
    shots = 20000
    s = out.sample(shots, seed=11)
    p = out.success_probability
    assert abs(s["successes"] / shots - p) < 5 * math.sqrt(p * (1 - p) / shots)
    assert sum(s["counts"].values()) == s["successes"]
    assert out.sample(shots, seed=11) == s  # reproducible
    # outcome frequencies follow |x_i|²/‖x‖² = (0.9, 0.1)
    assert s["counts"][0] / s["successes"] == pytest.approx(0.9, abs=0.02)


def test_statevector_is_normalised():
    A, b = random_spd_system(4, 5.0, seed=9)
    psi = emulate_hhl(A, b, clock_qubits=3, time=1.3).statevector()
    assert np.vdot(psi, psi).real == pytest.approx(1.0, abs=1e-12)


def test_float32_is_kept():
    A, b = random_spd_system(4, 5.0, seed=2, dtype=np.float32)
    out = emulate_hhl(A, b, clock_qubits=5)
    assert out.output.dtype == np.float32


@pytest.mark.parametrize(
    "A, b, err, match",
    [
        (np.array([[1.0, 1.0], [1.0, 1.0]]), np.ones(2), SingularMatrixError, "singular"),
        (np.diag([1.0, 1e-17]), np.ones(2), SingularMatrixError, "singular"),
        (np.eye(2), np.zeros(2), ValueError, "b is zero"),
        (np.array([[1.0, np.nan], [np.nan, 1.0]]), np.ones(2), NonFiniteError, "NaN"),
        (np.eye(2), np.array([1.0, np.inf]), NonFiniteError, "NaN"),
        (np.eye(3), np.ones(2), ShapeError, "rows"),
    ],
)
def test_bad_input(A, b, err, match):
    with pytest.raises(err, match=match):
        emulate_hhl(A, b)


def test_too_many_clock_qubits_refused_before_allocating():
    with pytest.raises(ValueError, match="GiB"):
        emulate_hhl(A2, B2, clock_qubits=40, time=1.0)
    out = emulate_hhl(A2, B2, clock_qubits=14, time=1.0)  # kernel fine, full state not
    with pytest.raises(ValueError, match="16 qubits: its statevector needs .* GiB"):
        out.statevector(max_qubits=12)


def test_bad_overrides():
    with pytest.raises(ValueError, match="time"):
        size_hhl(A2, time=-1.0)
    with pytest.raises(TypeError, match="integer"):
        size_hhl(A2, clock_qubits=2.5)
    with pytest.warns(AccuracyWarning, match="alias"):
        size_hhl(A2, clock_qubits=3, time=100.0)
    with pytest.warns(AccuracyWarning, match="cannot resolve"):
        size_hhl(np.diag([1.0, 1000.0]), clock_qubits=3)


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        (dict(time=True), TypeError, "time must be a real number"),
        (dict(constant=1j), TypeError, "constant must be a real number"),
        (dict(time="1"), TypeError, "time must be a real number"),
        (dict(constant=0.0), ToleranceError, "constant must be a positive"),
        (dict(extra_bits=-1), ValueError, "extra_bits must be at least 0"),
        (dict(clock_qubits=True), TypeError, "clock_qubits must be an integer"),
        # no 2^m number is formed: refused by size, not by a MemoryError or OverflowError
        (dict(clock_qubits=1024), ToleranceError, "clock_qubits=1024"),
        (dict(clock_qubits=2**64 + 1), ValueError, "clock_qubits must be at most"),
        (dict(extra_bits=10**6), ToleranceError, "extra_bits=1000000"),
    ],
)
def test_size_hhl_refuses_bad_overrides_by_name(kwargs, err, match):
    with pytest.raises(err, match=match):
        size_hhl(A2, **kwargs)


@pytest.mark.parametrize(
    "H, err, match",
    [
        (None, TypeError, "H"),
        (np.ones(4), ShapeError, "H must be a 2-D matrix"),
        (np.ones((2, 3)), ShapeError, "H must be square"),
        (np.zeros((0, 0)), ShapeError, "H is empty"),
        (np.eye(2, dtype=int), TypeError, "H has dtype int"),
        (np.eye(2, dtype=np.float16), TypeError, "H has dtype float16"),
        (np.array([[1.0, np.nan], [np.nan, 1.0]]), NonFiniteError, "H holds NaN"),
        (np.array([[1.0, 1.0], [0.0, 1.0]]), NotHermitianError, "H is not Hermitian"),
        (np.zeros((2, 2)), SingularMatrixError, "H .* numerically singular"),
    ],
)
def test_size_hhl_validates_H(H, err, match):
    with pytest.raises(err, match=match):
        size_hhl(H)


def test_emulate_hhl_refuses_huge_clocks_by_name():
    with pytest.raises(ToleranceError, match="clock_qubits=1024"):
        emulate_hhl(A2, B2, clock_qubits=1024)
    with pytest.raises(ValueError, match="30 clock qubits .*max_clock_qubits=24"):
        emulate_hhl(A2, B2, clock_qubits=30)
    with pytest.raises(TypeError, match="time"):
        emulate_hhl(A2, B2, time=True)


@pytest.mark.gpu
def test_cupy_matches_numpy(cupy):
    A, b = random_spd_system(8, 10.0, seed=1)
    ref = emulate_hhl(A, b, clock_qubits=5)
    out = emulate_hhl(cupy.asarray(A), cupy.asarray(b), clock_qubits=5)
    assert isinstance(out.output, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(out.output), ref.output, atol=1e-12)
    np.testing.assert_allclose(cupy.asnumpy(out.statevector()), ref.statevector(), atol=1e-12)


def test_every_backend_matches_numpy_on_its_device(backend):
    """Hermitian, dilated and padded systems: same emulation as NumPy's, on the input's
    device; random_spd_system gives the same system for the same seed on every backend."""
    A, b = random_spd_system(8, 10.0, seed=1)
    At, bt = random_spd_system(8, 10.0, seed=1, xp=backend.xp, device=backend.device)
    assert backend.owns(At) and backend.owns(bt)
    np.testing.assert_allclose(backend.to_numpy(At), A, atol=1e-14)
    np.testing.assert_array_equal(backend.to_numpy(bt), b)  # normals: the same keyed stream
    N = np.random.default_rng(2).standard_normal((6, 6))  # not Hermitian, not a power of two
    for M, v in ((A, b), (A[:6, :6], b[:6]), (N, b[:6])):
        ref = emulate_hhl(M, v, clock_qubits=5)
        auto = size_hhl(hhl_problem(backend.asarray(M), backend.asarray(v)).matrix,
                        clock_qubits=5)
        assert auto.time == pytest.approx(ref.sizing.time, rel=1e-12)
        assert auto.constant == pytest.approx(ref.sizing.constant, rel=1e-12)
        # The automatic time puts max|λ| at the clock's edge, where rounding-level changes of
        # t move the state by ~1e-8: compare the emulations at one sizing.
        out = emulate_hhl(backend.asarray(M), backend.asarray(v), sizing=ref.sizing)
        assert out.problem.dilated == ref.problem.dilated
        assert out.problem.padded == ref.problem.padded
        for got, want in ((out.output, ref.output), (out.solution, ref.solution),
                          (out.clock_distribution, ref.clock_distribution),
                          (out.statevector(), ref.statevector())):
            assert backend.owns(got)
            np.testing.assert_allclose(backend.to_numpy(got), want, atol=1e-12)
        assert out.success_probability == pytest.approx(ref.success_probability, rel=1e-10)
        assert out.fidelity == pytest.approx(ref.fidelity, rel=1e-10)


def test_sparse_tensors_are_densified_where_the_emulator_is_dense(monkeypatch):
    torch = pytest.importorskip("torch")
    from sketch.errors import UnsupportedBackendError

    A, b = random_spd_system(8, 10.0, seed=1)
    A[np.abs(A) < 0.05] = 0
    ref = emulate_hhl(scipy.sparse.csr_matrix(A), b, clock_qubits=5)
    out = emulate_hhl(torch.as_tensor(A).to_sparse(), torch.as_tensor(b), clock_qubits=5)
    assert isinstance(out.output, torch.Tensor)
    np.testing.assert_allclose(out.output.numpy(), ref.output, atol=1e-12)
    # Above the dense limit the Lanczos path needs a SciPy-style sparse matrix: said by name.
    monkeypatch.setattr(sketch.hhl_system, "DENSE_LIMIT", 4)
    with pytest.raises(UnsupportedBackendError, match="A is a torch array.*scipy.sparse"):
        hhl_problem(torch.as_tensor(A).to_sparse(), torch.as_tensor(b))
