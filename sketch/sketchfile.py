"""The file format of saved coordinated sketches, and what a valid file must satisfy.

A saved sketch is an uncompressed ``.npz`` archive (one ``.npy`` member per
field, read without pickle) that carries

* ``format`` = ``"qla-sketch"`` and ``format_version`` (this module writes
  :data:`FORMAT_VERSION`), so a foreign archive or a file from another version
  is recognised;
* ``stream_version``, the version of the keyed random stream the sketch was
  drawn from (:data:`sketch.rng.STREAM_VERSION`): sketches of different
  versions saw different random values and must not be combined;
* ``checksum``, the SHA-256 of every other member's name, dtype, shape and
  bytes, so a flipped bit or an edited field is caught.

Reading never trusts the archive: members are parsed from their own bytes
(a header cannot make the reader allocate more than the file holds), object
arrays are refused, and the decoded sketch is checked for internal
consistency (one key per stored row, keys sorted, distinct and within the
sketched rows, thresholds and weights that a sampler could have produced).
Every failure is a :class:`~sketch.errors.SketchFileError` naming the file and
what is wrong; a missing file stays a ``FileNotFoundError``.

Examples
--------
>>> import numpy as np, os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "s.npz")
>>> with open(path, "wb") as f:
...     _ = f.write(b"not a sketch")
>>> read(path)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
sketch.errors.SketchFileError: ... is not a qla sketch file: not an .npz archive ...
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .backend import sparse
from .budgets import check_allocation
from .checks import check_path
from .errors import SketchFileError

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "write", "read"]

FORMAT_NAME = "qla-sketch"
#: Version 1 was the unversioned, unchecked format; version 2 adds the format name,
#: the stream version and the checksum.
FORMAT_VERSION = 2

_FLOATS = ("float32", "float64", "complex64", "complex128")
_SAMPLED = ("priority", "threshold")
_LINEAR = ("jl", "countsketch")
_REL = 1e-9  # float slack for sums recomputed from stored rows


def _digest(members: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(members):
        if name == "checksum":
            continue
        a = np.ascontiguousarray(members[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def write(path: str | Path, payload: dict[str, np.ndarray]) -> None:
    """Write ``payload`` (field name → array) with format, version and checksum to exactly
    ``path`` (``numpy.savez`` alone would append ``.npz`` to a name without it, so that
    loading the name given would fail)."""
    path = check_path(path)
    members = {name: np.asarray(v) for name, v in payload.items()}
    members["format"] = np.array(FORMAT_NAME)
    members["format_version"] = np.int64(FORMAT_VERSION)
    members["checksum"] = np.array(_digest(members))
    with open(path, "wb") as fh:
        np.savez(fh, **members)


# --------------------------------------------------------------------------
# reading the container
# --------------------------------------------------------------------------
def _parse_npy(raw: bytes, name: str, path: Any) -> np.ndarray:
    """One ``.npy`` member from its bytes, sized by the bytes actually there."""
    fp = io.BytesIO(raw)
    try:
        major, _ = np.lib.format.read_magic(fp)
        header = (np.lib.format.read_array_header_1_0 if major == 1
                  else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = header(fp)
    except Exception as exc:  # noqa: BLE001 - any malformed header is a damaged file
        raise SketchFileError(f"{path} is damaged: member {name!r} has no valid array "
                              f"header ({exc})") from exc
    if dtype.hasobject:
        raise SketchFileError(f"{path} member {name!r} holds Python objects; qla sketch files "
                              "hold plain arrays only (pickled data is never loaded)")
    count = math.prod(shape)
    offset = fp.tell()
    if count * dtype.itemsize != len(raw) - offset:
        raise SketchFileError(f"{path} is truncated or damaged: member {name!r} declares shape "
                              f"{shape} ({count * dtype.itemsize} bytes) but holds "
                              f"{len(raw) - offset} bytes")
    arr = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
    return arr.reshape(shape, order="F" if fortran else "C").copy()


def _members(path: str | Path) -> dict[str, np.ndarray]:
    try:
        zf = zipfile.ZipFile(path)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except Exception as exc:  # noqa: BLE001 - BadZipFile, OSError, ValueError, EOFError ...
        raise SketchFileError(f"{path} is not a qla sketch file: not an .npz archive "
                              f"(empty, truncated or foreign: {exc})") from exc
    with zf:
        infos = zf.infolist()
        if not infos:
            raise SketchFileError(f"{path} is not a qla sketch file: the archive is empty")
        size = os.path.getsize(path) if isinstance(path, (str, os.PathLike)) else None
        for info in infos:
            if info.compress_type != zipfile.ZIP_STORED or (
                    size is not None and info.file_size > size):
                raise SketchFileError(f"{path} is not a qla sketch file: member "
                                      f"{info.filename!r} is compressed or larger than the file")
        check_allocation(sum(i.file_size for i in infos), f"reading the sketch file {path}")
        out = {}
        for info in infos:
            name = info.filename
            if not name.endswith(".npy"):
                raise SketchFileError(f"{path} is not a qla sketch file: member {name!r} is "
                                      "not an array")
            try:
                raw = zf.read(info)
            except Exception as exc:  # noqa: BLE001 - CRC errors, EOF, bad local headers
                raise SketchFileError(f"{path} is damaged: member {name!r} cannot be read "
                                      f"({exc})") from exc
            out[name[:-4]] = _parse_npy(raw, name, path)
    return out


# --------------------------------------------------------------------------
# fields
# --------------------------------------------------------------------------
class _Fields:
    """Typed access to the members of one file; every failure names the file."""

    def __init__(self, members: dict[str, np.ndarray], path: Any):
        self.m, self.path = members, path

    def fail(self, what: str) -> SketchFileError:
        return SketchFileError(f"{self.path} is not a valid qla sketch file: {what}")

    def array(self, name: str) -> np.ndarray:
        if name not in self.m:
            raise self.fail(f"the field {name!r} is missing")
        return self.m[name]

    def scalar(self, name: str, kinds: str) -> Any:
        a = self.array(name)
        if a.shape != () or a.dtype.kind not in kinds:
            raise self.fail(f"the field {name!r} should be a scalar of kind {kinds!r}, got "
                            f"{a.dtype} with shape {a.shape}")
        return a[()]

    def text(self, name: str) -> str:
        return str(self.scalar(name, "U"))

    def integer(self, name: str, minimum: int) -> int:
        v = int(self.scalar(name, "iu"))
        if v < minimum:
            raise self.fail(f"{name} = {v} should be at least {minimum}")
        return v

    def real(self, name: str) -> float:
        v = float(self.scalar(name, "f"))
        if not (math.isfinite(v) and v >= 0):
            raise self.fail(f"{name} = {v} should be a finite non-negative number")
        return v

    def flag(self, name: str) -> bool:
        return bool(self.scalar(name, "b"))

    def values(self, name: str, ndim: int) -> np.ndarray:
        a = self.array(name)
        if a.ndim != ndim or a.dtype.name not in _FLOATS:
            raise self.fail(f"{name} should be a {ndim}-D float or complex array, got "
                            f"{a.dtype} with shape {a.shape}")
        if not np.isfinite(a).all():
            raise self.fail(f"{name} holds NaN or infinity")
        return a


def read(path: str | Path) -> dict[str, Any]:
    """Read and check a saved sketch; return its decoded fields.

    Returns a dict with ``kind`` (``"sampled"``/``"linear"``), ``method``,
    ``n_rows``, ``n_cols``, ``fingerprint``, ``keyed``, ``vector``,
    ``stream_version`` and, for sampled sketches, ``keys``, ``rows`` (dense or
    CSR), ``tau``, ``budget``, ``total_weight``; for linear ones ``data``.

    Raises
    ------
    SketchFileError
        For anything but a complete, unaltered, self-consistent sketch file.
    """
    path = check_path(path)
    if isinstance(path, bytes):  # zipfile takes a bytes object for the archive's contents
        path = os.fsdecode(path)
    members = _members(path)
    f = _Fields(members, path)
    if "format" not in members:
        if "kind" in members and "fingerprint" in members:
            raise f.fail("it was written by a qla version before sketch files carried a "
                         "format version and a checksum; re-create and save the sketch")
        raise f.fail(f"it is an .npz archive without the {FORMAT_NAME!r} format mark "
                     f"(fields: {', '.join(sorted(members)[:8])})")
    if f.text("format") != FORMAT_NAME:
        raise f.fail(f"its format is {f.text('format')!r}, not {FORMAT_NAME!r}")
    version = f.integer("format_version", 1)
    if version != FORMAT_VERSION:
        raise f.fail(f"it has format version {version}; this qla reads version "
                     f"{FORMAT_VERSION}" + (" — upgrade qla" if version > FORMAT_VERSION else ""))
    if f.text("checksum") != _digest(members):
        raise f.fail("its checksum does not match its contents (the file was damaged or "
                     "edited after it was saved)")
    out: dict[str, Any] = dict(
        kind=f.text("kind"), method=f.text("method"), n_rows=f.integer("n_rows", 1),
        n_cols=f.integer("n_cols", 1), fingerprint=f.text("fingerprint"),
        keyed=f.flag("keyed"), vector=f.flag("vector"),
        stream_version=f.integer("stream_version", 1),
    )
    fp = out["fingerprint"]
    if len(fp) != 16 or any(c not in "0123456789abcdef" for c in fp):
        raise f.fail(f"fingerprint {fp!r} is not a 16-digit hex seed fingerprint")
    if out["vector"] and out["n_cols"] != 1:
        raise f.fail(f"it is marked as a vector sketch but has {out['n_cols']} columns")
    if out["kind"] == "linear":
        _linear_fields(f, out)
    elif out["kind"] == "sampled":
        _sampled_fields(f, out)
    else:
        raise f.fail(f"unknown sketch kind {out['kind']!r}")
    return out


def _linear_fields(f: _Fields, out: dict[str, Any]) -> None:
    if out["method"] not in _LINEAR:
        raise f.fail(f"a linear sketch cannot have method {out['method']!r}")
    data = f.values("data", 2)
    if data.shape[1] != out["n_cols"] or data.shape[0] < 1:
        raise f.fail(f"data has shape {data.shape} but the sketch has {out['n_cols']} columns")
    out["data"] = data


def _sampled_fields(f: _Fields, out: dict[str, Any]) -> None:
    method, n_rows, n_cols = out["method"], out["n_rows"], out["n_cols"]
    if method not in _SAMPLED:
        raise f.fail(f"a sampled sketch cannot have method {method!r}")
    keys = f.array("keys")
    if keys.ndim != 1 or keys.dtype.kind not in "iu":
        raise f.fail(f"keys should be a 1-D integer array, got {keys.dtype} {keys.shape}")
    keys = keys.astype(np.int64)
    k = keys.shape[0]
    if k and not bool((np.diff(keys) > 0).all()):
        raise f.fail("keys are not sorted and distinct")
    if k > n_rows:
        raise f.fail(f"it holds {k} keys but the sketched matrix had only {n_rows} rows")
    if not out["keyed"] and k and (keys[0] < 0 or keys[-1] >= n_rows):
        raise f.fail(f"keys must be row positions 0..{n_rows - 1}, found {keys[0]}..{keys[-1]}")
    if f.flag("sparse"):
        data, indices, indptr = f.values("data", 1), f.array("indices"), f.array("indptr")
        if (indices.ndim != 1 or indices.dtype.kind not in "iu" or indptr.ndim != 1
                or indptr.dtype.kind not in "iu"):
            raise f.fail("indices and indptr should be 1-D integer arrays")
        if (indptr.shape[0] != k + 1 or indptr[0] != 0 or indptr[-1] != data.shape[0]
                or indices.shape[0] != data.shape[0] or bool((np.diff(indptr) < 0).any())):
            raise f.fail(f"the sparse rows do not match the {k} keys (indptr of length "
                         f"{indptr.shape[0]}, {data.shape[0]} values)")
        if indices.shape[0] and (indices.min() < 0 or indices.max() >= n_cols):
            raise f.fail(f"column indices lie outside 0..{n_cols - 1}")
        rows = sparse(np).csr_matrix((data, indices.astype(np.int32), indptr.astype(np.int64)),
                          shape=(k, n_cols))
        w = np.asarray(abs(rows).power(2).sum(axis=1)).ravel()
    else:
        rows = f.values("data", 2)
        if rows.shape != (k, n_cols):
            raise f.fail(f"it holds {k} keys but rows of shape {rows.shape}; a sampled sketch "
                         f"stores one row of {n_cols} values per key")
        w = (np.abs(rows) ** 2).sum(axis=1)
    tau, budget, total = f.real("tau"), f.integer("budget", 1), f.real("total_weight")
    if k and not bool((w > 0).all()):
        raise f.fail("it stores a zero row; samplers never keep rows of weight zero")
    if float(w.sum()) > total * (1 + _REL) + np.finfo(float).tiny:
        raise f.fail(f"its rows weigh {float(w.sum()):.6g} in total, more than the sketched "
                     f"matrix's total_weight {total:.6g}")
    if method == "threshold":
        want = total / budget if total > 0 else 0.0
        if abs(tau - want) > _REL * max(want, np.finfo(float).tiny):
            raise f.fail(f"threshold tau = {tau:.6g} is not total_weight/budget = {want:.6g}")
    elif k > budget:
        raise f.fail(f"a priority sketch of budget {budget} holds {k} rows")
    out.update(keys=keys, rows=rows, tau=tau, budget=budget, total_weight=total)
