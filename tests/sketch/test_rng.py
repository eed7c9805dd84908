"""The keyed counter-based generator: reproducible, independent, uniform."""

import numpy as np
import pytest
from scipy import stats

from sketch.rng import STREAM_KEY_HI, STREAM_VERSION, Key, as_key


def test_same_seed_same_stream_and_blocks_agree():
    k = as_key(123)
    full = k.bits(np.arange(1000, dtype=np.uint64))
    assert np.array_equal(full, as_key(123).bits(np.arange(1000)))
    # any block can be generated on its own
    assert np.array_equal(full[400:700], k.bits(np.arange(400, 700)))


@pytest.mark.parametrize("seed", [0, 1, 2, 2**70, -5])
def test_no_fixed_points_in_small_counters(seed):
    # Regression: counter 1 used to give 0 for every key.
    b = as_key(seed).bits(np.arange(64, dtype=np.uint64))
    assert np.count_nonzero(b == 0) == 0
    assert len(np.unique(b)) == 64


def test_uniforms_pass_kolmogorov_smirnov_over_many_keys():
    pvalues = [stats.kstest(as_key(s).uniform(np.arange(20000)), "uniform").pvalue
               for s in range(20)]
    # p-values of a correct generator are uniform: KS of the KS p-values must not reject
    assert stats.kstest(pvalues, "uniform").pvalue > 1e-3


def test_adjacent_counters_and_child_streams_uncorrelated():
    k = as_key(7)
    u = k.uniform(np.arange(200001))
    # lag-1 correlation: standard error 1/sqrt(n) ~ 0.0022
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.01
    v = k.child("other").uniform(np.arange(200001))
    assert abs(np.corrcoef(u, v)[0, 1]) < 0.01


def test_normals_signs_integers_have_their_moments():
    k = as_key(11)
    z = k.normal(np.arange(100000))
    assert abs(z.mean()) < 0.02 and abs(z.var() - 1) < 0.02
    s = k.signs(np.arange(100000))
    assert set(np.unique(s)) == {-1.0, 1.0} and abs(s.mean()) < 0.02
    r = k.integers(np.arange(100000), 10)
    counts = np.bincount(r, minlength=10)
    assert stats.chisquare(counts).pvalue > 1e-4
    big = k.integers(np.arange(1000), 2**40)
    assert big.min() >= 0 and big.max() < 2**40


def test_seed_kinds():
    assert as_key(np.random.default_rng(3)) == as_key(np.random.default_rng(3))
    assert isinstance(as_key(None), Key)
    assert as_key(Key(5)) == Key(5)
    with pytest.raises(TypeError, match="seed"):
        as_key("3")
    with pytest.raises(TypeError, match="bool"):
        as_key(True)
    with pytest.raises(ValueError, match="high"):
        as_key(1).integers(np.arange(3), 0)


def test_fingerprint_identifies_without_revealing():
    k = as_key(9)
    assert k.fingerprint == as_key(9).fingerprint != as_key(10).fingerprint
    assert str(k.value) not in k.fingerprint


def test_philox_known_answer_and_numpys_philox():
    # Random123's known-answer vector for Philox4x64-10, counter 0 and key 0.
    import array_api_compat.numpy as xn

    from sketch.rng import _philox

    kat = [0x16554D9ECA36314C, 0xDB20FE9D672D0FDC, 0xD7E772CEE186176B, 0x7E68B68AEC7BA23B]
    words = _philox(np.zeros(1, dtype=np.int64), 0, 0)
    assert [int(w[0]) & (2**64 - 1) for w in words] == kat
    # The word at counter c is lane c % 4 of block c // 4 under (key, STREAM_KEY_HI):
    # the elementwise path (int64 arithmetic) equals NumPy's compiled Philox bit for bit.
    k = as_key(3)
    bg = np.random.Philox(counter=2**256 - 1, key=np.array([k.value, STREAM_KEY_HI], np.uint64))
    assert np.array_equal(k.bits(np.arange(64, dtype=np.uint64)[::-1])[::-1], bg.random_raw(64))
    assert xn.int64 is np.int64


def test_stream_version_is_the_philox_stream():
    assert STREAM_VERSION == 2


@pytest.mark.parametrize("start, count", [(0, 1), (1, 7), (6, 33), (2**40 + 3, 10)])
def test_runs_arrays_and_single_counters_agree(start, count):
    k = as_key(17)
    c = np.arange(start, start + count, dtype=np.uint64)
    scattered = np.random.default_rng(0).permutation(count)
    for method in ("bits", "uniform", "signs", "normal", "complex_normal"):
        f = getattr(k, method)
        # bitwise for bits, uniforms, signs; Gaussians to rounding (a library may round
        # log/cos/sin differently in its vectorised and scalar loops)
        same = np.array_equal if method in ("bits", "uniform", "signs") else (
            lambda a, b: np.allclose(a, b, rtol=1e-14, atol=1e-15))
        run = f(range(start, start + count))
        assert same(run, f(c))  # an array that is a run takes the run path
        assert same(run[scattered], f(c[scattered]))  # the elementwise path
        assert same(run[-1], f(int(c[-1])))
    assert np.array_equal(k.integers(c[scattered], 7), k.integers(c, 7)[scattered])
    # Gaussian operators ask for column-major runs (counter j*s + i at entry (i, j)).
    G = np.arange(12, dtype=np.uint64).reshape(4, 3).T
    assert np.array_equal(k.normal(G), k.normal(range(12)).reshape(4, 3).T)


