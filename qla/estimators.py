"""scikit-learn estimators for sketched least squares and ridge regression.

:class:`SketchedLinearRegression` and :class:`SketchedRidge` fit
min ‖Xw + c − y‖² (+ α‖w‖²) with :func:`sketch.lstsq` at its default (FOSSILS,
backward-stable sketch-and-precondition with iterative refinement, Epperly,
Meier and Nakatsukasa 2024, where a sketch pays; LAPACK where it cannot, as
:func:`~sketch.lstsq_solvers.sketching_pays` decides; ``method_`` says which ran),
accept dense and scipy.sparse X (sparse X is centred implicitly, as a
LinearOperator, so it stays sparse where it is sketched) and expose
``coef_``, ``intercept_`` and ``n_iter_``. They pass
``sklearn.utils.estimator_checks.check_estimator``.

scikit-learn is an optional dependency (``pip install "qla[bench]"`` or
``"qla[test]"``): importing this module without it raises an error naming
the extra.

Examples
--------
>>> import numpy as np
>>> from qla.estimators import SketchedRidge
>>> rng = np.random.default_rng(0)
>>> X = rng.standard_normal((2000, 5))
>>> y = X @ np.arange(5.0) + 3.0
>>> model = SketchedRidge(alpha=1e-8, random_state=0).fit(X, y)
>>> (np.round(model.coef_, 6) + 0.0).tolist(), round(float(model.intercept_), 6)
([0.0, 1.0, 2.0, 3.0, 4.0], 3.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from sketch.checks import check_tolerance
from sketch.errors import NonFiniteError, require
from sketch.lstsq import METHODS, lstsq
from sketch.lstsq_solvers import sketching_pays
from sketch.operators import check_sketch_kind
from sketch.ridgeless import optimal_sketch_size, sketched_ridgeless
from sketch.rng import as_key
from sketch.scaling import EXTREME, columns_scaled, unit_scaled, unit_unscaled

require("sklearn", "bench", "use the scikit-learn estimators")

from sklearn.base import BaseEstimator, RegressorMixin  # noqa: E402
from sklearn.utils.validation import check_is_fitted, validate_data  # noqa: E402

__all__ = ["SketchedLinearRegression", "SketchedRidge", "SketchedRidgelessRegression"]


def _centred(X: Any, mean: np.ndarray) -> LinearOperator:
    """X − 1 μᵀ as a LinearOperator, so sparse X is never densified."""
    m, n = X.shape
    XT = X.T.tocsr()

    def matvec(v):
        v = v.reshape(n, -1)
        out = X @ v - np.ones((m, 1)) * (mean @ v)
        return out

    def rmatvec(u):
        u = u.reshape(m, -1)
        return XT @ u - mean[:, None] * u.sum(axis=0)

    return LinearOperator((m, n), matvec=matvec, rmatvec=rmatvec,
                          matmat=matvec, rmatmat=rmatvec, dtype=X.dtype)


def _check_fit_intercept(value: Any) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"fit_intercept must be True or False, got {value!r}")


def _scaled(a: Any) -> tuple[Any, int]:
    """``(a·2ᵉ, e)`` with max|a·2ᵉ| in [1/2, 1) if max|a| passes
    :data:`sketch.scaling.EXTREME` (the centring's column sums and the solvers' squared norms
    would overflow on entries of ~1e308 though the fit is representable), else ``(a, 0)``."""
    top = float(abs(a).max()) if a.size else 0.0
    return unit_scaled(a) if top > EXTREME else (a, 0)


def _seed(random_state: Any) -> Any:
    """The seed of ``random_state`` (scikit-learn's legacy RandomState gives one draw)."""
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    try:
        as_key(random_state)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"random_state: {exc}") from None
    return random_state


def _predicted(P: Any) -> np.ndarray:
    if not np.all(np.isfinite(P)):
        raise NonFiniteError("the predictions for X overflow float64 (X is too large for the "
                             "fitted coefficients); rescale X")
    return P


