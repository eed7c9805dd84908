"""Saved sketches cannot be silently corrupted: every damaged file is one clear error."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from sketch import sketchfile
from sketch.coordinated import (
    LinearSketch,
    estimate_product,
    jl_sketch,
    load_sketch,
    priority_sample,
    threshold_sample,
)
from sketch.errors import SeedMismatchError, SketchFileError
from sketch.rng import STREAM_VERSION, as_key

DATA = Path(__file__).parent / "data"  # sketches saved by earlier versions of qla


@pytest.fixture
def AB():
    rng = np.random.default_rng(0)
    # Heavy-tailed rows, so most kept rows have inclusion probability below one.
    scale = rng.pareto(1.5, 2000)[:, None] + 0.1
    return rng.standard_normal((2000, 3)) * scale, rng.standard_normal((2000, 2)) * scale


@pytest.fixture
def saved(tmp_path, AB):
    path = tmp_path / "a.npz"
    priority_sample(AB[0], 100, seed=7).save(path)
    return path


def _members(path):
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def _rewrite(path, **changes):
    """Re-save a file with fields changed and a *valid* checksum (a deliberate forgery)."""
    m = _members(path)
    m.update(changes)
    for name in ("format", "format_version", "checksum"):
        m.pop(name)
    sketchfile.write(path, m)


def test_roundtrip_keeps_stream_version_and_checks(saved, AB):
    S = load_sketch(saved)
    assert S.stream_version == STREAM_VERSION
    m = _members(saved)
    assert str(m["format"]) == "qla-sketch" and int(m["format_version"]) == 2
    assert len(str(m["checksum"])) == 64


@pytest.mark.parametrize("damage", ["empty", "truncated", "flipped", "text", "pickle", "npy",
                                    "foreign_npz", "legacy", "future", "object"])
def test_every_damaged_file_is_a_sketch_file_error(tmp_path, saved, damage):
    raw = saved.read_bytes()
    bad = tmp_path / "bad.npz"
    if damage == "empty":
        bad.write_bytes(b"")
    elif damage == "truncated":
        bad.write_bytes(raw[: len(raw) // 2])
    elif damage == "flipped":  # one bit in the middle of the stored rows
        mid = bytearray(raw)
        mid[len(raw) // 2] ^= 0x10
        bad.write_bytes(bytes(mid))
    elif damage == "text":
        bad.write_text("hello")
    elif damage == "pickle":
        bad.write_bytes(pickle.dumps({"kind": "sampled"}))
    elif damage == "npy":
        np.save(bad, np.ones(3))
        bad = tmp_path / "bad.npz.npy"
    elif damage == "foreign_npz":
        np.savez(bad, x=np.ones(3))
    elif damage == "legacy":  # the unversioned format of earlier qla
        m = _members(saved)
        for name in ("format", "format_version", "checksum", "stream_version"):
            m.pop(name)
        np.savez(bad, **m)
    elif damage == "future":
        m = _members(saved)
        m["format_version"] = np.int64(3)
        m["checksum"] = np.array(sketchfile._digest(m))
        np.savez(bad, **m)
    elif damage == "object":
        with zipfile.ZipFile(bad, "w") as z:
            with z.open("keys.npy", "w") as f:
                np.lib.format.write_array(f, np.array([object()], dtype=object),
                                          allow_pickle=True)
    with pytest.raises(SketchFileError, match="bad.npz"):
        load_sketch(bad)


def test_missing_file_stays_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_sketch(tmp_path / "nope.npz")


def test_edited_field_breaks_the_checksum(tmp_path, saved):
    m = _members(saved)
    m["tau"] = m["tau"] * 2
    np.savez(saved, **m)
    with pytest.raises(SketchFileError, match="checksum"):
        load_sketch(saved)


@pytest.mark.parametrize("field", ["keys_short", "keys_beyond_rows", "keys_unsorted",
                                   "n_rows_small", "budget_small", "zero_row"])
def test_inconsistent_file_refused_even_with_a_valid_checksum(saved, field):
    m = _members(saved)
    change = {
        "keys_short": dict(keys=m["keys"][:-5]),
        "keys_beyond_rows": dict(keys=m["keys"] + 5000),
        "keys_unsorted": dict(keys=m["keys"][::-1].copy()),
        "n_rows_small": dict(n_rows=np.int64(50)),
        "budget_small": dict(budget=np.int64(10)),
        "zero_row": dict(data=np.vstack([np.zeros((1, 3)), m["data"][1:]])),
    }[field]
    _rewrite(saved, **change)
    with pytest.raises(SketchFileError):
        load_sketch(saved)


def test_threshold_tau_must_match_total_over_budget(tmp_path, AB):
    path = tmp_path / "t.npz"
    threshold_sample(AB[0], 100, seed=1).save(path)
    _rewrite(path, total_weight=_members(path)["total_weight"] * 3)
    with pytest.raises(SketchFileError, match="tau"):
        load_sketch(path)


def test_sparse_rows_checked(tmp_path):
    A = sp.random(300, 20, density=0.2, random_state=0, format="csr")
    path = tmp_path / "s.npz"
    priority_sample(A, 30, seed=2).save(path)
    assert sp.issparse(load_sketch(path).rows)
    m = _members(path)
    _rewrite(path, indices=np.full_like(m["indices"], 25))
    with pytest.raises(SketchFileError, match="column indices"):
        load_sketch(path)


def test_sample_drawn_with_another_seed_is_caught(tmp_path, AB):
    """Seed 8's sample labelled with seed 7's fingerprint: refused, not 60 % off."""
    A, B = AB
    path = tmp_path / "forged.npz"
    S8 = priority_sample(A, 100, seed=8)
    S8.fingerprint = as_key(7).fingerprint
    S8.save(path)
    forged = load_sketch(path)  # self-consistent file: loads
    SB = priority_sample(B, 100, seed=7)
    with pytest.raises(SeedMismatchError, match="not what its seed selects"):
        estimate_product(forged, SB)
    with pytest.raises(SeedMismatchError):
        load_sketch(path, seed=7)
    with pytest.raises(SeedMismatchError):
        SB.merge(forged)
    # The genuine article passes all three.
    priority_sample(A, 100, seed=7).save(path)
    genuine = load_sketch(path, seed=7)
    est = estimate_product(load_sketch(path), SB).value
    assert np.allclose(est, estimate_product(genuine, SB).value)


def test_stream_versions_must_match(tmp_path, AB):
    A, B = AB
    path = tmp_path / "old.npz"
    priority_sample(A, 50, seed=3).save(path)
    _rewrite(path, stream_version=np.int64(STREAM_VERSION + 1))
    old = load_sketch(path)
    with pytest.raises(SeedMismatchError, match="stream"):
        estimate_product(old, priority_sample(B, 50, seed=3))
    lin = jl_sketch(A, 8, seed=3)
    lin.save(path)
    _rewrite(path, stream_version=np.int64(STREAM_VERSION + 1))
    with pytest.raises(SeedMismatchError, match="stream"):
        load_sketch(path).merge(lin)


def test_linear_file_shape_checked(tmp_path, AB):
    path = tmp_path / "l.npz"
    jl_sketch(AB[0], 8, seed=3).save(path)
    _rewrite(path, n_cols=np.int64(5))
    with pytest.raises(SketchFileError, match="columns"):
        load_sketch(path)


@pytest.mark.parametrize("name, make", [
    ("sampled_priority_v2", lambda A: priority_sample(A, 4, seed=7)),
    ("sampled_threshold_sparse_v2",
     lambda A: threshold_sample(sp.csr_matrix(np.triu(A, 1)), 3, seed=7, keys=np.arange(100, 108))),
    ("linear_jl_vector_v2", lambda A: jl_sketch(A[:, 0], 4, seed=7)),
])
def test_files_written_before_the_shared_metadata_base_still_load(name, make):
    """Files saved when each class declared its own metadata fields (positional) load into
    the keyword-only shared base unchanged, equal to a sketch made now from the seed."""
    A = np.arange(1.0, 25.0).reshape(8, 3) ** 1.5 / 10
    old = load_sketch(DATA / f"{name}.npz", seed=7 if name.startswith("sampled") else None)
    new = make(A)
    assert type(old) is type(new)
    for f in ("method", "n_rows", "n_cols", "fingerprint", "keyed", "vector", "stream_version"):
        assert getattr(old, f) == getattr(new, f), f
    for f in ("keys", "rows", "data", "tau", "budget", "total_weight"):
        if hasattr(new, f):
            a, b = getattr(old, f), getattr(new, f)
            a, b = (a.toarray(), b.toarray()) if sp.issparse(b) else (a, b)
            np.testing.assert_array_equal(a, b, err_msg=f)
    if isinstance(new, LinearSketch):  # and it still combines with a sketch made now
        np.testing.assert_array_equal(old.merge(new).data, 2 * new.data)
