"""Property-based bad-input suite over :class:`sketch.hhl_sizing.HHLSizing` built or
replaced by hand, and its methods (see :mod:`tests.sketch.hostile` for the property), with
an answer check: the clock values are the grid ``2πk/(2^m t)`` and the amplitudes are
``clip(C/λ̃, -1, 1)``."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import strategies as st

from sketch.hhl_sizing import HHLSizing, size_hhl
from tests.sketch import hostile as h

pytestmark = pytest.mark.hostile

torch = pytest.importorskip("torch")

BASE = size_hhl(np.diag([1.0, 2.0, 3.0, 4.0]))


def _replaced(method):
    def run(xp=np, device=None, **fields):
        s = dataclasses.replace(BASE, **fields)
        if method == "summary":
            return s.summary()
        if method == "grid":
            return s.grid
        if method == "angles":
            out = s.angles()
            assert np.all(np.abs(out) <= math.pi + 1e-12)
            return out
        out = getattr(s, method)(xp, device)
        lam = np.asarray(s.clock_eigenvalues(np))
        N = 1 << s.clock_qubits
        k = np.arange(N) - (N if s.signed else 0) * (np.arange(N) >= N // 2)
        np.testing.assert_allclose(lam, 2 * math.pi * k / (N * s.time), rtol=1e-12)
        if method == "amplitudes":
            ref = np.where(lam == 0, 0, np.clip(s.constant / np.where(lam == 0, 1, lam), -1, 1))
            np.testing.assert_allclose(np.asarray(out), ref, rtol=1e-12)
        return out
    return run


def _fields() -> dict:
    pos = h.tolerances()
    return dict(clock_qubits=h.sizes(), time=pos, constant=pos, lambda_min=pos,
                lambda_max=st.one_of(pos, st.just((1e-9, True))),  # below lambda_min
                kappa=st.one_of(pos.map(lambda vb: (vb[0], True if vb[1] else None))),
                signed=st.sampled_from([(True, False), (False, False), ("yes", True),
                                        (1, True), (None, True)]),
                bounds=st.sampled_from([("user", False), (None, True), (3, True)]))


def _xps() -> st.SearchStrategy:
    return st.sampled_from([(np, False), (torch, False), (None, True), ("numpy", True),
                            (3, True), (math, None)])


ENTRIES = [
    h.Entry(f"HHLSizing.{m}", _replaced(m), dict(xp=np, device=None),
            dict(_fields(), xp=_xps(),
                 device=st.sampled_from([(None, False), ("cpu", False), ("gpu", True)])))
    for m in ("clock_eigenvalues", "amplitudes")
] + [h.Entry(f"HHLSizing.{m}", _replaced(m), {}, _fields()) for m in ("angles", "grid",
                                                                       "summary")]


test_valid_call_answers, test_bad_argument_is_refused_clearly = h.suite(ENTRIES, share=0.3)


@pytest.mark.parametrize("fields, err, match", [
    (dict(clock_qubits=-1), ValueError, "clock_qubits must be at least 1"),  # negative shift
    (dict(time=0.0), ValueError, "time must be"),  # ZeroDivisionError in grid
    (dict(clock_qubits=50), MemoryError, "clock values of 50 clock qubits"),  # raw MemoryError
    (dict(kappa=0.5), ValueError, "kappa must be at least 1"),
    (dict(time=3e-308), ValueError, "time = 3e-308 is too small"),  # inf clock values (long)
])
def test_found_failures(fields, err, match):
    with pytest.raises(err, match=match):
        dataclasses.replace(BASE, **fields).angles()


def test_xp_must_be_a_library():
    with pytest.raises(TypeError, match="xp must be an array library"):
        BASE.clock_eigenvalues(None)  # AttributeError: no arange
    assert isinstance(HHLSizing(**{f.name: getattr(BASE, f.name)
                                   for f in dataclasses.fields(BASE)}), HHLSizing)
