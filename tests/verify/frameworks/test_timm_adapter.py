"""The timm adapter: its findings, reproducibility, and `spell` round-trips.

timm's helpers are cross-checked once (fixed seed 0). The findings: timm's trunc_normal_
(and so trunc_normal_tf_, variance_scaling_('truncated_normal') and lecun_normal_)
inverts the normal cdf in the tensor's own dtype, so in float16 and bfloat16 its values
sit on a coarse grid near the cut; with the default bounds ±2 far out (std 0.02, 100σ)
uniform_ returns exactly -1 with probability 2^-9 (bfloat16), 2^-12 (float16) or 2^-24
(float32), and those values land at -2.0. PyTorch's bfloat16 uniform_ (variance_scaling_
'uniform', init_weight_jax's xavier_uniform_) drops its top level at 512x128.
"""

from __future__ import annotations

import math
from functools import cache
from types import SimpleNamespace

import numpy as np
import pytest

from tests.verify.frameworks.shared import exact_spellings, rows_of
from verify import check
from verify.frameworks.translation import claim_of, fan_dependent, same_law

# `import timm` needs torchvision; the adapter loads timm's weight_init.py on its own and
# raises ImportError where timm is missing.
adapter = pytest.importorskip("verify.frameworks.adapters.timm")
import torch  # noqa: E402

SIXTEEN_BIT = {"float16", "bfloat16"}
ATOM = "trunc_normal_(std=0.02)"
GRID = {"trunc_normal_(std=1)", "trunc_normal_(mean=0.5, std=0.1, a=0.3, b=0.7)",
        "trunc_normal_tf_(std=0.02)", "trunc_normal_tf_(mean=0.5, std=0.1, a=-3, b=3)",
        "variance_scaling_(1.0, 'fan_in', 'truncated_normal')", "lecun_normal_",
        "init_weight_jax(nn.Conv2d, 'patch_embed.proj') weight"}
"""timm's inverse-cdf truncated normal, on a coarse grid in 16-bit dtypes."""
UNIFORM = {"variance_scaling_(1.0, 'fan_avg', 'uniform')",
           "init_weight_jax(nn.Linear, 'blocks.0.attn.qkv') weight"}
"""PyTorch's bfloat16 uniform_, missing its top level where the bound rounds down."""
EXPECTED_MISMATCHES = {ATOM} | GRID | UNIFORM
NO_EXACT_SPELLING = {"init_weight_vit(nn.Conv2d, 'patch_embed.proj') bias",
                     "init_weight_jax(nn.Linear, 'blocks.0.mlp.fc1') bias"}
"""A conv bias drawn with its layer's fans (a 1-D bias cannot see them), and an untruncated
normal bias (timm has truncated normals only: the nearest offer cuts at ±6σ)."""


@cache
def rows() -> list:
    return rows_of("timm")


def _by_name(name: str) -> list:
    return [r for r in rows() if r.initializer == name]


def _draw(name: str, dtype: torch.dtype, n: int, seed: int, **kwargs: object) -> np.ndarray:
    adapter.seed_torch(seed)
    t = torch.empty(n, dtype=dtype)
    getattr(adapter.helpers(), name)(t, **kwargs)
    return t.to(torch.float64).numpy()


def test_float32_and_float64_match_but_for_the_atom() -> None:
    """The 16-bit findings are 16-bit only; in float32 one -2.0 (-100σ) among the conv
    row's 331,776 values fails it."""
    for r in rows():
        if not r.passed and r.initializer != ATOM:
            assert r.dtype in SIXTEEN_BIT, (r.initializer, r.dtype)
    for name in GRID:
        assert {r.dtype for r in _by_name(name) if not r.passed} <= SIXTEEN_BIT
        assert "bfloat16" in {r.dtype for r in _by_name(name) if not r.passed}
    for name in UNIFORM:
        assert {(r.shape, r.dtype) for r in _by_name(name) if not r.passed} \
            == {((512, 128), "bfloat16")}
    failing = {(r.shape, r.dtype) for r in _by_name(ATOM) if not r.passed}
    assert failing == {(s, d) for s in adapter.SHAPES for d in SIXTEEN_BIT} \
        | {((64, 32, 3, 3), "float32")}
    assert all(r.passed for r in rows() if r.dtype == "float64")


