"""The README's Python examples run as written (each in a fresh namespace, in a temp dir)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(code, tmp_path, monkeypatch):
    if "import torch" in code and importlib.util.find_spec("torch") is None:
        pytest.skip("example needs PyTorch (pip install 'qla[torch]')")
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})
