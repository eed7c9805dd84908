"""Haar-likeness statistics against their exact values, with confidence intervals.

Tolerances are 4 standard errors (two-sided miss probability ~6e-5 per check at
fixed seeds, so these cannot flake by chance), and every "tells apart" check
asks for a gap of more than 5 standard errors.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from qiskit import QuantumCircuit

from circuits.random_circuits import clifford_unitaries, haar_circuit, stabilizer_states
from circuits.statistics import (
    CUE_SPACING_RATIO,
    POISSON_SPACING_RATIO,
    Estimate,
    aer_collision_probability,
    collision_probability,
    frame_potential,
    haar_output_moment,
    haar_trace_moment,
    output_moments,
    porter_thomas_distance,
    sampled_collision_probability,
    spacing_ratio,
    trace_moments,
)
from sketch.errors import AccuracyWarning, ShapeError
from sketch.haar import haar_state, haar_unitary


def test_haar_trace_moment_exact_values():
    # k! for k <= d (Diaconis-Shahshahani 1994); for d = 1, |Tr U| = 1; for d = 2 the
    # Catalan numbers (permutations avoiding 123: Rains 1998).
    assert [haar_trace_moment(k, 6) for k in range(7)] == [math.factorial(k) for k in range(7)]
    assert [haar_trace_moment(k, 1) for k in range(1, 5)] == [1, 1, 1, 1]
    assert [haar_trace_moment(k, 2) for k in range(1, 6)] == [1, 2, 5, 14, 42]
    assert haar_trace_moment(4, 3) == 23  # all of S_4 but 1234 (increasing run of length 4 > d)
    assert haar_output_moment(1, 5) == 1.0 and haar_output_moment(2, 5) == 2 / 6


def test_trace_moments_of_haar_match_k_factorial_within_ci():
    U = haar_unitary(4, batch=20000, seed=10)
    est = trace_moments(U, 4)  # k <= d = 4: 1, 2, 6, 24
    assert np.array_equal(est.reference, [1, 2, 6, 24])
    assert np.all(np.abs(est.z) < 4), est
    lo, hi = est.interval(0.9999)
    assert np.all((lo < est.reference) & (est.reference < hi))
    # Beyond d the moments fall below k!: d = 2, k = 3 gives 5, not 6.
    est2 = trace_moments(haar_unitary(2, batch=20000, seed=11), 3)
    assert abs(est2.z[2]) < 4 and est2.mean[2] < 6 - 5 * est2.stderr[2]


def test_frame_potential_of_haar_matches_within_ci():
    U = haar_unitary(4, batch=800, seed=3)
    for t in (1, 2, 3):
        est = frame_potential(U, t)
        assert abs(est.z) < 4, (t, est)


def test_stabiliser_states_are_a_3_design_not_a_4_design_exactly():
    # Exact averages over all stabiliser states = averages of C|0> over Cliffords.
    for n in (2, 3):
        p = np.abs(stabilizer_states(n)) ** 2
        d = 2**n
        for k in (1, 2, 3):
            assert np.isclose((p**k).sum(1).mean(), haar_output_moment(k, d), rtol=1e-12)
        fourth = (p**4).sum(1).mean()
        assert fourth > haar_output_moment(4, d) * 1.05  # 1/8 vs 4/35 at n = 2


def test_random_clifford_matches_haar_up_to_order_3_but_not_4():
    # Sampled Cliffords on 2 qubits: the frame potential F_t is the Haar value t! for t <= 3
    # (the Clifford group is a unitary 3-design) and clearly above 4! = 24 for t = 4
    # (Zhu 2017; Webb 2016). At this fixed seed F_4 exceeds 24 by > 5 standard errors.
    C = clifford_unitaries(2, 1500, seed=7)
    for t in (1, 2, 3):
        est = frame_potential(C, t)
        assert abs(est.z) < 4, (t, est)
    f4 = frame_potential(C, 4)
    assert f4.reference == 24
    assert f4.z > 5, f4
    # Haar unitaries of the same size and sample count pass the same t = 4 check.
    assert abs(frame_potential(haar_unitary(4, batch=1500, seed=7), 4).z) < 4


def test_output_moments_of_haar_states():
    est = output_moments(haar_state(8, batch=5000, seed=5), 4)
    assert np.all(np.abs(est.z) < 4), est
    assert est.mean[0] == pytest.approx(1)


def test_spacing_ratio_cue_and_poisson():
    cue = spacing_ratio(haar_unitary(64, batch=60, seed=2))
    assert abs(cue.mean - CUE_SPACING_RATIO) < max(4 * cue.stderr, 0.005)
    assert cue.dropped == 0
    rng = np.random.default_rng(0)
    phases = np.exp(1j * rng.uniform(0, 2 * np.pi, size=(200, 64)))
    poisson = spacing_ratio(np.stack([np.diag(p) for p in phases]))
    assert abs(poisson.mean - POISSON_SPACING_RATIO) < 4 * poisson.stderr
    assert cue.mean - poisson.mean > 20 * (cue.stderr + poisson.stderr)


def test_spacing_ratio_handles_degenerate_spectra():
    # Identity: one distinct eigenphase, no ratio is defined -> NaN, warned, all dropped.
    with pytest.warns(AccuracyWarning, match="distinct"):
        est = spacing_ratio(np.broadcast_to(np.eye(4, dtype=complex), (5, 4, 4)))
    assert math.isnan(est.mean) and est.dropped == 5 * 4
    # Cliffords: degenerate eigenphases give zero spacings (r = 0), never NaN.
    C = clifford_unitaries(3, 200, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = spacing_ratio(C)
    assert np.isfinite(est.mean) and np.isfinite(est.stderr) and 0 <= est.mean <= 1
    assert est.dropped > 0
    # A reflection diag(1, 1, -1, -1): two distinct levels, dropped like the identity.
    R = np.diag([1, 1, -1, -1]).astype(complex)
    est = spacing_ratio(np.stack([R, R, haar_unitary(4, seed=0), haar_unitary(4, seed=1)]))
    assert est.samples == 4 and np.isfinite(est.mean)


def test_collision_probability_exact_and_porter_thomas():
    p = np.abs(haar_state(16, batch=4000, seed=1)) ** 2
    est = collision_probability(p)
    assert est.reference == 2 / 17 and abs(est.z) < 4
    ks = porter_thomas_distance(np.abs(haar_state(64, batch=100, seed=2)) ** 2)
    assert ks.mean < 0.03 and ks.reference > 1e-4  # KS statistic, p-value
    # Stabiliser-state outputs are flat on their support: far from Porter-Thomas.
    stab = porter_thomas_distance(np.abs(stabilizer_states(3)) ** 2)
    assert stab.mean > 0.3 and stab.reference < 1e-10


def test_aer_samples_of_haar_states_follow_porter_thomas():
    # Collision probability of Aer samples from exact Haar circuits: 2/(d+1) = 2/9, not the
    # uniform 1/8; unbiased per circuit, so the mean over 30 circuits has a valid CI.
    qcs = [haar_circuit(3, seed=s) for s in range(30)]
    est = aer_collision_probability(qcs, shots=3000, seed=4)
    assert est.samples == 30 and est.reference == 2 / 9
    assert abs(est.z) < 4, est
    assert est.mean - 1 / 8 > 5 * est.stderr
    # Reference circuits: uniform superposition (collision 1/d) and a basis state (1).
    h = QuantumCircuit(3)
    h.h(range(3))
    flat = aer_collision_probability([h, h], shots=4000, seed=1)
    assert abs(flat.mean - 1 / 8) < 0.01
    basis = aer_collision_probability([QuantumCircuit(3)] * 2, shots=100, seed=1)
    assert basis.mean == 1.0


def test_sampled_collision_probability_is_unbiased():
    # Multinomial counts from known distributions: the mean estimate hits Σp² within CI.
    rng = np.random.default_rng(3)
    p = np.abs(haar_state(8, seed=9)) ** 2
    counts = rng.multinomial(50, p, size=4000)
    est = sampled_collision_probability(counts, 8)
    assert abs(est.mean - (p**2).sum()) < 4 * est.stderr
    assert sampled_collision_probability({"0": 3, "1": 1}, 2).mean == pytest.approx(0.5)


def test_estimate_z_and_interval():
    e = Estimate(1.0, 0.5, 0.0, 10)
    assert e.z == 2.0
    lo, hi = e.interval(0.95)
    assert lo == pytest.approx(1 - 1.959964 * 0.5) and hi == pytest.approx(1 + 1.959964 * 0.5)


def test_bad_input():
    U = haar_unitary(4, batch=5, seed=0)
    with pytest.raises(ShapeError):
        trace_moments(U[0], 2)
    with pytest.raises(ShapeError):
        frame_potential(np.zeros((3, 4, 5)), 2)
    with pytest.raises(ValueError, match="2 samples"):
        trace_moments(U[:1], 2)
    with pytest.raises(ValueError, match="3 samples"):
        frame_potential(U[:2], 2)
    for bad, err in [(0, ValueError), (-2, ValueError), (1.5, TypeError), ("2", TypeError)]:
        with pytest.raises(err):
            trace_moments(U, bad)
        with pytest.raises(err):
            frame_potential(U, bad)
        with pytest.raises(err):
            output_moments(U[:, :, 0], bad)
    with pytest.raises(ValueError):
        haar_trace_moment(-1, 3)
    with pytest.raises(ValueError):
        haar_trace_moment(2, 0)
    with pytest.raises(TypeError):
        haar_output_moment(2.5, 4)
    with pytest.raises(ShapeError, match="at least 3"):
        spacing_ratio(haar_unitary(2, batch=3, seed=0))
    with pytest.raises(ShapeError):
        collision_probability(np.ones(4) / 4)
    with pytest.raises(ValueError, match="empty"):
        collision_probability(np.zeros((0, 4)))
    with pytest.raises(ShapeError):
        output_moments(np.ones(4), 2)
    with pytest.raises(ShapeError):
        porter_thomas_distance(np.ones(4))
    with pytest.warns(AccuracyWarning, match="little power"):
        porter_thomas_distance(np.full((1, 4), 0.25))
    with pytest.raises(ValueError, match="2 shots"):
        sampled_collision_probability([{"0": 1}], 2)
    with pytest.raises(ValueError, match="empty"):
        sampled_collision_probability([], 2)
    with pytest.raises(ValueError, match="at most d"):
        sampled_collision_probability([[1, 2, 3]], 2)
    with pytest.raises(ValueError):
        sampled_collision_probability([[1, 2]], 0)
    with pytest.raises(ValueError, match="circuits is empty"):
        aer_collision_probability([])
    with pytest.raises(ShapeError, match="same number of qubits"):
        aer_collision_probability([QuantumCircuit(1), QuantumCircuit(2)])
    with pytest.raises(ValueError):
        aer_collision_probability([QuantumCircuit(1)], shots=1)
    with pytest.raises(TypeError):
        aer_collision_probability([QuantumCircuit(1)], shots=2.0)


def test_frame_potential_blocks_agree_with_one_block(monkeypatch):
    import circuits.statistics as st

    U = haar_unitary(4, batch=50, seed=2)
    whole = frame_potential(U, 2)
    monkeypatch.setattr(st, "_FRAME_BLOCK_ENTRIES", 7 * 50)  # blocks of 7 rows
    blocked = frame_potential(U, 2)
    assert blocked.mean == pytest.approx(whole.mean, rel=1e-12)
    assert blocked.stderr == pytest.approx(whole.stderr, rel=1e-12)
    # Direct double sum over ordered pairs i != j.
    G = np.abs(np.einsum("aij,bij->ab", U.conj(), U)) ** 4
    np.fill_diagonal(G, 0)
    assert whole.mean == pytest.approx(G.sum() / (50 * 49), rel=1e-12)