class _SketchedLeastSquares(RegressorMixin, BaseEstimator):
    """Shared fit/predict; subclasses fix the ridge parameter."""

    def _alpha(self) -> float:
        return 0.0

    def fit(self, X: Any, y: Any) -> _SketchedLeastSquares:
        """Fit the linear model.

        Parameters
        ----------
        X : array or sparse matrix, shape (n_samples, n_features)
        y : array, shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"],
                             dtype=[np.float64, np.float32], y_numeric=True, multi_output=True)
        y = y.astype(X.dtype, copy=False)
        _check_fit_intercept(self.fit_intercept)
        alpha = check_tolerance(self._alpha(), "alpha", allow_zero=True)
        # ridge: one power of two for X (α‖w‖² scales with it); least squares: one per
        # column where their scales spread (w = D z, exact; sketch.scaling.columns_scaled)
        X, ex = _scaled(X) if alpha else columns_scaled(X)
        y, ey = _scaled(y)
        if alpha and ex:  # min ‖Xw − y‖² + α‖w‖² with X·2ᵉ: α·4ᵉ
            alpha = float(np.ldexp(alpha, 2 * ex))
        n_samples, n_features = X.shape
        method = self.method
        if method is not None and method not in METHODS:  # checked before "direct" replaces it
            raise ValueError(f"method must be None or one of {', '.join(METHODS)}; got "
                             f"{method!r}")
        if self.sketch is not None:
            check_sketch_kind(self.sketch)
        # A named sketched method needs more rows than columns to pay off (4·n_features
        # rows); the default (None) is sketch.lstsq's size rule.
        if method not in (None, "direct") and n_samples <= 4 * (n_features + 1):
            method = "direct"
        dense = method == "direct" or method is None and not sketching_pays(
            n_samples, n_features, sparse=True)
        if self.fit_intercept:
            mean = np.asarray(X.mean(axis=0)).ravel().astype(X.dtype)
            y_mean = y.mean(axis=0)
            if sp.issparse(X):  # a centred LinearOperator would always be sketched
                A = X.toarray() - mean if dense else _centred(X, mean)
            else:
                A = X - mean
            b = y - y_mean
        else:
            A, b = X, y
        seed = _seed(self.random_state)
        res = lstsq(A, b, method, sketch=self.sketch, sketch_size=self.sketch_size,
                    alpha=alpha, tol=self.tol, maxiter=self.maxiter, seed=seed,
                    time_limit=self.time_limit, progress=self.progress)
        coef = np.asarray(res.x)
        scaled = coef
        coef = unit_unscaled(coef, ey - ex, "the fitted coefficients") if np.any(ex) or ey else coef
        self.coef_ = coef.T if coef.ndim == 2 else coef
        if self.fit_intercept:
            self.intercept_ = unit_unscaled(y_mean - mean @ scaled, ey, "the fitted intercept") if (
                ey) else y_mean - mean @ scaled
        else:
            self.intercept_ = np.zeros(y.shape[1], dtype=X.dtype) if y.ndim == 2 else 0.0
        self.n_iter_ = int(res.iterations)
        self.result_ = res
        self.method_ = res.method
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predict with the fitted linear model."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"],
                          dtype=[np.float64, np.float32], reset=False)
        with np.errstate(over="ignore", invalid="ignore"):
            return _predicted(X @ self.coef_.T + self.intercept_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = True
        return tags


class SketchedLinearRegression(_SketchedLeastSquares):
    """Ordinary least squares by sketching (a drop-in for ``LinearRegression``).

    Parameters
    ----------
    fit_intercept : bool
        Fit an intercept (X and y are centred; sparse X implicitly).
    method : {None, "fossils", "sketch-and-precondition", "sketch-and-solve", "direct"}
        Solver of :func:`sketch.lstsq`. Default None: its default, ``"fossils"`` where a
        sketch pays and ``"direct"`` (LAPACK) where it cannot
        (:func:`~sketch.lstsq_solvers.sketching_pays`; giving ``sketch``,
        ``sketch_size``, ``tol`` or ``maxiter`` keeps FOSSILS). A named sketched method
        with fewer than 4·(n_features + 1) samples runs ``"direct"``, a sketch would not
        be smaller than X. ``method_`` records the method that ran.
    sketch : str, optional
        Sketching operator (``"sparse-sign"``, ``"countsketch"``, ``"srht"``,
        ``"gaussian"``, ...). Default: :func:`sketch.lstsq`'s (a sparse sign).
    sketch_size : int, optional
        Rows of the sketch (default: :func:`sketch.lstsq`'s, 12·n_features for
        ``"fossils"``); one whose sketch cannot fit in memory is refused.
    tol, maxiter : optional
        Tolerance and iteration limit of the iterative methods (see
        :func:`sketch.lstsq`).
    time_limit : float, optional
        Seconds for the iterative methods' iteration; past them the fit keeps the last
        iterate (``result_.stop_reason == "time_limit"``, with a ConvergenceWarning).
    progress : bool, optional
        Progress bar of that iteration (``None``: once it has run for 2 s).
    random_state : None, int or Generator
        Seed of the sketch.

    Attributes
    ----------
    coef_ : array, shape (n_features,) or (n_targets, n_features)
    intercept_ : float or array
    n_iter_ : int
        Iterations of the solver (0 for non-iterative methods).
    result_ : sketch.lstsq.LstsqResult
        Full diagnostics (convergence, residual, backward-error estimate, condition
        estimates). Data with entries past 2^400 in magnitude (e.g. ~1e308, whose column
        sums would overflow) is fitted on copies scaled by powers of two, exactly; the
        diagnostics then describe that scaled problem.
    method_ : str
        The method that ran.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(1).standard_normal((500, 3))
    >>> model = SketchedLinearRegression(random_state=0).fit(X, X @ [1.0, -2.0, 0.5])
    >>> np.round(model.coef_, 8).tolist()
    [1.0, -2.0, 0.5]
    """

    def __init__(self, *, fit_intercept: bool = True, method: str | None = None,
                 sketch: str | None = None, sketch_size: int | None = None,
                 tol: float | None = None, maxiter: int | None = None,
                 time_limit: float | None = None, progress: bool | None = None,
                 random_state: Any = None):
        self.fit_intercept = fit_intercept
        self.method = method
        self.sketch = sketch
        self.sketch_size = sketch_size
        self.tol = tol
        self.maxiter = maxiter
        self.time_limit = time_limit
        self.progress = progress
        self.random_state = random_state


class SketchedRidge(_SketchedLeastSquares):
    """Ridge regression by sketching: min ‖Xw + c − y‖² + α‖w‖² (intercept not penalised).

    Parameters
    ----------
    alpha : float
        Ridge parameter α ≥ 0.
    fit_intercept, method, sketch, sketch_size, tol, maxiter, time_limit, progress, random_state
        As for :class:`SketchedLinearRegression`.

    Attributes
    ----------
    coef_, intercept_, n_iter_, result_, method_
        As for :class:`SketchedLinearRegression`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(1).standard_normal((500, 3))
    >>> model = SketchedRidge(alpha=10.0, random_state=0).fit(X, X @ [1.0, -2.0, 0.5])
    >>> bool(np.abs(model.coef_).sum() < 3.5)  # shrunk towards 0
    True
    """

    def __init__(self, alpha: float = 1.0, *, fit_intercept: bool = True,
                 method: str | None = None, sketch: str | None = None,
                 sketch_size: int | None = None, tol: float | None = None,
                 maxiter: int | None = None, time_limit: float | None = None,
                 progress: bool | None = None, random_state: Any = None):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.method = method
        self.sketch = sketch
        self.sketch_size = sketch_size
        self.tol = tol
        self.maxiter = maxiter
        self.time_limit = time_limit
        self.progress = progress
        self.random_state = random_state

    def _alpha(self) -> float:
        return self.alpha


class SketchedRidgelessRegression(RegressorMixin, BaseEstimator):
    """Minimum-norm least squares on a sketch of the data, with the sketch size chosen for you.

    Fits β̂ = (S X)⁺ S y with S an m × n sketch (:func:`sketch.sketched_ridgeless`).
    Downsampling can lower the out-of-sample risk of the ridgeless estimator and
    removes its double-descent peak at n ≈ p (Chen, Zeng, Yang and Sun, ICML 2023).

    Parameters
    ----------
    sketch_size : "auto", "theory", int or float
        ``"auto"`` (default): the paper's empirical procedure — hold out
        ``holdout`` of the samples, keep the m with the smallest validation error
        on a grid, refit on everything at the same ratio m/n.
        ``"theory"``: the closed-form optimum for isotropic features with the
        signal and noise estimated from the data. An int is m; a float in (0, 1]
        is m/n.
    sketch : str
        ``"subsample"`` (default: m rows drawn uniformly without replacement — the
        cheapest orthogonal sketch, O(m·p) memory, with the same risk as a Haar
        sketch for i.i.d. rows), ``"orthogonal"`` (Haar rows mixing all samples,
        O(n·m) memory), ``"gaussian"``, or any sketch name of
        :func:`sketch.operators.make_operator`.
    fit_intercept : bool
        Centre X and y before fitting.
    holdout : float
        Validation fraction for ``sketch_size="auto"``.
    random_state : None, int or Generator
        Seed of the sketch and of the hold-out split.

    Attributes
    ----------
    coef_ : array (n_features,)
    intercept_ : float
    sketch_size_ : int
        The m used for the final fit.
    selection_ : sketch.ridgeless.SketchSize or None
        How m was chosen (None for a given size).
    result_ : sketch.ridgeless.RidgelessResult

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 180)); beta = rng.standard_normal(180) / np.sqrt(180)
    >>> y = X @ beta + 0.5 * rng.standard_normal(200)
    >>> model = SketchedRidgelessRegression(random_state=0).fit(X, y)
    >>> bool(model.sketch_size_ < 200)         # near n = p: downsampling pays
    True
    """

    def __init__(self, *, sketch_size: Any = "auto", sketch: str = "subsample",
                 fit_intercept: bool = True, holdout: float = 0.2, random_state: Any = None):
        self.sketch_size = sketch_size
        self.sketch = sketch
        self.fit_intercept = fit_intercept
        self.holdout = holdout
        self.random_state = random_state

    def _size(self, X: np.ndarray, y: np.ndarray, seed: Any):
        n = X.shape[0]
        size = self.sketch_size
        if isinstance(size, str):
            if size not in ("auto", "theory"):
                raise ValueError(f"sketch_size must be 'auto', 'theory', an int or a float in "
                                 f"(0, 1], got {size!r}")
            if n < 10:  # too few samples to hold some out or to estimate the SNR
                return n, None
            method = "validation" if size == "auto" else "theory"
            sel = optimal_sketch_size(X, y, sketch=self.sketch, method=method,
                                      holdout=self.holdout, seed=seed)
            return sel.size, sel
        if isinstance(size, (bool, np.bool_)):
            raise TypeError("sketch_size must be 'auto', 'theory', an int or a float")
        if isinstance(size, (int, np.integer)):
            if not 1 <= size <= n:
                raise ValueError(f"sketch_size={size} must be between 1 and n_samples={n}")
            return int(size), None
        if isinstance(size, (float, np.floating)):
            if not 0 < size <= 1:
                raise ValueError(f"a float sketch_size is the ratio m/n in (0, 1], got {size}")
            return max(1, int(round(size * n))), None
        raise TypeError(f"sketch_size must be 'auto', 'theory', an int or a float, "
                        f"got {type(size).__name__}")

    def fit(self, X: Any, y: Any) -> SketchedRidgelessRegression:
        """Choose the sketch size (if asked to) and fit.

        Parameters
        ----------
        X : array, shape (n_samples, n_features)
        y : array, shape (n_samples,)

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], y_numeric=True)
        y = y.astype(X.dtype, copy=False)
        _check_fit_intercept(self.fit_intercept)
        X, ex = _scaled(X)
        y, ey = _scaled(y)
        seed = _seed(self.random_state)
        if self.fit_intercept:
            mean, y_mean = X.mean(axis=0), y.mean()
            Xc, yc = X - mean, y - y_mean
        else:
            Xc, yc = X, y
        m, self.selection_ = self._size(Xc, yc, seed)
        res = sketched_ridgeless(Xc, yc, m, sketch=self.sketch, seed=seed)
        scaled = np.asarray(res.coef)
        self.coef_ = unit_unscaled(scaled, ey - ex, "the fitted coefficients")
        self.intercept_ = float(unit_unscaled(y_mean - mean @ scaled, ey, "the fitted intercept")
                                ) if self.fit_intercept else 0.0
        self.sketch_size_ = m
        self.result_ = res
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predict with the fitted linear model."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        with np.errstate(over="ignore", invalid="ignore"):
            return _predicted(X @ self.coef_ + self.intercept_)
