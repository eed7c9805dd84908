"""Quantum-PEFT adapters for PyTorch, with a small LoRA for comparison.

Quantum-PEFT (Koike-Akino, Tonin, Wu, Wu, Candogan and Cevher, ICLR 2025,
arXiv:2503.05431) adapts a frozen linear layer ``y = W x + b`` (``W`` of shape
``N × M``: ``N = out_features``, ``M = in_features``) by

    W' = W + U diag(λ) Vᵀ,    U = pauli_stiefel(θ_U, N, L)[:, :K] ∈ St(N, K),
                              V = pauli_stiefel(θ_V, M, L)[:, :K] ∈ St(M, K),

where ``θ_U, θ_V`` are the angles of the real Pauli circuits of
:mod:`circuits.peft` and ``λ ∈ R^K`` is trainable. ``λ`` starts at zero, so the
adapted model starts exactly equal to the pretrained one (``ΔW = 0``), like
LoRA's zero-initialised ``B``; the angles start uniform in ``[-π, π)`` so the
initial subspaces are generic rather than coordinate-aligned (at ``θ = 0`` the
circuit is a ±1 diagonal). The forward pass never forms ``ΔW``: it computes
``((x V) ⊙ λ) Uᵀ``, ``O(batch · (N + M) · K)`` work, plus the structured
construction of ``U`` and ``V`` (``O(P · N · K)``).

Trainable parameters per adapted ``N × M`` layer, with ``P`` from
:func:`circuits.peft.stiefel_num_params`::

    Quantum-PEFT:  P(N, L) + P(M, L) + K      (P(2^q, L) = (2L+1) q - 2L)
    LoRA rank r:   r (N + M)

so the ratio grows like ``N / log N``. For square ``N × N`` layers, Quantum-PEFT
with ``K = 8, L = 1`` against LoRA (this table is :func:`parameter_table`, and
is checked by the tests)::

    |     N | Quantum-PEFT (K=8, L=1) | LoRA r=1 | LoRA r=4 | LoRA r=8 | LoRA r=1 / QPEFT |
    |  256  |            52           |    512   |   2048   |   4096   |         9.8      |
    |  512  |            58           |   1024   |   4096   |   8192   |        17.7      |
    |  1024 |            64           |   2048   |   8192   |  16384   |        32.0      |
    |  2048 |            70           |   4096   |  16384   |  32768   |        58.5      |
    |  4096 |            76           |   8192   |  32768   |  65536   |       107.8      |
    |  8192 |            82           |  16384   |  65536   | 131072   |       199.8      |
    | 16384 |            88           |  32768   | 131072   | 262144   |       372.4      |

Torch is the optional ``torch`` extra (``pip install "qla[torch]"``): this module
imports without it, and every function that needs it raises
:class:`sketch.errors.MissingDependencyError` naming the extra.

Examples
--------
>>> import torch
>>> torch.manual_seed(0) and None
>>> model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 5))
>>> x = torch.randn(7, 64)
>>> before = model(x)
>>> model = apply_quantum_peft(model, target_modules=["0", "2"], rank=4, layers=2, seed=1)
>>> bool(torch.equal(model(x), before))  # ΔW = 0 at initialisation
True
>>> trainable_parameters(model)  # (21 + 26 + 4) + (12 + 21 + 4)
88
>>> merged = merge_quantum_peft(model)
>>> type(merged[0]).__name__
'Linear'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from circuits.peft import check_entangler, pauli_stiefel, stiefel_num_params
from sketch.budgets import check_allocation
from sketch.checks import check_positive_int, check_tolerance
from sketch.errors import ShapeError, require
from sketch.rng import as_key

from .peft_counts import (
    check_int_list,
    check_rank,
    lora_num_params,
    parameter_table,
    quantum_peft_num_params,
)

__all__ = [
    "QuantumPEFTLinear",  # noqa: F822 - defined lazily by __getattr__ (needs torch)
    "LoRALinear",  # noqa: F822
    "apply_quantum_peft",
    "apply_lora",
    "merge_quantum_peft",
    "merge_lora",
    "quantum_peft_num_params",
    "lora_num_params",
    "trainable_parameters",
    "parameter_report",
    "parameter_table",
    "ParameterRow",
]


def _torch() -> Any:
    return require("torch", "torch", "use Quantum-PEFT / LoRA adapters")


# ------------------------------------------------------------------ the modules

_CLASSES: dict[str, type] = {}


def _build_classes() -> dict[str, type]:
    """Define the nn.Module classes on first use, so importing qla.peft needs no torch."""
    torch = _torch()  # first, so a missing torch is reported even when the classes exist
    if _CLASSES:
        return _CLASSES
    nn = torch.nn

    def _uniform_angles(p: int, key: Any, like: Any) -> Any:
        values = key.generator().uniform(-math.pi, math.pi, p)
        return torch.tensor(values, dtype=like.dtype, device=like.device)

    class QuantumPEFTLinear(nn.Module):
        """``y = W x + b + U diag(λ) Vᵀ x`` around a frozen ``nn.Linear``.

        Quantum-PEFT (Koike-Akino et al., ICLR 2025); see the module docstring.

        Parameters
        ----------
        base : torch.nn.Linear
            The pretrained layer; its weight and bias are frozen.
        rank : int
            ``K ≤ min(in_features, out_features)``.
        layers : int
            Entangling layers ``L ≥ 1`` of each Pauli circuit.
        entangler : {"cz", "cx"}
        seed : None, int or Generator
            Seed of the initial angles (``sketch.rng``).

        Attributes
        ----------
        theta_u, theta_v : torch.nn.Parameter
            Circuit angles of ``U`` (``stiefel_num_params(out_features, L)``) and
            ``V`` (``stiefel_num_params(in_features, L)``).
        lam : torch.nn.Parameter
            The ``K`` singular values of ``ΔW``, initialised to zero.
        """

        def __init__(
            self,
            base: Any,
            rank: int,
            layers: int = 1,
            entangler: str = "cz",
            seed: Any = None,
        ) -> None:
            super().__init__()
            if not isinstance(base, nn.Linear):
                raise TypeError(
                    f"Quantum-PEFT wraps torch.nn.Linear layers, got {type(base).__name__}"
                )
            n, m = base.out_features, base.in_features
            self.rank = check_rank(rank, m, n)
            self.layers = check_positive_int(layers, "layers")
            self.entangler = check_entangler(entangler)
            self.base = base
            for p in base.parameters():
                p.requires_grad_(False)
            key = as_key(seed)
            w = base.weight
            pu, pv = stiefel_num_params(n, self.layers), stiefel_num_params(m, self.layers)
            # drawn in float64 on the host, then copied to the weight's dtype and device
            check_allocation(16.0 * (pu + pv), f"the {pu + pv} angles of layers={self.layers}",
                             fix="use fewer layers (1 or 2 is the paper's setting)")
            self.theta_u = nn.Parameter(_uniform_angles(pu, key.child("U"), w))
            self.theta_v = nn.Parameter(_uniform_angles(pv, key.child("V"), w))
            self.lam = nn.Parameter(torch.zeros(self.rank, dtype=w.dtype, device=w.device))

        @property
        def in_features(self) -> int:
            return self.base.in_features

        @property
        def out_features(self) -> int:
            return self.base.out_features

        def factors(self) -> tuple[Any, Any]:
            """``(U, V)``: the ``N × K`` and ``M × K`` orthonormal factors."""
            u = pauli_stiefel(
                self.theta_u, self.out_features, self.layers, self.rank, self.entangler
            )
            v = pauli_stiefel(
                self.theta_v, self.in_features, self.layers, self.rank, self.entangler
            )
            return u, v

        def delta_weight(self) -> Any:
            """``ΔW = U diag(λ) Vᵀ`` (``out_features × in_features``)."""
            u, v = self.factors()
            return (u * self.lam) @ v.T

        def forward(self, x: Any) -> Any:
            _check_input(x, self.base)
            u, v = self.factors()
            return self.base(x) + ((x @ v) * self.lam) @ u.T

        def merged(self) -> Any:
            """A plain ``nn.Linear`` with ``W + ΔW`` (for inference)."""
            return _merged_linear(self.base, self.delta_weight())

        def extra_repr(self) -> str:
            return (
                f"in_features={self.in_features}, out_features={self.out_features}, "
                f"rank={self.rank}, layers={self.layers}, entangler={self.entangler!r}"
            )

    class LoRALinear(nn.Module):
        """LoRA (Hu et al., 2021): ``y = W x + b + (α/r) B A x`` around a frozen ``nn.Linear``.

        ``A`` (``r × M``) starts Gaussian with standard deviation ``1/√M``, ``B``
        (``N × r``) at zero, so ``ΔW = 0`` at initialisation.
        """

        def __init__(
            self, base: Any, rank: int, alpha: float | None = None, seed: Any = None
        ) -> None:
            super().__init__()
            if not isinstance(base, nn.Linear):
                raise TypeError(f"LoRA wraps torch.nn.Linear layers, got {type(base).__name__}")
            n, m = base.out_features, base.in_features
            self.rank = check_rank(rank, m, n)
            alpha = self.rank if alpha is None else check_tolerance(alpha, "alpha")
            self.scaling = float(alpha) / self.rank
            top = float(torch.finfo(base.weight.dtype).max) if base.weight.dtype.is_floating_point \
                else math.inf
            if not self.scaling < top:  # (α/r)·0 would be inf·0 = NaN in the layer's precision
                raise ValueError(f"alpha / rank = {self.scaling:.3g} passes the largest "
                                 f"{base.weight.dtype} ({top:.3g}); use a smaller alpha")
            self.base = base
            for p in base.parameters():
                p.requires_grad_(False)
            w = base.weight
            a = as_key(seed).child("A").generator().normal(0.0, 1.0 / math.sqrt(m), (self.rank, m))
            self.lora_a = nn.Parameter(torch.tensor(a, dtype=w.dtype, device=w.device))
            self.lora_b = nn.Parameter(torch.zeros(n, self.rank, dtype=w.dtype, device=w.device))

        @property
        def in_features(self) -> int:
            return self.base.in_features

        @property
        def out_features(self) -> int:
            return self.base.out_features

        def delta_weight(self) -> Any:
            return self.scaling * (self.lora_b @ self.lora_a)

        def forward(self, x: Any) -> Any:
            _check_input(x, self.base)
            return self.base(x) + self.scaling * ((x @ self.lora_a.T) @ self.lora_b.T)

        def merged(self) -> Any:
            return _merged_linear(self.base, self.delta_weight())

        def extra_repr(self) -> str:
            return (
                f"in_features={self.in_features}, out_features={self.out_features}, "
                f"rank={self.rank}, scaling={self.scaling}"
            )

    def _check_input(x: Any, base: Any) -> None:
        w = base.weight
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}; convert it "
                            "with torch.as_tensor")
        if isinstance(x, torch.Tensor) and x.dtype != w.dtype:
            raise TypeError(
                f"x has dtype {x.dtype} but the adapted layer's weights are {w.dtype}; convert "
                f"one to the other (x.to({w.dtype}) or model.to({x.dtype}))"
            )
        if isinstance(x, torch.Tensor) and (x.ndim == 0 or x.shape[-1] != base.in_features):
            raise ShapeError(
                f"x has shape {tuple(x.shape)} but the adapted layer takes "
                f"in_features = {base.in_features} in its last dimension"
            )

    def _merged_linear(base: Any, delta: Any) -> Any:
        out = nn.Linear(
            base.in_features,
            base.out_features,
            bias=base.bias is not None,
            dtype=base.weight.dtype,
            device=base.weight.device,
        )
        with torch.no_grad():
            out.weight.copy_(base.weight + delta)
            if base.bias is not None:
                out.bias.copy_(base.bias)
        return out

    QuantumPEFTLinear.__module__ = __name__
    LoRALinear.__module__ = __name__
    _CLASSES.update(QuantumPEFTLinear=QuantumPEFTLinear, LoRALinear=LoRALinear)
    return _CLASSES


def __getattr__(name: str) -> Any:
    # The nn.Module classes exist only once torch is importable (PEP 562 lazy attribute).
    if name in ("QuantumPEFTLinear", "LoRALinear"):
        return _build_classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ------------------------------------------------------------------ model surgery


def _targets(model: Any, target_modules: Any) -> list[tuple[str, Any]]:
    """``(name, module)`` of the layers to adapt; all ``nn.Linear`` when ``None``."""
    torch = _torch()
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    adapters = tuple(_build_classes().values())
    if isinstance(model, adapters):
        raise ValueError(f"model is already a {type(model).__name__}; merge it first "
                         "(merge_quantum_peft / merge_lora) to adapt it again")
    named = [(n, m) for n, m in model.named_modules() if n]
    # layers inside an adapter (its frozen base) are adapted already
    inside = {n for n, m in named if isinstance(m, adapters)}
    if target_modules is None:
        found = [(n, m) for n, m in named if isinstance(m, torch.nn.Linear)
                 and not any(n.startswith(a + ".") for a in inside)]
        if not found:
            why = ("; every one is adapted already (merge the adapters first to adapt them "
                   "again)" if inside else "")
            if isinstance(model, torch.nn.Linear):
                why = ("; it is one itself, which cannot be replaced in place: wrap it "
                       "(QuantumPEFTLinear(layer) / LoRALinear(layer))")
            raise ValueError(f"the model has no torch.nn.Linear layer to adapt{why}")
        return found
    if isinstance(target_modules, str):
        target_modules = [target_modules]
    if not isinstance(target_modules, (list, tuple, set, frozenset)):
        raise TypeError("target_modules must be a layer name, a list of layer names or None, "
                        f"got {type(target_modules).__name__}")
    target_modules = list(target_modules)
    if not target_modules:
        raise ValueError("target_modules is empty, so nothing would be trained; name the "
                         "layers to adapt, or pass None for every nn.Linear")
    found = []
    for t in target_modules:
        if not isinstance(t, str):
            raise TypeError(f"target_modules holds {t!r}; it must hold layer names (str)")
        hits = [(n, m) for n, m in named if n == t or n.endswith("." + t)]
        if not hits:
            raise ValueError(
                f"target_modules holds {t!r}, which matches no submodule; available: "
                f"{[n for n, _ in named][:20]}"
            )
        for n, m in hits:
            if n in inside or any(n.startswith(a + ".") for a in inside):
                raise ValueError(
                    f"target_modules holds {t!r}: layer {n!r} is adapted already; merge the "
                    "adapters first (merge_quantum_peft / merge_lora) to adapt it again"
                )
            if not isinstance(m, torch.nn.Linear):
                raise TypeError(
                    f"target_modules holds {t!r}: layer {n!r} is a {type(m).__name__}, not "
                    "torch.nn.Linear; "
                    "Quantum-PEFT and LoRA adapt linear layers only"
                )
            if all(n != f for f, _ in found):
                found.append((n, m))
    return found


def _replace(model: Any, name: str, new: Any) -> None:
    parent_name, _, child = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child, new)


def _freeze(model: Any) -> None:
    for p in model.parameters():
        p.requires_grad_(False)


def apply_quantum_peft(
    model: Any,
    target_modules: list[str] | str | None = None,
    rank: int = 4,
    layers: int = 1,
    entangler: str = "cz",
    seed: Any = None,
) -> Any:
    """Freeze ``model`` and wrap its target ``nn.Linear`` layers in :class:`QuantumPEFTLinear`.

    Parameters
    ----------
    model : torch.nn.Module
        Modified in place (and returned).
    target_modules : list of str, str or None
        Submodule names (exact, or a dotted suffix such as ``"fc1"``); ``None``
        adapts every ``nn.Linear``.
    rank : int
        ``K``, at most ``min(in_features, out_features)`` of every target.
    layers : int
        Entangling layers ``L ≥ 1``.
    entangler : {"cz", "cx"}
    seed : None, int or Generator
        Each adapter draws its angles from ``as_key(seed).child(<module name>)``.

    Returns
    -------
    torch.nn.Module
        The model; only the adapters' ``theta_u, theta_v, lam`` are trainable.

    Raises
    ------
    TypeError
        A target is not ``nn.Linear``.
    ValueError
        ``rank`` too large, ``layers < 1``, ``target_modules`` empty, a target that
        matches nothing or is adapted already.
    MissingDependencyError
        torch is not installed (``pip install "qla[torch]"``).
    """
    cls = _build_classes()["QuantumPEFTLinear"]
    check_positive_int(layers, "layers")
    targets = _targets(model, target_modules)
    for name, lin in targets:
        check_rank(rank, lin.in_features, lin.out_features, f" {name!r}")
    _freeze(model)
    key = as_key(seed)
    for name, lin in targets:
        _replace(model, name, cls(lin, rank, layers, entangler, seed=key.child(name)))
    return model


def apply_lora(
    model: Any,
    target_modules: list[str] | str | None = None,
    rank: int = 4,
    alpha: float | None = None,
    seed: Any = None,
) -> Any:
    """Freeze ``model`` and wrap its target ``nn.Linear`` layers in :class:`LoRALinear`.

    Same conventions as :func:`apply_quantum_peft`; ``alpha`` defaults to ``rank``
    (scaling 1).

    Examples
    --------
    >>> import torch
    >>> m = apply_lora(torch.nn.Sequential(torch.nn.Linear(16, 8)), rank=2, seed=0)
    >>> trainable_parameters(m)
    48
    """
    cls = _build_classes()["LoRALinear"]
    targets = _targets(model, target_modules)
    for name, lin in targets:
        check_rank(rank, lin.in_features, lin.out_features, f" {name!r}")
    _freeze(model)
    key = as_key(seed)
    for name, lin in targets:
        _replace(model, name, cls(lin, rank, alpha, seed=key.child(name)))
    return model


def _merge(model: Any, kinds: tuple[str, ...]) -> Any:
    classes = tuple(_build_classes()[k] for k in kinds)
    if not isinstance(model, _torch().nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if isinstance(model, classes):
        return model.merged()
    wrapped = [(n, m) for n, m in model.named_modules() if n and isinstance(m, classes)]
    if not wrapped:  # nothing to merge: the caller's frozen layers stay frozen
        return model
    for name, mod in wrapped:
        _replace(model, name, mod.merged())
    for p in model.parameters():  # a merged model is a plain model again ...
        p.requires_grad_(True)
    others = tuple(_build_classes().values())
    for m in model.modules():  # ... except the frozen bases of adapters of the other kind
        if isinstance(m, others):
            m.base.requires_grad_(False)
    return model


def merge_quantum_peft(model: Any) -> Any:
    """Fold every ``ΔW = U diag(λ) Vᵀ`` into its layer's weight (in place; returns the model).

    The result holds plain ``nn.Linear`` layers with ``W + ΔW``: same outputs, no
    adapter cost at inference. A bare :class:`QuantumPEFTLinear` returns its merged
    ``nn.Linear``.
    """
    return _merge(model, ("QuantumPEFTLinear",))


def merge_lora(model: Any) -> Any:
    """Fold every LoRA ``(α/r) B A`` into its layer's weight (in place; returns the model)."""
    return _merge(model, ("LoRALinear",))


