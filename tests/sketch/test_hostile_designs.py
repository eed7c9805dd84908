"""Property-based bad-input suite over the issue-17 modules: sketched ridgeless regression,
DPP / volume sampling and row streams (see :mod:`tests.sketch.hostile` for the property).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import strategies as st

import sketch
from tests.sketch import hostile as h

pytestmark = pytest.mark.hostile

N, P = 12, 4
_rng = np.random.default_rng(7)
X = _rng.standard_normal((N, P))
y = X @ np.ones(P) + 0.1 * _rng.standard_normal(N)
PHI = np.polynomial.legendre.legvander(np.linspace(-1, 1, N), 2)  # N × 3
F = np.exp(np.linspace(-1, 1, N))
SKETCHES = ["orthogonal", "subsample", "gaussian", "countsketch", "srht"]


def streams() -> st.SearchStrategy:
    """Row streams: h.matrices, sparse blocks, iterables of blocks, and what is none of these."""
    good = [lambda: sp.csr_matrix(X), lambda: [X[:5], X[5:]],
            lambda: (X[i:i + 3] for i in range(0, N, 3))]
    bad = [lambda: "rows", lambda: 3, lambda: None, lambda: [X[:5], X[5:, :2]],
           lambda: [X[:5], "B"], lambda: [], lambda: [X[:0]], lambda: [np.full((2, P), np.nan)],
           lambda: [X.astype(np.int64)], lambda: iter([X, X[:, :1]]),
           lambda: [np.zeros((2, 2, 2))]]
    # made afresh for each case: a generator is used up by the call it is given to
    return st.one_of(h.matrices(N, P), st.sampled_from(good).map(lambda f: (f(), None)),
                     st.sampled_from(bad).map(lambda f: (f(), True)))


def measures() -> st.SearchStrategy:
    neg = st.just((np.r_[-1.0, np.ones(N - 1)], True))
    zero = st.just((np.zeros(N), True))
    return st.one_of(h.vectors(N, optional=True), neg, zero)


def _entries() -> list[h.Entry]:
    mat, vec = h.matrices(N, P), h.vectors(N)
    opt_size = st.one_of(h.sizes(), st.just((None, False)))
    nonneg = h.tolerances(zero_ok=True)
    feat = h.matrices(N, 3)
    st_alias = dict(rows=("stream", "block", "n_rows"))
    return [
        h.Entry("sketched_ridgeless", sketch.sketched_ridgeless,
              dict(X=X, y=y, sketch_size=6, sketch="orthogonal", seed=0),
              dict(X=mat, y=vec, sketch_size=opt_size, sketch=h.choices(SKETCHES), seed=h.seeds()),
              dict(X=("matrix",))),
        h.Entry("ridgeless_risk", sketch.ridgeless_risk,
              dict(n_samples=100, n_features=50, sketch_size=None, signal=1.0, noise=1.0,
                   sketch="orthogonal"),
              dict(n_samples=h.sizes(), n_features=h.sizes(), sketch_size=opt_size, signal=nonneg,
                   noise=nonneg, sketch=h.choices(SKETCHES[:3]))),
        h.Entry("estimate_signal_noise", sketch.estimate_signal_noise, dict(X=X, y=y),
              dict(X=mat, y=vec), dict(X=("matrix",))),
        h.Entry("optimal_sketch_size(theory)", sketch.optimal_sketch_size,
              dict(n_samples=100, n_features=90, signal=4.0, noise=1.0, sketch="orthogonal"),
              dict(n_samples=h.sizes(), n_features=h.sizes(), signal=nonneg, noise=nonneg,
                   sketch=h.choices(SKETCHES[:3])), infinite_ok=True),  # the curve's pole at m = p
        h.Entry("optimal_sketch_size(validation)", sketch.optimal_sketch_size,
              dict(X=X, y=y, method="validation", holdout=0.25, repeats=1, seed=0,
                   sketch="subsample", grid=None),
              dict(X=mat, y=vec, holdout=h.tolerances(upper=1), repeats=h.sizes(), seed=h.seeds(),
                   sketch=h.choices(SKETCHES),
                   grid=st.sampled_from([([2, 5], False), ([0, 3], True), ([], True),
                                         ("ab", True), ([[2]], True), ([2**70], True),
                                         ([2.5], None), (None, False)])),
              dict(X=("matrix",))),
        h.Entry("orthonormal_features", sketch.orthonormal_features, dict(features=PHI,
                                                                       measure=None),
              dict(features=feat, measure=measures())),
        h.Entry("optimal_density", sketch.optimal_density, dict(features=PHI, measure=None),
              dict(features=feat, measure=measures())),
        h.Entry("projection_dpp", sketch.projection_dpp, dict(features=PHI, seed=0, measure=None),
              dict(features=feat, seed=h.seeds(), measure=measures())),
        h.Entry("volume_sample", sketch.volume_sample, dict(features=PHI, n=5, seed=0),
              dict(features=feat, n=h.sizes(), seed=h.seeds())),
        h.Entry("volume_rescaled_sample", sketch.volume_rescaled_sample,
              dict(features=PHI, n=5, seed=0, measure=None),
              dict(features=feat, n=h.sizes(), measure=measures())),
        h.Entry("weighted_lstsq_sample", sketch.weighted_lstsq_sample,
              dict(features=PHI, n=6, method="dpp-repeated", seed=0, measure=None),
              dict(features=feat, n=h.sizes(), measure=measures(),
                   method=h.choices(["iid-optimal", "volume", "dpp", "dpp-repeated"]))),
        h.Entry("weighted_lstsq", sketch.weighted_lstsq,
              dict(features=PHI, values=F, sample=6, method="volume", seed=0, measure=None),
              dict(features=feat, values=h.vectors(N), sample=h.sizes(), measure=measures()),
              dict(sample=("n",), features=("matrix",))),  # an int sample is the n to draw
        h.Entry("streaming_top_eigenvector", sketch.streaming_top_eigenvector,
              dict(rows=X, method="kacham-woodruff", n_rows=None, block_rows=4, segments=None,
                   max_heavy=None, learning_rate=None, seed=0),
              dict(rows=streams(), method=h.choices(["kacham-woodruff", "oja"]),
                   n_rows=opt_size, block_rows=h.sizes(), segments=opt_size,
                   max_heavy=st.one_of(h.sizes(0), st.just((None, False))),
                   learning_rate=h.tolerances(optional=True), seed=h.seeds()), st_alias),
        h.Entry("stream_sketch", sketch.stream_sketch,
              dict(rows=X, size=4, sketch="gaussian", seed=0, block_rows=5),
              dict(rows=streams(), size=h.sizes(), sketch=h.choices(["gaussian", "countsketch"]),
                   block_rows=h.sizes()), st_alias),
        h.Entry("stream_coordinated_sketch", sketch.stream_coordinated_sketch,
              dict(rows=X, method="priority", size=4, seed=0, keys=None, block_rows=5),
              dict(rows=streams(), size=h.sizes(), block_rows=h.sizes(),
                   method=h.choices(["priority", "threshold", "jl", "countsketch"]),
                   keys=st.sampled_from([([np.arange(5), np.arange(5, 10), np.arange(10, 12)],
                                          None),
                                         ([np.arange(5)], True), ("keys", True), (3, True),
                                         ([np.full(5, np.nan)] * 3, True),
                                         ([np.arange(4)] * 3, True)])), st_alias),
    ]


test_valid_call_answers, test_bad_argument_is_refused_clearly = h.suite(_entries())


# Cases the long profile (QLA_HYPOTHESIS=long) found, shrunk: (entry, argument, value, must_refuse).
FOUND = [
    # X = 2e-313 everywhere (finite, rank 1): the minimum-norm fit overflows; coef was -inf
    ("sketched_ridgeless", "X", np.full((N, P), 2.2250738585e-313), False),
]


@pytest.mark.parametrize("name, arg, value, must_refuse", FOUND,
                         ids=[f"{n}-{a}-{i}" for i, (n, a, _, _) in enumerate(FOUND)])
def test_found_cases_hold_the_property(name, arg, value, must_refuse):
    entry = next(e for e in _entries() if e.name == name)
    h.check_case(entry, arg, value, must_refuse)
