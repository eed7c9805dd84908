"""Quantum-PEFT vs LoRA vs full fine-tuning on a transfer task from scikit-learn's digits.

``python -m benchmarks peft [--quick] [--seeds S] [--threads T]``

Task: an MLP 64 → 128 → 128 → 5 is pretrained on digits 0–4 (8×8 images bundled
with scikit-learn, no download), then adapted to digits 5–9 (labels 5…9 mapped
to the same 5 outputs). Every method adapts the same three Linear layers
starting from the same pretrained weights and trains on the same split with Adam
(full batch) for the same number of steps:

- full fine-tuning (all weights and biases);
- LoRA (our :class:`qla.peft.LoRALinear`) at ranks 1, 2 and 4;
- Quantum-PEFT (:class:`qla.peft.QuantumPEFTLinear`): K = 4 with L = 1, 2 and
  K = 5 with L = 4 (ranks are capped at 5 by the 128 → 5 head);
- "no adaptation" (the pretrained net read on the new labels: chance level).

Reported per method: test accuracy (mean ± std over seeds), trainable parameters,
parameters relative to LoRA r=1, and the median wall time of the adaptation.
Each seed draws its own split, pretraining initialisation and adapter
initialisation. The learning rates were picked once per method family from
{3e-3, 1e-2, 3e-2} (full, LoRA) or {3e-2, 1e-1, 3e-1} (Quantum-PEFT) on seed 0
(full: 1e-2, LoRA: 3e-2, Quantum-PEFT: 1e-1), not per seed. Torch runs on one
thread by default: on a busy 2-core machine a second thread made these small
matrix products up to 100x slower.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np

from benchmarks.harness import write_results

METHODS_QUICK = [
    ("full fine-tuning", {"kind": "full"}),
    ("LoRA r=1", {"kind": "lora", "rank": 1}),
    ("LoRA r=4", {"kind": "lora", "rank": 4}),
    ("Quantum-PEFT K=4 L=1", {"kind": "qpeft", "rank": 4, "layers": 1}),
]
METHODS_FULL = [
    ("full fine-tuning", {"kind": "full"}),
    ("LoRA r=1", {"kind": "lora", "rank": 1}),
    ("LoRA r=2", {"kind": "lora", "rank": 2}),
    ("LoRA r=4", {"kind": "lora", "rank": 4}),
    ("Quantum-PEFT K=4 L=1", {"kind": "qpeft", "rank": 4, "layers": 1}),
    ("Quantum-PEFT K=4 L=2", {"kind": "qpeft", "rank": 4, "layers": 2}),
    ("Quantum-PEFT K=5 L=4", {"kind": "qpeft", "rank": 5, "layers": 4}),
]
LR = {"full": 1e-2, "lora": 3e-2, "qpeft": 1e-1}


def load_task(seed: int) -> dict[str, Any]:
    """Digits 0–4 (pretraining) and 5–9 (adaptation), each split 60/40, as float32 tensors."""
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    out = {}
    for name, mask, shift in (("pre", y < 5, 0), ("new", y >= 5, 5)):
        xtr, xte, ytr, yte = train_test_split(
            X[mask], y[mask] - shift, test_size=0.4, random_state=seed, stratify=y[mask]
        )
        out[name] = tuple(torch.from_numpy(a) for a in (xtr, ytr, xte, yte))
    return out


def make_mlp(seed: int) -> Any:
    import torch

    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(64, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 5),
    )


def train(model: Any, x: Any, y: Any, steps: int, lr: float) -> float:
    """Full-batch Adam on cross-entropy; returns the wall time in seconds."""
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    t0 = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return time.perf_counter() - t0


def accuracy(model: Any, x: Any, y: Any) -> float:
    import torch

    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def adapt(pretrained: Any, spec: dict[str, Any], data: tuple, steps: int, seed: int) -> dict:
    """Copy ``pretrained``, attach the method in ``spec``, train, and measure."""
    import copy

    from qla.peft import apply_lora, apply_quantum_peft, merge_quantum_peft, trainable_parameters

    xtr, ytr, xte, yte = data
    model = copy.deepcopy(pretrained)
    kind = spec["kind"]
    if kind == "lora":
        apply_lora(model, rank=spec["rank"], seed=seed)
    elif kind == "qpeft":
        apply_quantum_peft(model, rank=spec["rank"], layers=spec["layers"], seed=seed)
    n_train = trainable_parameters(model)
    seconds = train(model, xtr, ytr, steps, LR[kind])
    acc = accuracy(model, xte, yte)
    if kind == "qpeft":  # the merged model must give the same predictions
        merged = merge_quantum_peft(copy.deepcopy(model))
        assert abs(accuracy(merged, xte, yte) - acc) < 1e-6
    return {"accuracy": acc, "trainable": n_train, "seconds": seconds}


def run(seeds: int, quick: bool, threads: int) -> list[dict[str, Any]]:
    import torch

    torch.set_num_threads(threads)
    methods = METHODS_QUICK if quick else METHODS_FULL
    steps_pre, steps = (150, 100) if quick else (200, 200)
    per: dict[str, list[dict]] = {name: [] for name, _ in methods}
    per["no adaptation"] = []
    for seed in range(seeds):
        task = load_task(seed)
        net = make_mlp(seed)
        train(net, task["pre"][0], task["pre"][1], steps_pre, 3e-3)
        pre_acc = accuracy(net, task["pre"][2], task["pre"][3])
        per["no adaptation"].append(
            {"accuracy": accuracy(net, *task["new"][2:]), "trainable": 0, "seconds": 0.0}
        )
        for name, spec in methods:
            r = adapt(net, spec, task["new"], steps, seed)
            r["pretrain_accuracy"] = pre_acc
            per[name].append(r)
    lora1 = statistics.median(r["trainable"] for r in per["LoRA r=1"])
    lora1_time = statistics.median(r["seconds"] for r in per["LoRA r=1"])
    rows = []
    for name, runs in per.items():
        accs = [r["accuracy"] for r in runs]
        trainable = runs[0]["trainable"]
        rows.append(
            {
                "method": name,
                "trainable": trainable,
                "vs LoRA r=1": trainable / lora1,
                "accuracy": statistics.mean(accs),
                "acc std": statistics.stdev(accs) if len(accs) > 1 else 0.0,
                "acc min": min(accs),
                "time s (median)": statistics.median(r["seconds"] for r in runs),
                "time vs LoRA r=1": statistics.median(r["seconds"] for r in runs) / lora1_time,
                "seeds": len(runs),
            }
        )
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks peft", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="3 seeds, 4 methods, 100 steps (about a minute)"
    )
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args(argv)
    try:
        import torch  # noqa: F401
    except ImportError:
        print('peft benchmark skipped: torch is not installed (pip install "qla[torch]")')
        return 0
    seeds = args.seeds or (3 if args.quick else 5)
    rows = run(seeds, args.quick, args.threads)
    columns = ["method", "trainable", "vs LoRA r=1", "accuracy", "acc std", "acc min"]
    columns += ["time s (median)", "time vs LoRA r=1", "seeds"]
    mode = "quick" if args.quick else "full"
    notes = (
        f"Mode {mode}: MLP 64-128-128-5 pretrained on digits 0-4, adapted to digits 5-9; "
        "test accuracy over seeds (each seed: new split, pretraining and adapter init). "
        "Adapters wrap all three Linear layers; biases frozen except in full fine-tuning. "
        "Machine shared with other jobs: times are indicative, compare ratios."
    )
    write_results(f"peft-{mode}", rows, columns, notes)
    return 0