def trainable_parameters(model: Any) -> int:
    """Number of scalar parameters with ``requires_grad``."""
    if not isinstance(model, _torch().nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


@dataclass
class ParameterRow:
    """One adapted layer in :func:`parameter_report`."""

    name: str
    in_features: int
    out_features: int
    full: int
    quantum_peft: int
    lora: dict[int, int]


def parameter_report(
    model: Any,
    target_modules: list[str] | str | None = None,
    rank: int = 4,
    layers: int = 1,
    lora_ranks: tuple[int, ...] = (1, 4, 8),
) -> tuple[list[ParameterRow], str]:
    """Trainable parameters of Quantum-PEFT next to LoRA's for the same layers.

    Works on the plain (not yet adapted) model; LoRA ranks larger than a layer
    allows are reported as ``-``.

    Returns
    -------
    rows : list of ParameterRow
        Per layer, plus a final ``"total"`` row.
    table : str
        The same as a markdown table.

    Examples
    --------
    >>> import torch
    >>> rows, table = parameter_report(torch.nn.Sequential(torch.nn.Linear(256, 256)), rank=8)
    >>> rows[-1].quantum_peft, rows[-1].lora[1]
    (52, 512)
    """
    lora_ranks = check_int_list(lora_ranks, "lora_ranks")
    rows = []
    for name, lin in _targets(model, target_modules):
        m, n = lin.in_features, lin.out_features
        lora = {}
        for r in lora_ranks:
            lora[r] = lora_num_params(m, n, r) if r <= min(m, n) else -1
        rows.append(
            ParameterRow(
                name=name,
                in_features=m,
                out_features=n,
                full=m * n + (n if lin.bias is not None else 0),
                quantum_peft=quantum_peft_num_params(m, n, rank, layers),
                lora=lora,
            )
        )
    total = ParameterRow(
        "total",
        0,
        0,
        sum(r.full for r in rows),
        sum(r.quantum_peft for r in rows),
        {r: sum(max(row.lora[r], 0) for row in rows) for r in lora_ranks},
    )
    rows.append(total)
    head = ["layer", "shape", "full", f"Quantum-PEFT (K={rank}, L={layers})"]
    head += [f"LoRA r={r}" for r in lora_ranks]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        shape = f"{r.out_features}×{r.in_features}" if r.name != "total" else ""
        lora = [str(v) if v >= 0 else "-" for v in r.lora.values()]
        lines.append(
            "| " + " | ".join([r.name, shape, str(r.full), str(r.quantum_peft)] + lora) + " |"
        )
    return rows, "\n".join(lines)
