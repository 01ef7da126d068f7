"""The PaddlePaddle adapter: its findings, reproducibility, and `spell` round-trips.

Paddle is cross-checked once (fixed seed 0). The findings: TruncatedNormal(std) cuts at the
absolute bounds -2, 2 (std 0.02: no cut; std 1: sd 0.8796); Conv2D's default std ignores
groups (grouped 1/4, depthwise 1/in of He's variance); (out, in) weights get fan_in = out
(paddle.compat.nn.Linear's bound 1/√out, KaimingNormal on an LSTM weight 2/(4·hidden));
Bilinear's kernel is asymmetric (true division); paddle.nn.init
.uniform_ draws U(0, 1) where its docstring says U(-1, 1); float64 Uniform, Normal and
TruncatedNormal take their parameters as float32.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest
from scipy import stats

from derive import SCHEMES, fixed_truncated_normal, variance_scaling
from tests.verify.frameworks.shared import exact_spellings, rows_of
from verify import check
from verify.frameworks.translation import same_law

paddle = pytest.importorskip("paddle")

from verify.frameworks.adapters import paddle as adapter  # noqa: E402

TRUNCATION = {"TruncatedNormal(std=0.02)", "TruncatedNormal(std=1)"}
CONV_DEFAULT = {"nn.Conv2D(groups=4)": 1 / 4, "nn.Conv2D depthwise": 1 / 32}
"""Paddle's default conv variance over He's: 1/groups."""
OUT_IN = {"paddle.compat.nn.Linear": 4, "nn.LSTM(weight_ih_attr=KaimingNormal()) weight_ih_l0":
          1 / 8}
"""(out, in) weights read with fan_in = out: the variance over the documented one."""
EXPECTED_MISMATCHES = TRUNCATION | set(CONV_DEFAULT) | set(OUT_IN) | {
    "Uniform(1/3, 1/3)", "Bilinear()", "nn.init.uniform_()"}
NO_EXACT_SPELLING = {"paddle.compat.nn.Linear bias"}
"""A bias drawn with its layer's fans: an initializer given only the bias cannot."""


@cache
def rows() -> list:
    return rows_of("paddle")


def _by_name(name: str) -> list:
    return [r for r in rows() if r.initializer == name]


def _entry(name: str) -> object:
    (entry,) = [e for e in adapter.entries() if e.name == name and e.role != "bias"]
    return entry


def _drawn(call: str, shape: tuple[int, ...], dtype: str = "float32") -> object:
    """A sampler running a spelled call on a fresh parameter."""
    def sample(_: tuple[int, ...], seed: int) -> np.ndarray:
        paddle.seed(seed)
        init = eval(call, {"paddle": paddle, "math": math})
        p = paddle.create_parameter(list(shape), dtype, default_initializer=init)
        return p.astype("float64").numpy()

    return sample


def test_sixteen_bit_rows_pass_but_for_the_known_findings() -> None:
    """float16 and bfloat16 draws (made in float32 and rounded, or drawn directly) pass."""
    low = [r for r in rows() if r.dtype in ("float16", "bfloat16")]
    assert {r.dtype for r in low} == {"float16", "bfloat16"}
    assert {r.initializer for r in low if not r.passed} == TRUNCATION


def test_truncated_normal_cuts_at_absolute_bounds() -> None:
    """std 1: the variance of N(0, 1) cut at ±2 (an independent source for 0.8796²); std
    0.02: no cut, values beyond 4σ; the documented reading passes."""
    ratio = stats.truncnorm(-2, 2).var()
    for r in _by_name("TruncatedNormal(std=1)"):
        assert not r.passed and r.observed_var / r.expected_var == pytest.approx(ratio, rel=0.02)
    for r in _by_name("TruncatedNormal(std=0.02)"):
        assert not r.passed and r.observed_max > 4 * 0.02
    for name in ("TruncatedNormal(std=0.02), as documented",
                 "TruncatedNormal(mean=0.5, std=0.1, a=0.3, b=0.7)"):
        assert all(r.passed for r in _by_name(name))


