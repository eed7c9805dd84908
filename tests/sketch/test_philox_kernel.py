"""The compiled Philox4x64-10 (sketch.philox_kernel): NumPy's Philox bit for bit."""

import math

import numpy as np
import pytest

from sketch import philox_kernel

KEYS = [np.array([0, 0], dtype=np.uint64),
        np.array([0x1234567, 0x716C612D726E6732], dtype=np.uint64),
        np.array([2**64 - 1, 2**63 + 12345], dtype=np.uint64)]  # top bits set in both words
#: Word indices: every offset in a block; the low word of the 256-bit block counter about
#: to wrap (carry into the next word); the counter about to wrap at 2**256.
STARTS = [0, 1, 2, 3, 4 * 2**40 + 2, 4 * (2**64 - 2) + 1, 4 * (2**192 - 1) - 3,
          2**258 - 9, 2**258 - 4]
#: Run lengths: empty, parts of a block, and past the SIMD width (8 counters) by odd amounts.
COUNTS = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 17, 31, 33, 63, 65, 1027]


def _numpy_philox(key, start):
    """NumPy's Philox positioned so that its next block is the one of word ``start``."""
    return np.random.Philox(counter=((start >> 2) - 1) % 2**256, key=key)


@pytest.mark.parametrize("key", KEYS, ids=range(len(KEYS)))
def test_words_are_numpys_philox(key):
    for start in STARTS:
        ref = _numpy_philox(key, start).random_raw((start & 3) + max(COUNTS))[start & 3:]
        for count in COUNTS:
            out = np.zeros(count + 1, dtype=np.uint64)
            philox_kernel.words(key, start, out[:count])
            np.testing.assert_array_equal(out[:count], ref[:count],
                                          err_msg=f"start={start} count={count}")
            assert out[count] == 0  # nothing written past the run


@pytest.mark.parametrize("key", KEYS, ids=range(len(KEYS)))
def test_pair_units_are_numpys_uniform_doubles(key):
    # Pair p is words 2p, 2p + 1: v[0] = a0 u(2p), v[1] = a1 u(2p + 1) with u the double
    # Generator.random makes of the word; -1 and π are the Box–Muller's factors.
    for start in STARTS[:-1]:
        first = start >> 1
        gen = np.random.Generator(_numpy_philox(key, 2 * first))
        gen.random((2 * first) & 3)  # the words of the block before the run
        u = gen.random(2 * max(COUNTS)).reshape(-1, 2).T
        for count in COUNTS:
            for a0, a1 in ((1.0, 1.0), (-1.0, math.pi)):
                v = np.zeros((2, count + 1))
                philox_kernel.pair_units(key, first, v[:, :count], a0, a1)
                np.testing.assert_array_equal(v[0, :count], a0 * u[0, :count])
                np.testing.assert_array_equal(v[1, :count], a1 * u[1, :count])
                assert not v[:, count].any()


def test_words_wrap_around_at_two_to_the_256():
    # The last block of the counter space, then block 0: what NumPy's Philox gives after
    # wrapping (the stream's counters never get there; the kernel is Philox all the same).
    key = KEYS[1]
    out = np.empty(12, dtype=np.uint64)
    philox_kernel.words(key, 2**258 - 4, out)
    head = np.empty(8, dtype=np.uint64)
    philox_kernel.words(key, 0, head)
    np.testing.assert_array_equal(out[4:], head)
    np.testing.assert_array_equal(out, _numpy_philox(key, 2**258 - 4).random_raw(12))