def test_atom_at_the_lower_bound() -> None:
    """trunc_normal_(std=0.02): about 2^-9 of bfloat16 values and 2^-12 of float16 values are
    exactly -2.0, none +2.0; the rest lie within 3.5σ. PyTorch's own trunc_normal_
    (rejection sampling, as init_weight_vit calls it) has none."""
    n = 1 << 20
    for dtype, rate in ((torch.bfloat16, 2.0**-9), (torch.float16, 2.0**-12)):
        w = _draw("trunc_normal_", dtype, n, 0, std=0.02)
        atoms = int(np.sum(w == -2.0))
        assert abs(atoms - n * rate) < 6 * np.sqrt(n * rate), (dtype, atoms)
        assert not np.any(w == 2.0)
        assert np.abs(w[w != -2.0]).max() < 3.5 * 0.02
    torch.manual_seed(0)
    clean = torch.empty(n, dtype=torch.bfloat16)
    torch.nn.init.trunc_normal_(clean, std=0.02)
    assert clean.abs().max().item() < 6 * 0.02


def test_16_bit_grid_is_the_sampler_not_the_check() -> None:
    """trunc_normal_tf_ drawn in float32 and rounded once to bfloat16 passes where the
    bfloat16 draw fails; in bfloat16 only 23 of the 64 magnitudes in [1.5σ, 2σ) occur."""
    entry = next(e for e in adapter.entries() if e.name == "trunc_normal_tf_(std=0.02)")

    def sampler(dtype: torch.dtype) -> object:
        def sample(shape: tuple[int, ...], seed: int) -> np.ndarray:
            adapter.seed_torch(seed)
            t = torch.empty(shape, dtype=dtype)
            adapter.helpers().trunc_normal_tf_(t, std=0.02)
            return t.to(torch.bfloat16).to(torch.float64).numpy()

        return sample

    def passed(dtype: torch.dtype) -> bool:
        return check(sampler(dtype), entry.claim, shape=(256, 256), dtype="bfloat16").passed

    assert passed(torch.float32) and not passed(torch.bfloat16)
    w = np.abs(_draw("trunc_normal_", torch.bfloat16, 1 << 22, 0, std=1.0))
    assert len(np.unique(w[(w >= 1.5) & (w < 2)])) == 23


def test_variance_scaling_truncated_normal_is_corrected() -> None:
    """variance_scaling_(1, 'fan_in', 'truncated_normal') divides σ by 0.8796: the variance is
    1/fan_in; trunc_normal_tf_ is not corrected: std 1 gives variance 0.774."""
    (row,) = [r for r in _by_name("variance_scaling_(1.0, 'fan_in', 'truncated_normal')")
              if r.shape == (256, 256) and r.dtype == "float64"]
    assert row.passed and row.expected_var == pytest.approx(1 / 256)
    assert _draw("trunc_normal_tf_", torch.float64, 1 << 20, 0).var() \
        == pytest.approx(0.774, abs=0.003)


def test_init_weight_vit_leaves_a_conv_bias_at_pytorchs_default() -> None:
    (row,) = _by_name("init_weight_vit(nn.Conv2d, 'patch_embed.proj') bias")
    assert row.passed and row.role == "bias"
    assert row.expected_bound == pytest.approx(1 / math.sqrt(32 * 3 * 3))


def test_spell_round_trip() -> None:
    """Every law timm can write has an exact `spell` offer, and the offer runs; timm has no
    constant helper (its constants are PyTorch's)."""
    namespace = {"timm": SimpleNamespace(layers=adapter.helpers())}
    found, missing = exact_spellings(adapter)
    constants = {e.name for e in adapter.entries() if e.kind == "constant"}
    assert missing == NO_EXACT_SPELLING | constants
    for entry, spelling in found:
        tensor = torch.empty(entry.shapes[0])
        eval(spelling.call, {**namespace, "tensor": tensor})
        assert torch.isfinite(tensor).all(), spelling.call


def test_spelled_calls_draw_their_claims() -> None:
    """An offer for a variance-corrected truncated normal and one for an uncorrected one in
    the fans, run and checked in float32."""
    from derive import fixed_truncated_normal, variance_scaling

    for target, role, shape in ((fixed_truncated_normal(0.02), "bias", (256, 256)),
                                (variance_scaling(1, "fan_in", "truncated_normal",
                                                  corrected=False), "weight", (64, 32, 3, 3))):
        (call,) = [o.call for o in adapter.spell(target, role) if same_law(o.claim, target)][:1]

        def sample(shape: tuple[int, ...], seed: int, call: str = call) -> np.ndarray:
            adapter.seed_torch(seed)
            tensor = torch.empty(shape)
            eval(call, {"timm": SimpleNamespace(layers=adapter.helpers()), "tensor": tensor})
            return tensor.to(torch.float64).numpy()

        assert check(sample, target, shape=shape, dtype="float32").passed, call


def test_spell_bias_offers_fixed_laws_only() -> None:
    for entry in adapter.entries():
        claim = claim_of(entry)
        if claim is not None and entry.role == "bias":
            assert not any(fan_dependent(o.claim) for o in adapter.spell(claim, "bias"))
