"""tinygrad's initializers as samplers: the random constructors of `Tensor` and the default
parameters of `tinygrad.nn`'s layers.

Layout (out, in, *kernel), as PyTorch; `nn.ConvTranspose2d` stores (in, out/groups, *kernel).
`Tensor.uniform(low, high)` is low + (high - low)·u with u = Tensor.rand() in float32
(23 random mantissa bits), cast to the dtype before the shift; `Tensor.normal(mean, std)` is
mean + std·z with z the cosine half of a float32 Box-Muller pair, cast to the dtype. The
fans: `kaiming_*` use fan_in = prod(shape[1:]) and gain² = 2/(1 + a²); `glorot_uniform`
uses shape[0] + prod(shape[1:]); `scaled_uniform` the whole numel. The random state is
global (`Tensor.manual_seed`), so each sampler seeds it itself. On the CPU device with
clang 14 (no x86 `__bf16`) a bfloat16 tensor cannot be stored: bfloat16 samples are read
through a float32 cast fused into the kernel that makes them, and `Tensor.rand`, which
stores its bits first, and the constant constructors are left out in bfloat16.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from importlib import metadata

import numpy as np
import sympy as sp
from tinygrad import Tensor, dtypes, nn

from derive import (
    SCHEMES,
    Scheme,
    constant,
    fixed_normal,
    fixed_uniform,
    leaky_he_scale,
    variance_scaling,
)
from verify.frameworks.protocol import Entry, Spelling, fixed_law, literal

try:  # an installed tinygrad without a usable device (its CPU device needs clang) is absent
    Tensor.zeros(1).contiguous().realize()
except RuntimeError as e:
    raise ImportError(f"tinygrad has no usable device here ({e}); its CPU device needs "
                      "clang") from e

CONVENTION = "torch"
DENSE, WIDE, CONV = (256, 256), (512, 128), (64, 32, 3, 3)
FANNED = (WIDE, CONV)
"""Shapes for a fan-dependent law: fan_in != fan_out, and a receptive field. A fixed law is
drawn at DENSE only: every distinct shape and dtype costs tinygrad a kernel compile."""
DTYPES = {"float32": dtypes.float32, "float64": dtypes.float64, "float16": dtypes.float16,
          "bfloat16": dtypes.bfloat16}
LAYER_SHAPES = {"weight": (WIDE, CONV, (64, 8, 3, 3), (32, 64, 3, 3)),
                "bias": ((65536, 64), (65536, 4, 3, 3), (65536, 2, 3, 3), (8192, 16384, 1, 1))}
"""Weight shapes of nn.Linear, Conv2d, Conv2d(groups=4) and ConvTranspose2d (in, out, kH, kW);
a bias row's layer has many outputs, so that few layers are built for its n values."""
LOW = ("float32", "float16", "bfloat16")
ALL = (*LOW, "float64")
KAIMING_A = 0.01
"""The default negative slope of `Tensor.kaiming_uniform`/`kaiming_normal` (PyTorch's is 0)."""

Sampler = Callable[[tuple[int, ...], str, int], np.ndarray]


def version() -> str:
    return f"tinygrad {metadata.version('tinygrad')}"


def disturb() -> None:
    """Move tinygrad's global random counter (a realized draw) and numpy's state."""
    Tensor.rand(7).realize()
    np.random.random(7)


def _join(*notes: str) -> str:
    return "; ".join(notes)


def _numpy(t: Tensor, dtype: str) -> np.ndarray:
    assert t.dtype == DTYPES[dtype], f"asked for {dtype}, got {t.dtype}"
    return (t if dtype == "float64" else t.float()).numpy().astype(np.float64)


