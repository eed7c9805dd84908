"""Property-based bad-input suite over the keyed random stream's methods (``Key.child``,
``.integers``, ``.uniform``, ``.fill_normal``, ``.fill_signs``) and the sketch files
(``SampledSketch.save`` / ``LinearSketch.save`` and the ``load_sketch`` round trip); see
:mod:`tests.sketch.hostile` for the property.
"""

from __future__ import annotations

import math
import os
import tempfile

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import sketch
from sketch.checks import check_tolerance
from sketch.coordinated import (
    jl_sketch,
    load_sketch,
    priority_sample,
    threshold_sample,
)
from tests.hostile_calls import call
from tests.sketch import hostile as h

pytestmark = pytest.mark.hostile

KEY = sketch.Key(3)


def _labels() -> st.SearchStrategy:
    good = st.one_of(st.text(max_size=8), st.integers(0, 2**64 - 1),
                     st.integers(0, 9).map(np.int64)).map(lambda v: (v, False))
    bad = st.one_of(st.sampled_from([None, 1.5, True, b"x", [1], math.nan, 3 + 0j]),
                    st.integers(2**64, 2**80), st.just(10**400)).map(lambda v: (v, True))
    return st.one_of(good, bad)


def _counters() -> st.SearchStrategy:
    """Counters: ints, ranges, integer arrays (valid); floats, bools, strings, lists, huge
    ints and huge ranges (refused, the last for memory)."""
    good = st.one_of(st.integers(-2**63, 2**64 - 1),
                     st.builds(range, st.integers(0, 2**40), st.integers(2**40, 2**40 + 9)),
                     st.lists(st.integers(-2**63, 2**63 - 1), max_size=5).map(
                         lambda v: np.array(v, dtype=np.int64)),
                     st.lists(st.integers(0, 2**64 - 1), max_size=5).map(
                         lambda v: np.array(v, dtype=np.uint64)),
                     ).map(lambda v: (v, False))
    bad = st.one_of(st.sampled_from([1.5, True, "a", None, [1, 2], np.array([1.5]),
                                     np.array([True]), 10**400, np.float64(2.0)]),
                    st.integers(2**64, 2**70), st.integers(-2**70, -2**63 - 1)
                    ).map(lambda v: (v, True))
    huge = st.sampled_from([range(0, 10**12), range(5, 2**62)]).map(lambda v: (v, None))
    return st.one_of(good, bad, huge)


def _outs() -> st.SearchStrategy:
    good = st.sampled_from(["float64", "float32"]).flatmap(
        lambda t: st.integers(0, 9).map(lambda n: (np.zeros(n, t), False)))
    strided = st.just((np.zeros(8)[::2], False))  # written through the view
    readonly = st.just((np.zeros(4), True)).map(lambda vb: (_readonly(vb[0]), vb[1]))
    bad = st.sampled_from([np.zeros(4, np.int64), np.zeros((2, 2)),
                           np.zeros(4, np.complex128), np.zeros(4, np.float16), [0.0] * 4,
                           None, np.zeros(4, np.longdouble)]).map(lambda v: (v, True))
    return st.one_of(good, bad, strided, readonly)


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _factors() -> st.SearchStrategy:
    good = st.floats(-1e300, 1e300).map(lambda v: (v, False))
    bad = st.sampled_from([math.nan, math.inf, "2", None, 1 + 1j, 10**400, True,
                           np.array([1.0])]).map(lambda v: (v, True))
    return st.one_of(good, bad)


def _integers(counter, high):
    out = KEY.integers(counter, high)
    assert np.all((out >= 0) & (out < high)), "an integer outside [0, high)"
    return out


def _uniform(counter):
    out = KEY.uniform(counter)
    assert np.all((out > 0) & (out < 1)), "a uniform outside (0, 1)"
    return out


def _fill(kind):
    def fill(start, out, factor):
        getattr(KEY, f"fill_{kind}")(start, out, factor)
        if isinstance(out, np.ndarray) and out.size:  # what fill wrote is what the key draws
            ref = getattr(KEY, kind)(range(start % 2**64, start % 2**64 + out.size))
            np.testing.assert_allclose(out, (ref.astype(out.dtype) * out.dtype.type(factor)),
                                       rtol=1e-6 if out.dtype == np.float32 else 1e-13)
        return out
    return fill


def _entries() -> list[h.Entry]:
    starts = st.one_of(st.integers(0, 2**40).map(lambda v: (v, False)),
                       st.sampled_from([1.5, None, True, 2**64, 10**400, "0"]).map(
                           lambda v: (v, True)))
    fills = [h.Entry(f"fill_{kind}", _fill(kind), dict(start=3, out=np.zeros(5), factor=0.5),
                     dict(start=starts, out=_outs(), factor=_factors()))
             for kind in ("normal", "signs")]
    return fills + [
        h.Entry("Key.child", KEY.child, dict(label="signs"), dict(label=_labels())),
        h.Entry("Key.integers", _integers, dict(counter=range(4), high=5),
                dict(counter=_counters(),
                     high=st.one_of(h.sizes(), st.integers(2, 2**62).map(lambda k: (k, False))))),
        h.Entry("Key.uniform", _uniform, dict(counter=np.arange(4)), dict(counter=_counters())),
    ]


test_valid_call_answers, test_bad_argument_is_refused_clearly = h.suite(_entries(), share=0.6)


# --------------------------------------------------------------------------
# sketch files: save to any path, and the round trip
# --------------------------------------------------------------------------
_rng = np.random.default_rng(5)
_A = _rng.standard_normal((12, 3))


