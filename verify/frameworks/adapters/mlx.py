"""MLX's initializers as samplers: `mlx.nn.init` and the default weights and biases of `mlx.nn`.

Layout (out, *kernel, in): a Linear weight is (out, in), a Conv2d weight (out, kH, kW, in),
a grouped one (out, kH, kW, in/groups). `mlx.nn.init`'s fans (`_calculate_fan_in_fan_out`)
are fan_in = in·∏k, fan_out = out·∏k, the "mlx" convention. Its builders return a function
of an array (`he_normal(dtype)(w, mode, gain)`), drawing from MLX's global random state, so
each sampler calls `mx.random.seed(seed)` first. Layers are built in float32; a fixed law
is checked at one shape.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from importlib.metadata import version as package_version

import mlx.core as mx
import mlx.nn as nn
import numpy as np
import sympy as sp
from mlx.nn import init

from derive import (
    SCHEMES,
    Scheme,
    constant,
    fixed_normal,
    fixed_uniform,
    variance_scaling,
)
from verify.frameworks.protocol import Entry, Spelling, fixed_law, literal

CONVENTION = "mlx"
DENSE, WIDE, TALL, CONV = (256, 256), (512, 128), (128, 512), (64, 3, 3, 32)
SHAPES = (DENSE, WIDE, CONV)
UNEQUAL = (WIDE, CONV)  # shapes whose fan_in and fan_out differ, so modes differ
DTYPES = {"float32": mx.float32, "float16": mx.float16, "bfloat16": mx.bfloat16}
ALL = tuple(DTYPES)
SQRT2 = math.sqrt(2)

HE_NOTE = ("he_normal and he_uniform default to gain 1: their formula sigma = gain/sqrt(fan) "
           "(he_uniform: limit = gain*sqrt(3/fan)) draws variance 1/fan_in, LeCun's and half "
           "of He's 2/fan_in (PyTorch's kaiming_* default to gain sqrt(2)); pass gain=sqrt(2)")
CONV_NOTE = ("the docstring is silent; the source draws U(+-1/sqrt(in/groups*prod(kernel))), "
             "variance 1/(3 fan_in), PyTorch's default")
EMBEDDING_NOTE = ("the docstring is silent; the source draws N(0, 1/dims) on a (num_embeddings, "
                  "dims) table, whose fan_in in this layout is dims")
UNIFORM16_NOTE = ("in float16 and bfloat16, mx.random.uniform(low, high) rounds u ~ U[0, 1) to the "
                  "dtype, then computes low + (high - low)*u in the dtype, rounding twice more: a "
                  "symmetric range spends u's coarse grid near 1/2 on values near 0, and some "
                  "levels get twice their share; U(-0.05, 0.05) in bfloat16 takes only 25 of the "
                  "128 levels in [0.0125, 0.025), in float16 205 of 1024 (a float32 draw rounded "
                  "once to the dtype takes them all, and passes)")
NORMAL16_NOTE = ("in float16 and bfloat16, mx.random.normal rounds erfinv(u) to the dtype, "
                 "multiplies by sqrt(2)*std rounded to the dtype and rounds again (and adds loc "
                 "in the dtype): the double rounding leaves levels empty and doubles others; "
                 "N(0, 0.02^2) between 0.5 and 2 sd never takes 44 of the 512 bfloat16 levels "
                 "(348 of 4096 float16 levels), some holding 1.9-2.05 times their share (a "
                 "float32 draw rounded once to the dtype passes)")
UNIT16_NOTE = ("in bfloat16, mx.random.uniform clamps u to the level below 1 (0.99609375) before "
               "rounding, so that level also takes the draws that would round up to 1: 1.5 times "
               "its share (23,694 against about 15,600 for its neighbours in 4M draws); float16's "
               "top level 0.99951 holds 1.5 times its share too, too little for this n to see")
FANS_NOTE = "fans read from the (out, *kernel, in) array: fan_in = in*prod(k)"
GAIN_NOTE = "gain defaults to 1, so he_normal()(w) alone draws variance 1/fan_in, not 2/fan_in"
RNN_NOTE = ("the docstring is silent; the source draws every weight and bias from "
            "U(+-1/sqrt(hidden_size)), variance 1/(3 hidden), whatever the input size or the "
            "number of gates stacked in the rows")


def version() -> str:
    return f"mlx {package_version('mlx')}"


def disturb() -> None:
    """Move MLX's global key and numpy's global random state."""
    mx.eval(mx.random.uniform(shape=(7,)))
    np.random.random(7)


def _numpy(a: mx.array) -> np.ndarray:
    return np.array(a.astype(mx.float32), dtype=np.float64)


def _init(build: Callable[..., Callable[..., mx.array]], *args: object,
          call: dict[str, object] | None = None, **kwargs: object,
          ) -> Callable[[tuple[int, ...], str, int], np.ndarray]:
    """`build(*args, **kwargs, dtype=...)(w, **call)` on a zeros array of the shape, after
    seeding."""
    def sample(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
        mx.random.seed(seed)
        w = build(*args, **kwargs, dtype=DTYPES[dtype])(mx.zeros(shape), **(call or {}))
        assert w.dtype == DTYPES[dtype], f"asked for {dtype}, got {w.dtype}"
        assert tuple(w.shape) == shape, f"asked for {shape}, got {tuple(w.shape)}"
        return _numpy(w)

    return sample


def _layer(build: Callable[[tuple[int, ...]], nn.Module], attribute: str = "weight", *,
           bias: bool = False) -> Callable[[tuple[int, ...], str, int], np.ndarray]:
    """The `attribute` ('query_proj.weight', say) of the layer `build(weight_shape)`, after
    seeding; a weight must have the shape asked for, a bias is 1-D."""
    def sample(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
        mx.random.seed(seed)
        w = build(shape)
        for part in attribute.split("."):
            w = getattr(w, part)
        out = _numpy(w.astype(DTYPES[dtype]))
        assert out.shape == ((shape[0],) if bias else shape) or (bias and out.ndim == 1), \
            f"{attribute} is {out.shape} for the weight shape {shape}"
        return out

    return sample


def _eye(w: np.ndarray) -> str:
    """identity matrix"""
    return "" if np.array_equal(w, np.eye(*w.shape)) else "not the identity"


def _sparse(sparsity: float) -> Callable[[np.ndarray], str]:
    def structure(w: np.ndarray) -> str:
        """ceil(sparsity * columns) zeros in every row"""
        zeros = (w == 0).sum(axis=1)
        want = math.ceil(sparsity * w.shape[1])
        return "" if np.all(zeros == want) else f"zeros per row {set(zeros)} != {want}"

    return structure


def _scaled(scale: float | sp.Expr, mode: str, distribution: str) -> Scheme:
    text = literal(scale)
    text = text if text.isdigit() else f"({text})"
    return variance_scaling(scale, mode, distribution,
                            name=f"variance {text}/{mode}, {distribution}")


def _init_entries() -> list[Entry]:
    """Every function of `mlx.nn.init`."""
    tanh = 5 / 3
    square = (DENSE, (64, 64))
    return [
        Entry("constant(0.5)", _init(init.constant, 0.5), (DENSE,), kind="constant", value=0.5,
              dtypes=ALL),
        Entry("constant(0.3)", _init(init.constant, 0.3), (DENSE,), kind="constant",
              value=float(np.float32(0.3))),
        Entry("normal()", _init(init.normal), (DENSE,), SCHEMES["standard_normal"], dtypes=ALL,
              note=NORMAL16_NOTE),
        Entry("normal(std=0.02)", _init(init.normal, std=0.02), (DENSE,), fixed_normal(0.02),
              dtypes=ALL, note=NORMAL16_NOTE),
        Entry("normal(mean=0.5, std=0.1)", _init(init.normal, mean=0.5, std=0.1), (DENSE,),
              fixed_normal(0.1, mean=0.5), dtypes=ALL, note=NORMAL16_NOTE),
        Entry("uniform()", _init(init.uniform), (DENSE,), fixed_uniform(0, 1), dtypes=ALL,
              note=UNIT16_NOTE),
        Entry("uniform(low=-0.05, high=0.05)", _init(init.uniform, low=-0.05, high=0.05),
              (DENSE,), fixed_uniform(-0.05, 0.05), dtypes=ALL, note=UNIFORM16_NOTE),
        Entry("identity()", _init(init.identity), square, kind="structure", structure=_eye,
              dtypes=ALL),
        Entry("glorot_normal()", _init(init.glorot_normal), SHAPES, SCHEMES["glorot_normal"],
              dtypes=ALL, note=NORMAL16_NOTE),
        Entry("glorot_normal()(gain=5/3)", _init(init.glorot_normal, call={"gain": tanh}),
              UNEQUAL, _scaled(sp.Rational(25, 9), "fan_avg", "normal")),
        Entry("glorot_uniform()", _init(init.glorot_uniform), SHAPES, SCHEMES["glorot_uniform"],
              dtypes=ALL, note=UNIFORM16_NOTE),
        Entry("glorot_uniform()(gain=5/3)", _init(init.glorot_uniform, call={"gain": tanh}),
              UNEQUAL, _scaled(sp.Rational(25, 9), "fan_avg", "uniform")),
        Entry("he_normal()", _init(init.he_normal), SHAPES, SCHEMES["he_normal"], note=HE_NOTE,
              draws=SCHEMES["lecun_normal"]),
        Entry("he_uniform()", _init(init.he_uniform), SHAPES, SCHEMES["he_uniform"], note=HE_NOTE,
              draws=SCHEMES["lecun_uniform"]),
        Entry("he_normal(), as its formula reads", _init(init.he_normal), UNEQUAL,
              SCHEMES["lecun_normal"]),
        Entry("he_uniform(), as its formula reads", _init(init.he_uniform), UNEQUAL,
              SCHEMES["lecun_uniform"]),
        Entry("he_normal()(gain=sqrt(2))", _init(init.he_normal, call={"gain": SQRT2}), UNEQUAL,
              SCHEMES["he_normal"], dtypes=ALL, note=NORMAL16_NOTE),
        Entry("he_uniform()(gain=sqrt(2))", _init(init.he_uniform, call={"gain": SQRT2}), UNEQUAL,
              SCHEMES["he_uniform"], dtypes=ALL, note=UNIFORM16_NOTE),
        Entry("he_normal()(mode='fan_out', gain=sqrt(2))",
              _init(init.he_normal, call={"mode": "fan_out", "gain": SQRT2}), UNEQUAL,
              _scaled(2, "fan_out", "normal")),
        Entry("he_uniform()(mode='fan_out', gain=sqrt(2))",
              _init(init.he_uniform, call={"mode": "fan_out", "gain": SQRT2}), UNEQUAL,
              _scaled(2, "fan_out", "uniform")),
        Entry("sparse(sparsity=0.1)", _init(init.sparse, 0.1), (DENSE, WIDE, TALL),
              kind="structure", structure=_sparse(0.1), dtypes=ALL,
              note="only the zero pattern is checked; the other values are N(mean, std^2)"),
        Entry("orthogonal()", _init(init.orthogonal), (DENSE, WIDE, TALL, (1024, 1024)),
              kind="orthogonal", value=1.0),
        Entry("orthogonal() low precision", _init(init.orthogonal), (DENSE,),
              kind="orthogonal", value=1.0, dtypes=("float16", "bfloat16")),
        Entry("orthogonal(gain=2)", _init(init.orthogonal, 2.0), (TALL,),
              kind="orthogonal", value=2.0),
    ]


def _layer_entries() -> list[Entry]:
    """The default weights and biases of the layers that draw their own."""
    inv_sqrt = SCHEMES["uniform_inv_sqrt"]
    conv1, conv2, conv3 = (64, 5, 32), CONV, (32, 3, 3, 3, 16)
    grouped1, grouped2 = (64, 5, 8), (64, 3, 3, 8)
    transposed2 = (32, 3, 3, 64)

    def linear(s: tuple[int, ...]) -> nn.Module:
        return nn.Linear(s[1], s[0])

    def conv(s: tuple[int, ...], groups: int = 1) -> nn.Module:
        cls = {3: nn.Conv1d, 4: nn.Conv2d, 5: nn.Conv3d}[len(s)]
        extra = {"groups": groups} if groups > 1 else {}
        return cls(s[-1] * groups, s[0], s[1:-1] if len(s) > 3 else s[1], **extra)

    def transposed(s: tuple[int, ...]) -> nn.Module:
        return nn.ConvTranspose2d(s[-1], s[0], s[1:-1])

    def attention(s: tuple[int, ...]) -> nn.Module:  # query_proj is (dims, query_input_dims)
        return nn.MultiHeadAttention(s[0], 8, query_input_dims=s[1], bias=True)

    def attention_out(s: tuple[int, ...]) -> nn.Module:  # out_proj is (output_dims, dims)
        return nn.MultiHeadAttention(s[1], 8, value_output_dims=s[0])

    def bilinear(s: tuple[int, ...]) -> nn.Module:  # (out, in2, in1)
        return nn.Bilinear(s[2], s[1], s[0])

    rnn_in, rnn_h = (256, 128), (256, 256)  # (hidden, input), (hidden, hidden)
    gru_in, gru_h = (3 * 128, 256), (3 * 128, 128)
    lstm_in, lstm_h = (4 * 128, 256), (4 * 128, 128)

    def rnn(s: tuple[int, ...]) -> nn.Module:  # Wxh is (hidden, input)
        return nn.RNN(s[1], s[0])

    def gated(cls: type[nn.Module], gates: int, inputs: int | None = None,
              ) -> Callable[[tuple[int, ...]], nn.Module]:
        """The cell from Wx's shape (gates*hidden, input), or, given `inputs`, Wh's."""
        return lambda s: cls(inputs or s[1], s[0] // gates)

    gru, lstm = gated(nn.GRU, 3), gated(nn.LSTM, 4)
    gru_hh, lstm_hh = gated(nn.GRU, 3, 256), gated(nn.LSTM, 4, 256)
    bilinear_shape = (64, 16, 256)
    bilinear_law = fixed_uniform(-1 / 16, 1 / 16)

    def weight(name: str, build: Callable[[tuple[int, ...]], nn.Module],
               shapes: tuple[tuple[int, ...], ...], claim: Scheme, attribute: str = "weight",
               **kw: object) -> Entry:
        return Entry(name, _layer(build, attribute), shapes, claim, **kw)  # type: ignore[arg-type]

    def bias(name: str, build: Callable[[tuple[int, ...]], nn.Module],
             shapes: tuple[tuple[int, ...], ...], claim: Scheme | None, attribute: str = "bias",
             **kw: object) -> Entry:
        """`claim` None: zeros."""
        zeros = {"kind": "constant", "value": 0.0,
                 "note": "the docstring is silent; the source sets zeros"} if claim is None else {}
        return Entry(name, _layer(build, attribute, bias=True), shapes, claim, role="bias",
                     **zeros, **kw)  # type: ignore[arg-type]

    def grouped(s: tuple[int, ...]) -> nn.Module:  # groups=4: the weight is (out, *k, in/4)
        return conv(s, 4)

    projection = "its projections are nn.Linear layers"
    return [
        weight("nn.Linear", linear, (DENSE, WIDE), inv_sqrt),
        bias("nn.Linear bias", linear, (DENSE, WIDE), inv_sqrt),
        weight("nn.Conv1d", conv, (conv1,), inv_sqrt, note=CONV_NOTE),
        weight("nn.Conv1d(groups=4)", grouped, (grouped1,), inv_sqrt, note=CONV_NOTE),
        bias("nn.Conv1d bias", conv, (conv1,), None),
        weight("nn.Conv2d", conv, (conv2,), inv_sqrt, note=CONV_NOTE),
        weight("nn.Conv2d(groups=4)", grouped, (grouped2,), inv_sqrt, note=CONV_NOTE),
        bias("nn.Conv2d bias", conv, (conv2,), None),
        weight("nn.Conv3d", conv, (conv3,), inv_sqrt, note=CONV_NOTE),
        weight("nn.ConvTranspose2d", transposed, (transposed2,), inv_sqrt,
               note="the docstring is silent; the weight is (out, kH, kW, in) and the source "
                    "draws U(+-1/sqrt(in*kH*kW))"),
        bias("nn.ConvTranspose2d bias", transposed, (transposed2,), None),
        weight("nn.Embedding", lambda s: nn.Embedding(*s), ((1000, 64), DENSE),
               SCHEMES["lecun_normal"], role="embedding", note=EMBEDDING_NOTE),
        weight("nn.MultiHeadAttention query_proj", attention, (DENSE, WIDE), inv_sqrt,
               "query_proj.weight", note=projection),
        weight("nn.MultiHeadAttention out_proj", attention_out, (DENSE, WIDE), inv_sqrt,
               "out_proj.weight", note=projection),
        bias("nn.MultiHeadAttention(bias=True) query_proj bias", attention, (DENSE, WIDE),
             inv_sqrt, "query_proj.bias", note=projection),
        weight("nn.Bilinear", bilinear, (bilinear_shape,), bilinear_law,
               note="documented U(+-1/sqrt(input1_dims)); the (out, in2, in1) weight's fan_in "
                    "is in1*in2 in this layout, so the law is claimed at one shape, in1 = 256"),
        bias("nn.Bilinear bias", bilinear, (bilinear_shape,), bilinear_law),
        weight("nn.RNN Wxh", rnn, (rnn_in,), _scaled(sp.Rational(1, 3), "fan_out", "uniform"),
               "Wxh", note=RNN_NOTE),
        weight("nn.RNN Whh", rnn, (rnn_h,), inv_sqrt, "Whh", note=RNN_NOTE),
        bias("nn.RNN bias", rnn, (rnn_h,), inv_sqrt, note=RNN_NOTE),
        weight("nn.GRU Wx", gru, (gru_in,), _scaled(1, "fan_out", "uniform"), "Wx", note=RNN_NOTE),
        weight("nn.GRU Wh", gru_hh, (gru_h,), inv_sqrt, "Wh", note=RNN_NOTE),
        bias("nn.GRU b", gru_hh, (gru_h,), inv_sqrt, "b", note=RNN_NOTE),
        bias("nn.GRU bhn", gru_hh, (gru_h,), inv_sqrt, "bhn", note=RNN_NOTE),
        weight("nn.LSTM Wx", lstm, (lstm_in,), _scaled(sp.Rational(4, 3), "fan_out", "uniform"),
               "Wx", note=RNN_NOTE),
        weight("nn.LSTM Wh", lstm_hh, (lstm_h,), inv_sqrt, "Wh", note=RNN_NOTE),
        bias("nn.LSTM bias", lstm_hh, (lstm_h,), inv_sqrt, note=RNN_NOTE),
    ]


def entries() -> list[Entry]:
    """Every `mlx.nn.init` function, and the default weights and biases of `mlx.nn`'s layers."""
    return _init_entries() + _layer_entries()


