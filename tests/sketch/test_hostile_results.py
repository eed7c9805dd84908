"""Property-based bad-input suite over the methods of sketch's result objects: merging and
re-seeding sketches, applying a row sample, sampling an HHL emulation, scoring a weighted fit
(see :mod:`tests.sketch.hostile` for the property).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st

import sketch
from tests.sketch import hostile as h

pytestmark = pytest.mark.hostile

M, D, A, b = h.M, h.D, h.A, h.b
SA = sketch.priority_sample(A[:6], 4, seed=1)
SA2 = sketch.priority_sample(A[6:], 4, seed=1, keys=np.arange(6, 12))
LA = sketch.jl_sketch(A, 4, seed=1)
SAMPLE = sketch.leverage_sample(A, seed=0)  # the size its guarantee asks for: no warning
HHL = sketch.emulate_hhl(np.diag([1.0, 2.0, 3.0, 4.0]) + 0.1, np.ones(4))
PHI = np.polynomial.legendre.legvander(np.linspace(-1, 1, M), 2)
F = np.exp(np.linspace(-1, 1, M))
FIT = sketch.weighted_lstsq(PHI, F, 6, method="volume", seed=0)


def others(good) -> st.SearchStrategy:
    """What a sketch may be merged with: the right partner, a mismatched one, or junk."""
    bad = [SA, LA, sketch.priority_sample(A[6:], 4, seed=2, keys=np.arange(6, 12)),
           sketch.threshold_sample(A[6:], 4, seed=1, keys=np.arange(6, 12)),
           sketch.jl_sketch(A, 5, seed=1), sketch.jl_sketch(A[:, :2], 4, seed=1),
           None, A, "SA", 3]
    return st.one_of(st.just((good, False)), st.sampled_from(bad).map(lambda v: (v, None)))


def _entries() -> list[h.Entry]:
    sk = ("sketch", "sketches", "other")
    return [
        h.Entry("SampledSketch.merge", lambda other: SA.merge(other), dict(other=SA2),
                dict(other=others(SA2)), dict(other=sk)),
        h.Entry("LinearSketch.merge", lambda other: LA.merge(other), dict(other=LA),
                dict(other=others(LA)), dict(other=sk)),
        h.Entry("SampledSketch.attach_seed", lambda seed: SA.attach_seed(seed), dict(seed=1),
                dict(seed=h.seeds())),
        h.Entry("Sample.apply", lambda A, p: SAMPLE.apply(A, p), dict(A=A, p=2.0),
                dict(A=h.matrices(M, D, vector_ok=True), p=h.tolerances()), dict(A=("rows",))),
        h.Entry("HHLEmulation.sample", lambda shots, seed: HHL.sample(shots, seed),
                dict(shots=100, seed=0), dict(shots=h.sizes(), seed=h.seeds())),
        h.Entry("HHLEmulation.statevector", lambda max_qubits: HHL.statevector(max_qubits),
                dict(max_qubits=None),
                dict(max_qubits=st.one_of(h.sizes(), st.just((None, False))))),
        h.Entry("WeightedLstsqResult.error_ratio",
                lambda features, values, measure: FIT.error_ratio(features, values, measure),
                dict(features=PHI, values=F, measure=None),
                dict(features=h.matrices(M, 3), values=h.vectors(M),
                     measure=h.vectors(M, optional=True)),
                dict(features=("matrix",), values=("matrix",))),
    ]


@pytest.mark.parametrize("entry", _entries(), ids=lambda e: e.name)
def test_valid_call_answers(entry):
    h.check_valid_call(entry)


@pytest.mark.parametrize("entry, arg", h.cases(_entries(), {}))
def test_bad_argument_to_a_result_method_is_refused_clearly(entry, arg):
    h.run_property(entry, arg)
