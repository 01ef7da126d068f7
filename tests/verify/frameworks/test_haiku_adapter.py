"""The Haiku adapter: its findings, its reproducibility, and its spellings.

Haiku is cross-checked once (fixed seed 0). The findings: hk.Linear's default draws
0.774/fan_in where its docstring promises stddev 1/sqrt(fan_in); VarianceScaling's
complex truncated normal doubles E|w|²; and JAX's 16-bit sampling (128 or 1024 levels)
shows through every random initializer in bfloat16 and float16.
"""

from __future__ import annotations

from functools import cache

import pytest

pytest.importorskip("haiku")

from scipy import stats

from tests.verify.frameworks.shared import exact_spellings, rows_of
from verify.frameworks.adapters import haiku as adapter
from verify.frameworks.translation import same_law, translate

SIXTEEN_BIT = {"RandomNormal(stddev=0.02)", "TruncatedNormal(stddev=0.02)",
               "RandomUniform(minval=-0.05, maxval=0.05)", "hk.Conv2D w",
               "hk.Linear w, stddev as TruncatedNormal documents it"}
EXPECTED_MISMATCHES = SIXTEEN_BIT | {
    "hk.Linear w", "VarianceScaling(1.0, 'fan_in', 'truncated_normal') complex64"}
NO_EXACT_SPELLING: set[str] = set()


@cache
def rows() -> list:
    return rows_of("haiku")


def _by_name(name: str) -> list:
    found = [r for r in rows() if r.initializer == name]
    assert found, name
    return found


def test_sixteen_bit_mismatches_only_in_sixteen_bits() -> None:
    """JAX's 16-bit uniforms take 2^mantissa levels; float32 matches everywhere but where the
    claim itself differs."""
    for name in SIXTEEN_BIT:
        assert {r.dtype for r in _by_name(name) if not r.passed} == {"bfloat16", "float16"}
    for r in rows():
        if r.dtype == "float32" and r.initializer in SIXTEEN_BIT:
            assert r.passed, (r.initializer, r.shape, r.finding)


def test_linear_default_keeps_the_truncnorm_variance() -> None:
    """hk.Linear: stddev 1/sqrt(fan_in) before the cut, so 0.8796² of 1/fan_in after it."""
    ratio = stats.truncnorm(-2, 2).var()  # an independent source for 0.8796²
    for r in _by_name("hk.Linear w"):
        assert r.dtype == "float32" and "0.774/fan_in" in r.finding
        assert r.expected_var == pytest.approx(1 / r.fan_in)
        assert r.observed_var / r.expected_var == pytest.approx(ratio, rel=0.02)


def test_complex_truncated_normal_doubles_the_power() -> None:
    for r in _by_name("VarianceScaling(1.0, 'fan_in', 'truncated_normal') complex64"):
        assert r.observed_var / r.expected_var == pytest.approx(2, rel=0.02)
    assert all(r.passed for r in _by_name("VarianceScaling(1.0, 'fan_in', 'normal') complex64"))


def test_transposed_convolution_scales_by_its_input_channels() -> None:
    """Its kernel is (kH, kW, out, in); sigma = 1/sqrt(kH kW in), the layout's fan_out."""
    (r,) = _by_name("hk.Conv2DTranspose w")
    assert r.passed and r.shape == (3, 3, 64, 32)
    assert r.expected_var == pytest.approx(stats.truncnorm(-2, 2).var() / (9 * 32))


def test_defaults_and_biases_that_match() -> None:
    for name in ("hk.Conv2D(feature_group_count=4) w", "hk.DepthwiseConv2D w",
                 "hk.Embed embeddings", "UniformScaling()", "Orthogonal()", "Identity()",
                 "hk.Linear bias", "hk.Conv2D bias", "hk.Conv2DTranspose bias"):
        assert all(r.passed for r in _by_name(name)), name
    assert (1024, 1024) in {r.shape for r in _by_name("Orthogonal()")}


def test_every_claim_has_an_exact_spelling() -> None:
    assert exact_spellings(adapter)[1] == NO_EXACT_SPELLING


def test_the_layer_default_is_spelled_through_variance_scaling() -> None:
    (entry,) = [e for e in adapter.entries() if e.name == "hk.Conv2D w"]
    exact = [o for o in adapter.spell(entry.claim, "weight") if same_law(o.claim, entry.claim)]
    assert exact[0].call == ("hk.initializers.VarianceScaling(0.8796256610342398**2, "
                             "'fan_in', 'truncated_normal')")


def test_a_bias_cannot_see_the_fans() -> None:
    lecun = next(e.claim for e in adapter.entries() if e.name == "VarianceScaling()")
    offers = adapter.spell(lecun, "bias")
    assert [o.call for o in offers] == ["jnp.zeros"]
    assert all(not o.claim.variance.free_symbols for o in offers)


def test_translations_into_haiku() -> None:
    pytest.importorskip("torch")
    (t,) = translate("torch", "trunc_normal_(std=0.02)", to=["haiku"])
    assert t.exact and t.call == ("hk.initializers.TruncatedNormal(stddev=0.02, lower=-100, "
                                  "upper=100)")
    (t,) = [t for t in translate("torch", "nn.Linear", to=["haiku"]) if t.role == "weight"]
    assert t.exact and t.call == "hk.initializers.VarianceScaling(1/3, 'fan_in', 'uniform')"
