"""The ``backend`` fixture: one test body run on every array library present.

Parametrised over NumPy, torch on the CPU (when PyTorch is installed), CuPy and
torch on CUDA (``gpu``-marked; they skip without a CUDA device). A test takes
``backend`` and builds its inputs with ``backend.asarray(numpy_array)``, reads
results back with ``backend.to_numpy(x)`` and checks ``backend.owns(x)`` (right
library, right device, no silent copy to the host).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from sketch import backend as B


@dataclass(frozen=True)
class Backend:
    """One array library (and device) for a parametrised test."""

    name: str  # "numpy", "torch-cpu", "cupy", "torch-cuda"
    xp: Any  # the namespace sketch.backend.array_module returns for its arrays
    device: Any  # the device= argument for creation calls / haar's ``device=``

    def asarray(self, a: Any) -> Any:
        """``a`` (host data) as this backend's array, on its device."""
        return B.asarray(np.asarray(a), xp=self.xp, device=self.device)

    def to_numpy(self, x: Any) -> np.ndarray:
        """``x`` copied to the host as a NumPy array."""
        return B.to_numpy(x)

    def owns(self, x: Any) -> bool:
        """Whether ``x`` is an array of this library on this backend's device."""
        if self.name == "numpy":
            return isinstance(x, np.ndarray) or B.is_sparse(x) and not B.is_torch(x)
        if self.name == "cupy":
            return B.is_cupy(x)
        return B.is_torch(x) and x.device.type == ("cpu" if self.name == "torch-cpu" else "cuda")

    @property
    def sample_device(self) -> Any:
        """The ``device=`` argument of samplers that create arrays (e.g. haar_unitary)."""
        return {"numpy": "cpu", "cupy": "gpu", "torch-cpu": "torch:cpu",
                "torch-cuda": "torch:cuda"}[self.name]


def _make(name: str) -> Backend:
    if name == "numpy":
        return Backend(name, np, None)
    if name == "cupy":
        cupy = pytest.importorskip("cupy")
        return Backend(name, cupy, None)
    torch = pytest.importorskip("torch")
    dev = torch.device("cpu" if name == "torch-cpu" else "cuda")
    if dev.type == "cuda" and not torch.cuda.is_available():
        pytest.skip("needs a CUDA device for torch")
    return Backend(name, B.module_for_device("torch"), dev)


_HAS_TORCH = importlib.util.find_spec("torch") is not None
BACKENDS = [
    pytest.param("numpy", id="numpy"),
    pytest.param("torch-cpu", id="torch-cpu",
                 marks=() if _HAS_TORCH else pytest.mark.skip(reason="needs PyTorch")),
    pytest.param("cupy", id="cupy", marks=pytest.mark.gpu),
    pytest.param("torch-cuda", id="torch-cuda", marks=pytest.mark.gpu),
]


@pytest.fixture(params=BACKENDS)
def backend(request) -> Backend:
    """Each array backend present: numpy, torch-cpu, and (gpu-marked) cupy, torch-cuda."""
    return _make(request.param)
