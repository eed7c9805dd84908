"""Trainable-parameter counts of Quantum-PEFT and LoRA adapters (no torch needed).

Quantum-PEFT (Koike-Akino et al., ICLR 2025) adapts an ``N × M`` layer with
``P(N, L) + P(M, L) + K`` parameters (``P`` from
:func:`circuits.peft.stiefel_num_params`), LoRA of rank ``r`` with ``r (N + M)``;
:func:`parameter_table` compares them on square layers. The adapters themselves are
in :mod:`qla.peft`, which also reports the counts for a model's layers.

Examples
--------
>>> quantum_peft_num_params(1024, 1024, rank=8, layers=1), lora_num_params(1024, 1024, rank=1)
(64, 2048)
"""

from __future__ import annotations

from typing import Any

from circuits.peft import stiefel_num_params
from sketch.checks import check_positive_int

__all__ = ["quantum_peft_num_params", "lora_num_params", "parameter_table", "check_rank",
           "check_int_list"]


def quantum_peft_num_params(in_features: int, out_features: int, rank: int, layers: int) -> int:
    """Trainable parameters of one Quantum-PEFT adapter: ``P(N, L) + P(M, L) + K``.

    Examples
    --------
    >>> quantum_peft_num_params(256, 256, rank=8, layers=1)
    52
    """
    m = check_positive_int(in_features, "in_features")
    n = check_positive_int(out_features, "out_features")
    k = check_rank(rank, m, n)
    return stiefel_num_params(n, layers) + stiefel_num_params(m, layers) + k


def lora_num_params(in_features: int, out_features: int, rank: int) -> int:
    """Trainable parameters of one LoRA adapter: ``r (N + M)``.

    Examples
    --------
    >>> lora_num_params(256, 256, rank=1)
    512
    """
    m = check_positive_int(in_features, "in_features")
    n = check_positive_int(out_features, "out_features")
    return check_rank(rank, m, n) * (m + n)


def check_rank(rank: Any, m: int, n: int, where: str = "") -> int:
    """``rank`` as a positive int no larger than an ``n × m`` weight's orthonormal factors allow."""
    k = check_positive_int(rank, "rank")
    if k > min(m, n):
        raise ValueError(
            f"rank {k} is larger than the layer{where} allows: a {n}×{m} weight has "
            f"orthonormal factors of at most min(out_features, in_features) = {min(m, n)} "
            "columns; lower the rank"
        )
    return k


def check_int_list(values: Any, name: str) -> list[int]:
    """A non-empty list or tuple of positive integers (each checked as ``name[i]``)."""
    if not isinstance(values, (list, tuple)) or not values:
        raise TypeError(f"{name} must be a non-empty tuple of positive integers, got "
                        f"{values!r:.60}")
    return [check_positive_int(v, f"{name}[{i}]") for i, v in enumerate(values)]


def parameter_table(
    sizes: tuple[int, ...] = (256, 512, 1024, 2048, 4096, 8192, 16384),
    rank: int = 8,
    layers: int = 1,
    lora_ranks: tuple[int, ...] = (1, 4, 8),
) -> str:
    """Markdown table: trainable parameters of Quantum-PEFT vs LoRA on square N×N layers.

    Examples
    --------
    >>> print(parameter_table(sizes=(256, 16384)))  # doctest: +NORMALIZE_WHITESPACE
    | N | Quantum-PEFT (K=8, L=1) | LoRA r=1 | LoRA r=4 | LoRA r=8 | LoRA r=1 / QPEFT |
    |---|---|---|---|---|---|
    | 256 | 52 | 512 | 2048 | 4096 | 9.8 |
    | 16384 | 88 | 32768 | 131072 | 262144 | 372.4 |
    """
    sizes = check_int_list(sizes, "sizes")
    lora_ranks = check_int_list(lora_ranks, "lora_ranks")
    head = ["N", f"Quantum-PEFT (K={rank}, L={layers})"]
    head += [f"LoRA r={r}" for r in lora_ranks] + [f"LoRA r={lora_ranks[0]} / QPEFT"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for n in sizes:
        q = quantum_peft_num_params(n, n, rank, layers)
        lora = [lora_num_params(n, n, r) for r in lora_ranks]
        cells = [str(n), str(q)] + [str(v) for v in lora] + [f"{lora[0] / q:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
