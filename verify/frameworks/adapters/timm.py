"""timm's weight-init helpers (`timm.layers.weight_init`) as samplers.

Layout (out, in, *kernel), as PyTorch's. The helpers:
- trunc_normal_(t, mean, std, a, b): N(mean, std²) cut at the absolute bounds [a, b]
  (std is σ before the cut), by inverting the normal cdf on U(2Φ(α) − 1, 2Φ(β) − 1);
- trunc_normal_tf_(t, mean, std, a, b): mean + std · N(0, 1) cut at [a, b] (bounds in
  units of std, not variance-corrected);
- variance_scaling_(t, scale, mode, distribution): variance scale / fan_mode, the
  truncated normal cut at ±2σ with σ enlarged by 1/0.8796 (variance-corrected);
- lecun_normal_(t) = variance_scaling_(t, 1, 'fan_in', 'truncated_normal');
- init_weight_vit / init_weight_jax(module, name): a ViT's per-module init (PyTorch's
  nn.init.trunc_normal_(std=0.02), xavier_uniform_ and normal_, and timm's lecun_normal_).

`import timm` needs torchvision, so the helpers' file (which imports only torch) is loaded
on its own. The helpers take no generator: each sampler seeds torch's global CPU generator.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import math
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType

import numpy as np
import torch
from torch import nn

from derive import (
    SCHEMES,
    Scheme,
    correction,
    fixed_normal,
    fixed_truncated_normal,
    variance_scaling,
)
from verify.frameworks.protocol import Entry, Spelling, literal
from verify.frameworks.translation import same_law

CONVENTION = "torch"
DENSE, WIDE, CONV = (256, 256), (512, 128), (64, 32, 3, 3)
SHAPES = (DENSE, WIDE, CONV)
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16,
          "float64": torch.float64}
ALL = tuple(DTYPES)
MODES = ("fan_in", "fan_out", "fan_avg")
DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")
NORMAL_CUT = 6
"""timm has no untruncated normal: a normal is spelled as one cut at ±NORMAL_CUT σ."""


@cache
def helpers() -> ModuleType:
    """timm/layers/weight_init.py, loaded without importing timm (whose package imports
    torchvision)."""
    spec = importlib.util.find_spec("timm")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("timm is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "layers" / "weight_init.py"
    loader = importlib.util.spec_from_file_location("timm_layers_weight_init", path)
    if loader is None or loader.loader is None:
        raise ImportError(f"timm has no {path.name}")
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return module


helpers()  # an adapter must fail to import where timm is missing


def version() -> str:
    return f"timm {importlib.metadata.version('timm')}, torch {torch.__version__}"


def disturb() -> None:
    """Move PyTorch's and numpy's global random state (timm has none of its own)."""
    torch.rand(7)
    np.random.random(7)


def seed_torch(seed: int) -> None:
    """torch.manual_seed for the CPU generator the helpers draw from, without the queued
    reseeding of every accelerator (which costs milliseconds a call)."""
    torch.default_generator.manual_seed(seed)


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().to(torch.float64).numpy()


def _fn(name: str, *args: object, **kwargs: object) -> Callable:
    """Sampler: helpers().<name>(tensor, *args, **kwargs) on a fresh tensor."""
    def sample(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
        seed_torch(seed)
        t = torch.empty(shape, dtype=DTYPES[dtype])
        getattr(helpers(), name)(t, *args, **kwargs)
        assert t.dtype == DTYPES[dtype], f"{name} changed the dtype to {t.dtype}"
        return _numpy(t)

    return sample


def _layer(shape: tuple[int, ...], dtype: torch.dtype) -> nn.Module:
    """nn.Linear for (out, in), nn.ConvNd for (out, in, *k)."""
    if len(shape) == 2:
        return nn.Linear(shape[1], shape[0], dtype=dtype)
    conv = {3: nn.Conv1d, 4: nn.Conv2d, 5: nn.Conv3d}[len(shape)]
    return conv(shape[1], shape[0], shape[2:], dtype=dtype)


def _init(helper: str, name: str, part: str = "weight") -> Callable:
    """Sampler: the layer of this weight shape, after helpers().<helper>(layer, name); its
    `part` ('weight' or 'bias')."""
    def sample(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
        seed_torch(seed)
        layer = _layer(shape, DTYPES[dtype])
        getattr(helpers(), helper)(layer, name)
        return _numpy(getattr(layer, part))

    return sample


def cut_at(std: float, half: float, mean: float = 0.0) -> Scheme:
    """N(mean, std²) cut at mean ± half (derive's fixed_truncated_normal with absolute bounds),
    the three numbers rounded to 15 significant digits so that the bounds are, as decimals,
    symmetric about the mean."""
    places = 14 - math.floor(math.log10(abs(mean) + half))
    m, h = round(mean, places), round(half, places)
    return fixed_truncated_normal(std, bounds=(round(m - h, places), round(m + h, places)),
                                  mean=m)


def tf_law(std: float, k: float = 2.0, mean: float = 0.0) -> Scheme:
    """trunc_normal_tf_(mean, std, a=-k, b=k) as documented: N(0, 1) cut at ±k, times std,
    plus mean."""
    return cut_at(std, k * std, mean)


SOURCE = "timm documents no law for it (no docstring); the claim is what its source draws"
VS_NOTE = (f"{SOURCE}: 'normal' untruncated, 'truncated_normal' cut at +-2 sigma with sigma "
           "divided by 0.87962566, so variance-corrected")
GRID_NOTE = ("in float16 and bfloat16 timm's inverse-cdf sampler (trunc_normal_, which "
             "trunc_normal_tf_, variance_scaling_('truncated_normal') and lecun_normal_ call) "
             "draws u ~ U(2 Phi(a) - 1, 2 Phi(b) - 1) and erfinv(u) in the tensor's own dtype, "
             "and erfinv's slope stretches u's grid near the cut (spacing 2^-8 near 0.95 in "
             "bfloat16, 2^-11 in float16): with the cut at +-2 sigma only 23 of the 64 bfloat16 "
             "magnitudes in 1.5 <= |w|/sigma < 2 ever occur (181 of 512 in float16), the "
             "others holding about 2.8 times their share, and the bfloat16 mean is -0.007 sigma; "
             "float32 and float64 match")
TAIL_NOTE = ("in 16-bit dtypes the same erfinv grid never reaches a 3-sigma cut: the largest "
             "|w - mean| is 2.89 sigma in bfloat16 (its top u level 0.99609 gives erfinv 2.04, "
             "x sqrt 2), 2.97 sigma in float16")
ATOM_NOTE = ("trunc_normal_ still inverts the normal cdf (PyTorch's own trunc_normal_ has moved "
             "to rejection sampling): with the bounds +-2 at 100 sigma, Phi(a) rounds to 0, so "
             "uniform_(-1, 1) returns exactly -1 (its included low end) with probability 2^-9 in "
             "bfloat16 (0.198% measured), 2^-12 in float16 (0.024%) and 2^-24 in float32 "
             "(19 of 4e8 values), erfinv(-1) = -inf, and clamp puts those values at a = -2.0 = "
             "-100 sigma (never at +2): the sd is 4.55 sigma in bfloat16 and 1.84 sigma in "
             "float16, while every other value lies within 2.9 sigma (bfloat16) or 3.5 sigma "
             "(float16); a float32 row fails where a -2.0 falls among its values (one in the "
             "64x32x3x3 row's 331,776); a timm "
             "model built with dtype=torch.bfloat16 gets these in every ViT Linear weight and "
             "position embedding")
HELPER_NOTE = ("the ViT helpers document nothing; the claim is what the source calls, and "
               "init_weight_vit calls PyTorch's nn.init.trunc_normal_(std=0.02) (absolute cut "
               "+-2 = 100 sigma, rejection sampling, clean in 16-bit dtypes), not timm's own "
               "trunc_normal_")
UNIFORM_NOTE = ("PyTorch's uniform_ in bfloat16 at 512x128, where the bound 0.09682 rounds down "
                "to the level 0.09668, never returns that top level while its mirror -0.09668 "
                "occurs about twice as often as its neighbours (PyTorch's xavier_uniform_ "
                "finding); float32, float64 and float16 match")


def entries() -> list[Entry]:
    """timm's truncated normals, variance_scaling_ over modes and distributions, lecun_normal_,
    and init_weight_vit / init_weight_jax on a Linear and a Conv (weight and bias)."""
    vit, jax = "init_weight_vit", "init_weight_jax"
    fc1, qkv, proj = "blocks.0.mlp.fc1", "blocks.0.attn.qkv", "patch_embed.proj"
    halves = ("float32", "float16", "bfloat16")
    f32_bf16 = ("float32", "bfloat16")
    e = [
        Entry("trunc_normal_(std=0.02)", _fn("trunc_normal_", std=0.02), SHAPES,
              cut_at(0.02, 2.0), dtypes=ALL, note=ATOM_NOTE),
        Entry("trunc_normal_(std=1)", _fn("trunc_normal_", std=1.0), (DENSE, CONV),
              cut_at(1.0, 2.0), dtypes=ALL, note=GRID_NOTE),
        Entry("trunc_normal_(mean=0.5, std=0.1, a=0.3, b=0.7)",
              _fn("trunc_normal_", mean=0.5, std=0.1, a=0.3, b=0.7), (DENSE,),
              cut_at(0.1, 0.2, mean=0.5), dtypes=ALL, note=GRID_NOTE),
        Entry("trunc_normal_tf_(std=0.02)", _fn("trunc_normal_tf_", std=0.02), (DENSE, CONV),
              tf_law(0.02), dtypes=ALL, note=GRID_NOTE),
        Entry("trunc_normal_tf_(mean=0.5, std=0.1, a=-3, b=3)",
              _fn("trunc_normal_tf_", mean=0.5, std=0.1, a=-3.0, b=3.0), (DENSE,),
              tf_law(0.1, 3.0, mean=0.5), dtypes=ALL, note=_join(TAIL_NOTE, GRID_NOTE)),
    ]
    e += [Entry(f"variance_scaling_({scale}, '{mode}', '{dist}')",
                _fn("variance_scaling_", scale, mode, dist), SHAPES,
                variance_scaling(scale, mode, dist), dtypes=dtypes,
                note=_join(VS_NOTE, {"truncated_normal": GRID_NOTE, "uniform": UNIFORM_NOTE,
                                     "normal": ""}[dist]))
          for scale, mode, dist, dtypes in ((1.0, "fan_in", "truncated_normal", ALL),
                                            (2.0, "fan_out", "normal", f32_bf16),
                                            (1.0, "fan_avg", "uniform", f32_bf16),
                                            (2.0, "fan_avg", "truncated_normal", ("float32",)))]
    e += [
        Entry("lecun_normal_", _fn("lecun_normal_"), SHAPES, SCHEMES["lecun_truncated_normal"],
              dtypes=f32_bf16,
              note=_join(f"{SOURCE}: variance_scaling_(1, 'fan_in', 'truncated_normal'), a "
                         "variance-corrected normal cut at +-2 sigma, not the untruncated normal "
                         "its name suggests", GRID_NOTE)),
        Entry(f"{vit}(nn.Linear, '{fc1}') weight", _init(vit, fc1), (DENSE, WIDE),
              cut_at(0.02, 2.0), dtypes=halves, note=HELPER_NOTE),
        Entry(f"{vit}(nn.Conv2d, '{proj}') weight", _init(vit, proj), (CONV,),
              cut_at(0.02, 2.0), note=HELPER_NOTE),
        Entry(f"{vit}(nn.Linear, '{fc1}') bias", _init(vit, fc1, "bias"), (DENSE,),
              kind="constant", value=float(torch.tensor(0.02)), role="bias", note=HELPER_NOTE),
        Entry(f"{vit}(nn.Conv2d, '{proj}') bias", _init(vit, proj, "bias"), (CONV,),
              SCHEMES["uniform_inv_sqrt"], role="bias",
              note="init_weight_vit leaves a convolution's bias alone: it keeps PyTorch's "
                   "default U(+-1/sqrt(fan_in)) with the layer's fan_in"),
        Entry(f"{vit}(nn.Linear, 'head') weight", _init(vit, "head"), (DENSE,),
              kind="constant", value=0.0),
        Entry(f"{vit}(nn.Linear, 'head') bias", _init(vit, "head", "bias"), (DENSE,),
              kind="constant", value=0.0, role="bias"),
        Entry(f"{jax}(nn.Linear, '{qkv}') weight", _init(jax, qkv), (DENSE, WIDE),
              SCHEMES["glorot_uniform"], dtypes=f32_bf16,
              note=_join("init_weight_jax documents nothing; it calls nn.init.xavier_uniform_",
                         UNIFORM_NOTE)),
        Entry(f"{jax}(nn.Linear, '{qkv}') bias", _init(jax, qkv, "bias"), (DENSE,),
              kind="constant", value=0.0, role="bias"),
        Entry(f"{jax}(nn.Linear, '{fc1}') bias", _init(jax, fc1, "bias"), (DENSE,),
              fixed_normal(1e-6), dtypes=f32_bf16, role="bias",
              note="init_weight_jax documents nothing; an 'mlp' Linear's bias is "
                   "nn.init.normal_(std=1e-6)"),
        Entry(f"{jax}(nn.Conv2d, '{proj}') weight", _init(jax, proj), (CONV,),
              SCHEMES["lecun_truncated_normal"], dtypes=f32_bf16,
              note=_join("init_weight_jax documents nothing; a Conv2d weight gets timm's "
                         "lecun_normal_, a variance-corrected normal cut at +-2 sigma",
                         GRID_NOTE)),
        Entry(f"{jax}(nn.Conv2d, '{proj}') bias", _init(jax, proj, "bias"), (CONV,),
              kind="constant", value=0.0, role="bias"),
    ]
    return e


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _fixed(target: Scheme) -> list[Spelling]:
    """Fixed-law calls: a truncated normal both ways; a normal as one cut far out."""
    sigma, mean = target.sigma_at(1, 1), float(target.mean)
    if target.distribution == "uniform" or sigma is None or target.variance == 0:
        return []  # timm has no uniform or constant helper
    bound = target.bound_at(1, 1)
    cut, note = (bound / sigma, "") if bound is not None else \
        (float(NORMAL_CUT), f"timm has no untruncated normal: this cuts it at +-{NORMAL_CUT} "
                            "sigma, 2e-9 of its mass; use float32: in bfloat16 (float16) no "
                            "value exceeds +2.89 (+3.49) sigma and 2^-9 (2^-12) of them sit at "
                            "exactly -6 sigma")
    law = cut_at(sigma, cut * sigma, mean)
    m, s = literal(mean), literal(sigma)
    low, high = mean - cut * sigma, mean + cut * sigma
    absolute = Spelling(f"timm.layers.trunc_normal_(tensor, mean={m}, std={s}, "
                        f"a={literal(low)}, b={literal(high)})", law, note)
    in_sigmas = Spelling(f"timm.layers.trunc_normal_tf_(tensor, mean={m}, std={s}, "
                         f"a={literal(-cut)}, b={literal(cut)})", law, note)
    # a cut given in sigmas (a corrected target's) reads best in sigmas, absolute bounds as such
    return [in_sigmas, absolute] if target.corrected else [absolute, in_sigmas]


def _scaled(target: Scheme) -> list[Spelling]:
    """variance_scaling_ at the target's variance, for each distribution; lecun_normal_ where
    it is the target."""
    modes = (target.mode,) if target.mode in MODES else MODES
    out = []
    if target.mode in MODES and same_law(target, SCHEMES["lecun_truncated_normal"]):
        out.append(Spelling("timm.layers.lecun_normal_(tensor)",
                            SCHEMES["lecun_truncated_normal"]))
    for mode in modes:
        unit = variance_scaling(1, mode, "normal")
        scale = target.variance_at(300, 500) / unit.variance_at(300, 500)
        for dist in DISTRIBUTIONS:
            out.append(Spelling(f"timm.layers.variance_scaling_(tensor, {_scale(target, scale)}, "
                                f"'{mode}', '{dist}')", variance_scaling(scale, mode, dist),
                                "truncated_normal is cut at +-2 sigma, variance-corrected"
                                if dist == "truncated_normal" else ""))
    return out


def _scale(target: Scheme, scale: float) -> str:
    """The scale as source; an uncorrected truncated normal's as its scale times c(k)², the
    variance it keeps (variance_scaling_ corrects for the cut)."""
    if target.distribution == "truncated_normal" and not target.corrected:
        assert target.truncation is not None
        kept = f"{float(correction(target.truncation))!r}**2"
        return kept if target.scale == 1 else f"{literal(target.scale)} * {kept}"
    return literal(scale)


def spell(target: Scheme, role: str) -> list[Spelling]:
    """timm's calls near `target`: for a fixed law, trunc_normal_ and trunc_normal_tf_ (no
    uniform, normal or constant helper: a normal is offered cut at ±6σ); for a law in the
    fans (weights and embeddings only: a bias cannot see its layer's fans),
    variance_scaling_ in its three distributions, and lecun_normal_."""
    if target.mode is None:
        return _fixed(target)
    return [] if role == "bias" else _scaled(target)