@st.composite
def _paths(draw, tmp):
    """A file name in ``tmp`` (any suffix or none), a directory, a missing folder, or not a
    path at all."""
    name = draw(st.sampled_from(["s.npz", "s", "s.txt", "s.npz.npz", ".npz", "ü ß.npz"]))
    return draw(st.sampled_from([
        os.path.join(tmp, name), os.path.join(tmp, "missing", name), tmp,
        os.fsencode(os.path.join(tmp, name)), None, 3, "", os.path.join(tmp, "nul\0.npz"),
        os.path.join(tmp, "file.npz", name),
    ]))


@given(data=st.data())
def test_save_writes_exactly_the_path_given_or_refuses(data):
    with tempfile.TemporaryDirectory() as tmp:
        open(os.path.join(tmp, "file.npz"), "w").close()
        path = data.draw(_paths(tmp), label="path")
        sk = priority_sample(_A, 4, seed=1)
        ok, _ = call(lambda: sk.save(path), ["path", str(path)])
        if ok:  # a name without .npz is written as given, not with .npz appended
            assert os.path.isfile(path), path
            assert np.array_equal(load_sketch(path).keys, sk.keys)


@st.composite
def _sketches(draw):
    m = draw(st.integers(1, 20))
    d = draw(st.integers(1, 4))
    vals = draw(st.lists(st.floats(-1e6, 1e6, allow_subnormal=False), min_size=m * d,
                         max_size=m * d))
    A = np.array(vals).reshape(m, d)
    if draw(st.booleans()):
        A = A[:, 0]  # a vector
    elif draw(st.booleans()):
        A = sp.csr_matrix(A)
    seed = draw(st.integers(0, 2**32))
    kind = draw(st.sampled_from(["priority", "threshold", "jl"]))
    k = draw(st.integers(1, 25))
    if kind == "priority":
        return priority_sample(A, k, seed=seed)
    if kind == "threshold":
        return threshold_sample(A, k, seed=seed)
    return jl_sketch(A, k, seed=seed)


def _same(x, y) -> bool:
    if sp.issparse(x) or sp.issparse(y):
        return sp.issparse(x) and sp.issparse(y) and (x != y).nnz == 0 and x.shape == y.shape
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return np.array_equal(np.asarray(x), np.asarray(y))
    return x == y


@given(_sketches())
def test_saved_then_loaded_sketch_is_equal(sk):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "s.npz")
        sk.save(path)
        back = load_sketch(path)
    fields = ["method", "n_rows", "n_cols", "fingerprint", "keyed", "vector", "stream_version"]
    fields += (["keys", "rows", "tau", "budget", "total_weight"] if hasattr(sk, "keys")
               else ["data"])
    for f in fields:
        assert _same(getattr(sk, f), getattr(back, f)), f


# Defects the properties found (this campaign), shrunk; each failed on main before its fix.
@pytest.mark.parametrize("call_, err, match", [
    (lambda: KEY.child(None), TypeError, "label must be a str or an integer"),  # AttributeError
    (lambda: KEY.child(2**64), ValueError, "label must be a 64-bit"),  # the stream of child(0)
    (lambda: KEY.integers(range(4), 1.5), TypeError, "high must be an integer"),  # ufunc error
    (lambda: KEY.integers(range(4), math.inf), TypeError, "high"),  # returned floats ~1e18
    (lambda: KEY.integers(range(4), 2**64), ValueError, "high must be at most"),  # OverflowError
    (lambda: KEY.uniform(1.5), TypeError, "counter must be an integer"),  # read counter 1
    (lambda: KEY.uniform(np.array([1.5])), TypeError, "counter must hold integers"),
    (lambda: KEY.uniform(2**64), ValueError, "counter must be a 64-bit"),  # OverflowError
    (lambda: KEY.uniform(range(10**12)), sketch.errors.InsufficientMemoryError, "in blocks"),
    (lambda: KEY.fill_normal(0, np.zeros(4, np.int64)), TypeError, "out must be"),
    (lambda: KEY.fill_normal(0, np.zeros((2, 2))), TypeError, "out must be"),  # reshape error
    (lambda: KEY.fill_signs(0, _readonly(np.zeros(4))), TypeError, "out must be"),  # names none
    (lambda: KEY.fill_signs(1.5, np.zeros(4)), TypeError, "start must be"),
    (lambda: KEY.fill_signs(0, np.zeros(4), math.nan), ValueError, "factor must be a finite"),
    (lambda: check_tolerance(10**400, "tol"), ValueError, "tol must be"),  # OverflowError
])
def test_found_key_failures_are_refused_by_name(call_, err, match):
    with pytest.raises(err, match=match):
        call_()


def test_save_writes_the_name_given_and_load_takes_bytes(tmp_path):
    """save("s") wrote s.npz (numpy.savez appends the suffix), so load_sketch("s") failed;
    save("") wrote ".npz" in the working directory; load_sketch(b"...") called the bytes
    path "not a qla sketch file"."""
    sk = priority_sample(_A, 4, seed=1)
    sk.save(tmp_path / "s")
    assert sorted(os.listdir(tmp_path)) == ["s"]
    assert np.array_equal(load_sketch(tmp_path / "s").keys, sk.keys)
    assert np.array_equal(load_sketch(os.fsencode(tmp_path / "s")).keys, sk.keys)
    with pytest.raises(ValueError, match="path must be a non-empty file name"):
        sk.save("")
    with pytest.raises(TypeError, match="path must be a file name"):
        sk.save(3)  # open(3) would write to file descriptor 3