def test_conv_default_ignores_groups() -> None:
    """Normal(0, √(2/(in·kH·kW))) whatever the groups; the plain Conv2D is He's law, and a
    global KaimingNormal gives the grouped one He's law too."""
    for name, ratio in CONV_DEFAULT.items():
        (r,) = _by_name(name)
        assert r.observed_var / r.expected_var == pytest.approx(ratio, rel=0.03)
    assert all(r.passed for r in _by_name("nn.Conv2D"))
    assert all(r.passed for r in
               _by_name("set_global_initializer(KaimingNormal()), nn.Conv2D(groups=4)"))


def test_out_in_weights_read_fan_in_from_out() -> None:
    """paddle.compat.nn.Linear: U(±1/√out), so a square weight passes and 512 in, 128 out
    draws 4x the variance; KaimingNormal on an LSTM's (4·hidden, in) weight: 2/(4·hidden)."""
    for name, ratio in OUT_IN.items():
        failing = [r for r in _by_name(name) if not r.passed]
        assert [r.shape for r in failing] == [(512, 128) if ratio == 4 else (128, 1024)]
        assert failing[0].observed_var / failing[0].expected_var == \
            pytest.approx(ratio, rel=0.03)
    assert all(r.passed for r in _by_name("paddle.compat.nn.Linear bias"))


def test_what_the_failing_entries_draw() -> None:
    """Each `draws` law, checked on the entry's own sampler, passes."""
    for entry in adapter.entries():
        if entry.draws is None:
            continue
        shape = entry.shapes[-1]
        report = check(lambda _, seed, e=entry, s=shape: e.sample(s, "float32", seed),
                       entry.draws, shape=shape, convention="paddle", dtype="float32")
        assert report.passed, (entry.name, str(report))


def test_float64_parameters_pass_through_float32() -> None:
    (r,) = _by_name("Uniform(1/3, 1/3)")
    assert r.observed_max == float(np.float32(1 / 3)) != 1 / 3


def test_bilinear_kernel_is_asymmetric() -> None:
    """The structure check accepts the separable tent kernel; Paddle's is not symmetric."""
    for tent in ([0.25, 0.75, 0.75, 0.25], [0.25, 0.75, 0.75]):
        assert adapter._bilinear(np.tile(np.outer(tent, tent), (2, 1, 1, 1))) == ""
    for r in _by_name("Bilinear()"):
        assert "not symmetric" in r.finding


@pytest.mark.parametrize("init", [lambda: adapter.pinit.TruncatedNormal(std=0.02),
                                  adapter.pinit.Orthogonal])
def test_no_float16_kernel(init: object) -> None:
    """Why TruncatedNormal and Orthogonal have no float16 rows (and Orthogonal no bfloat16)."""
    with pytest.raises(RuntimeError, match="not registered"):
        paddle.create_parameter([8, 8], "float16", default_initializer=init())


def test_spell_round_trip() -> None:
    """Every claim Paddle can write has an exact `spell` offer, and the offer runs."""
    found, missing = exact_spellings(adapter)
    assert missing == NO_EXACT_SPELLING
    for entry, spelling in found:
        shape = entry.shapes[0][:1] if entry.role == "bias" else entry.shapes[0]
        assert _drawn(spelling.call, shape)(shape, 0).shape == shape, spelling.call


@pytest.mark.parametrize("target", [SCHEMES["uniform_inv_sqrt"], SCHEMES["glorot_normal"],
                                    variance_scaling(2, "fan_out", "normal"),
                                    variance_scaling(0.5, "fan_in", "uniform"),
                                    fixed_truncated_normal(0.02)])
def test_spelled_calls_draw_their_claim(target: object) -> None:
    """The exact spelling, run on a 512-in, 128-out weight, draws the target (fan_in from
    dimension 0)."""
    (call,) = [o.call for o in adapter.spell(target, "weight") if same_law(o.claim, target)]
    shape = (512, 128)
    report = check(_drawn(call, shape), target, shape=shape, convention="paddle",
                   dtype="float32")
    assert report.passed, (call, str(report))


def test_bias_spellings_are_fixed_laws_only() -> None:
    assert adapter.spell(SCHEMES["he_normal"], "bias") == []
    (call,) = [o.call for o in adapter.spell(_entry("nn.LSTM weight_ih_l0").claim, "bias")
               if o.call.endswith("Uniform(-0.0625, 0.0625)")]
    assert call.startswith("paddle.nn.initializer.")
