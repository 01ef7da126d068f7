"""PaddlePaddle's initializers as samplers: `paddle.nn.initializer`, the torch-style
`paddle.nn.init` functions, and the default weights and biases of its layers.

Layout: a 2-D weight is (in, out) (`nn.Linear`), a convolution (out, in/groups, *kernel),
a transposed convolution (in, out/groups, *kernel). Paddle's `_compute_fans` reads a 2-D
shape as (fan_in, fan_out) = (shape[0], shape[1]) and any longer one as
(shape[1]·∏k, shape[0]·∏k), as `verify.fans(shape, "paddle")` does; on a transposed
convolution it therefore takes fan_in from out/groups. RNN weights are stored
(gates·hidden, in) and drawn from a fixed law. Each sampler calls `paddle.seed(seed)` and
builds a fresh initializer (one keeps the first seed it sees).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import sympy as sp

with warnings.catch_warnings():  # paddle warns on import that it found no compiler cache
    warnings.filterwarnings("ignore", "No ccache found", UserWarning)
    import paddle
    from paddle.nn import initializer as pinit

from derive import (
    SCHEMES,
    Scheme,
    constant,
    fixed_normal,
    fixed_truncated_normal,
    fixed_uniform,
    leaky_he_scale,
    variance_scaling,
)
from verify.frameworks.protocol import Entry, Sampler, Spelling, fixed_law, literal

CONVENTION = "paddle"
DENSE, WIDE, CONV, BIG = (256, 256), (512, 128), (64, 32, 3, 3), (1024, 1024)
SHAPES = (DENSE, WIDE, CONV)
DTYPES = ("float32", "float16", "bfloat16", "float64")
LOW = ("float32", "float16", "bfloat16")
HIDDEN = 256
"""The RNNs' hidden size: their default law is U(±1/√hidden) = U(±1/16)."""
API = "paddle.nn.initializer."


def version() -> str:
    return f"paddle {paddle.__version__}"


def disturb() -> None:
    """Move Paddle's global generator and numpy's global random state."""
    paddle.rand([7])
    np.random.random(7)


def _numpy(t: paddle.Tensor) -> np.ndarray:
    return t.astype("complex128" if t.is_complex() else "float64").numpy()


def _param(shape: tuple[int, ...], dtype: str, init: object) -> paddle.Tensor:
    p = paddle.create_parameter(list(shape), dtype, default_initializer=init)
    assert p.dtype == getattr(paddle, dtype), f"asked for {dtype}, got {p.dtype}"
    return p


