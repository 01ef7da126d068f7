"""Equinox's layer defaults as samplers: `eqx.nn` draws its own weights and biases.

Layout (out, in, *kernel): Linear (out_features, in_features), Conv and ConvTranspose
(out_channels, in_channels/groups, *kernel), the RNN cells (gates·hidden, input),
Embedding (num_embeddings, embedding_size). Equinox has no initializer API: its docstrings
do not state the laws, and its source draws every Linear, Conv and ConvTranspose weight
and bias from U(±1/√fan_in), fan_in = in·∏kernel/groups (variance 1/(3 fan_in), PyTorch's
default), every GRUCell/LSTMCell matrix and bias from U(±1/√hidden), Embedding from
N(0, 1), and the norm layers' scale 1 and offset 0. A layer is built with
`key=jax.random.key(seed)` and the dtype asked for; JAX has no global random state.
A different initializer is written by replacing the array, through `eqx.tree_at`, with a
`jax.nn.initializers` draw (`spell`).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import reduce

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp

from derive import (
    SCHEMES,
    Scheme,
    constant,
    fan_in,
    fan_out,
    fixed_truncated_normal,
    variance_scaling,
)
from verify.frameworks.protocol import Entry, Spelling, fixed_law, literal

CONVENTION = "torch"
DENSE, WIDE, CONV = (256, 256), (512, 128), (64, 32, 3, 3)
GROUPED, TRANSPOSED = (64, 8, 3, 3), (32, 64, 3, 3)
TABLE = (4096, 64)
REAL = ("float32", "float16", "bfloat16")
GROUPS, HEADS = 4, 8
Build = Callable[[tuple[int, ...], jnp.dtype, jax.Array], eqx.Module]

DEFAULT_NOTE = ("Equinox's docstrings do not state the law; its source (nn._misc.default_init) "
                "draws U(+-1/sqrt(fan_in)), variance 1/(3 fan_in), PyTorch's default")
LOW_PRECISION_NOTE = (
    "default_init calls jax.random.uniform(-lim, lim) in the layer's dtype, which spends "
    "only the dtype's mantissa bits: in bfloat16 every weight is one of 128 levels (7 random "
    "bits) from -lim up to about lim - lim/64, so the top is missing and the mean is "
    "-lim/128 = -0.0135 sd (-0.012 to -0.015 seen); in float16 one of 1024 levels (10 "
    "bits), equally spaced where lim is a power of 2 (256 inputs, lim 1/16: a regular grid "
    "the check cannot tell from a uniform) but, where it is not (128 inputs, lim 0.0884), "
    "rounded to gaps of 2^-13 or 2^-12, an uneven density the histogram sees; float32 "
    "matches. Every Equinox layer draws through default_init, so every layer built in "
    "bfloat16 or float16 has this")
BIAS_NOTE = f"{DEFAULT_NOTE}; the bias is drawn with its weight's bound"
CONV_NOTE = ("a convolution's weight is (out, in/groups, *kernel) and the bound "
             "1/sqrt(in/groups*prod(kernel))")
TRANSPOSED_NOTE = (
    "ConvTranspose2d(in, out) stores (out, in/groups, kH, kW) and bounds it by "
    "1/sqrt(in/groups*kH*kW), the fan_in of its own input channels, consistent with its "
    "layout; PyTorch's ConvTranspose2d(in, out) bounds its weight by 1/sqrt(out/groups*kH*kW) "
    "instead, so ConvTranspose2d(64, 32, 3) gets 1/24 here and 1/sqrt(288) = 1/17 in PyTorch "
    "(neither counts the zeros a stride inserts)")
COMPLEX_NOTE = (
    "complex64: default_init draws the real and the imaginary part each from "
    "U(+-1/sqrt(fan_in)), a square, not a disk: E|w|^2 is 2/(3 fan_in), twice the "
    "variance of the real layer (JAX's complex variance_scaling splits it between the "
    "parts), and |w|^2 does not follow the disk's U(0, 2) law; each part alone matches "
    "(the 'real part' and 'imaginary part' rows)")
EMBEDDING_NOTE = (
    "the docstring does not state the law; the source draws jax.random.normal, which maps "
    "a uniform in the table's dtype through erf_inv: in bfloat16 that uniform has 7 random "
    "bits, so the table takes 128 values, none beyond -2.89 and +2.52 (a float32 table of "
    "262,144 reaches about +-4.6), with mean -0.012 and variance 0.994; in float16 1024 "
    "values, none beyond -3.49 and +3.18; float32 matches")
RNN_NOTE = ("the docstrings do not state the law; the source draws every matrix and bias from "
            "U(+-1/sqrt(hidden_size)) whatever input_size, as PyTorch's RNN cells do: "
            "variance 1/(3 hidden) = {scale}/fan_out with fan_out = {gates}*hidden")
AXES_NOTE = ("in_axis=1, out_axis=0: Equinox stores (out, in, *kernel), and jax.nn.initializers "
             "read the fans from (..., in, out) by default")
REPLACE_NOTE = "Equinox layers take no initializer: the draw replaces the default array"
NORM_NOTE = "the docstrings do not give the starting value; the source starts it at {value}"


def version() -> str:
    return f"equinox {eqx.__version__}, jax {jax.__version__}"


def disturb() -> None:
    """JAX and Equinox have no global random state; move numpy's."""
    np.random.random(7)


