"""scikit-learn estimators: the estimator checks, agreement with sklearn's exact models
on dense and sparse X with the sketched path actually taken, and the library's default
method (LAPACK where no sketch pays)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

pytest.importorskip("sklearn")

from sklearn.linear_model import LinearRegression, Ridge  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

import qla  # noqa: E402
from qla.estimators import SketchedLinearRegression, SketchedRidge  # noqa: E402


@pytest.mark.parametrize("est", [SketchedLinearRegression(random_state=0),
                                 SketchedRidge(alpha=0.5, random_state=0),
                                 SketchedRidge(method="sketch-and-solve", random_state=0)])
def test_check_estimator(est):
    results = check_estimator(est, on_fail=None)
    failed = [(r["check_name"], r["exception"]) for r in results if r["status"] == "failed"]
    assert not failed


def _data(seed=0, n=3000, d=30, sparse=False):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.1, random_state=seed, format="csr") if sparse else \
        rng.standard_normal((n, d)) * rng.uniform(0.1, 10, d)
    y = X @ rng.standard_normal(d) + 4.0 + 0.1 * rng.standard_normal(n)
    return X, y


@pytest.mark.parametrize("sparse", [False, True])
def test_linear_regression_matches_sklearn(sparse):
    X, y = _data(1, sparse=sparse)
    # the sketch named: at 3000 x 30 the default method is LAPACK's
    ours = SketchedLinearRegression(sketch="sparse-sign", random_state=0).fit(X, y)
    dense = X.toarray() if sparse else X  # sklearn's sparse path is LSQR at tol 1e-6
    ref = LinearRegression().fit(dense, y)
    assert ours.method_ == "fossils" and ours.result_.converged
    assert ours.n_iter_ > 0
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-8)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("sparse", [False, True])
def test_ridge_matches_sklearn(sparse):
    X, y = _data(2, sparse=sparse)
    ours = SketchedRidge(alpha=3.0, random_state=0).fit(X, y)
    ref = Ridge(alpha=3.0, solver="cholesky").fit(X.toarray() if sparse else X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-7)


def test_multi_output_and_no_intercept():
    X, y = _data(3)
    Y = np.stack([y, -2 * y], axis=1)
    ours = SketchedRidge(alpha=1.0, fit_intercept=False, random_state=0).fit(X, Y)
    ref = Ridge(alpha=1.0, fit_intercept=False).fit(X, Y)
    assert ours.coef_.shape == (2, 30)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-7, atol=1e-9)


def test_front_door_names():
    assert qla.SketchedRidge is SketchedRidge
    with pytest.raises(AttributeError):
        qla.NoSuchThing  # noqa: B018


@pytest.mark.parametrize("est", [SketchedLinearRegression, SketchedRidge])
def test_time_limit_reaches_the_solver(est):
    import warnings

    from sketch.errors import ConvergenceWarning

    rng = np.random.default_rng(3)
    X = rng.standard_normal((2000, 20)) * np.logspace(0, -8, 20)
    y = rng.standard_normal(2000)
    with pytest.warns(ConvergenceWarning, match="time_limit"):
        model = est(sketch="sparse-sign", random_state=0, time_limit=1e-9,
                    progress=False).fit(X, y)
    assert model.result_.stop_reason == "time_limit" and model.n_iter_ == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        full = est(sketch="sparse-sign", random_state=0).fit(X, y)
    assert full.result_.stop_reason == "converged" and full.n_iter_ > 1


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("est", [SketchedLinearRegression(random_state=0),
                                 SketchedRidge(alpha=1e-3, random_state=0)])
def test_default_method_is_the_librarys(est, sparse):
    """No method named: sketch.lstsq's size rule decides, and ``method_`` says which ran —
    LAPACK on a small problem (FOSSILS there had 10-170x LAPACK's forward error), FOSSILS on
    one where a sketch pays (20000 x 300 on one BLAS thread or two; sparse: more than 10⁶
    dense entries)."""
    small, big = _data(4, n=3000, d=30, sparse=sparse), _data(5, n=20000, d=300, sparse=sparse)
    model = est.fit(*small)
    assert model.method_ == "direct" and model.n_iter_ == 0 and model.result_.sketch is None
    ref = (Ridge(alpha=1e-3, solver="cholesky") if isinstance(est, SketchedRidge)
           else LinearRegression()).fit(small[0].toarray() if sparse else small[0], small[1])
    np.testing.assert_allclose(model.coef_, ref.coef_, rtol=1e-7, atol=1e-9)
    model = est.fit(*big)
    assert model.method_ == "fossils" and model.result_.converged and model.n_iter_ > 0


def test_named_method_is_kept():
    X, y = _data(6, n=3000, d=30)
    for method in ("fossils", "sketch-and-precondition", "sketch-and-solve", "direct"):
        assert SketchedLinearRegression(method=method, random_state=0).fit(X, y).method_ \
            == method


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("method", [None, "direct", "fossils", "sketch-and-precondition"])
def test_columns_of_wildly_different_scale_are_scaled_one_by_one(method, sparse):
    """X = G·diag(1e-300, 1e300, 1, 1e-150): coef = z/d for z the fit on G (each column gets
    its own power of two, w = D z exactly); one scale for all of X left the small columns
    below the rank cut-off, their coefficients 0 (relative error 1.0 on main)."""
    rng = np.random.default_rng(3)
    G = rng.standard_normal((300, 4))
    y = G @ [1.0, 2.0, 3.0, -1.0] + 0.1 * rng.standard_normal(300)
    d = np.array([1e-300, 1e300, 1.0, 1e-150])
    X = sp.csr_matrix(G * d) if sparse else G * d
    model = SketchedLinearRegression(method=method, random_state=0).fit(X, y)
    Gc = G - G.mean(axis=0)
    z = np.linalg.lstsq(Gc, y - y.mean(), rcond=None)[0]
    assert np.allclose(model.coef_ * d, z, rtol=1e-9, atol=0), (model.coef_ * d, z)
    assert np.isclose(model.intercept_, y.mean() - G.mean(axis=0) @ z, rtol=1e-9)
    assert np.allclose(model.predict(X), G @ z + model.intercept_, rtol=1e-9)