def _init(make: Callable[..., object], **kwargs: object) -> Sampler:
    """`paddle.create_parameter` with a fresh `make(**kwargs)` as its initializer."""
    def sample(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
        paddle.seed(seed)
        return _numpy(_param(shape, dtype, make(**kwargs)))

    return sample


def _fn(fn: Callable[..., object], **kwargs: object) -> Sampler:
    """A `paddle.nn.init` function applied in place to a zero parameter."""
    def sample(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
        p = _param(shape, dtype, pinit.Constant(0.0))
        paddle.seed(seed)
        fn(p, **kwargs)
        return _numpy(p)

    return sample


@contextmanager
def _default_dtype(dtype: str) -> Iterator[None]:
    old = paddle.get_default_dtype()
    paddle.set_default_dtype(dtype)
    try:
        yield
    finally:
        paddle.set_default_dtype(old)


def _layer(build: Callable[[tuple[int, ...]], paddle.nn.Layer], part: str = "weight",
           weight: str = "weight", transpose: bool = False) -> Sampler:
    """The `part` of a layer built (in the default dtype `dtype`) so that its `weight` has
    the shape asked for (transposed first where the layer stores it (out, in))."""
    def sample(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
        paddle.seed(seed)
        with _default_dtype(dtype):
            layer = build(shape)
        w = getattr(layer, weight)
        built = tuple(w.shape)[::-1] if transpose else tuple(w.shape)
        assert built == shape, f"{build} built {built}"
        out = _numpy(getattr(layer, part))
        return out.T if transpose and out.ndim == 2 else out

    return sample


def _conv(groups: int | None) -> Callable[[tuple[int, ...]], paddle.nn.Layer]:
    """Conv2D whose weight is (out, in/groups, kH, kW); groups None: depthwise."""
    def build(s: tuple[int, ...]) -> paddle.nn.Layer:
        g = s[0] if groups is None else groups
        return paddle.nn.Conv2D(s[1] * g, s[0], s[2:], groups=g)

    return build


def _globally(make: Callable[[], object],
              build: Callable[[tuple[int, ...]], paddle.nn.Layer]
              ) -> Callable[[tuple[int, ...]], paddle.nn.Layer]:
    """`build` under `set_global_initializer(make())`, reset to None afterwards."""
    def built(s: tuple[int, ...]) -> paddle.nn.Layer:
        pinit.set_global_initializer(make())
        try:
            return build(s)
        finally:
            pinit.set_global_initializer(None)

    return built


def _rnn(cls: type, gates: int) -> Callable[[tuple[int, ...]], paddle.nn.Layer]:
    """An RNN whose weight_ih_l0 is (gates·hidden, in)."""
    return lambda s: cls(s[1], s[0] // gates)


def _lstm_kaiming(s: tuple[int, ...]) -> paddle.nn.Layer:
    """An LSTM whose weight_ih_l0, transposed to (in, 4·hidden), has shape s, drawn by
    KaimingNormal()."""
    attr = paddle.ParamAttr(initializer=pinit.KaimingNormal())
    return paddle.nn.LSTM(s[0], s[1] // 4, weight_ih_attr=attr)


def _ramp(shape: tuple[int, ...]) -> np.ndarray:
    """Values m/256, |m| ≤ 128: exact in every float dtype."""
    return ((np.arange(math.prod(shape)) % 256 - 128) / 256).reshape(shape)


def _assigned(w: np.ndarray) -> str:
    """the array assigned, value for value"""
    return "" if np.array_equal(w, _ramp(w.shape)) else "not the array assigned"


def _eye(w: np.ndarray) -> str:
    """identity matrix"""
    return "" if np.array_equal(w, np.eye(*w.shape)) else "not the identity"


def _dirac(groups: int) -> Callable[[np.ndarray], str]:
    def structure(w: np.ndarray) -> str:
        """Dirac delta per group: w[g·out/groups + i, i, centre] = 1, all else 0"""
        expected = np.zeros_like(w)
        centre = tuple(k // 2 for k in w.shape[2:])
        per = w.shape[0] // groups
        for g in range(groups):
            for i in range(min(per, w.shape[1])):
                expected[(g * per + i, i, *centre)] = 1
        return "" if np.array_equal(w, expected) else "not the Dirac delta"

    return structure


def _bilinear(w: np.ndarray) -> str:
    """every (K, K) slice the bilinear kernel t (x) t

    t[x] = 1 - |x/f - c|, f = ceil(K/2), c = (2f - 1 - f mod 2)/(2f): Caffe's filler."""
    size = w.shape[-1]
    f = math.ceil(size / 2)
    c = (2 * f - 1 - f % 2) / (2 * f)
    t = 1 - np.abs(np.arange(size) / f - c)
    err = float(np.abs(w - np.outer(t, t)).max())
    if err < 1e-6:
        return ""
    first = w.reshape(-1, size, size)[0]
    skew = float(np.abs(first - first.T).max())
    return (f"max |w - t (x) t| = {err:.3g}; the first slice's smallest value is "
            f"{float(first.min()):.4g}" + (f" and it is not symmetric (|w - w^T| up to "
                                           f"{skew:.3g})" if skew > 1e-6 else ""))


def kaiming(a: float, mode: str, distribution: str) -> Scheme:
    """Kaiming*(negative_slope=a, nonlinearity='leaky_relu', mode): 2/(1 + a²)/fan_mode."""
    scale = leaky_he_scale(a)
    return variance_scaling(scale, mode, distribution,
                            name=f"variance {scale}/{mode}, {distribution}")


TRUNC_NOTE = ("TruncatedNormal(mean, std, a, b) cuts N(mean, std^2) at the absolute bounds a, "
              "b (default -2, 2), not at multiples of std, and std is the sigma before the cut: "
              "with std 0.02 the cut is at 100 sigma, so nothing is truncated and values reach "
              "+-0.1 (5 sigma) where a +-2 sigma cut stops at +-0.0455; with std 1 the standard "
              "deviation is 0.8796, not 1. float16 is not tried: its CPU kernel is not "
              "registered (the float16 cast in TruncatedNormal compares the dtype with the old "
              "VarDesc type, which a dygraph float16 parameter never equals)")
TRUNC_DOC_NOTE = ("std is the sigma before the cut and a, b absolute, as the docstring says "
                  "('standard deviation of the normal distribution', 'minimum cutoff value'); "
                  "float16 raises: no CPU kernel")
CONV_DOC = ("the docstring promises Normal(0, (2/filter_elem_num)^0.5), the He normal law over "
            "one filter's in/groups*kH*kW elements")
GROUPED_NOTE = (CONV_DOC + "; Paddle takes filter_elem_num = in_channels*kH*kW, ignoring "
                "groups, so with groups=4 the variance is 2/(4 fan_in), a quarter of He's "
                "(std 0.0833 instead of 0.1667 at in 32, kernel 3x3)")
DEPTHWISE_NOTE = (CONV_DOC + "; Paddle takes filter_elem_num = in_channels*kH*kW, ignoring "
                  "groups, so a depthwise Conv2D(32, 32, 3, groups=32) draws variance "
                  "2/(32*9), 1/32 of He's 2/9 (std 0.0833 instead of 0.4714)")
COMPAT_NOTE = ("paddle.compat.nn.Linear stores its weight (out, in) as PyTorch does and "
               "documents U(+-sqrt(1/in_features)), but calls paddle.nn.init.kaiming_uniform_"
               "(a=sqrt(5)), which reads fan_in from dimension 0 (Paddle's (in, out) "
               "convention), so the bound is 1/sqrt(out_features): at in 512, out 128 it is "
               "0.0884 instead of 0.0442, variance 4x too large; the sample is shown "
               "transposed to (in, out)")
BILINEAR_NOTE = ("Bilinear computes the row index as y = (i / size) % size with Python 3's true "
                 "division, so y is fractional (i // size was meant): the 4x4 kernel "
                 "[[.0625, .2812, .375, .1562], [.1875, .6562, .75, .2188], ...] is asymmetric "
                 "and has a negative entry (-0.03125) instead of the separable "
                 "[.25, .75, .75, .25] (x) [.25, .75, .75, .25]")
FLOAT64_NOTE = ("Uniform, Normal and TruncatedNormal hand low, high, mean, std, a and b to "
                "kernels that take them as float32 (the phi gaussian and "
                "truncated_gaussian_random ops declare them float), even for a float64 "
                "parameter: Uniform(1/3, 1/3) fills "
                "0.3333333432674408 (float32's 1/3) where 1/3 is 0.3333333333333333, and float64 "
                "uniform draws can pass their bound by up to its float32 rounding (relative "
                "6e-8: a float64 KaimingUniform() on 256 x 256 drew -0.15309311028, beyond "
                "-sqrt(6/256) = -0.15309310892); float64 uniform rows are left out, since "
                "whether a draw lands there is chance")
UNIFORM_DOC_NOTE = ("paddle.nn.init.uniform_ documents low=-1.0, high=1.0, but its parameters "
                    "are a=0.0, b=1.0: it draws U(0, 1), mean 0.5")
EMBEDDING_NOTE = ("the docstring does not say; the source gives the weight ParamAttr's default, "
                  "XavierUniform, with fans (num_embeddings, embedding_dim): U(+-sqrt(6/(num + "
                  "dim))), 0.0380 at 4096 x 64")
RNN_KAIMING_NOTE = ("an RNN weight is stored (gates*hidden, in), and KaimingNormal reads fan_in "
                    "from its dimension 0, gates*hidden = 1024, not input_size = 128 as its "
                    "docstring ('fan_in (in_features) of trainable Tensor') says: variance "
                    "2/1024, 1/8 of He's 2/128; shown transposed to (in, gates*hidden)")
RNN_NOTE = "the docstring: Uniform(-std, std), std = 1/sqrt(hidden_size) = 1/16 at hidden 256"


def entries() -> list[Entry]:
    """Every `paddle.nn.initializer` class, some `paddle.nn.init` functions, and the default
    weights and biases of the common layers."""
    tanh = pinit.calculate_gain("tanh")
    trunc = ("float32", "bfloat16")  # TruncatedNormal: no float16 CPU kernel
    rnn_law = fixed_uniform(-1 / math.sqrt(HIDDEN), 1 / math.sqrt(HIDDEN))
    given = SCHEMES["glorot_uniform"].bound_at(300, 500)
    e = [
        Entry("Normal(std=0.02)", _init(pinit.Normal, std=0.02), SHAPES, fixed_normal(0.02),
              dtypes=DTYPES),
        Entry("Normal(mean=0.5, std=0.1)", _init(pinit.Normal, mean=0.5, std=0.1), (DENSE,),
              fixed_normal(0.1, mean=0.5)),
        Entry("Normal(std=0.02) complex64", _init(pinit.Normal, std=0.02), (DENSE,),
              fixed_normal(0.02), dtypes=("complex64",),
              note="Normal documents a complex mean; a complex parameter gets E|w|^2 = std^2"),
        Entry("Uniform(-0.05, 0.05)", _init(pinit.Uniform, low=-0.05, high=0.05), SHAPES,
              fixed_uniform(-0.05, 0.05), dtypes=LOW),
        Entry("Uniform()", _init(pinit.Uniform), (DENSE,), fixed_uniform(-1, 1)),
        Entry("Uniform(1/3, 1/3)", _init(pinit.Uniform, low=1 / 3, high=1 / 3), ((64, 64),),
              kind="constant", value=1 / 3, dtypes=("float64",), note=FLOAT64_NOTE),
        Entry("TruncatedNormal(mean=0.5, std=0.1, a=0.3, b=0.7)",
              _init(pinit.TruncatedNormal, mean=0.5, std=0.1, a=0.3, b=0.7), (DENSE, CONV),
              fixed_truncated_normal(0.1, bounds=(0.3, 0.7), mean=0.5), dtypes=trunc,
              note=TRUNC_DOC_NOTE),
        Entry("TruncatedNormal(std=0.02)", _init(pinit.TruncatedNormal, std=0.02), SHAPES,
              fixed_truncated_normal(0.02), dtypes=trunc, note=TRUNC_NOTE,
              draws=fixed_truncated_normal(0.02, (-2, 2))),
        Entry("TruncatedNormal(std=1)", _init(pinit.TruncatedNormal, std=1.0), (DENSE, CONV),
              fixed_truncated_normal(1.0), dtypes=trunc, note=TRUNC_NOTE,
              draws=fixed_truncated_normal(1.0, (-2, 2))),
        Entry("TruncatedNormal(std=0.02), as documented", _init(pinit.TruncatedNormal, std=0.02),
              (DENSE, CONV), fixed_truncated_normal(0.02, (-2, 2)), dtypes=trunc,
              note=TRUNC_DOC_NOTE),
        Entry("XavierUniform()", _init(pinit.XavierUniform), SHAPES, SCHEMES["glorot_uniform"],
              dtypes=LOW),
        Entry("XavierNormal()", _init(pinit.XavierNormal), SHAPES, SCHEMES["glorot_normal"],
              dtypes=LOW),
        Entry("XavierNormal(gain=calculate_gain('tanh'))", _init(pinit.XavierNormal, gain=tanh),
              (WIDE, CONV), variance_scaling(tanh**2, "fan_avg", "normal",
                                       name="(25/9)/fan_avg, normal")),
        Entry("XavierUniform(fan_in=300, fan_out=500)",
              _init(pinit.XavierUniform, fan_in=300, fan_out=500), (DENSE, CONV),
              fixed_uniform(-given, given),
              note="given fans replace the shape's: U(+-sqrt(6/800)) whatever the shape"),
        Entry("XavierNormal() complex64", _init(pinit.XavierNormal), (DENSE, CONV),
              SCHEMES["glorot_normal"], dtypes=("complex64",),
              note="not documented for complex parameters; the source draws the circular "
                   "complex normal with E|w|^2 = 1/fan_avg"),
        Entry("KaimingUniform()", _init(pinit.KaimingUniform), SHAPES, SCHEMES["he_uniform"],
              dtypes=LOW),
        Entry("KaimingNormal()", _init(pinit.KaimingNormal), SHAPES, SCHEMES["he_normal"],
              dtypes=LOW),
        Entry("KaimingNormal(mode='fan_out')", _init(pinit.KaimingNormal, mode="fan_out"),
              (WIDE, CONV), kaiming(0, "fan_out", "normal")),
        Entry("KaimingUniform(negative_slope=0.2, nonlinearity='leaky_relu')",
              _init(pinit.KaimingUniform, negative_slope=0.2, nonlinearity="leaky_relu"),
              (WIDE, CONV), kaiming(0.2, "fan_in", "uniform")),
        Entry("KaimingUniform(negative_slope=sqrt(5), nonlinearity='leaky_relu')",
              _init(pinit.KaimingUniform, negative_slope=math.sqrt(5),
                    nonlinearity="leaky_relu"),
              (WIDE, CONV), SCHEMES["uniform_inv_sqrt"],
              note="PyTorch's default law, U(+-1/sqrt(fan_in)), with fan_in = dimension 0 of "
                   "an (in, out) weight"),
        Entry("Orthogonal()", _init(pinit.Orthogonal), (*SHAPES, BIG), kind="orthogonal",
              value=1.0, note="float16 and bfloat16 raise: no CPU qr kernel"),
        Entry("Orthogonal(gain=2)", _init(pinit.Orthogonal, gain=2.0), (DENSE, WIDE),
              kind="orthogonal", value=2.0, dtypes=("float32", "float64")),
        Entry("Dirac()", _init(pinit.Dirac), (CONV, (32, 32, 3), (16, 8, 3, 3, 3)),
              kind="structure", structure=_dirac(1), dtypes=DTYPES),
        Entry("Dirac(groups=2)", _init(pinit.Dirac, groups=2), ((64, 16, 3, 3), (8, 4, 5)),
              kind="structure", structure=_dirac(2)),
        Entry("Assign(array)", lambda s, d, _: _numpy(_param(s, d, pinit.Assign(_ramp(s)))),
              (DENSE, CONV), kind="structure", structure=_assigned, dtypes=DTYPES),
        Entry("Bilinear()", _init(pinit.Bilinear), ((8, 1, 4, 4), (8, 1, 3, 3)),
              kind="structure", structure=_bilinear, note=BILINEAR_NOTE),
        Entry("Constant(0.3)", _init(pinit.Constant, value=0.3), (DENSE,), kind="constant",
              value=float(np.float32(0.3))),
        Entry("Constant()", _init(pinit.Constant), (DENSE,), kind="constant", value=0.0,
              dtypes=DTYPES),
    ]
    init = paddle.nn.init
    e += [
        Entry("nn.init.uniform_()", _fn(init.uniform_), (DENSE,), fixed_uniform(-1, 1),
              note=UNIFORM_DOC_NOTE, draws=fixed_uniform(0, 1)),
        Entry("nn.init.kaiming_uniform_()", _fn(init.kaiming_uniform_), (WIDE, CONV),
              SCHEMES["he_uniform"],
              note="nonlinearity='leaky_relu' with a=0 by default, as in PyTorch: He's law"),
        Entry("nn.init.kaiming_normal_(mode='fan_out')",
              _fn(init.kaiming_normal_, mode="fan_out"), (WIDE, CONV),
              kaiming(0, "fan_out", "normal")),
        Entry("nn.init.eye_", _fn(init.eye_), (DENSE, WIDE), kind="structure", structure=_eye),
    ]
    default = SCHEMES["glorot_uniform"]
    e += [
        Entry("nn.Linear", _layer(lambda s: paddle.nn.Linear(*s)), (DENSE, WIDE), default,
              dtypes=LOW,
              note="the docstring says Xavier; the source uses XavierUniform"),
        Entry("nn.Linear bias", _layer(lambda s: paddle.nn.Linear(*s), "bias"), (DENSE, WIDE),
              kind="constant", value=0.0, role="bias", dtypes=DTYPES),
        Entry("nn.Conv2D", _layer(_conv(1)), (CONV,), SCHEMES["he_normal"], dtypes=LOW,
              note=CONV_DOC),
        Entry("nn.Conv1D", _layer(lambda s: paddle.nn.Conv1D(s[1], s[0], s[2])), ((64, 32, 5),),
              SCHEMES["he_normal"], note=CONV_DOC),
        Entry("nn.Conv2D bias", _layer(_conv(1), "bias"), (CONV,), kind="constant", value=0.0,
              role="bias"),
        Entry("nn.Conv2D(groups=4)", _layer(_conv(4)), ((64, 8, 3, 3),), SCHEMES["he_normal"],
              note=GROUPED_NOTE, draws=variance_scaling(sp.Rational(1, 2), "fan_in", "normal")),
        Entry("nn.Conv2D depthwise", _layer(_conv(None)), ((32, 1, 3, 3),),
              SCHEMES["he_normal"], note=DEPTHWISE_NOTE,
              draws=variance_scaling(sp.Rational(1, 16), "fan_in", "normal")),
        Entry("set_global_initializer(KaimingNormal()), nn.Conv2D(groups=4)",
              _layer(_globally(pinit.KaimingNormal, _conv(4))), ((64, 8, 3, 3),),
              SCHEMES["he_normal"],
              note="the global initializer replaces the layer's default, and KaimingNormal "
                   "reads fan_in = in/groups*kH*kW from the weight's shape"),
        Entry("nn.Conv2DTranspose", _layer(lambda s: paddle.nn.Conv2DTranspose(s[0], s[1],
                                                                               s[2:])),
              ((32, 64, 3, 3),), default,
              note="the docstring says Xavier (XavierUniform in the source); the weight is "
                   "(in, out/groups, kH, kW), so Paddle's fan_in is out/groups*kH*kW and its "
                   "fan_out in*kH*kW, which Xavier's average does not mind"),
        Entry("nn.Embedding", _layer(lambda s: paddle.nn.Embedding(*s)), ((4096, 64),), default,
              role="embedding", note=EMBEDDING_NOTE),
        Entry("paddle.compat.nn.Linear", _layer(lambda s: paddle.compat.nn.Linear(*s),
                                                transpose=True),
              (DENSE, WIDE), SCHEMES["uniform_inv_sqrt"], note=COMPAT_NOTE,
              draws=variance_scaling(sp.Rational(1, 3), "fan_out", "uniform")),
        Entry("paddle.compat.nn.Linear bias", _layer(lambda s: paddle.compat.nn.Linear(*s),
                                                     "bias", transpose=True),
              (WIDE,), SCHEMES["uniform_inv_sqrt"], role="bias",
              note="U(+-1/sqrt(in_features)), fan_in read from the weight's dimension 1"),
    ]
    for cls, gates in ((paddle.nn.LSTM, 4), (paddle.nn.GRU, 3)):
        ih, hh = (gates * HIDDEN, 128), (gates * HIDDEN, HIDDEN)
        name = f"nn.{cls.__name__}"
        e += [Entry(f"{name} weight_ih_l0", _layer(_rnn(cls, gates), "weight_ih_l0",
                                                   "weight_ih_l0"), (ih,), rnn_law,
                    note=RNN_NOTE),
              Entry(f"{name} weight_hh_l0", _layer(_rnn(cls, gates), "weight_hh_l0",
                                                   "weight_hh_l0"), (hh,), rnn_law,
                    note=RNN_NOTE),
              Entry(f"{name} bias_ih_l0", _layer(_rnn(cls, gates), "bias_ih_l0",
                                                 "weight_ih_l0"), (ih,), rnn_law, role="bias",
                    note=RNN_NOTE)]
    e.append(Entry("nn.LSTM(weight_ih_attr=KaimingNormal()) weight_ih_l0",
                   _layer(_lstm_kaiming, "weight_ih_l0", "weight_ih_l0", transpose=True),
                   ((128, 4 * HIDDEN),), SCHEMES["he_normal"], note=RNN_KAIMING_NOTE,
                   draws=variance_scaling(2, "fan_out", "normal")))
    return e


def _kaiming(target: Scheme, distribution: str) -> Spelling:
    """Kaiming*(negative_slope, nonlinearity, mode) draws gain²/fan_mode: a named gain where
    one fits (relu 2, linear 1, tanh 25/9, selu 9/16), leaky_relu with slope √(2/scale − 1)
    for other scales below 2; above 2 none fits and the relu call is the nearest."""
    named = {sp.Integer(2): "", sp.Integer(1): "nonlinearity='linear'",
             sp.Rational(25, 9): "nonlinearity='tanh'", sp.Rational(9, 16): "nonlinearity='selu'"}
    scale = target.scale
    note = ("Paddle reads fan_in as dimension 0 of a 2-D (in, out) weight, in/groups*k of a "
            "convolution and out/groups*k of a transposed one")
    if scale in named:
        args = named[scale]
    elif scale < 2:
        args = f"negative_slope={literal(sp.sqrt(2 / scale - 1))}, nonlinearity='leaky_relu'"
    else:
        scale, args = sp.Integer(2), ""
        note += "; no Kaiming gain reaches this scale (relu's sqrt(2) but for tanh's 5/3)"
    mode = "mode='fan_out'" if target.mode == "fan_out" else ""
    name = "KaimingNormal" if distribution == "normal" else "KaimingUniform"
    call = f"{API}{name}({', '.join(a for a in (args, mode) if a)})"
    return Spelling(call, variance_scaling(scale, target.mode, distribution), note)


def _xavier(target: Scheme, distribution: str) -> Spelling:
    """Xavier*(gain) draws gain²/fan_avg; Paddle has no geometric-mean fan."""
    gain = literal(sp.sqrt(target.scale))
    name = "XavierNormal" if distribution == "normal" else "XavierUniform"
    note = "" if target.mode == "fan_avg" else \
        "Paddle has no geometric-mean fan: Xavier averages fan_in and fan_out"
    return Spelling(f"{API}{name}(" + ("" if gain == "1" else f"gain={gain}") + ")",
                    variance_scaling(target.scale, "fan_avg", distribution), note)


def _fixed(target: Scheme) -> list[Spelling]:
    """Constant, Normal(mean, std), Uniform(low, high) of the target's mean and variance, and
    TruncatedNormal(mean, std, a, b) (σ before the cut, absolute bounds) for a truncated
    target, which draws the target's own law."""
    mean = float(target.mean)
    if target.variance == 0:
        return [Spelling(f"{API}Constant({literal(mean)})", constant(mean))]
    law = fixed_law(target)
    at = f"mean={literal(mean)}, " if mean else ""
    out = [Spelling(f"{API}Normal({at}std={literal(law.sd)})", law.normal),
           Spelling(f"{API}Uniform({literal(law.low)}, {literal(law.high)})", law.uniform)]
    if target.distribution == "truncated_normal":
        sigma, bound = law.sigma, law.bound
        assert sigma is not None and bound is not None
        out.append(Spelling(f"{API}TruncatedNormal({at}std={literal(sigma)}, "
                            f"a={literal(mean - bound)}, b={literal(mean + bound)})", target))
    return out


def spell(target: Scheme, role: str) -> list[Spelling]:
    """KaimingNormal/KaimingUniform (fan_in, fan_out) and XavierNormal/XavierUniform (fan_avg)
    for a weight's fan law; Normal, Uniform, TruncatedNormal and Constant for fixed laws (the
    only ones for a bias)."""
    if target.mode is None:
        return _fixed(target)
    if role == "bias":
        return []
    if target.mode in ("fan_in", "fan_out"):
        return [_kaiming(target, d) for d in ("normal", "uniform")]
    return [_xavier(target, d) for d in ("normal", "uniform")]
