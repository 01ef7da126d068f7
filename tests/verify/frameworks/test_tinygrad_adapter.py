"""Cross-check of tinygrad's initializers: the findings, reproducibility, and `spell`.

tinygrad is cross-checked once (fixed seed 0, sample sizes from `verify.check`'s power rule).
"""

from __future__ import annotations

import math
from functools import cache

import pytest

pytest.importorskip("tinygrad")

import derive
from tests.verify.frameworks.shared import exact_spellings, rows_of
from verify.frameworks.adapters import tinygrad as adapter
from verify.frameworks.runner import Row
from verify.frameworks.translation import same_law

LAYOUT_FINDINGS = {"Tensor.glorot_uniform", "nn.Conv2d(groups=4) weight",
                   "nn.Conv2d(groups=4) bias", "nn.ConvTranspose2d weight",
                   "nn.ConvTranspose2d bias", "nn.Embedding"}
"""The float32 mismatches: a fan or a law other than the documented one."""
PRECISION_FINDINGS = {"Tensor.randn", "Tensor.uniform(low=-0.05, high=0.05)",
                      "Tensor.normal(std=0.02)", "Tensor.normal(mean=0.5, std=0.1)",
                      "Tensor.kaiming_uniform", "Tensor.kaiming_normal",
                      "Tensor.scaled_uniform(256, 256)"}
"""Mismatches in float16/bfloat16 (a second rounding) or float64 (float32 precision) only."""
EXPECTED_MISMATCHES = LAYOUT_FINDINGS | PRECISION_FINDINGS
FLOAT64_FINDINGS = {"Tensor.randn", "Tensor.uniform(low=-0.05, high=0.05)",
                    "Tensor.normal(std=0.02)"}
NO_EXACT_SPELLING = {"nn.Linear bias", "nn.Conv2d bias", "nn.Conv2d(groups=4) bias",
                     "nn.ConvTranspose2d bias", "nn.ConvTranspose2d weight",
                     "nn.LSTMCell weight_ih", "nn.LSTMCell weight_hh"}
"""A bias call sees only the bias, not the layer's fans; tinygrad has no fan_out mode (its
transposed convolution draws a fan_out law in PyTorch's layout)."""


@cache
def rows() -> list[Row]:
    """One cross-check per test session."""
    return rows_of("tinygrad")


def _failing(dtype: str | None = None) -> set[str]:
    return {r.initializer for r in rows() if not r.passed and dtype in (None, r.dtype)}


def test_float32_mismatches_are_fans_and_laws() -> None:
    assert _failing("float32") == LAYOUT_FINDINGS
    glorot = {r.shape for r in rows() if r.initializer == "Tensor.glorot_uniform"
              and r.dtype == "float32" and not r.passed}
    assert glorot == {(64, 32, 3, 3)}, "glorot_uniform's fans are right for 2-D weights"


def test_precision_mismatches_are_16_bit_and_float64_only() -> None:
    for r in rows():
        if not r.passed and r.initializer in PRECISION_FINDINGS:
            assert r.dtype in ("float16", "bfloat16", "float64"), (r.initializer, r.dtype)
    assert _failing("float64") == FLOAT64_FINDINGS
    assert {r.dtype for r in rows() if r.initializer == "Tensor.rand"} == \
        {"float32", "float16", "float64"}, "Tensor.rand's own float64 takes 52 bits and passes"
    assert "Tensor.rand" not in _failing()


def test_every_entry_ran() -> None:
    ran = {r.initializer for r in rows()}
    assert ran == {e.name for e in adapter.entries()}


def test_spell_round_trip() -> None:
    """Each claim tinygrad can write is offered exactly; the others are listed."""
    assert exact_spellings(adapter)[1] == NO_EXACT_SPELLING


@pytest.mark.parametrize("target, role", [
    (derive.SCHEMES["he_uniform"], "weight"), (derive.SCHEMES["uniform_inv_sqrt"], "weight"),
    (derive.SCHEMES["lecun_truncated_normal"], "embedding"),
    (derive.SCHEMES["glorot_uniform"], "weight"),
    (derive.fixed_truncated_normal(0.02), "weight"), (derive.fixed_uniform(-0.05, 0.05), "bias"),
    (derive.fixed_normal(0.1, mean=0.5), "weight"), (derive.constant(0.3), "weight"),
    (derive.constant(0.0), "bias"), (derive.SCHEMES["uniform_inv_sqrt"], "bias")])
def test_spelled_calls_are_tinygrad_calls(target: derive.Scheme, role: str) -> None:
    """Every offered call builds a tensor of the right shape in tinygrad."""
    from tinygrad import Tensor

    shape = (16, 8)
    for offer in adapter.spell(target, role):
        t = eval(offer.call, {"Tensor": Tensor, "math": math, "shape": shape,
                              "out_features": 16})
        assert tuple(t.shape) == ((16,) if role == "bias" else shape), offer.call


def test_uniform_inv_sqrt_is_kaiming_uniform_a_sqrt5() -> None:
    offers = adapter.spell(derive.SCHEMES["uniform_inv_sqrt"], "weight")
    exact = [o.call for o in offers if same_law(o.claim, derive.SCHEMES["uniform_inv_sqrt"])]
    assert exact == ["Tensor.kaiming_uniform(*shape, a=math.sqrt(5))"]
