"""The MLX adapter: its findings, reproducibility, and `spell` round-trips.

MLX is cross-checked once (fixed seed 0). The findings: he_normal/he_uniform default to
gain 1 (LeCun's variance, half of He's), and 16-bit normal and uniform draws are rounded
more than once (gaps and doubled levels) or pile mass on the level below 1.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest

from derive import fixed_normal
from tests.verify.frameworks.shared import exact_spellings, rows_of
from verify import check
from verify.frameworks.translation import claim_of, fan_dependent

mx = pytest.importorskip("mlx.core")
from verify.frameworks.adapters import mlx as adapter  # noqa: E402

SIXTEEN_BIT = {"float16", "bfloat16"}
LOW_PRECISION = {"normal()", "normal(std=0.02)", "normal(mean=0.5, std=0.1)", "uniform()",
                 "uniform(low=-0.05, high=0.05)", "glorot_normal()", "glorot_uniform()",
                 "he_normal()(gain=sqrt(2))", "he_uniform()(gain=sqrt(2))"}
HE_DEFAULTS = {"he_normal()", "he_uniform()"}
EXPECTED_MISMATCHES = LOW_PRECISION | HE_DEFAULTS
NO_EXACT_SPELLING = {"nn.Linear bias", "nn.MultiHeadAttention(bias=True) query_proj bias",
                     "nn.RNN bias", "nn.GRU b", "nn.GRU bhn", "nn.LSTM bias"}
"""Biases drawn with their layer's fans: an initializer given only the bias cannot."""


@cache
def rows() -> list:
    return rows_of("mlx")


def _by_name(name: str) -> list:
    return [r for r in rows() if r.initializer == name]


def test_low_precision_mismatches_are_16_bit_only() -> None:
    for name in LOW_PRECISION:
        failing = {r.dtype for r in _by_name(name) if not r.passed}
        assert "bfloat16" in failing and failing <= SIXTEEN_BIT, (name, failing)
    assert {r.dtype for r in _by_name("uniform()") if not r.passed} == {"bfloat16"}


def test_he_defaults_draw_half_of_hes_variance() -> None:
    """gain defaults to 1: variance 1/fan_in, LeCun's; gain=sqrt(2) gives He's."""
    for name in HE_DEFAULTS:
        for r in _by_name(name):
            assert r.dtype == "float32" and not r.passed
            assert r.observed_var / r.expected_var == pytest.approx(0.5, rel=0.02)
        assert all(r.passed for r in _by_name(f"{name[:-2]}(), as its formula reads"))
        assert all(r.passed for r in _by_name(f"{name}(gain=sqrt(2))") if r.dtype == "float32")


def test_16_bit_normal_finding_is_mlx_not_the_check() -> None:
    """The same float32 draw rounded once to bfloat16 passes where MLX's own bfloat16 fails."""
    def sampler(once: bool) -> object:
        def sample(shape: tuple[int, ...], seed: int) -> np.ndarray:
            key = mx.random.key(seed)
            w = mx.random.normal(shape, scale=0.02, key=key).astype(mx.bfloat16) if once \
                else mx.random.normal(shape, dtype=mx.bfloat16, scale=0.02, key=key)
            return np.array(w.astype(mx.float32), dtype=np.float64)

        return sample

    def passed(once: bool) -> bool:
        return check(sampler(once), fixed_normal(0.02), shape=(256, 256), convention="mlx",
                     dtype="bfloat16").passed

    assert passed(True) and not passed(False)


def test_spell_round_trip() -> None:
    """Every claim MLX can write has an exact `spell` offer, and the offer runs."""
    found, missing = exact_spellings(adapter)
    assert missing == NO_EXACT_SPELLING
    for entry, spelling in found:
        w = mx.zeros(entry.shapes[0] if entry.role != "bias" else (entry.shapes[0][0],))
        drawn = eval(spelling.call, {"mlx": __import__("mlx.nn"), "math": math, "w": w})
        assert tuple(drawn.shape) == tuple(w.shape), spelling.call


def test_spell_bias_offers_fixed_laws_only() -> None:
    for entry in adapter.entries():
        claim = claim_of(entry)
        if claim is not None and entry.role == "bias":
            assert not any(fan_dependent(o.claim) for o in adapter.spell(claim, "bias"))