def test_complex_normals_are_the_normal_pairs():
    k = as_key(8)
    z = k.complex_normal(range(5, 505))
    g = k.normal(range(10, 1010))
    np.testing.assert_allclose(z, (g[0::2] + 1j * g[1::2]) / np.sqrt(2), rtol=1e-14)
    assert abs(np.mean(np.abs(k.complex_normal(range(40000))) ** 2) - 1) < 0.03


def test_same_stream_on_every_backend(backend):
    k = as_key(99)
    counters = np.concatenate([np.arange(3000), [2**40 + 1, 7, 2**62 + 5]]).astype(np.uint64)
    on = backend.asarray(counters.astype(np.int64))
    for method in ("bits", "uniform", "signs"):
        ref, got = getattr(k, method)(counters), getattr(k, method)(on)
        assert backend.owns(got)
        assert np.array_equal(backend.to_numpy(got).view(ref.dtype), ref), method  # bitwise
    assert np.array_equal(backend.to_numpy(k.integers(on, 1000)), k.integers(counters, 1000))
    assert np.array_equal(backend.to_numpy(k.integers(on, 2**40)), k.integers(counters, 2**40))
    for method in ("normal", "complex_normal"):
        ref, got = getattr(k, method)(counters), getattr(k, method)(on)
        np.testing.assert_allclose(backend.to_numpy(got), ref, rtol=1e-12, atol=1e-14)
        run = getattr(k, method)(range(3, 3000), backend.xp, device=backend.device)
        assert backend.owns(run)
        np.testing.assert_allclose(backend.to_numpy(run), ref[3:3000], rtol=1e-12, atol=1e-14)
    block = k.uniform(range(1001, 1500), backend.xp, device=backend.device)
    assert np.array_equal(backend.to_numpy(block), k.uniform(counters[1001:1500]))
    # Runs on a device compute four words per Philox call with the library's own integer
    # operations (on the host the compiled Philox, sketch.philox_kernel, serves them):
    # the same bits.
    from sketch.backend import compat
    from sketch.rng import _run_words

    x = compat(backend.xp)
    words = _run_words(k.value, 5, 1003, x, backend.device, compiled=False)
    assert backend.owns(words)
    assert np.array_equal(backend.to_numpy(words).view(np.uint64), k.bits(counters[5:1008]))


def _draws(k, counters):
    return {"bits": k.bits(counters), "uniform": k.uniform(counters), "signs": k.signs(counters),
            "integers": k.integers(counters, 1000), "normal": k.normal(counters),
            "complex_normal": k.complex_normal(counters)}


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return np.array_equal(a.view(b.dtype) if a.dtype != b.dtype else a, b)


def test_scattered_counters_in_chunks_equal_the_run(backend):
    """Counters in no order, more than one host chunk: element by element the run's value
    (chunk boundaries, pair parities and both lanes of each block included)."""
    import sketch.rng as rng

    k = as_key(9)
    n = rng._HOST_CHUNK + 1001
    perm = np.random.default_rng(0).permutation(n)
    run = _draws(k, backend.asarray(np.arange(n)))
    for name, got in _draws(k, backend.asarray(perm)).items():
        assert backend.owns(got)
        assert _same(backend.to_numpy(got), backend.to_numpy(run[name])[perm]), name


@pytest.mark.parametrize("rows", [4, 7, 20])
def test_columns_of_runs_share_blocks_and_equal_the_scattered_path(backend, rows):
    """Keyed Gaussian columns (counters j·r + i, any start parity): the block-sharing path
    gives the same bits as evaluating the same counters scattered."""
    k = as_key(4)
    rng = np.random.default_rng(rows)
    starts = np.concatenate([[0, 1, 2, 3], rng.integers(0, 2**50, size=2500)])
    C = starts[None, :] + np.arange(rows)[:, None]
    perm = rng.permutation(C.size)
    inv = np.argsort(perm)
    scattered = _draws(k, backend.asarray(C.reshape(-1)[perm]))
    for name, got in _draws(k, backend.asarray(C)).items():
        assert backend.owns(got) and tuple(got.shape) == C.shape
        want = backend.to_numpy(scattered[name])[inv].reshape(C.shape)
        assert _same(backend.to_numpy(got), want), name


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("start, count", [(0, 1), (1, 8), (6, 33), (2**40 + 3, 1000)])
def test_in_place_fills_are_the_runs_bit_for_bit(start, count, dtype, monkeypatch):
    # The dense sketches' entries: normal/signs of a run, cast, times a factor in that dtype.
    import sketch.rng_host as rng_host

    k = as_key(23)
    c = range(start, start + count)
    for pairs in (rng_host.PAIRS, 5):  # chunks of the Box-Muller, across their boundaries
        monkeypatch.setattr(rng_host, "PAIRS", pairs)
        for fill, draw in ((k.fill_normal, k.normal), (k.fill_signs, k.signs)):
            for factor in (0.3, -1 / 7**0.5):  # Python floats, as the operators pass
                out = np.full(count, np.nan, dtype=dtype)
                fill(start, out, factor)
                np.testing.assert_array_equal(out, draw(c).astype(dtype) * factor)
                assert out.dtype == dtype