def _numpy(array: jax.Array) -> np.ndarray:
    out = np.asarray(array)
    return out.astype(np.complex128 if np.iscomplexobj(out) else np.float64)


def _param(build: Build, path: str = "weight", *, flat: bool = False, part: str = "") -> object:
    """The array at `path` of build(shape, dtype, key): of the shape asked for, or
    flattened (a bias), or one part ('real', 'imag') of a complex64 layer's array. The
    build is jitted once per shape and dtype (bit for bit the eager draw, and ~50 times
    faster for the thousands of small biases a check draws)."""
    compiled: dict[tuple[tuple[int, ...], str], Callable[[jax.Array], jax.Array]] = {}

    def sample(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
        made = jnp.dtype("complex64" if part else dtype)
        if (shape, dtype) not in compiled:
            compiled[shape, dtype] = jax.jit(
                lambda key: reduce(getattr, path.split("."), build(shape, made, key)))
        array = compiled[shape, dtype](jax.random.key(seed))
        assert array.dtype == made, f"asked for {made}, got {array.dtype}"
        out = _numpy(getattr(array, part) if part else array)
        if flat:
            return out.reshape(-1)
        assert out.shape == shape, f"{build} built {out.shape}, not {shape}"
        return out

    return sample


def _linear(s: tuple[int, ...], dtype: jnp.dtype, key: jax.Array) -> eqx.Module:
    return eqx.nn.Linear(s[1], s[0], dtype=dtype, key=key)


def _conv(groups: int = 1) -> Build:
    """eqx.nn.Conv of any spatial rank, in_channels = groups·s[1]."""
    return lambda s, dtype, key: eqx.nn.Conv(len(s) - 2, groups * s[1], s[0], s[2:],
                                             groups=groups, dtype=dtype, key=key)


def _conv2d(s: tuple[int, ...], dtype: jnp.dtype, key: jax.Array) -> eqx.Module:
    return eqx.nn.Conv2d(s[1], s[0], s[2:], dtype=dtype, key=key)


def _transposed(s: tuple[int, ...], dtype: jnp.dtype, key: jax.Array) -> eqx.Module:
    return eqx.nn.ConvTranspose2d(s[1], s[0], s[2:], dtype=dtype, key=key)


def _attention(s: tuple[int, ...], dtype: jnp.dtype, key: jax.Array) -> eqx.Module:
    """Every projection (out, in) = s: query_size = s[1], heads·qk_size = s[0] and the
    output projection from heads·vo_size = s[1] to output_size = s[0]."""
    return eqx.nn.MultiheadAttention(HEADS, s[1], qk_size=s[0] // HEADS, vo_size=s[1] // HEADS,
                                     output_size=s[0], use_output_bias=True, dtype=dtype,
                                     key=key)


def _cell(cls: type, gates: int) -> Build:
    """weight_ih (gates·hidden, input) = s."""
    return lambda s, dtype, key: cls(s[1], s[0] // gates, dtype=dtype, key=key)


def _hidden(cls: type, gates: int) -> Build:
    """weight_hh (gates·hidden, hidden) = s; the input size is 32."""
    return lambda s, dtype, key: cls(32, s[1], dtype=dtype, key=key)


def rnn_scheme(gates: int) -> Scheme:
    """U(±1/√hidden) on a (gates·hidden, ·) matrix: PyTorch's default with fan_in read as
    hidden = fan_out/gates, i.e. variance (gates/3)/fan_out."""
    inv_sqrt = SCHEMES["uniform_inv_sqrt"]
    scale = sp.simplify(inv_sqrt.variance.subs(fan_in, fan_out / gates) * fan_out)
    return variance_scaling(scale, "fan_out", "uniform",
                            name=f"U(+-1/sqrt(hidden)), hidden = fan_out/{gates}")


def _layer_entries() -> list[Entry]:
    """Linear, the convolutions and attention: weights and biases from U(±1/√fan_in)."""
    default = SCHEMES["uniform_inv_sqrt"]
    conv = f"{DEFAULT_NOTE}; {CONV_NOTE}"
    layers: list[tuple[str, Build, tuple[tuple[int, ...], ...], tuple[str, ...], bool, str]] = [
        ("nn.Linear", _linear, (DENSE, WIDE), REAL, True, f"{DEFAULT_NOTE}. {LOW_PRECISION_NOTE}"),
        ("nn.Conv1d", _conv(), ((64, 32, 5),), ("float32",), False, conv),
        ("nn.Conv2d", _conv2d, (CONV,), ("float32", "bfloat16"), True,
         f"{conv}. {LOW_PRECISION_NOTE}"),
        ("nn.Conv3d", _conv(), ((32, 16, 3, 3, 3),), ("float32",), False, conv),
        (f"nn.Conv(groups={GROUPS})", _conv(GROUPS), (GROUPED,), ("float32",), True, conv),
        ("nn.ConvTranspose2d", _transposed, (TRANSPOSED,), ("float32",), True,
         f"{DEFAULT_NOTE}. {TRANSPOSED_NOTE}"),
    ]
    e = []
    for name, build, shapes, dtypes, bias, note in layers:
        e.append(Entry(name, _param(build), shapes, default, note=note, dtypes=dtypes))
        if bias:
            e.append(Entry(f"{name} bias", _param(build, "bias", flat=True), shapes[:1],
                           default, note=BIAS_NOTE, role="bias"))
    complex_note = f"{DEFAULT_NOTE}. {COMPLEX_NOTE}"
    part_note = "one float32 part of the complex64 weight"
    attention = ("a MultiheadAttention projection is an nn.Linear: U(+-1/sqrt(fan_in)); "
                 "the docstring does not state the law")
    return [*e,
            Entry("nn.Linear complex64", _param(_linear), (DENSE,), default,
                  dtypes=("complex64",), note=complex_note),
            Entry("nn.Conv2d complex64", _param(_conv2d), (CONV,), default,
                  dtypes=("complex64",), note=complex_note),
            Entry("nn.Linear complex64, real part", _param(_linear, part="real"), (DENSE,),
                  default, note=part_note),
            Entry("nn.Linear complex64, imaginary part", _param(_linear, part="imag"),
                  (DENSE,), default, note=part_note),
            Entry("nn.MultiheadAttention.query_proj", _param(_attention, "query_proj.weight"),
                  (WIDE,), default, note=attention),
            Entry("nn.MultiheadAttention.output_proj", _param(_attention, "output_proj.weight"),
                  (WIDE,), default, note=attention),
            Entry("nn.MultiheadAttention.output_proj bias",
                  _param(_attention, "output_proj.bias", flat=True), (DENSE,), default,
                  note=attention, role="bias")]


def _rnn_entries() -> list[Entry]:
    """GRUCell and LSTMCell: every matrix and bias from U(±1/√hidden)."""
    e = []
    for cls, gates in ((eqx.nn.GRUCell, 3), (eqx.nn.LSTMCell, 4)):
        name, claim = f"nn.{cls.__name__}", rnn_scheme(gates)
        note = RNN_NOTE.format(scale=claim.scale, gates=gates)
        ih, hh = (gates * 96, 256), (gates * 96, 96)
        e += [
            Entry(f"{name}.weight_ih", _param(_cell(cls, gates), "weight_ih"), (ih,), claim,
                  note=note),
            Entry(f"{name}.weight_hh", _param(_hidden(cls, gates), "weight_hh"), (hh,), claim,
                  note=note),
            Entry(f"{name}.bias", _param(_cell(cls, gates), "bias", flat=True), (ih,), claim,
                  note=note, role="bias"),
        ]
    gru = rnn_scheme(3)
    return [*e, Entry("nn.GRUCell.bias_n", _param(_cell(eqx.nn.GRUCell, 3), "bias_n", flat=True),
                      ((3 * 96, 256),), gru, role="bias",
                      note=RNN_NOTE.format(scale=gru.scale, gates=3) + "; bias_n has hidden "
                      "entries")]


def _constant_entries() -> list[Entry]:
    """The norm layers' scale 1 and offset 0, and PReLU's slope 0.25."""
    norms: dict[str, Build] = {
        "nn.LayerNorm": lambda s, dtype, key: eqx.nn.LayerNorm(s, dtype=dtype),
        "nn.RMSNorm": lambda s, dtype, key: eqx.nn.RMSNorm(s, dtype=dtype),
        "nn.GroupNorm": lambda s, dtype, key: eqx.nn.GroupNorm(GROUPS, s[0], dtype=dtype),
        "nn.BatchNorm": lambda s, dtype, key: eqx.nn.BatchNorm(s[0], "batch", mode="batch",
                                                               dtype=dtype),
    }
    e = []
    for name, build in norms.items():
        for path, value, role in (("weight", 1.0, "weight"), ("bias", 0.0, "bias")):
            e.append(Entry(f"{name} {path}", _param(build, path, flat=True), ((256,),),
                           kind="constant", value=value, dtypes=REAL, role=role,
                           note=NORM_NOTE.format(value=value)))
    e.append(Entry("nn.PReLU", _param(lambda s, dtype, key: eqx.nn.PReLU(), "negative_slope",
                                  flat=True),
                   ((1,),), kind="constant", value=0.25,
                   note="the docstring's init_alpha default 0.25, as a float32 scalar"))
    return e


def entries() -> list[Entry]:
    """Every layer of `eqx.nn` that draws or sets a parameter of its own."""
    return [*_layer_entries(), *_rnn_entries(), *_constant_entries(),
            Entry("nn.Embedding", _param(lambda s, dtype, key: eqx.nn.Embedding(
                s[0], s[1], dtype=dtype, key=key)), (TABLE,), SCHEMES["standard_normal"],
                dtypes=REAL, role="embedding", note=EMBEDDING_NOTE)]


def _shift(value: float) -> str:
    return "" if value == 0 else f" + {literal(value)}" if value > 0 else f" - {literal(-value)}"


def _call(part: str, init: str, shift: float = 0.0) -> str:
    """The layer with its `part` replaced by a jax.nn.initializers draw, moved by `shift`."""
    return (f"eqx.tree_at(lambda l: l.{part}, layer, jax.nn.initializers.{init}"
            f"(key, layer.{part}.shape, layer.{part}.dtype){_shift(shift)})")


def _about(mean: float, half: float) -> tuple[float, float]:
    """mean -+ half, half to 12 digits, as floats whose decimals lie symmetric about mean's
    (derive reads a float as the decimal it prints as, and cuts symmetric ones only)."""
    m, h = Decimal(repr(mean)), Decimal(f"{half:.12g}")
    return float(m - h), float(m + h)


def _constant(part: str, value: float) -> Spelling:
    init = {0.0: "zeros", 1.0: "ones"}.get(value, f"constant({literal(value)})")
    return Spelling(_call(part, init), constant(value), REPLACE_NOTE)


def _fixed(part: str, target: Scheme) -> list[Spelling]:
    """normal, truncated_normal (N(0, stddev²) cut at [lower, upper]·stddev, uncorrected)
    and uniform (U[0, scale)), each shifted to the target's mean."""
    law = fixed_law(target)
    mean, sd, half = law.mean, law.sd, law.half
    sigma, k = law.sigma or sd, law.k or 2.0
    cut = "" if k == 2 else f", lower={literal(-k)}, upper={literal(k)}"
    low = mean - half
    uncorrected = ("truncated_normal(stddev) cuts N(0, stddev^2) at [lower, upper]*stddev "
                   "without correcting the variance")
    return [
        Spelling(_call(part, f"normal(stddev={literal(sd)})", mean), law.normal, REPLACE_NOTE),
        Spelling(_call(part, f"truncated_normal(stddev={literal(sigma)}{cut})", mean),
                 fixed_truncated_normal(sigma, _about(mean, k * sigma), mean),
                 f"{REPLACE_NOTE}; {uncorrected}"),
        Spelling(_call(part, f"uniform(scale={literal(2 * half)})", low),
                 law.uniform,
                 f"{REPLACE_NOTE}; jax's uniform(scale) draws U[0, scale)"
                 + ("" if low == 0 else ", shifted here")),
    ]


def spell(target: Scheme, role: str) -> list[Spelling]:
    """The `jax.nn.initializers` draws that can replace a layer's weight, embedding table or
    bias through `eqx.tree_at`. A bias is 1-D: only fixed laws and constants (an
    initializer called on it cannot see the layer's fans)."""
    part = "bias" if role == "bias" else "weight"
    if target.variance == 0:
        return [_constant(part, float(target.mean))]
    if target.mode is None:
        return _fixed(part, target)
    if role == "bias":
        return [_constant(part, 0.0)]
    scale = literal(target.scale)
    return [Spelling(_call(part, f"variance_scaling({scale}, '{target.mode}', '{dist}', "
                                 "in_axis=1, out_axis=0)"),
                     variance_scaling(target.scale, target.mode, dist),
                     f"{REPLACE_NOTE}; {AXES_NOTE}"
                     + ("; 'truncated_normal' is cut at +-2 sigma and variance-corrected"
                        if dist == "truncated_normal" else ""))
            for dist in ("normal", "truncated_normal", "uniform")]
