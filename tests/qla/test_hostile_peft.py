"""Property-based bad-input suite over qla.peft's sizes and adapters (ranks, layers, alpha,
seeds, size tables; see :mod:`tests.sketch.hostile` for the property)."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st

from tests.sketch import hostile as h

torch = pytest.importorskip("torch")
peft = pytest.importorskip("qla.peft")

pytestmark = pytest.mark.hostile

BASE = torch.nn.Linear(8, 6)


def _model():
    return torch.nn.Sequential(torch.nn.Linear(8, 6), torch.nn.ReLU(), torch.nn.Linear(6, 4))


def _sizes_tuple() -> st.SearchStrategy:
    return st.sampled_from([((16, 32), False), ((), True), ((0,), True), ((-4,), True),
                            ((2.5,), True), ("16", True), ((True,), True), ((10**9,), None),
                            (None, True), ((10**30,), None)])


def _entries() -> list[h.Entry]:
    return [
        h.Entry("quantum_peft_num_params", peft.quantum_peft_num_params,
                dict(in_features=8, out_features=6, rank=2, layers=1),
                dict(in_features=h.sizes(), out_features=h.sizes(), rank=h.sizes(),
                     layers=h.sizes())),
        h.Entry("lora_num_params", peft.lora_num_params,
                dict(in_features=8, out_features=6, rank=2),
                dict(in_features=h.sizes(), out_features=h.sizes(), rank=h.sizes())),
        h.Entry("parameter_table", peft.parameter_table,
                dict(sizes=(16, 32), rank=2, layers=1, lora_ranks=(1, 2)),
                dict(sizes=_sizes_tuple(), rank=h.sizes(), layers=h.sizes(),
                     lora_ranks=_sizes_tuple()), dict(lora_ranks=("lora_ranks", "rank"))),
        h.Entry("parameter_report", lambda rank, layers: peft.parameter_report(
                    _model(), rank=rank, layers=layers, lora_ranks=(1, 2)),
                dict(rank=2, layers=1), dict(rank=h.sizes(), layers=h.sizes())),
        h.Entry("QuantumPEFTLinear", lambda rank, layers, seed: peft.QuantumPEFTLinear(
                    BASE, rank, layers=layers, seed=seed),
                dict(rank=2, layers=1, seed=0),
                dict(rank=h.sizes(), layers=h.sizes(), seed=h.seeds())),
        h.Entry("LoRALinear", lambda rank, alpha: peft.LoRALinear(BASE, rank, alpha=alpha, seed=0),
                dict(rank=2, alpha=None),
                dict(rank=h.sizes(), alpha=h.tolerances(optional=True))),
    ]


@pytest.mark.parametrize("entry", _entries(), ids=lambda e: e.name)
def test_valid_call_answers(entry):
    h.check_valid_call(entry)


@pytest.mark.parametrize("entry, arg", h.cases(_entries(), {}))
def test_bad_argument_is_refused_clearly(entry, arg):
    h.run_property(entry, arg, share=0.4)


# Defects the property found (this campaign); each failed before its fix.
@pytest.mark.parametrize("call, err, match", [
    (lambda: peft.parameter_table(lora_ranks=()), TypeError, "lora_ranks must be a non-empty"),
    (lambda: peft.parameter_table(sizes=()), TypeError, "sizes must be"),  # a table of no rows
    (lambda: peft.parameter_table(sizes=(0,)), ValueError, r"sizes\[0\] must be at least 1"),
    (lambda: peft.parameter_report(_model(), lora_ranks=None), TypeError, "lora_ranks"),
    (lambda: peft.LoRALinear(BASE, 2, alpha=0.1 + 0.1j), TypeError, "alpha"),  # float(complex)
    (lambda: peft.LoRALinear(BASE, 2, alpha=0.0), ValueError, "alpha"),  # a no-op adapter
])
def test_found_peft_failures_are_refused_by_name(call, err, match):
    with pytest.raises(err, match=match):
        call()
