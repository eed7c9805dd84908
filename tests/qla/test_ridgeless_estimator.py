"""SketchedRidgelessRegression: the scikit-learn checks, its default size choice near n ≈ p, and
the front-door name."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

import qla  # noqa: E402
from qla.estimators import SketchedRidgelessRegression  # noqa: E402
from sketch.ridgeless import ridgeless_risk  # noqa: E402


@pytest.mark.parametrize("est", [SketchedRidgelessRegression(random_state=0),
                                 SketchedRidgelessRegression(sketch_size="theory", random_state=0),
                                 SketchedRidgelessRegression(sketch_size=0.5, sketch="gaussian",
                                                             random_state=0)])
def test_check_estimator(est):
    results = check_estimator(est, on_fail=None)
    failed = [(r["check_name"], r["exception"]) for r in results if r["status"] == "failed"]
    assert not failed


def test_default_downsamples_near_the_interpolation_peak():
    rng = np.random.default_rng(1)
    n, p = 300, 280
    X = rng.standard_normal((n, p)) + 5.0          # an intercept to centre away
    beta = rng.standard_normal(p) / np.sqrt(p)
    y = (X - 5.0) @ beta + 3.0 + 0.5 * rng.standard_normal(n)
    auto = SketchedRidgelessRegression(random_state=0).fit(X, y)
    full = SketchedRidgelessRegression(sketch_size=1.0, random_state=0).fit(X, y)
    assert auto.sketch_size_ < n and full.sketch_size_ == n
    Xt = rng.standard_normal((2000, p))
    yt = Xt @ beta + 3.0
    err = [float(np.mean((m.predict(Xt + 5.0) - yt) ** 2)) for m in (auto, full)]
    assert err[0] < 0.5 * err[1]
    # the theory-based default agrees with the limit it minimises
    th = SketchedRidgelessRegression(sketch_size="theory", random_state=0).fit(X, y)
    assert th.selection_.risk == pytest.approx(
        ridgeless_risk(n, p, th.sketch_size_, signal=th.selection_.signal,
                       noise=th.selection_.noise))


def test_bad_sizes_and_front_door():
    X = np.random.default_rng(0).standard_normal((30, 3))
    with pytest.raises(ValueError, match="between 1 and n_samples"):
        SketchedRidgelessRegression(sketch_size=31).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="ratio"):
        SketchedRidgelessRegression(sketch_size=1.5).fit(X, X[:, 0])
    assert qla.SketchedRidgelessRegression is SketchedRidgelessRegression
