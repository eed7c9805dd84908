"""qla — quantum and randomized linear algebra, the front door.

``import qla`` gives the whole library: the randomized NLA core as
``qla.sketch``, the quantum circuits as ``qla.circuits``, and one-call
solvers, execution, export and integrations here.

Examples
--------
>>> import qla
>>> qla.sketch.Gaussian(4, 10, seed=0).shape
(4, 10)
"""

import circuits
import sketch
from sketch.lstsq import lstsq

from . import peft  # Quantum-PEFT adapters (torch optional, imported lazily)
from .execution import RunResult, run
from .export import export, load_qasm
from .solve import SolveResult, solve
from .tour import tour

__version__ = "0.1.0"

__all__ = ["sketch", "circuits", "tour", "__version__"]
__all__ += ["lstsq"]
__all__ += ["solve", "SolveResult"]
__all__ += ["run", "RunResult", "export", "load_qasm"]
__all__ += ["peft"]
# Also public, imported on first use because scikit-learn is optional:
# SketchedLinearRegression, SketchedRidge, SketchedRidgelessRegression (see qla.estimators).


def __getattr__(name: str):
    # scikit-learn is optional: the estimators are imported only when asked for.
    if name in ("SketchedLinearRegression", "SketchedRidge", "SketchedRidgelessRegression"):
        from . import estimators

        return getattr(estimators, name)
    raise AttributeError(f"module 'qla' has no attribute {name!r}")
