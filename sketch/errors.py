"""Exception and warning classes shared by all qla packages.

Every class subclasses the builtin a caller would expect (``ValueError`` for
bad values, ``TypeError`` for wrong kinds of objects, ``ImportError`` for a
missing optional dependency) so generic handlers keep working, while a caller
who wants one case can catch it precisely.

Examples
--------
>>> from sketch.errors import NonFiniteError
>>> issubclass(NonFiniteError, ValueError)
True
"""

from __future__ import annotations

import importlib
from types import ModuleType


class ShapeError(ValueError):
    """Array shapes are wrong or do not match each other."""


class NonFiniteError(ValueError):
    """An input holds NaN or infinity."""


class NotHermitianError(ValueError):
    """A matrix that must be Hermitian (or symmetric) is not."""


class NotPositiveSemidefiniteError(ValueError):
    """A matrix that must be positive semidefinite (e.g. for Nyström) is not."""


class NotUnitaryError(ValueError):
    """A matrix that must be unitary is not."""


class NotPowerOfTwoError(ValueError):
    """A size that must be a power of two is not."""


class SingularMatrixError(ValueError):
    """A matrix that must be invertible is (numerically) singular."""


class SeedMismatchError(ValueError):
    """Two sketches made from different seeds were combined."""


class ToleranceError(ValueError):
    """An accuracy target cannot be met (e.g. below what float64 certifies)."""


class BackendMismatchError(TypeError):
    """Arrays from different array libraries (NumPy and CuPy) were mixed."""


class UnsupportedBackendError(TypeError):
    """An array library (e.g. torch) that a NumPy/SciPy-only path does not serve; the message
    names the conversion to make."""


class MissingDependencyError(ImportError):
    """An optional dependency is not installed; the message names the extra."""


class InsufficientMemoryError(MemoryError):
    """A requested size cannot fit in the memory free now; refused before allocating."""


class WorkBudgetError(ValueError):
    """A request whose estimated running time exceeds the work budget; refused before
    starting (:func:`sketch.budgets.check_work`, the time counterpart of
    :class:`InsufficientMemoryError`)."""


class SketchFileError(ValueError):
    """A saved sketch file is damaged, truncated, foreign or internally inconsistent."""


class ConvergenceWarning(UserWarning):
    """An iterative method stopped before reaching its tolerance."""


class AccuracyWarning(UserWarning):
    """A sample or sketch is too small for the guarantee that was asked for."""


class SizeWarning(UserWarning):
    """A requested size exceeds what is useful; a smaller size or the exact answer was used."""


def require(module: str, extra: str, purpose: str = "") -> ModuleType:
    """Import an optional dependency or fail with the install command.

    Parameters
    ----------
    module : str
        Importable module name, e.g. ``"cupy"``.
    extra : str
        The ``qla`` extra that installs it, e.g. ``"gpu"``.
    purpose : str, optional
        What the caller wanted to do, for the message.

    Returns
    -------
    module
        The imported module.

    Examples
    --------
    >>> np = require("numpy", "test")
    >>> np.__name__
    'numpy'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        why = f" to {purpose}" if purpose else ""
        raise MissingDependencyError(
            f"{module} is needed{why} but is not installed; "
            f'install it with: pip install "qla[{extra}]"'
        ) from exc