def _fn(name: str, **kwargs: object) -> Sampler:
    """`Tensor.<name>(*shape, dtype=..., **kwargs)` after `Tensor.manual_seed(seed)`."""
    def sample(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
        Tensor.manual_seed(seed)
        return _numpy(getattr(Tensor, name)(*shape, dtype=DTYPES[dtype], **kwargs), dtype)

    return sample


def _layer(build: Callable[[tuple[int, ...]], object], part: str = "weight") -> Sampler:
    """The `part` of the layer `build(shape)` makes after `Tensor.manual_seed(seed)` (float32,
    the only dtype the layers make)."""
    def sample(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
        Tensor.manual_seed(seed)
        return _numpy(getattr(build(shape), part), dtype)

    return sample


def kaiming(a: float, distribution: str) -> Scheme:
    """PyTorch's kaiming_*_(a), which tinygrad's docstrings point to: 2/(1 + a²)/fan_in."""
    return variance_scaling(leaky_he_scale(a), "fan_in", distribution,
                            name=f"variance 2/(1 + {literal(a)}^2)/fan_in, {distribution}")


def _numel_uniform(shape: tuple[int, ...]) -> Scheme:
    """scaled_uniform's documented law at this shape: U(+-numel^-1/2)."""
    bound = math.prod(shape) ** -0.5
    return fixed_uniform(-bound, bound)


LSTM_SCALE = sp.Rational(4, 3)
"""nn.LSTMCell's U(+-1/sqrt(hidden)) on a (4 hidden, in) weight: variance (4/3)/fan_out."""

GLOROT_CONV_NOTE = ("Tensor.glorot_uniform takes the bound sqrt(6/(shape[0] + prod(shape[1:]))), "
                    "right for 2-D weights but on a convolution it is out + in*kH*kW, not "
                    "(in + out)*kH*kW: at 64x32x3x3 the bound is sqrt(6/352) = 0.1306 instead "
                    "of sqrt(6/864) = 0.0833, a variance 2.45 times Glorot's")
KAIMING_NOTE = (f"Tensor.kaiming_* default to a = {KAIMING_A} (PyTorch's kaiming_*_ to a = 0), "
                f"so the variance is 2/(1 + 0.0001)/fan_in")
SCALED_NOTE = ("scaled_uniform is U(+-prod(shape)^-1/2), as documented: the whole numel, not a "
               "fan (at 256x256 the bound is 1/256, variance 1/196608, 1/256 of PyTorch's "
               "default 1/(3 fan_in))")
RANDN_NOTE = ("randn is the cosine half of a float32 Box-Muller pair with radius "
              "sqrt(-2 ln(1 - u)), u on 2^23 levels, so |z| never exceeds sqrt(46 ln 2) = 5.65; "
              "other dtypes are that float32 value cast")
RAND_NOTE = ("Tensor.rand(dtype) sets the dtype's mantissa bits at random: 2^23 levels k/2^23 in "
             "float32, 1024 in float16, 2^52 in float64 (bfloat16 is left out: it cannot be "
             "stored on this CPU)")
F64_NOTE = ("uniform, normal and randn draw u with Tensor.rand in float32 (2^23 levels) and "
            "compute in float32 before the cast, so dtype=float64 gives float32 precision: a "
            "65,536-value array holds about 250 pairs of equal values (uniform) or 30 (normal) "
            "where float64 holds none; Tensor.rand(dtype=float64) itself takes 52 random bits")
UNIFORM_LOW_NOTE = ("Tensor.uniform computes low + (high - low)*u in the dtype, rounding "
                    "(high - low)*u first, so near zero its values keep the dtype's step at |low| "
                    "(2^-12 = 0.00024 for U(-0.05, 0.05) in bfloat16, 2^-15 in float16) where a "
                    "rounded uniform is much finer: 385 distinct bfloat16 values where "
                    "U(-0.05, 0.05) rounded to bfloat16 has about 3,600 (float16: 3,073 against "
                    "about 21,000), which the histogram over all values sees; float32 matches")
NORMAL_LOW_NOTE = ("Tensor.normal rounds z to the dtype, then std*z (std itself rounded: 0.02 is "
                   "0.0200195 in bfloat16) and + mean, rounding again, so in bfloat16 some levels "
                   "get no values (the emptiest histogram bin holds 0 where the law puts about "
                   "700) and float16 shows the same milder; exact where std rounds to a power of "
                   "two (kaiming_normal at fan_in 128: 0.125), and randn, rounded once, matches")


def _groups_note(shape: tuple[int, ...], groups: int) -> str:
    """Conv2d(groups) at weight `shape` (out, in/groups, kH, kW): tinygrad's bound and
    PyTorch's."""
    k = math.prod(shape[2:])
    ours, theirs = groups * shape[1] * k, shape[1] * k
    return (f"tinygrad's Conv2d bound is 1/sqrt(in_channels*kH*kW) whatever the groups, while "
            f"PyTorch's (which its docstring points to) is 1/sqrt(in_channels/groups*kH*kW): "
            f"with groups={groups} at {shape} it draws U(+-1/sqrt({ours})) = "
            f"U(+-{ours ** -0.5:.4g}), variance 1/{3 * ours} instead of 1/{3 * theirs}, "
            f"1/{groups} of PyTorch's")


def _transposed_note(shape: tuple[int, ...]) -> str:
    """ConvTranspose2d at weight `shape` (in, out, kH, kW): tinygrad's bound and PyTorch's."""
    k = math.prod(shape[2:])
    ours, theirs = shape[0] * k, shape[1] * k
    return (f"the weight is stored (in, out, kH, kW) and PyTorch, which the docstring points "
            f"to, reads fan_in = out/groups*kH*kW from dimension 1; tinygrad uses "
            f"in_channels*kH*kW: at {shape} it draws U(+-1/sqrt({ours})) = "
            f"U(+-{ours ** -0.5:.4g}), variance 1/{3 * ours} instead of PyTorch's "
            f"U(+-{theirs ** -0.5:.4g}), variance 1/{3 * theirs}, {theirs / ours:g} times "
            f"PyTorch's")


EMBEDDING_NOTE = ("nn.Embedding's weight is Tensor.glorot_uniform(vocab, embed), "
                  "U(+-sqrt(6/(vocab + embed))), not the N(0, 1) of the PyTorch Embedding its "
                  "docstring points to: at (1000, 64) the bound is 0.0751 and the variance "
                  "0.00188, a standard deviation 0.0434 instead of 1")
LSTM_NOTE = ("the docstring is silent; the source draws U(+-1/sqrt(hidden)) as PyTorch's "
             "LSTMCell does: on a (4 hidden, in) weight, variance (4/3)/fan_out")
LSTM_BIAS_NOTE = ("the docstring is silent; the source sets the biases to zero, where PyTorch's "
                  "LSTMCell draws them U(+-1/sqrt(hidden)) like its weights")
LINEAR_NOTE = "the default is U(+-1/sqrt(fan_in)), variance 1/(3 fan_in), PyTorch's default"


def _conv(shape: tuple[int, ...], groups: int = 1) -> nn.Conv2d:
    return nn.Conv2d(groups * shape[1], shape[0], shape[2:], groups=groups)


def _transposed(shape: tuple[int, ...]) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(shape[0], shape[1], shape[2:])


def _lstm(shape: tuple[int, ...]) -> nn.LSTMCell:
    """An LSTMCell whose weight_ih is `shape` = (4 hidden, in)."""
    return nn.LSTMCell(shape[1], shape[0] // 4)


def _eye(w: np.ndarray) -> str:
    """identity matrix"""
    return "" if np.array_equal(w, np.eye(*w.shape)) else "not the identity"


def _constants() -> list[Entry]:
    """The norm layers' affine parameters and running statistics, and the constant
    constructors: (name, build from a (n,) shape, part, value, role)."""
    table = (
        ("nn.BatchNorm weight", nn.BatchNorm, "weight", 1.0, "weight"),
        ("nn.BatchNorm bias", nn.BatchNorm, "bias", 0.0, "bias"),
        ("nn.BatchNorm running_mean", nn.BatchNorm, "running_mean", 0.0, "bias"),
        ("nn.BatchNorm running_var", nn.BatchNorm, "running_var", 1.0, "weight"),
        ("nn.LayerNorm weight", nn.LayerNorm, "weight", 1.0, "weight"),
        ("nn.LayerNorm bias", nn.LayerNorm, "bias", 0.0, "bias"),
        ("nn.GroupNorm weight", lambda n: nn.GroupNorm(8, n), "weight", 1.0, "weight"),
        ("nn.GroupNorm bias", lambda n: nn.GroupNorm(8, n), "bias", 0.0, "bias"),
        ("nn.InstanceNorm weight", nn.InstanceNorm, "weight", 1.0, "weight"),
        ("nn.InstanceNorm bias", nn.InstanceNorm, "bias", 0.0, "bias"),
        ("nn.RMSNorm weight", nn.RMSNorm, "weight", 1.0, "weight"),
    )
    e = [Entry(name, _layer(lambda s, b=build: b(s[0]), part), ((256,),), kind="constant",
               value=value, role=role) for name, build, part, value, role in table]
    full = float(np.float32(0.3))
    e += [
        Entry("Tensor.zeros", _fn("zeros"), (DENSE,), kind="constant", value=0.0,
              dtypes=("float32", "float16")),
        Entry("Tensor.ones", _fn("ones"), (DENSE,), kind="constant", value=1.0,
              dtypes=("float32", "float16")),
        Entry("Tensor.full(0.3)", lambda s, d, _: _numpy(Tensor.full(s, 0.3, DTYPES[d]), d),
              (DENSE,), kind="constant", value=full),
        Entry("Tensor.eye", lambda s, d, _: _numpy(Tensor.eye(*s, dtype=DTYPES[d]), d),
              (DENSE, WIDE), kind="structure", structure=_eye),
    ]
    return e


def entries() -> list[Entry]:
    """Every random constructor of `Tensor`, and the default parameters of `tinygrad.nn`."""
    uniform_inv_sqrt = SCHEMES["uniform_inv_sqrt"]
    e = [
        Entry("Tensor.rand", _fn("rand"), (DENSE,), fixed_uniform(0, 1),
              dtypes=("float32", "float16", "float64"), note=RAND_NOTE),
        Entry("Tensor.randn", _fn("randn"), (DENSE,), SCHEMES["standard_normal"], dtypes=ALL,
              note=_join(RANDN_NOTE, F64_NOTE)),
        Entry("Tensor.uniform()", _fn("uniform"), (DENSE,), fixed_uniform(0, 1)),
        Entry("Tensor.uniform(low=-0.05, high=0.05)", _fn("uniform", low=-0.05, high=0.05),
              (DENSE,), fixed_uniform(-0.05, 0.05), dtypes=ALL,
              note=_join(UNIFORM_LOW_NOTE, F64_NOTE)),
        Entry("Tensor.normal(std=0.02)", _fn("normal", std=0.02), (DENSE,), fixed_normal(0.02),
              dtypes=ALL, note=_join(NORMAL_LOW_NOTE, F64_NOTE)),
        Entry("Tensor.normal(mean=0.5, std=0.1)", _fn("normal", mean=0.5, std=0.1), (DENSE,),
              fixed_normal(0.1, mean=0.5), dtypes=LOW, note=NORMAL_LOW_NOTE),
        Entry("Tensor.glorot_uniform", _fn("glorot_uniform"), FANNED, SCHEMES["glorot_uniform"],
              dtypes=LOW, note=_join(GLOROT_CONV_NOTE, UNIFORM_LOW_NOTE)),
        Entry("Tensor.kaiming_uniform", _fn("kaiming_uniform"), FANNED,
              kaiming(KAIMING_A, "uniform"), dtypes=LOW, note=_join(KAIMING_NOTE,
                                                                    UNIFORM_LOW_NOTE)),
        Entry("Tensor.kaiming_normal", _fn("kaiming_normal"), FANNED,
              kaiming(KAIMING_A, "normal"), dtypes=LOW, note=_join(KAIMING_NOTE,
                                                                   NORMAL_LOW_NOTE)),
        Entry("Tensor.kaiming_uniform(a=0)", _fn("kaiming_uniform", a=0.0), FANNED,
              SCHEMES["he_uniform"]),
        Entry("Tensor.kaiming_normal(a=0)", _fn("kaiming_normal", a=0.0), FANNED,
              SCHEMES["he_normal"]),
        Entry("Tensor.kaiming_uniform(a=math.sqrt(5))", _fn("kaiming_uniform", a=math.sqrt(5)),
              FANNED, uniform_inv_sqrt),
        Entry(f"Tensor.scaled_uniform{DENSE}", _fn("scaled_uniform"), (DENSE,),
              _numel_uniform(DENSE), dtypes=LOW, note=_join(SCALED_NOTE, UNIFORM_LOW_NOTE)),
        Entry(f"Tensor.scaled_uniform{CONV}", _fn("scaled_uniform"), (CONV,),
              _numel_uniform(CONV), note=SCALED_NOTE),
    ]
    for role in ("weight", "bias"):
        linear, conv, grouped, transposed = LAYER_SHAPES[role]
        e += [
            Entry(f"nn.Linear {role}", _layer(lambda s: nn.Linear(s[1], s[0]), role),
                  (linear,), uniform_inv_sqrt, note=LINEAR_NOTE, role=role),
            Entry(f"nn.Conv2d {role}", _layer(_conv, role), (conv,), uniform_inv_sqrt,
                  note=LINEAR_NOTE, role=role),
            Entry(f"nn.Conv2d(groups=4) {role}", _layer(lambda s: _conv(s, 4), role),
                  (grouped,), uniform_inv_sqrt, note=_groups_note(grouped, 4), role=role,
                  draws=variance_scaling(uniform_inv_sqrt.scale / 4, "fan_in", "uniform")),
            Entry(f"nn.ConvTranspose2d {role}", _layer(_transposed, role), (transposed,),
                  uniform_inv_sqrt, note=_transposed_note(transposed), role=role,
                  draws=variance_scaling(uniform_inv_sqrt.scale, "fan_out", "uniform")),
        ]
    lstm = variance_scaling(LSTM_SCALE, "fan_out", "uniform", name="U(+-1/sqrt(hidden))")
    e += [
        Entry("nn.Embedding", _layer(lambda s: nn.Embedding(*s)), ((1000, 64),),
              SCHEMES["standard_normal"], note=EMBEDDING_NOTE, role="embedding",
              draws=SCHEMES["glorot_uniform"]),
        Entry("nn.LSTMCell weight_ih", _layer(_lstm, "weight_ih"), ((512, 256),), lstm,
              note=LSTM_NOTE),
        Entry("nn.LSTMCell weight_hh", _layer(_lstm, "weight_hh"),
              ((512, 128),), lstm, note=LSTM_NOTE),
        Entry("nn.LSTMCell bias_ih", _layer(_lstm, "bias_ih"), ((512, 256),), kind="constant",
              value=0.0, note=LSTM_BIAS_NOTE, role="bias"),
        Entry("nn.LSTMCell bias_hh", _layer(_lstm, "bias_hh"), ((512, 256),), kind="constant",
              value=0.0, note=LSTM_BIAS_NOTE, role="bias"),
    ]
    return e + _constants()


def _kaiming_offers(target: Scheme) -> list[Spelling]:
    """kaiming_uniform/kaiming_normal with a = sqrt(2/scale - 1) (the scale on fan_in; a = 0,
    the largest scale tinygrad can write, above 2), and glorot_uniform."""
    scale = float(target.variance_at(1, 1))  # the scale, whatever the mode
    a = math.sqrt(max(2 / scale - 1, 0.0))
    notes = [] if target.mode == "fan_in" else \
        ["tinygrad's kaiming_* always read fan_in = prod(shape[1:])"]
    notes += [] if scale <= 2 else ["a = 0 gives the largest scale tinygrad writes, 2"]
    offers = [Spelling(f"Tensor.kaiming_{dist}(*shape, a={literal(a)})", kaiming(a, dist),
                       _join(*notes)) for dist in ("uniform", "normal")]
    offers.append(Spelling("Tensor.glorot_uniform(*shape)", SCHEMES["glorot_uniform"],
                           "exact for 2-D weights only: on a convolution it draws "
                           "variance 2/(out + in*kH*kW)"))
    return offers


def _fixed_offers(target: Scheme, shape: str) -> list[Spelling]:
    """The fixed laws tinygrad writes: normal, uniform and constants of the target's mean and
    variance (a truncated normal's nearest are these)."""
    mean = float(target.mean)
    variance = float(target.variance_at(1, 1))
    if variance == 0:
        full = "shape" if shape == "*shape" else f"({shape},)"
        call = {0.0: f"Tensor.zeros({shape})", 1.0: f"Tensor.ones({shape})"}.get(
            mean, f"Tensor.full({full}, {literal(mean)})")
        return [Spelling(call, constant(mean))]
    law = fixed_law(target)
    where = f", mean={literal(mean)}" if mean else ""
    return [Spelling(f"Tensor.normal({shape}{where}, std={literal(law.sd)})", law.normal),
            Spelling(f"Tensor.uniform({shape}, low={literal(law.low)}, high={literal(law.high)})",
                     law.uniform)]


def spell(target: Scheme, role: str) -> list[Spelling]:
    """The `Tensor` calls nearest to `target` for a parameter of this role. A bias call sees
    only the bias's shape, so a fan-dependent target gets the fixed laws' zeros only."""
    fan_dependent = bool(target.variance.free_symbols)
    if role == "bias":
        if fan_dependent:
            return [Spelling("Tensor.zeros(out_features)", constant(0.0))]
        return _fixed_offers(target, "out_features")
    if fan_dependent:
        return _kaiming_offers(target)
    return _fixed_offers(target, "*shape")