def _gain_text(scale: sp.Expr) -> str:
    """'gain=g' with g² = scale, written exactly where `literal` can (5/3, math.sqrt(2),
    math.sqrt(1/3)); '' for gain 1."""
    if scale == 1:
        return ""
    for text in (literal(sp.sqrt(scale)), f"math.sqrt({literal(scale)})"):
        if math.isclose(eval(text, {"math": math}) ** 2, float(scale), rel_tol=1e-12):
            return f"gain={text}"
    return f"gain={literal(sp.sqrt(scale))}"


def _fan_spellings(target: Scheme) -> list[Spelling]:
    """glorot_* (fan_avg) or he_* (fan_in, fan_out) with gain = sqrt(scale), normal and
    uniform; other modes get both, the nearest."""
    mode = str(target.mode)
    scale = sp.simplify(target.variance / variance_scaling(1, mode, "normal").variance)
    gain = _gain_text(scale)
    modes = [mode] if mode in ("fan_in", "fan_out", "fan_avg") else ["fan_avg", "fan_in"]
    out = []
    for m in modes:
        for dist in ("normal", "uniform"):
            if m == "fan_avg":
                call = f"mlx.nn.init.glorot_{dist}()(w{', ' + gain if gain else ''})"
            else:
                args = ", ".join(a for a in (f"mode='{m}'" if m == "fan_out" else "", gain) if a)
                call = f"mlx.nn.init.he_{dist}()(w{', ' + args if args else ''})"
            out.append(Spelling(call, variance_scaling(scale, m, dist), FANS_NOTE if
                                m == "fan_avg" else f"{FANS_NOTE}; {GAIN_NOTE}"))
    return out


def _fixed_spellings(target: Scheme) -> list[Spelling]:
    """normal(mean, std) and uniform(low, high) of the target's mean and variance."""
    law = fixed_law(target)
    loc = f"mean={literal(law.mean)}, " if law.mean else ""
    return [Spelling(f"mlx.nn.init.normal({loc}std={literal(law.sd)})(w)", law.normal),
            Spelling(f"mlx.nn.init.uniform(low={literal(law.low)}, high={literal(law.high)})(w)",
                     law.uniform)]


def spell(target: Scheme, role: str) -> list[Spelling]:
    """The `mlx.nn.init` calls nearest to `target` for a parameter of this role, each applied
    to the parameter's array `w`; a bias's initializer sees only the bias, so only fixed laws
    and constants."""
    if target.variance == 0:
        return [Spelling(f"mlx.nn.init.constant({literal(target.mean)})(w)",
                         constant(float(target.mean)))]
    if target.mode is None:
        return _fixed_spellings(target)
    if role == "bias":
        return [Spelling("mlx.nn.init.constant(0.0)(w)", constant(0.0))]
    return _fan_spellings(target)
