"""Quantum-PEFT and LoRA adapters: exactness at init, merge, counts, training, bad input."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from circuits.peft import stiefel_num_params
from qla.peft import lora_num_params, parameter_table, quantum_peft_num_params
from sketch.errors import MissingDependencyError

SIZES = (256, 512, 1024, 2048, 4096, 8192, 16384)


@pytest.fixture
def torch():
    torch = pytest.importorskip("torch")
    # Tiny matrices: one thread avoids thread-pool overhead that dominates on a busy 2-core box.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(before)


def _mlp(torch, dtype=None):
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(64, 32, dtype=dtype),
        torch.nn.ReLU(),
        torch.nn.Linear(32, 12, dtype=dtype),
        torch.nn.ReLU(),
        torch.nn.Linear(12, 5, dtype=dtype),
    )


def test_parameter_counts_and_ratio_grows_with_n():
    for layers in (1, 2, 3):
        for rank in (1, 4, 8):
            q_counts = [quantum_peft_num_params(n, n, rank, layers) for n in SIZES]
            for r in (1, 4, 8):
                ratios = [lora_num_params(n, n, r) / c for n, c in zip(SIZES, q_counts)]
                assert all(b > a for a, b in zip(ratios, ratios[1:]))
            # logarithmic: doubling N adds one qubit per factor, i.e. exactly 2 (2L + 1) angles
            assert all(b - a == 2 * (2 * layers + 1) for a, b in zip(q_counts, q_counts[1:]))
    # exact values, from the formula P = (2L+1) q - 2L per factor
    assert quantum_peft_num_params(256, 256, 8, 1) == 2 * (3 * 8 - 2) + 8 == 52
    assert quantum_peft_num_params(768, 1024, 4, 2) == 2 * (5 * 9 - 4) + (5 * 10 - 4) + 4
    assert lora_num_params(768, 1024, 4) == 4 * (768 + 1024)
    table = parameter_table()
    assert "| 16384 | 88 | 32768 | 131072 | 262144 | 372.4 |" in table
    assert len(table.splitlines()) == 2 + len(SIZES)


def test_quantum_peft_starts_exact_and_matches_its_delta(torch):
    from qla.peft import QuantumPEFTLinear, apply_quantum_peft, trainable_parameters

    model = _mlp(torch, torch.float64)
    x = torch.randn(9, 64, dtype=torch.float64)
    before = model(x).detach()
    apply_quantum_peft(model, target_modules=["0", "2", "4"], rank=3, layers=2, seed=4)
    assert torch.equal(model(x), before)
    adapters = [m for m in model.modules() if isinstance(m, QuantumPEFTLinear)]
    assert len(adapters) == 3
    expect = sum(
        stiefel_num_params(a.out_features, 2) + stiefel_num_params(a.in_features, 2) + 3
        for a in adapters
    )
    assert trainable_parameters(model) == expect
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert all(n.rsplit(".", 1)[-1] in ("theta_u", "theta_v", "lam") for n in trainable)
    lin = adapters[2]  # 12 -> 5: both sizes use the two-window embedding
    u, v = lin.factors()
    assert u.shape == (5, 3) and v.shape == (12, 3)
    assert torch.allclose(u.T @ u, torch.eye(3, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(v.T @ v, torch.eye(3, dtype=torch.float64), atol=1e-12)
    with torch.no_grad():
        for a in adapters:
            a.lam.copy_(torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64))
    h = torch.randn(4, 12, dtype=torch.float64)
    direct = h @ (lin.base.weight + lin.delta_weight()).T + lin.base.bias
    assert torch.allclose(lin(h), direct, atol=1e-12)
    # ΔW has exactly the singular values |λ|
    s = torch.linalg.svdvals(lin.delta_weight())[:3]
    assert torch.allclose(s, torch.tensor([2.0, 1.0, 0.5], dtype=torch.float64), atol=1e-12)


def test_merge_preserves_outputs(torch):
    from qla.peft import apply_lora, apply_quantum_peft, merge_lora, merge_quantum_peft

    for apply, merge in ((apply_quantum_peft, merge_quantum_peft), (apply_lora, merge_lora)):
        model = apply(_mlp(torch, torch.float64), rank=2, seed=1)
        with torch.no_grad():
            for p in model.parameters():
                if p.requires_grad:
                    p.add_(0.3 * torch.randn_like(p))
        x = torch.randn(6, 64, dtype=torch.float64)
        adapted = model(x).detach()
        merged = merge(model)
        assert all(type(m).__name__ in ("Linear", "ReLU", "Sequential") for m in merged.modules())
        assert torch.allclose(merged(x), adapted, atol=1e-12)
        assert not torch.allclose(merged(x), _mlp(torch, torch.float64)(x))


def test_lora_counts_and_init(torch):
    from qla.peft import LoRALinear, apply_lora, parameter_report, trainable_parameters

    plain = _mlp(torch)
    rows, table = parameter_report(plain, rank=4, layers=1, lora_ranks=(1, 4, 8))
    model = apply_lora(_mlp(torch), rank=4, seed=0)
    assert trainable_parameters(model) == rows[-1].lora[4] == 4 * (96 + 44 + 17)
    assert isinstance(model[0], LoRALinear)
    x = torch.randn(3, 64)
    assert torch.equal(model(x), _mlp(torch)(x))
    assert rows[-1].quantum_peft == sum(r.quantum_peft for r in rows[:-1])
    assert rows[-1].lora[8] == 8 * (96 + 44)  # rank 8 > 5 outputs: the head is left out
    assert "| total |" in table and "-" in table.splitlines()[-2]


def test_quantum_peft_learns_a_reachable_update(torch):
    from qla.peft import QuantumPEFTLinear

    torch.manual_seed(0)
    lin = torch.nn.Linear(32, 16, dtype=torch.float64)
    target = QuantumPEFTLinear(torch.nn.Linear(32, 16, dtype=torch.float64), 4, 2, seed=100)
    with torch.no_grad():
        target.lam.copy_(torch.tensor([3.0, 2.0, 1.5, 1.0], dtype=torch.float64))
    x = torch.randn(256, 32, dtype=torch.float64)
    y = x @ (lin.weight + target.delta_weight()).detach().T + lin.bias.detach()
    model = QuantumPEFTLinear(lin, 4, 2, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(100):
        loss = ((model(x) - y) ** 2).mean()
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert losses[-1] < 0.1 * losses[0]
    assert model.theta_u.grad is not None and float(model.theta_u.grad.abs().sum()) > 0


def test_bad_input(torch):
    from qla.peft import QuantumPEFTLinear, apply_lora, apply_quantum_peft

    with pytest.raises(ValueError, match="rank 6 is larger"):
        apply_quantum_peft(_mlp(torch), rank=6)  # the 12 -> 5 head allows at most 5
    with pytest.raises(ValueError, match="rank 65 is larger"):
        QuantumPEFTLinear(torch.nn.Linear(64, 128), rank=65)
    with pytest.raises(ValueError, match="rank 300 is larger"):
        quantum_peft_num_params(256, 256, 300, 1)
    with pytest.raises(ValueError, match="layers must be at least 1"):
        apply_quantum_peft(_mlp(torch), rank=2, layers=0)
    with pytest.raises(TypeError, match="not torch.nn.Linear"):
        apply_quantum_peft(_mlp(torch), target_modules=["1"], rank=2)
    with pytest.raises(TypeError, match="not torch.nn.Linear"):
        apply_lora(_mlp(torch), target_modules="1", rank=2)
    with pytest.raises(TypeError, match="wraps torch.nn.Linear"):
        QuantumPEFTLinear(torch.nn.Conv1d(2, 2, 1), rank=1)
    with pytest.raises(ValueError, match="matches no submodule"):
        apply_quantum_peft(_mlp(torch), target_modules=["fc9"], rank=2)
    # a failed call leaves the model untouched (validation before surgery)
    model = _mlp(torch)
    with pytest.raises(ValueError):
        apply_quantum_peft(model, rank=6)
    assert all(p.requires_grad for p in model.parameters())


def test_torch_missing_names_the_extra(monkeypatch):
    import qla.peft as peft

    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    for call in (
        lambda: peft.apply_quantum_peft(object(), rank=2),
        lambda: peft.apply_lora(object(), rank=2),
        lambda: peft.merge_quantum_peft(object()),
        lambda: peft.QuantumPEFTLinear,
    ):
        with pytest.raises(MissingDependencyError, match=r'pip install "qla\[torch\]"'):
            call()
    # the torch-free parts keep working
    assert peft.quantum_peft_num_params(256, 256, 8, 1) == 52


def test_qla_imports_without_torch():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import qla, qla.peft\n"
        "assert qla.peft.lora_num_params(4, 4, 1) == 8\n"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_tour_stop(monkeypatch):
    from qla.tour import STOPS
    from qla.tour.peft import run

    assert "qla.tour.peft" in STOPS
    stop = run(0, np)
    err = float(stop.accuracy.split("max err ")[1].split(",")[0])
    assert err < 1e-10
    monkeypatch.setitem(sys.modules, "torch", None)
    assert "skipped (torch not installed" in run(1, np).case
