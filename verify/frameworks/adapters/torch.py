"""PyTorch's initializers as samplers: `torch.nn.init` and the default weights of its layers.

Layout (out, in, *kernel); transposed convolutions store (in, out/groups, *kernel)
and PyTorch reads fan_in from dimension 1 all the same. Each sampler uses its
own `torch.Generator`, or, for layers, `torch.manual_seed`.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
import torch
from torch import nn
from torch.nn import init

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
from verify.frameworks.protocol import Entry, Spelling, fixed_law, literal

CONVENTION = "torch"
DENSE, WIDE, CONV, BIG = (256, 256), (512, 128), (64, 32, 3, 3), (1024, 1024)
SHAPES = (DENSE, WIDE, CONV)
DTYPES = {"float32": torch.float32, "float64": torch.float64, "float16": torch.float16,
          "bfloat16": torch.bfloat16}


def version() -> str:
    return f"torch {torch.__version__}"


def disturb() -> None:
    """Move PyTorch's and numpy's global random state."""
    torch.rand(7)
    np.random.random(7)


def gains() -> dict[str, float]:
    """`torch.nn.init.calculate_gain` for each activation both PyTorch and derive name."""
    names = ("linear", "tanh", "relu", "leaky_relu", "sigmoid", "selu")
    return {name: float(init.calculate_gain(name)) for name in names}


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().to(torch.float64).numpy()


def _fn(fn: object, **kwargs: object) -> object:
    def sample(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
        t = torch.empty(shape, dtype=DTYPES[dtype])
        fn(t, generator=torch.Generator().manual_seed(seed), **kwargs)  # type: ignore[operator]
        assert t.dtype == DTYPES[dtype], f"{fn} changed the dtype to {t.dtype}"
        return _numpy(t)

    return sample


def _plain(fn: object, **kwargs: object) -> object:
    def sample(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
        t = torch.empty(shape, dtype=DTYPES[dtype])
        fn(t, **kwargs)  # type: ignore[operator]
        return _numpy(t)

    return sample


def _layer(build: object, part: str = "weight") -> object:
    """The layer's `part` (its weight, or the bias of a layer of that weight shape)."""
    def sample(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
        torch.manual_seed(seed)
        layer = build(shape)  # type: ignore[operator]
        assert tuple(layer.weight.shape) == shape, f"{build} built {tuple(layer.weight.shape)}"
        return _numpy(getattr(layer, part).to(DTYPES[dtype]))

    return sample


def kaiming(a: float, mode: str, distribution: str) -> Scheme:
    """kaiming_*_(a, mode): variance 2/(1 + a²)/fan_mode, the scale from derive."""
    scale = leaky_he_scale(a)
    return variance_scaling(scale, mode, distribution,
                            name=f"variance {scale}/{mode}, {distribution}")


def _eye(w: np.ndarray) -> str:
    """identity matrix"""
    return "" if np.array_equal(w, np.eye(*w.shape)) else "not the identity"


def _dirac(w: np.ndarray) -> str:
    """Dirac delta: w[i, i, centre] = 1, all else 0"""
    expected = np.zeros_like(w)
    centre = tuple(k // 2 for k in w.shape[2:])
    for i in range(min(w.shape[:2])):
        expected[(i, i, *centre)] = 1
    return "" if np.array_equal(w, expected) else "not the Dirac delta"


def _sparse(sparsity: float) -> object:
    def structure(w: np.ndarray) -> str:
        """ceil(sparsity * rows) zeros in every column"""
        zeros = (w == 0).sum(axis=0)
        want = math.ceil(sparsity * w.shape[0])
        return "" if np.all(zeros == want) else f"zeros per column {set(zeros)} != {want}"

    return structure


TRUNC_NOTE = ("trunc_normal_ takes absolute bounds a, b (default -2, 2), not multiples of std, "
              "and std is the sigma before the cut: with std 0.02 the cut is at 100 sigma, so "
              "nothing is truncated; with std 1 the variance is 0.8796^2 = 0.774, not 1")
BF16_UNIFORM_NOTE = ("in bfloat16 at 512x128, where the bound 0.09682 rounds down to the level "
                     "0.09668, that top level never occurs while its mirror -0.09668 occurs about "
                     "twice as often as its neighbours, shifting the mean by about -0.008 sd; the "
                     "float32, float64 and float16 samples match")
BIAS_NOTE = ("the default bias is U(+-1/sqrt(fan_in)) with the weight's fan_in, drawn by "
             "the layer itself")
DEFAULT_NOTE = ("the default weight is kaiming_uniform_(a=sqrt(5)): U(+-1/sqrt(fan_in)), "
                "variance 1/(3 fan_in), a third of LeCun's and a sixth of He's")


def entries() -> list[Entry]:
    """Every `torch.nn.init` function, and the default weights of the common layers."""
    c = init.calculate_gain
    all_dtypes = tuple(DTYPES)
    e = [
        Entry("uniform_(a=-0.05, b=0.05)", _fn(init.uniform_, a=-0.05, b=0.05), SHAPES,
              fixed_uniform(-0.05, 0.05), dtypes=all_dtypes),
        Entry("uniform_()", _fn(init.uniform_), SHAPES, fixed_uniform(0, 1)),
        Entry("normal_(std=0.02)", _fn(init.normal_, std=0.02), SHAPES, fixed_normal(0.02),
              dtypes=all_dtypes),
        Entry("normal_(mean=0.5, std=0.1)", _fn(init.normal_, mean=0.5, std=0.1), SHAPES,
              fixed_normal(0.1, mean=0.5)),
        Entry("trunc_normal_(mean=0.5, std=0.1, a=0.3, b=0.7)",
              _fn(init.trunc_normal_, mean=0.5, std=0.1, a=0.3, b=0.7), SHAPES,
              fixed_truncated_normal(0.1, bounds=(0.3, 0.7), mean=0.5)),
        Entry("trunc_normal_(std=0.02)", _fn(init.trunc_normal_, std=0.02), SHAPES,
              fixed_truncated_normal(0.02), note=TRUNC_NOTE, dtypes=all_dtypes,
              draws=fixed_truncated_normal(0.02, (-2, 2))),
        Entry("trunc_normal_(std=1)", _fn(init.trunc_normal_, std=1.0), SHAPES,
              fixed_truncated_normal(1.0), note=TRUNC_NOTE, dtypes=all_dtypes,
              draws=fixed_truncated_normal(1.0, (-2, 2))),
        Entry("trunc_normal_(std=0.02, a=-0.04, b=0.04)",
              _fn(init.trunc_normal_, std=0.02, a=-0.04, b=0.04), SHAPES,
              fixed_truncated_normal(0.02, bounds=(-0.04, 0.04)), dtypes=all_dtypes),
        Entry("xavier_uniform_", _fn(init.xavier_uniform_), SHAPES, SCHEMES["glorot_uniform"],
              dtypes=all_dtypes, note=BF16_UNIFORM_NOTE),
        Entry("xavier_normal_", _fn(init.xavier_normal_), SHAPES, SCHEMES["glorot_normal"],
              dtypes=all_dtypes),
        Entry("xavier_normal_(gain=calculate_gain('tanh'))",
              _fn(init.xavier_normal_, gain=c("tanh")), SHAPES,
              variance_scaling(c("tanh") ** 2, "fan_avg", "normal",
                               name="(25/9)/fan_avg, normal")),
        Entry("kaiming_uniform_", _fn(init.kaiming_uniform_), SHAPES, SCHEMES["he_uniform"],
              dtypes=all_dtypes),
        Entry("kaiming_normal_", _fn(init.kaiming_normal_), SHAPES, SCHEMES["he_normal"],
              dtypes=all_dtypes),
        Entry("kaiming_normal_(mode='fan_out')", _fn(init.kaiming_normal_, mode="fan_out"),
              SHAPES, kaiming(0, "fan_out", "normal")),
        Entry("kaiming_uniform_(a=0.2, nonlinearity='leaky_relu')",
              _fn(init.kaiming_uniform_, a=0.2), SHAPES, kaiming(0.2, "fan_in", "uniform")),
        Entry("kaiming_normal_(nonlinearity='relu')", _fn(init.kaiming_normal_,
                                                          nonlinearity="relu"), SHAPES,
              SCHEMES["he_normal"]),
        Entry("kaiming_uniform_(a=sqrt(5))", _fn(init.kaiming_uniform_, a=math.sqrt(5)), SHAPES,
              SCHEMES["uniform_inv_sqrt"], note=DEFAULT_NOTE),
        Entry("orthogonal_", _fn(init.orthogonal_), (*SHAPES, BIG), kind="orthogonal",
              value=1.0, dtypes=("float32", "float64")),
        Entry("orthogonal_(gain=2)", _fn(init.orthogonal_, gain=2.0), (DENSE, WIDE),
              kind="orthogonal", value=2.0),
        Entry("sparse_(sparsity=0.1)", _fn(init.sparse_, sparsity=0.1), (DENSE, WIDE),
              kind="structure", structure=_sparse(0.1),
              note="sparse_ draws each column's zero positions with torch.randperm(rows) "
                   "without passing its generator, so the pattern follows the global random "
                   "state; the non-zero values are N(0, 0.01^2) and only the zero pattern is "
                   "checked"),
        Entry("eye_", _plain(init.eye_), (DENSE, WIDE), kind="structure", structure=_eye),
        Entry("dirac_", _plain(init.dirac_), (CONV, (32, 32, 3)), kind="structure",
              structure=_dirac),
        Entry("constant_(0.3)", _plain(init.constant_, val=0.3), (DENSE,), kind="constant",
              value=float(torch.tensor(0.3, dtype=torch.float32))),
        Entry("ones_", _plain(init.ones_), (DENSE,), kind="constant", value=1.0),
        Entry("zeros_", _plain(init.zeros_), (DENSE,), kind="constant", value=0.0),
    ]
    default = SCHEMES["uniform_inv_sqrt"]
    e += [
        Entry("nn.Linear", _layer(lambda s: nn.Linear(s[1], s[0], bias=False)), (DENSE, WIDE),
              default, note=DEFAULT_NOTE),
        Entry("nn.Linear bias", _layer(lambda s: nn.Linear(s[1], s[0]), "bias"), (DENSE, WIDE),
              default, role="bias", note=BIAS_NOTE),
        Entry("nn.Conv2d bias", _layer(lambda s: nn.Conv2d(s[1], s[0], s[2:]), "bias"), (CONV,),
              default, role="bias", note=BIAS_NOTE),
        Entry("nn.Embedding", _layer(lambda s: nn.Embedding(*s)), ((4096, 64),),
              fixed_normal(1.0), role="embedding"),
        Entry("nn.Conv1d", _layer(lambda s: nn.Conv1d(s[1], s[0], s[2], bias=False)),
              ((64, 32, 5),), default, note=DEFAULT_NOTE),
        Entry("nn.Conv2d", _layer(lambda s: nn.Conv2d(s[1], s[0], s[2:], bias=False)), (CONV,),
              default, note=DEFAULT_NOTE),
        Entry("nn.Conv3d", _layer(lambda s: nn.Conv3d(s[1], s[0], s[2:], bias=False)),
              ((32, 16, 3, 3, 3),), default, note=DEFAULT_NOTE),
        Entry("nn.ConvTranspose2d", _layer(lambda s: nn.ConvTranspose2d(s[0], s[1], s[2:],
                                                                        bias=False)),
              ((32, 64, 3, 3),), default,
              note="the weight is stored (in, out, kH, kW) and fan_in is read from dimension "
                   "1, so the bound is 1/sqrt(out_channels*kH*kW)"),
        Entry("nn.Conv2d(groups=4)", _layer(lambda s: nn.Conv2d(4 * s[1], s[0], s[2:], groups=4,
                                                                bias=False)),
              ((64, 8, 3, 3),), default,
              note="a grouped convolution's weight is (out, in/groups, kH, kW): fan_in is "
                   "in/groups*kH*kW"),
    ]
    return e


def _kaiming(target: Scheme, distribution: str) -> Spelling:
    """kaiming_*_ draws 2/(1 + a²)/fan_mode: a = √(2/scale − 1) when scale ≤ 2, else a
    linear-gain draw multiplied by √scale."""
    mode = "" if target.mode == "fan_in" else f", mode={target.mode!r}"
    scale = target.scale
    call = f"torch.nn.init.kaiming_{distribution}_(w{mode}"
    if scale == 2:
        call += ")"
    elif scale == 1:
        call += ", nonlinearity='linear')"
    elif scale < 2:
        call += f", a={literal(sp.sqrt(2 / scale - 1))})"
    else:
        call += f", nonlinearity='linear'); w.mul_({literal(sp.sqrt(scale))})"
    return Spelling(call, variance_scaling(scale, target.mode, distribution))


def spell(target: Scheme, role: str) -> list[Spelling]:
    """kaiming_*_ (fan_in, fan_out) and xavier_*_ (fan_avg) for weights; normal_, uniform_,
    trunc_normal_ (absolute bounds, std before the cut) and constant_ for fixed laws."""
    if target.mode is not None and role != "bias":
        if target.mode == "fan_avg":
            gain = literal(sp.sqrt(target.scale))
            return [Spelling(f"torch.nn.init.xavier_{d}_(w" + ("" if gain == "1" else
                                                              f", gain={gain}") + ")",
                             variance_scaling(target.scale, "fan_avg", d))
                    for d in ("normal", "uniform")]
        if target.mode in ("fan_in", "fan_out"):
            return [_kaiming(target, d) for d in ("normal", "uniform")]
        return []
    return _fixed(target) if target.mode is None else []


def _fixed(target: Scheme) -> list[Spelling]:
    """The fixed laws of the target's mean and variance."""
    mean = float(target.mean)
    if target.variance == 0:
        return [Spelling(f"torch.nn.init.constant_(w, {literal(mean)})", constant(mean))]
    law = fixed_law(target)
    at = f"mean={literal(mean)}, " if mean else ""
    out = [Spelling(f"torch.nn.init.normal_(w, {at}std={literal(law.sd)})", law.normal),
           Spelling(f"torch.nn.init.uniform_(w, a={literal(law.low)}, b={literal(law.high)})",
                    law.uniform)]
    if target.distribution == "truncated_normal":
        sigma, bound = law.sigma, law.bound
        assert sigma is not None and bound is not None
        out.append(Spelling(f"torch.nn.init.trunc_normal_(w, {at}std={literal(sigma)}, "
                            f"a={literal(mean - bound)}, b={literal(mean + bound)})",
                            fixed_truncated_normal(sigma, (mean - bound, mean + bound), mean)))
    return out
