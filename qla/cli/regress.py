"""``qla regress``: least-squares / ridge regression of a data file with ``sketch.lstsq``.

Data files:

* ``.csv`` — a header row names the columns, every other row is numbers;
  ``--target`` is a column name or a 0-based index (default: the last column).
* ``.npy`` — a 2-D numeric array; ``--target`` is a column index (default: last).
* ``.npz`` — arrays ``X`` (2-D) and ``y`` (1-D), or the target array named by
  ``--target``.

Every other column is a feature. With ``--intercept`` (the default) the
features and target are centred first, so that ridge does not shrink the
intercept. Bad files, missing columns and non-numeric data end the command with
a one-line error and exit code 2.

Examples
--------
>>> from qla.cli import main
>>> main(["regress", "data.csv", "--target", "y", "--method", "sketch-and-solve"])
... # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np

FORMATS = (".csv", ".npy", ".npz")


def register(sub: argparse._SubParsersAction) -> None:
    from sketch.lstsq import METHODS
    from sketch.operators import OPERATORS

    p = sub.add_parser(
        "regress",
        help="least-squares / ridge regression of a .csv, .npy or .npz file",
        description="Fit target ≈ intercept + features · coef with sketch.lstsq and print the "
        "coefficients and fit statistics. CSV: header row of names, --target a name or "
        "index (default last column). NPY: 2-D array, --target a column index (default "
        "last). NPZ: arrays X and y (or --target names the target array).",
    )
    p.add_argument("data", metavar="DATA", help="data file (.csv, .npy or .npz)")
    p.add_argument("--target", default=None, help="target column (name or index) or npz key")
    p.add_argument("--method", default=None, choices=list(METHODS),
                   help="least-squares method (default: sketch.lstsq's, fossils where a "
                   "sketch pays and direct (LAPACK) where it cannot; the output names the "
                   "method that ran)")
    p.add_argument("--sketch", default=None, choices=[*OPERATORS, "srht-dct"],
                   help="sketch kind (default: sparse-sign)")
    p.add_argument("--sketch-size", type=int, default=None, metavar="S",
                   help="sketch rows (default: sketch.lstsq's, 12 x features for fossils, "
                   "at most the rows)")
    p.add_argument("--alpha", type=float, default=0.0, help="ridge parameter (default 0)")
    p.add_argument("--tol", type=float, default=None, help="LSQR tolerance (default 1e-10)")
    p.add_argument("--maxiter", type=int, default=None, help="most LSQR iterations (default 200)")
    p.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help="stop the iteration after this many seconds and report its last "
                        "iterate (default: no limit)")
    p.add_argument("--no-intercept", dest="intercept", action="store_false",
                   help="fit without an intercept")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=run)


# -- loading ------------------------------------------------------------------------------


def _column_index(target: str | None, names: list[str], what: str) -> int:
    """Index of the target among ``names`` (a name, or an index, possibly negative)."""
    if target is None:
        return len(names) - 1
    if target in names:
        return names.index(target)
    try:
        j = int(target)
    except ValueError:
        raise ValueError(f"no column {target!r} in {what}; columns are: "
                         f"{', '.join(names[:20])}" + (" ..." if len(names) > 20 else "")
                         ) from None
    if not -len(names) <= j < len(names):
        raise ValueError(f"column index {j} is out of range for {what} with {len(names)} "
                         "columns")
    return j % len(names)


def _load_csv(path: Path, target: str | None):
    with path.open(newline="") as fh:
        try:
            rows = list(csv.reader(fh))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ValueError(f"{path} is not a readable CSV file ({exc})") from None
    rows = [r for r in rows if any(field.strip() for field in r)]
    if len(rows) < 2:
        raise ValueError(f"{path} has no data rows (a header row and at least one row of "
                         "numbers are needed)")
    names = [h.strip() for h in rows[0]]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"{path}: the header repeats column name(s) {', '.join(map(repr, dup))}; "
                         "every column needs its own name (--target and the coefficients "
                         "refer to columns by name)")
    data = np.empty((len(rows) - 1, len(names)))
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(names):
            raise ValueError(f"{path} line {i} has {len(row)} fields, the header has "
                             f"{len(names)}")
        for j, field in enumerate(row):
            try:
                data[i - 2, j] = float(field)
            except ValueError:
                raise ValueError(f"non-numeric value {field.strip()!r} in column "
                                 f"{names[j]!r}, line {i} of {path}") from None
    j = _column_index(target, names, str(path))
    features = [n for k, n in enumerate(names) if k != j]
    return np.delete(data, j, axis=1), data[:, j], features, names[j]


def _numeric(a: np.ndarray, what: str) -> np.ndarray:
    if a.dtype.kind not in "iufb":
        raise ValueError(f"{what} is not numeric (dtype {a.dtype})")
    return a.astype(np.float64) if a.dtype.kind in "iub" else a


def _load_npy(path: Path, target: str | None):
    try:
        a = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"{path} is not a readable .npy file ({exc})") from None
    if not isinstance(a, np.ndarray) or a.ndim != 2:
        raise ValueError(f"{path} holds a {getattr(a, 'ndim', '?')}-D array; regress needs a "
                         "2-D array (rows = samples, one column is the target)")
    a = _numeric(a, str(path))
    names = [f"x{k}" for k in range(a.shape[1])]
    try:
        j = _column_index(target, list(map(str, range(a.shape[1]))), str(path))
    except ValueError:
        raise ValueError(f"--target must be a column index of {path} (0..{a.shape[1] - 1}), "
                         f"got {target!r}") from None
    features = [n for k, n in enumerate(names) if k != j]
    return np.delete(a, j, axis=1), a[:, j], features, f"column {j}"


def _load_npz(path: Path, target: str | None):
    ykey = "y" if target is None else target
    try:
        with np.load(path, allow_pickle=False) as f:
            keys = list(f.files)
            missing = [k for k in ("X", ykey) if k not in keys]
            if missing:
                raise ValueError(f"{path} has no array {missing[0]!r} (it has: "
                                 f"{', '.join(keys) or 'nothing'}); it needs X and "
                                 f"{ykey!r}" + ("" if target else " (or --target KEY)"))
            X, y = f["X"], f[ykey]
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path} is not a readable .npz file ({exc})") from None
    if X.ndim != 2:
        raise ValueError(f"array 'X' in {path} is {X.ndim}-D; it must be 2-D")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"array {ykey!r} in {path} has shape {y.shape}; it must be 1-D with "
                         f"one value per row of X ({X.shape[0]})")
    X, y = _numeric(X, f"array 'X' in {path}"), _numeric(y, f"array {ykey!r} in {path}")
    return X, y, [f"x{k}" for k in range(X.shape[1])], ykey


def load(path: str | Path, target: str | None = None):
    """Features X, target y, feature names and target name from a data file.

    Raises
    ------
    ValueError
        Unknown format, unreadable file, missing column or array, non-numeric
        or non-finite data, too few columns.
    OSError
        The file does not exist.
    """
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"{path}: unknown data format {path.suffix or '(none)'!r}; use "
                         ".csv, .npy or .npz")
    if not path.is_file():
        raise OSError(f"{path}: no such file")
    loader = {".csv": _load_csv, ".npy": _load_npy, ".npz": _load_npz}[path.suffix.lower()]
    X, y, features, name = loader(path, target)
    if X.shape[1] == 0:
        raise ValueError(f"{path} has no feature columns besides the target")
    if X.shape[0] == 0:
        raise ValueError(f"{path} has no rows")
    for what, a in (("features", X), ("target", y)):
        if not np.all(np.isfinite(a)):
            bad = np.argwhere(~np.isfinite(a.reshape(len(a), -1)))[0]
            col = features[bad[1]] if what == "features" else name
            raise ValueError(f"non-finite value in column {col!r}, data row {bad[0] + 1} of "
                             f"{path}; remove or impute it")
    return X, y, features, name


# -- the command -------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    from sketch.lstsq import lstsq
    from sketch.scaling import columns_scaled, unit_scaled, unit_unscaled

    X, y, features, name = load(args.data, args.target)
    m, n = X.shape
    # an intercept uses one more degree of freedom (the centring)
    underdetermined = m - int(args.intercept) <= n
    if underdetermined:
        print(f"qla regress: warning: {m} rows for {n} features"
              f"{' and an intercept' if args.intercept else ''}: the fit is underdetermined, "
              "so coefficients that fit every row exactly exist and R^2 = 1 says nothing "
              "about the model (any coefficients shown are one exact fit of many) — add rows, "
              "drop features or regularise with --alpha", file=sys.stderr)
    # Fit on copies scaled by powers of two (exact) with max|entry| in [1/2, 1): a column of
    # ±1e308 would otherwise overflow the centring's mean and the residual sums, though the
    # coefficients themselves are representable. Ridge's alpha scales with X squared; least
    # squares scales each column by its own power where their scales spread (a column of
    # 1e-300 next to one of 1e300 fell below the rank cut-off: coefficient 0).
    Xs, ex = unit_scaled(X) if args.alpha else columns_scaled(X)
    ys, ey = unit_scaled(y)
    if args.intercept:
        xbar, ybar = Xs.mean(axis=0), ys.mean()
        Xc, yc = Xs - xbar, ys - ybar
    else:
        Xc, yc = Xs, ys
    alpha = float(np.ldexp(args.alpha, 2 * ex)) if args.alpha else args.alpha
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        res = lstsq(Xc, yc, args.method, sketch=args.sketch, sketch_size=args.sketch_size,
                    alpha=alpha, tol=args.tol, maxiter=args.maxiter, seed=args.seed,
                    time_limit=args.time_limit)
        seconds = time.perf_counter() - start
    from qla.cli import in_flags

    for w in caught:  # one line each, not the file:line form of the warnings module
        print(f"qla regress: warning: {in_flags(str(w.message), getattr(args, 'flags', {}))}",
              file=sys.stderr)
    coef = unit_unscaled(res.x, ey - ex, "a coefficient")
    intercept = float(unit_unscaled(ybar - xbar @ np.asarray(res.x), ey, "the intercept")
                      ) if args.intercept else 0.0
    rss = float(res.residual_norm) ** 2  # R^2 is scale-free: both sums in the scaled units
    tss = float(np.sum((ys - ys.mean()) ** 2))
    r2 = 1 - rss / tss if tss > 0 else math.nan
    residual_norm = float(np.ldexp(float(res.residual_norm), -ey))

    print(f"{args.data}: {m} rows, {n} features, target {name!r}")
    width = max(len("intercept"), *(len(f) for f in features))
    print("coefficients:")
    if args.intercept:
        print(f"  {'intercept':<{width}}  {intercept: .10g}")
    for f, c in zip(features, coef):
        print(f"  {f:<{width}}  {c: .10g}")
    sk = "none" if res.sketch is None else (
        f"{type(res.sketch).__name__}, {res.sketch_size} rows")
    cond = "n/a" if res.condition_number is None else f"{res.condition_number:.3g}"
    stats = [
        ("method", res.method + (f" (ridge alpha={args.alpha:g})" if args.alpha else "")),
        ("residual norm", f"{residual_norm:.6g}"),
        ("R^2", f"{r2:.6f}" + (" (underdetermined: not a measure of fit)"
                                if underdetermined else "")),
        ("iterations", str(res.iterations)),
        ("converged", str(res.converged)),
        ("sketch", sk),
        ("condition estimate", f"{res.sketched_condition:.3g} (A); {cond} (preconditioned)"
         if res.sketched_condition is not None else cond),
        ("rank", str(res.rank)),
        ("time", f"{seconds:.4f} s"),
    ]
    print("fit:")
    for k, v in stats:
        print(f"  {k:<18}  {v}")
    return 0
