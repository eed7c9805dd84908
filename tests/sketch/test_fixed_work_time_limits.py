"""time_limit= and progress= of the low-rank loops whose length the caller fixes.

``power_iters=`` (range_finder, randomized_svd, randomized_eigh, adaptive_qb) and
``iters=`` (spectral_norm, residual_norm) ran to the end whatever their cost. A tiny limit
(1e-9 s) is past at the first pass boundary, so a run stops there deterministically: its
output equals the run that asked for no power step (one iteration for the norms), and it
says so (ConvergenceWarning naming the fix; ``converged=False``, ``stop_reason``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from sketch.errors import ConvergenceWarning, ToleranceError
from sketch.lowrank import (
    adaptive_qb,
    randomized_eigh,
    randomized_svd,
    range_finder,
    residual_norm,
    spectral_norm,
)

TINY = 1e-9  # past at the first pass boundary


def _slow(m=200, n=100, seed=0):
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((m, n)))
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (U * np.arange(1, n + 1) ** -0.5) @ V.T


def _stopped(f, *args, match="power_iters=50", **kwargs):
    with pytest.warns(ConvergenceWarning, match="time_limit") as caught:
        out = f(*args, time_limit=TINY, **kwargs)
    msg = str(caught[0].message)
    assert match in msg and "raise time_limit" in msg, msg
    return out


def test_range_finder_stops_after_its_first_pass():
    A = _slow()
    Q = _stopped(range_finder, A, 8, power_iters=50, seed=0)
    assert np.array_equal(Q, range_finder(A, 8, power_iters=0, seed=0))


def test_randomized_svd_power_iters_stops_and_says_so():
    A = _slow()
    res = _stopped(randomized_svd, A, 5, power_iters=50, seed=0)
    ref = randomized_svd(A, 5, power_iters=0, seed=0)
    assert (res.converged, res.stop_reason, res.iterations) == (False, "time_limit", 0)
    np.testing.assert_array_equal(res.s, ref.s)
    assert np.linalg.norm(A - (res.U * res.s) @ res.Vh, 2) <= res.error_estimate


def test_randomized_eigh_power_iters_stops_and_says_so():
    A = _slow()
    H = A @ A.T
    res = _stopped(randomized_eigh, H, 5, power_iters=50, seed=0)
    ref = randomized_eigh(H, 5, power_iters=0, seed=0)
    assert (res.converged, res.stop_reason, res.iterations) == (False, "time_limit", 0)
    np.testing.assert_array_equal(res.w, ref.w)


def test_norms_stop_with_a_lower_bound():
    A = _slow()
    top = np.linalg.norm(A, 2)
    est = _stopped(spectral_norm, A, iters=1000, seed=0, match="iters=1000")
    assert est == spectral_norm(A, iters=1, seed=0) and est <= top
    U, s, Vh = np.linalg.svd(A, full_matrices=False)
    r = _stopped(residual_norm, A, U[:, :3], s[:3], Vh[:3], iters=1000, seed=0,
                 match="iters=1000")
    assert r == residual_norm(A, U[:, :3], s[:3], Vh[:3], iters=1, seed=0) and r <= s[3]


def test_adaptive_qb_cuts_its_power_steps():
    A = _slow()
    res = _stopped(adaptive_qb, A, 1e-3, block=8, power_iters=50, seed=0,
                   match="adaptive_qb stopped by its time_limit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = adaptive_qb(A, 1e-3, block=8, power_iters=0, max_rank=8, seed=0)
    assert res.rank == 8 and np.array_equal(res.Q, ref.Q)
    assert res.error_estimate == pytest.approx(np.linalg.norm(A - res.Q @ res.B), rel=1e-6)


def test_generous_limit_changes_no_bit():
    A = _slow(seed=3)
    H = A @ A.T
    U, s, Vh = np.linalg.svd(A, full_matrices=False)
    off = {"time_limit": 1e6, "progress": False}
    assert np.array_equal(range_finder(A, 8, power_iters=3, seed=0),
                          range_finder(A, 8, power_iters=3, seed=0, **off))
    for f, M in ((randomized_svd, A), (randomized_eigh, H)):
        base, limited = f(M, 4, power_iters=3, seed=0), f(M, 4, power_iters=3, seed=0, **off)
        for name, v in vars(base).items():
            w = getattr(limited, name)
            assert np.array_equal(v, w) if isinstance(v, np.ndarray) else v == w, (f, name)
        assert base.stop_reason == "converged" and base.iterations == 3
    assert spectral_norm(A, seed=0) == spectral_norm(A, seed=0, **off)
    assert (residual_norm(A, U[:, :3], s[:3], Vh[:3], seed=0)
            == residual_norm(A, U[:, :3], s[:3], Vh[:3], seed=0, **off))
    a = adaptive_qb(A, 0.1, power_iters=2, seed=0)
    b = adaptive_qb(A, 0.1, power_iters=2, seed=0, **off)
    assert np.array_equal(a.Q, b.Q) and a.history == b.history


def test_progress_bar_and_validation(capsys):
    A = _slow()
    spectral_norm(A, seed=0)
    assert capsys.readouterr().err == ""  # short: no bar
    spectral_norm(A, seed=0, progress=True)
    assert "spectral_norm" in capsys.readouterr().err
    range_finder(A, 5, power_iters=2, seed=0, progress=True)
    assert "range finder" in capsys.readouterr().err
    for call in (lambda **kw: range_finder(A, 3, **kw), lambda **kw: spectral_norm(A, **kw),
                 lambda **kw: randomized_svd(A, 3, power_iters=1, **kw)):
        with pytest.raises(ToleranceError, match="time_limit"):
            call(time_limit=0)
        with pytest.raises(TypeError, match="progress"):
            call(progress="yes")


def _large_indefinite(n=4200):
    """A sparse indefinite diagonal just past DENSE_LIMIT rows: its sizing runs Lanczos (up
    to max(300, min(n, 2000)) steps on H and then on H², fixed by the caller)."""
    import scipy.sparse as sp

    from sketch.hhl_sizing import DENSE_LIMIT

    assert n > DENSE_LIMIT
    d = np.linspace(-1.0, 1.0, n)
    d[np.abs(d) < 1e-3] = 1e-3
    return sp.diags(d).tocsr()


def test_hhl_sizing_lanczos_takes_a_time_limit():
    """size_hhl's eigenvalue bounds (Lanczos, minutes for n ~ 2e4 on this machine) had no
    time_limit: it stops now after the first step, warns and notes it in the sizing."""
    from sketch.hhl_sizing import eigenvalue_bounds, size_hhl

    H = _large_indefinite()
    with pytest.warns(ConvergenceWarning, match="time_limit"):
        lmin, lmax, _, source = eigenvalue_bounds(H, time_limit=TINY, progress=False)
    assert source == "lanczos (time_limit)" and 0 < lmin <= lmax <= 1  # inside the spectrum
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = size_hhl(H, time_limit=TINY, progress=False)
    assert s.bounds == "lanczos (time_limit)"
    assert any("time_limit stopped Lanczos" in note for note in s.notes)


@pytest.mark.parametrize("entry", ["eigenvalue_bounds", "size_hhl", "hhl_problem",
                                   "emulate_hhl"])
def test_hhl_time_limits_are_validated_first(entry):
    import sketch.hhl as hhl

    with pytest.raises(ToleranceError, match="time_limit"):
        getattr(hhl, entry)(*([np.eye(2)] + ([np.ones(2)] if "problem" in entry
                                             or "emulate" in entry else [])), time_limit=0)
