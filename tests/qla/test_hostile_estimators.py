"""Property-based bad-input suite over the scikit-learn estimators' ``fit``/``predict``/
``score`` (:mod:`qla.estimators`): X and y of every shape, dtype, sparse format and
non-finite value, and every hyper-parameter (see :mod:`tests.sketch.hostile` for the
property) — plus the silent-wrong-answer property: on small well-posed problems ``coef_``
and ``intercept_`` match ``numpy.linalg.lstsq`` (least squares, ridgeless) and
scikit-learn's ``Ridge`` within the solvers' tolerance.

scikit-learn's own validation refuses bad X/y with its messages ("Expected 2D array",
"inconsistent numbers of samples", "Complex data not supported"); those count as naming X/y.
It also converts int, bool, float16 and object arrays and the other sparse formats, so
such values may be answered.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from tests.sketch import hostile as h

pytest.importorskip("sklearn")
from sklearn.linear_model import Ridge  # noqa: E402

from qla.estimators import (  # noqa: E402
    SketchedLinearRegression,
    SketchedRidge,
    SketchedRidgelessRegression,
)

pytestmark = pytest.mark.hostile

M, D, A, b = h.M, h.D, h.A, h.b + 1.0
#: scikit-learn's messages for bad X or y (see the module doc)
_SKLEARN = ("array", "samples", "Complex", "Sparse", "features", "NaN", "infinity", "Input",
            "float", "dtype")


def _sklearn_judged(strategy: st.SearchStrategy, ndim: int) -> st.SearchStrategy:
    """The harness's arrays, judged as scikit-learn does: NaN/inf, empty, complex and the
    wrong number of dimensions are refused; other dtypes are converted (either way is fine)."""
    def judge(vb):
        v, bad = vb
        if isinstance(v, np.ndarray) and v.dtype.kind in "fc":
            wrong = v.ndim != ndim or v.size == 0 or v.dtype.kind == "c" \
                or not np.isfinite(v).all()
            return v, True if wrong else (False if v.dtype.kind == "f" and v.dtype.itemsize
                                          in (4, 8) and bad is False else None)
        if sp.issparse(v):
            data = np.asarray(v.data)
            wrong = v.shape[0] == 0 or data.dtype.kind == "c" or (
                data.dtype.kind == "f" and not np.isfinite(data).all())
            return v, True if wrong else None
        return v, True if v is None or isinstance(v, (str, float)) else None
    return strategy.map(judge)


def _fit(cls, **params):
    def call(X=A, y=b):
        model = cls(**params).fit(X, y)
        P = model.predict(X)
        assert np.all(np.isfinite(P))
        return model.coef_, model.intercept_, model.score(X, y)
    return call


def _data_entry(name, cls, **params):
    X = st.one_of(_sklearn_judged(h.matrices(M, D), 2),
                  _sklearn_judged(h.matrices(M, D, sparse_only=True), 2))
    y = _sklearn_judged(h.vectors(M), 1)
    alias = dict(X=("X",) + _SKLEARN, y=("y",) + _SKLEARN)
    return h.Entry(name, _fit(cls, **params), dict(X=A, y=b), dict(X=X, y=y), alias)


def _params_entry(name, cls, strategies, valid):
    def call(**params):
        return _fit(cls, **params)()
    return h.Entry(name + ".params", call, valid, strategies)


_BOOL = st.sampled_from([(True, False), (False, False), ("yes", True), (None, True),
                         (2, True), (np.bool_(True), False)])
_METHODS = h.choices(["fossils", "sketch-and-precondition", "sketch-and-solve", "direct"],
                     optional=True)
_SKETCHES = h.choices(["gaussian", "countsketch", "sparse-sign", "srht"], optional=True)
_LSQ_PARAMS = dict(fit_intercept=_BOOL, method=_METHODS, sketch=_SKETCHES,
                   sketch_size=st.one_of(h.sizes(), st.just((None, False))),
                   tol=h.tolerances(optional=True), maxiter=st.one_of(h.sizes(),
                                                                      st.just((None, False))),
                   time_limit=h.tolerances(optional=True).map(  # inf: no limit, as None
                       lambda vb: (vb[0], False if isinstance(vb[0], float) and vb[0] == math.inf
                                   else vb[1])),
                   progress=st.sampled_from([(None, False), (False, False), ("yes", True),
                                             (3, True)]),
                   random_state=h.seeds())
_LSQ_VALID = dict(fit_intercept=True, method="sketch-and-precondition", sketch=None,
                  sketch_size=None, tol=None, maxiter=None, time_limit=None, progress=None,
                  random_state=0)
_RIDGELESS_SIZES = st.one_of(
    h.sizes(), st.sampled_from([("auto", False), ("theory", False), (0.5, False), (1.0, False),
                                (0.0, True), (1.5, True), (math.nan, True), ("bogus", True),
                                (None, True)]))


def _entries() -> list[h.Entry]:
    ridge = dict(_LSQ_PARAMS, alpha=h.tolerances(zero_ok=True))
    return [
        _data_entry("SketchedLinearRegression", SketchedLinearRegression),
        _data_entry("SketchedRidge", SketchedRidge, alpha=0.5),
        _data_entry("SketchedRidgelessRegression", SketchedRidgelessRegression,
                    sketch_size=1.0),
        _params_entry("SketchedLinearRegression", SketchedLinearRegression, _LSQ_PARAMS,
                      _LSQ_VALID),
        _params_entry("SketchedRidge", SketchedRidge, ridge, dict(_LSQ_VALID, alpha=0.5)),
        _params_entry("SketchedRidgelessRegression", SketchedRidgelessRegression,
                      dict(sketch_size=_RIDGELESS_SIZES, fit_intercept=_BOOL,
                           sketch=h.choices(["subsample", "orthogonal", "gaussian",
                                             "sparse-sign"]),
                           holdout=h.tolerances(upper=1), random_state=h.seeds()),
                      dict(sketch_size="auto", fit_intercept=True, sketch="subsample",
                           holdout=0.2, random_state=0)),
    ]


test_valid_call_answers, test_bad_argument_is_refused_clearly = h.suite(_entries(), share=0.4)


# --------------------------------------------------------------------------
# silent wrong answers: small well-posed problems against LAPACK and scikit-learn
# --------------------------------------------------------------------------
@st.composite
def _problems(draw):
    n = draw(st.integers(1, 5))
    m = draw(st.integers(n + 2, 80))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scale = 2.0 ** draw(st.sampled_from([0, 0, -30, 30, 1000]))  # 2^1000: entries ~1e301
    X = rng.standard_normal((m, n)) * scale
    y = X @ rng.standard_normal(n) + draw(st.floats(-5, 5)) + 0.1 * rng.standard_normal(m)
    return X, y, draw(st.booleans()), draw(st.booleans())


def _reference(X, y, intercept, alpha):
    """The answer by LAPACK (alpha = 0) or scikit-learn's Ridge, on centred data (Ridge on X
    and y divided by one power of two s, with alpha/s²: the same coef, the intercept / s —
    its Gram matrix of entries ~1e300 would overflow)."""
    if alpha:
        e = math.frexp(float(np.abs(X).max()))[1]
        r = Ridge(alpha=math.ldexp(alpha, -2 * e), fit_intercept=intercept,
                  solver="svd").fit(np.ldexp(X, -e), np.ldexp(y, -e))
        return r.coef_, math.ldexp(float(r.intercept_), e)
    if intercept:
        xm, ym = X.mean(axis=0), y.mean()
        w = np.linalg.lstsq(X - xm, y - ym, rcond=None)[0]
        return w, ym - xm @ w
    return np.linalg.lstsq(X, y, rcond=None)[0], 0.0


@given(_problems(), st.sampled_from([None, "direct", "sketch-and-precondition"]))
def test_coefficients_match_lapack_and_sklearn(problem, method):
    X, y, intercept, sparse = problem
    if not np.all(np.isfinite(X.mean(axis=0))):  # the reference itself overflows
        X, y = X / 2.0**1000, y
    for model, alpha in [(SketchedLinearRegression(fit_intercept=intercept, method=method,
                                                   random_state=0), 0.0),
                         (SketchedRidge(alpha=0.5, fit_intercept=intercept, method=method,
                                        random_state=0), 0.5)]:
        model.fit(sp.csr_matrix(X) if sparse else X, y)
        w, c = _reference(X, y, intercept, alpha)
        # a backward-stable solver on a Gaussian X (condition ~ a few): forward error ~ 1e-14
        tol = 1e-8 * (np.linalg.norm(w) + np.linalg.norm(y) / np.linalg.norm(X, 2))
        assert np.linalg.norm(model.coef_ - w) <= tol, (model, w, model.coef_)
        assert abs(model.intercept_ - c) <= 1e-8 * (abs(c) + np.abs(y).max()), (model, c)


@given(_problems())
def test_ridgeless_on_every_row_is_least_squares(problem):
    X, y, intercept, _ = problem
    if not np.all(np.isfinite(X.mean(axis=0))):
        X = X / 2.0**1000
    model = SketchedRidgelessRegression(sketch_size=1.0, fit_intercept=intercept,
                                        random_state=0).fit(X, y)
    w, c = _reference(X, y, intercept, 0.0)
    tol = 1e-8 * (np.linalg.norm(w) + np.linalg.norm(y) / np.linalg.norm(X, 2))
    assert np.linalg.norm(model.coef_ - w) <= tol


# Defects the properties found (this campaign); each failed on main before its fix.
@pytest.mark.parametrize("cls", [SketchedLinearRegression, SketchedRidge,
                                 SketchedRidgelessRegression])
def test_entries_of_1e308_are_fitted(cls):
    """The centring's column sum of 1e308 + 1e308 overflowed: "A holds NaN or infinity"
    (X) / "b holds NaN" (y), though the fit (coef 0, intercept mean y) is representable."""
    y40 = np.r_[b, b, b, b[:4]]
    model = cls().fit(np.full((40, 3), 1e308), y40)
    assert np.all(model.coef_ == 0) and model.intercept_ == pytest.approx(y40.mean())
    model = cls().fit(np.r_[A, A, A, A[:4]], np.full(40, 1e308))
    assert model.intercept_ == pytest.approx(1e308) and np.allclose(model.coef_, 0)


@pytest.mark.parametrize("params, err, match", [
    (dict(alpha="1"), TypeError, "alpha must be a real number"),  # float("1") accepted
    (dict(alpha=True), TypeError, "alpha must be a real number"),
    (dict(alpha=None), TypeError, "alpha must be"),  # float(None) naming nothing
    (dict(alpha=np.array([1.0, 2.0])), TypeError, "alpha must be"),
    (dict(fit_intercept="no"), TypeError, "fit_intercept must be True or False"),  # truthy
])
def test_bad_hyper_parameters_are_refused_by_name(params, err, match):
    with pytest.raises(err, match=match):
        SketchedRidge(**params).fit(A, b)


def test_predictions_that_overflow_are_refused():
    model = SketchedLinearRegression().fit(A, b)
    with pytest.raises(ValueError, match="predictions for X overflow"):
        model.predict(np.full((2, D), 1e308))  # returned [-inf, -inf]
