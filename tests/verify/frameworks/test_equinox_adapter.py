"""The Equinox adapter: its findings, reproducibility, and `spell` round-trips.

Equinox is cross-checked once (fixed seed 0). The findings: a layer built in bfloat16 or
float16 draws its U(±1/√fan_in) weights (and Embedding its N(0, 1) table) from
jax.random in that dtype, with only the mantissa's random bits (128 or 1024 levels:
off-centre, and the table's tails cut near 2.5-2.9 sd in bfloat16); a complex64 layer
draws each part from the real law, so E|w|² is twice the real variance on a square.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest

from derive import SCHEMES
from tests.verify.frameworks.shared import exact_spellings, rows_of
from verify import check
from verify.frameworks.translation import claim_of, fan_dependent, same_law

eqx = pytest.importorskip("equinox")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from verify.frameworks.adapters import equinox as adapter  # noqa: E402

SIXTEEN_BIT = {"float16", "bfloat16"}
LOW_PRECISION = {"nn.Linear", "nn.Conv2d", "nn.Embedding"}
COMPLEX = {"nn.Linear complex64", "nn.Conv2d complex64"}
EXPECTED_MISMATCHES = LOW_PRECISION | COMPLEX
NO_EXACT_SPELLING = {"nn.Linear bias", "nn.Conv2d bias", "nn.Conv(groups=4) bias",
                     "nn.ConvTranspose2d bias", "nn.MultiheadAttention.output_proj bias",
                     "nn.GRUCell.bias", "nn.GRUCell.bias_n", "nn.LSTMCell.bias"}
"""Biases drawn with their layer's fans: an initializer given only the bias cannot."""


class Params(eqx.Module):  # type: ignore[name-defined,misc]
    """A stand-in layer for the spelled calls: a weight and a bias."""

    weight: jax.Array
    bias: jax.Array


@cache
def rows() -> list:
    return rows_of("equinox")


def _by_name(name: str) -> list:
    """The rows of that name, its bias rows (named "NAME bias") apart."""
    return [r for r in rows() if r.initializer == name]


def test_low_precision_mismatches_are_16_bit_only() -> None:
    """bfloat16 fails everywhere; float16 where its 1024 levels are unevenly spaced (a bound
    that is not a power of 2) and in the table's cut tails."""
    for name in LOW_PRECISION:
        failing = {r.dtype for r in _by_name(name) if not r.passed}
        assert "bfloat16" in failing and failing <= SIXTEEN_BIT, (name, failing)
    assert {r.shape for r in _by_name("nn.Linear") if not r.passed and r.dtype == "float16"} \
        == {(512, 128)}
    for r in _by_name("nn.Embedding"):
        if r.dtype == "bfloat16":
            assert r.observed_max < 2.9


def test_16_bit_finding_is_jax_random_not_the_check() -> None:
    """The float32 layer rounded once to bfloat16 passes where the bfloat16 layer fails."""
    def sampler(dtype: str) -> object:
        def sample(shape: tuple[int, ...], seed: int) -> np.ndarray:
            w = eqx.nn.Linear(shape[1], shape[0], dtype=jnp.dtype(dtype),
                              key=jax.random.key(seed)).weight
            return np.asarray(w.astype(jnp.bfloat16), dtype=np.float64)

        return sample

    def passed(dtype: str) -> bool:
        return check(sampler(dtype), SCHEMES["uniform_inv_sqrt"], shape=(256, 256),
                     dtype="bfloat16").passed

    assert passed("float32") and not passed("bfloat16")


def test_complex_layers_give_each_part_the_real_variance() -> None:
    """E|w|² = 2/(3 fan_in): each part is U(±1/√fan_in), and each part alone passes."""
    for name in COMPLEX:
        for r in _by_name(name):
            assert r.observed_var / r.expected_var == pytest.approx(2, rel=0.02)
    for part in ("real part", "imaginary part"):
        assert all(r.passed for r in _by_name(f"nn.Linear complex64, {part}"))


def test_transposed_and_grouped_convolutions_read_their_own_layout() -> None:
    """ConvTranspose2d(64, 32, 3) is bounded by 1/sqrt(64·9) = 1/24 (PyTorch: 1/sqrt(32·9));
    Conv(groups=4) by 1/sqrt(32/4·9)."""
    bound = SCHEMES["uniform_inv_sqrt"].bound_at
    (transposed,) = _by_name("nn.ConvTranspose2d")
    assert transposed.passed and transposed.expected_bound == pytest.approx(bound(64 * 9, 1))
    (grouped,) = _by_name("nn.Conv(groups=4)")
    assert grouped.passed and grouped.expected_bound == pytest.approx(bound(32 // 4 * 9, 1))


def test_spell_round_trip() -> None:
    """Every claim Equinox can write has an exact `spell` offer, and the offer runs."""
    found, missing = exact_spellings(adapter)
    assert missing == NO_EXACT_SPELLING
    for entry, spelling in found:
        shape = entry.shapes[0]
        layer = Params(jnp.zeros(shape), jnp.zeros(shape[:1]))
        drawn = eval(spelling.call, {"eqx": eqx, "jax": jax, "math": math, "layer": layer,
                                     "key": jax.random.key(0)})
        part = "bias" if entry.role == "bias" else "weight"
        assert getattr(drawn, part).shape == getattr(layer, part).shape, spelling.call


def test_spelled_variance_scaling_reads_equinox_fans() -> None:
    """The spelling of the default, run on a Conv2d, draws U(±1/√(in·kH·kW))."""
    claim = SCHEMES["uniform_inv_sqrt"]
    (call,) = [o.call for o in adapter.spell(claim, "weight") if same_law(o.claim, claim)]

    def sample(shape: tuple[int, ...], seed: int) -> np.ndarray:
        layer = eqx.nn.Conv2d(shape[1], shape[0], shape[2:], key=jax.random.key(0))
        drawn = eval(call, {"eqx": eqx, "jax": jax, "layer": layer,
                            "key": jax.random.key(seed)})
        return np.asarray(drawn.weight, dtype=np.float64)

    assert check(sample, claim, shape=(64, 32, 3, 3), dtype="float32").passed


def test_spell_bias_offers_fixed_laws_only() -> None:
    for entry in adapter.entries():
        claim = claim_of(entry)
        if claim is not None and entry.role == "bias":
            assert not any(fan_dependent(o.claim) for o in adapter.spell(claim, "bias"))
