"""Shared test configuration.

The ``gpu`` mark skips cleanly without CUDA, and a notebook or docstring example that imports
PyTorch skips cleanly without it (PyTorch is the optional ``torch`` extra).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# "ci" keeps the property-based bad-input suite inside the CI budget; "long" is the
# campaign profile (QLA_HYPOTHESIS=long python -m pytest -m hostile). The hostile harness
# runs each case with BLAS on one thread (tests/sketch/hostile.py, _Budget).
_COMMON = dict(deadline=None, derandomize=True, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("ci", max_examples=25, **_COMMON)
settings.register_profile("long", max_examples=1000, **_COMMON)
settings.load_profile(os.environ.get("QLA_HYPOTHESIS", "ci"))

# The suite runs under a 10 s work budget (users get sketch.budgets.WORK_BUDGET_S): a request the
# hostile harness's 20 s hang guard would catch must then be refused by its estimate instead.
os.environ.setdefault("QLA_WORK_BUDGET", "10")


def _gpu_available() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001 - no CuPy, no driver, no device: all mean "no GPU"
        return False


HAS_GPU = _gpu_available()


HAS_TORCH = importlib.util.find_spec("torch") is not None


def pytest_collection_modifyitems(config, items):
    skip_gpu = pytest.mark.skip(reason="needs a CUDA device and CuPy (pip install 'qla[gpu]')")
    skip_torch = pytest.mark.skip(reason="needs PyTorch (pip install 'qla[torch]')")
    for item in items:
        if "gpu" in item.keywords and not HAS_GPU:
            item.add_marker(skip_gpu)
        if not HAS_TORCH and _imports_torch(item):
            item.add_marker(skip_torch)


def _imports_torch(item: pytest.Item) -> bool:
    """Whether a notebook or a docstring example imports PyTorch."""
    path = Path(str(item.fspath))
    if path.suffix == ".ipynb":
        return "import torch" in path.read_text()
    dtest = getattr(item, "dtest", None)  # doctest items
    return dtest is not None and any("import torch" in ex.source for ex in dtest.examples)


@pytest.fixture
def cupy():
    """The CuPy module (tests using it must also carry the ``gpu`` mark)."""
    import cupy

    return cupy
