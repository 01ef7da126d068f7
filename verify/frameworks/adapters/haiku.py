"""Haiku's `haiku.initializers` and the default parameters of its layers as samplers.

Layout (*kernel, in, out): a dense `w` is (in, out), a 2-D convolution's (kH, kW, in/groups,
out), a depthwise one's (kH, kW, 1, multiplier·in), a transposed one's (kH, kW, out, in).
`VarianceScaling(scale, mode, distribution)` draws variance scale/n with n = fan_in, fan_out
or (fan_in + fan_out)/2, fan_in = in·kH·kW; its truncated normal divides σ by 0.8796…, the sd
of N(0, 1) cut at ±2, so the variance after the cut is scale/n. `TruncatedNormal(stddev)`
does not: σ = stddev before the cut at mean ± 2σ, variance 0.8796²·stddev². Each sampler
runs `hk.transform(...).init(jax.random.key(seed), ...)`; Haiku has no global random state.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import cache

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp
from haiku import initializers as hinit

from derive import (
    Scheme,
    constant,
    fixed_normal,
    fixed_truncated_normal,
    fixed_uniform,
    variance_scaling,
)
from verify.frameworks.protocol import Entry, Spelling, fixed_law, literal

CONVENTION = "keras"
DENSE, WIDE, CONV = (256, 256), (128, 512), (3, 3, 32, 64)
SHAPES = (DENSE, WIDE, CONV)
FIXED = (DENSE, CONV)
"""A fixed law's shapes: its values do not depend on the shape."""
REAL = ("float32", "bfloat16", "float16")
MODES = ("fan_in", "fan_out", "fan_avg")
DISTRIBUTIONS = ("normal", "truncated_normal", "uniform")
CUT = 0.87962566103423978
"""Haiku's constant: the sd of N(0, 1) cut at ±2 (VarianceScaling divides σ by it)."""
PREFIX = "hk.initializers."

UNCORRECTED = variance_scaling(1, "fan_in", "truncated_normal", corrected=False,
                               name="N(0, 1/fan_in) cut at +-2 sigma (uncorrected)")
BF16_NOTE = ("Haiku draws through jax.random, which in bfloat16 spends 7 random bits: "
             "uniform takes 128 levels on [-1, 1 - 2^-6], off-centre by -1/128 of the "
             "half-width; normal is sqrt(2) erfinv of those 128 levels, 128 values between "
             "-2.89 and +2.52 sigma (nothing beyond), mean -0.011 sigma; the truncated normal "
             "(cut at +-2) takes 128 values between -1.99 and +1.87 sigma, mean -0.015 sigma; in "
             "float16 (10 bits) each takes 1024 values, the normal none beyond -3.49 and "
             "+3.18 sigma, where 2^19 float32 draws reach about +-4.6")
LINEAR_NOTE = ("hk.Linear's docstring says 'truncated normal, with stddev 1/sqrt(fan_in)', but "
               "it passes that to TruncatedNormal, whose stddev is the sigma before the cut at "
               "+-2 sigma: the variance is 0.8796^2/fan_in = 0.774/fan_in, not 1/fan_in")
SILENT_NOTE = ("the docstring says only 'truncated normal'; the source draws "
               "TruncatedNormal(stddev=1/sqrt(fan_in)), sigma before the cut at +-2 sigma, so "
               "the variance is 0.8796^2/fan_in = 0.774/fan_in")
BOUNDS_NOTE = ("the docstring calls lower and upper 'the bound for truncation' without saying "
               "they are in units of stddev about the mean; the source cuts at mean + "
               "lower*stddev and mean + upper*stddev")
COMPLEX_NOTE = ("for a complex dtype TruncatedNormal draws real and imaginary parts each "
                "N(0, sigma^2) cut at +-2 sigma, and VarianceScaling's sigma (corrected so one "
                "real part has variance scale/n) is not halved: E|w|^2 is 2 scale/n, twice the "
                "variance asked for, and the cut is a square, not a disk; "
                "distribution='normal' uses jax.random.normal's complex law, E|w|^2 = scale/n")


def version() -> str:
    return f"dm-haiku {hk.__version__}, jax {jax.__version__}"


def disturb() -> None:
    """Haiku and JAX have no global random state; move numpy's."""
    np.random.random(7)


def _numpy(w: jax.Array, dtype: str) -> np.ndarray:
    assert w.dtype == jnp.dtype(dtype), f"asked for {dtype}, got {w.dtype}"
    out = np.asarray(w)
    return out.astype(np.complex128 if np.iscomplexobj(out) else np.float64)


@cache
def _initialise(fn: Callable[..., object]) -> Callable[..., dict]:
    """hk.transform(fn).init, made once per function (run eagerly: compiling each shape and
    dtype costs more than it saves)."""
    return hk.transform(fn).init


def _init(init: hk.initializers.Initializer) -> Callable[..., np.ndarray]:
    """An initializer as Haiku calls it: hk.get_parameter(name, shape, dtype, init)."""

    @cache
    def build(shape: tuple[int, ...], dtype: str) -> Callable[[], jax.Array]:
        return lambda: hk.get_parameter("w", shape, jnp.dtype(dtype), init=init)

    def sample(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
        with warnings.catch_warnings():  # a complex stddev cast to its real part, on purpose
            warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
            params = _initialise(build(shape, dtype))(jax.random.key(seed))
        return _numpy(params["~"]["w"], dtype)

    return sample


def _layer(module: Callable[[tuple[int, ...]], hk.Module],
           channels: Callable[[tuple[int, ...]], int], spatial: int = 2, *,
           param: str = "w") -> Callable[..., np.ndarray]:
    """The `param` of the layer module(shape) built on an input of `channels(shape)` channels,
    `spatial` spatial dimensions of size 8 and the sampled dtype (Haiku's layers make their
    parameters in the input's dtype)."""

    @cache
    def build(shape: tuple[int, ...]) -> Callable[[jax.Array], jax.Array]:
        return lambda x: module(shape)(x)

    def sample(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
        x = jnp.ones((1, *(8,) * spatial, channels(shape)), jnp.dtype(dtype))
        params = _initialise(build(shape))(jax.random.key(seed), x)
        (inner,) = params.values()
        w = inner["w"]
        assert w.shape == shape, f"the layer built {w.shape}, not {shape}"
        return _numpy(inner[param], dtype)

    return sample


def _embed(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
    """hk.Embed(vocab_size, embed_dim).embeddings: always float32 (no dtype argument)."""
    params = _initialise(_embed_fn(shape))(jax.random.key(seed))
    return _numpy(params["embed"]["embeddings"], dtype)


@cache
def _embed_fn(shape: tuple[int, ...]) -> Callable[[], jax.Array]:
    return lambda: hk.Embed(*shape).embeddings


def _identity(gain: float) -> Callable[[np.ndarray], str]:
    def structure(w: np.ndarray) -> str:
        """gain times the identity in the last two axes, broadcast over the others"""
        want = np.broadcast_to(gain * np.eye(*w.shape[-2:]), w.shape)
        return "" if np.array_equal(w, want) else "not gain times the identity"

    return structure


def _biases(name: str, module: Callable[[tuple[int, ...]], hk.Module],
            channels: Callable[[tuple[int, ...]], int], shapes: tuple[tuple[int, ...], ...],
            spatial: int = 2, dtypes: tuple[str, ...] = REAL) -> Entry:
    return Entry(f"{name} bias", _layer(module, channels, spatial, param="b"), shapes,
                 kind="constant", value=0.0, dtypes=dtypes, role="bias")


def _variance_scaling() -> list[Entry]:
    """Every mode and distribution; scale 2 for fan_in (He), 1 otherwise."""
    e = []
    for mode in MODES:
        scale = 2.0 if mode == "fan_in" else 1.0
        for dist in DISTRIBUTIONS:
            note = {"normal": "Haiku's 'normal' is untruncated",
                    "truncated_normal": "Haiku's 'truncated_normal' is variance-corrected "
                                        "(sigma divided by 0.8796)"}.get(dist, "")
            e.append(Entry(f"VarianceScaling({scale}, '{mode}', '{dist}')",
                           _init(hinit.VarianceScaling(scale, mode, dist)), SHAPES,
                           variance_scaling(scale, mode, dist), note=note))
    e.append(Entry("VarianceScaling()", _init(hinit.VarianceScaling()), SHAPES,
                   variance_scaling(1, "fan_in", "truncated_normal"),
                   note="the default is (1.0, 'fan_in', 'truncated_normal'): LeCun, truncated, "
                        "variance-corrected"))
    for dist in ("normal", "truncated_normal"):
        e.append(Entry(f"VarianceScaling(1.0, 'fan_in', '{dist}') complex64",
                       _init(hinit.VarianceScaling(1.0, "fan_in", dist)), (DENSE, CONV),
                       variance_scaling(1, "fan_in", dist), dtypes=("complex64",),
                       note=COMPLEX_NOTE if dist == "truncated_normal" else ""))
    return e


def entries() -> list[Entry]:
    """Every `haiku.initializers` class, and the default w and b of Linear, Conv2D (plain,
    grouped), DepthwiseConv2D, Conv2DTranspose and the embeddings of Embed."""
    e = [
        Entry("Constant(0.5)", _init(hinit.Constant(0.5)), (DENSE,), kind="constant", value=0.5,
              dtypes=REAL),
        Entry("Constant(0.3)", _init(hinit.Constant(0.3)), (DENSE,), kind="constant",
              value=float(np.float32(0.3))),
        Entry("RandomNormal(stddev=0.02)", _init(hinit.RandomNormal(0.02)), FIXED,
              fixed_normal(0.02), dtypes=REAL, note=BF16_NOTE),
        Entry("RandomNormal(stddev=0.1, mean=0.5)", _init(hinit.RandomNormal(0.1, 0.5)), FIXED,
              fixed_normal(0.1, mean=0.5)),
        Entry("TruncatedNormal(stddev=0.02)", _init(hinit.TruncatedNormal(0.02)), FIXED,
              fixed_truncated_normal(0.02, bounds=(-0.04, 0.04)), dtypes=REAL,
              note="the docstring says stddev is the untruncated normal's; the cut is at "
                   "+-2 stddev, so the variance is 0.8796^2 stddev^2 = 0.774 stddev^2. "
                   + BF16_NOTE),
        Entry("TruncatedNormal()", _init(hinit.TruncatedNormal()), FIXED,
              fixed_truncated_normal(1.0, bounds=(-2.0, 2.0))),
        Entry("TruncatedNormal(stddev=0.1, mean=0.5)", _init(hinit.TruncatedNormal(0.1, 0.5)),
              FIXED, fixed_truncated_normal(0.1, bounds=(0.3, 0.7), mean=0.5)),
        Entry("TruncatedNormal(stddev=0.5, lower=-3, upper=3)",
              _init(hinit.TruncatedNormal(0.5, lower=-3.0, upper=3.0)), FIXED,
              fixed_truncated_normal(0.5, bounds=(-1.5, 1.5)), note=BOUNDS_NOTE),
        Entry("RandomUniform(minval=-0.05, maxval=0.05)", _init(hinit.RandomUniform(-0.05, 0.05)),
              FIXED, fixed_uniform(-0.05, 0.05), dtypes=REAL, note=BF16_NOTE),
        Entry("RandomUniform()", _init(hinit.RandomUniform()), FIXED, fixed_uniform(0, 1)),
        *_variance_scaling(),
        Entry("UniformScaling()", _init(hinit.UniformScaling()), SHAPES,
              variance_scaling(1, "fan_in", "uniform"),
              note="the class docstring says the variance is scaled by the inverse square root "
                   "of the input size; the source draws U(+-scale*sqrt(3/fan_in)), fan_in the "
                   "product of all axes but the last: variance scale^2/fan_in"),
        Entry("UniformScaling(scale=2.0)", _init(hinit.UniformScaling(2.0)), SHAPES,
              variance_scaling(4, "fan_in", "uniform"),
              note="scale multiplies the limit, as its argument's docstring says: "
                   "U(+-2 sqrt(3/fan_in)), variance 4/fan_in"),
        Entry("Orthogonal()", _init(hinit.Orthogonal()), (*SHAPES, (1024, 1024)),
              kind="orthogonal", value=1.0,
              note="its class docstring is a copy of UniformScaling's ('Uniform scaling "
                   "initializer.'); the constructor's docstring describes it"),
        Entry("Orthogonal(scale=2.0)", _init(hinit.Orthogonal(2.0)), (DENSE, WIDE),
              kind="orthogonal", value=2.0),
        Entry("Identity()", _init(hinit.Identity()), (DENSE, WIDE, (4, 64, 64)),
              kind="structure", structure=_identity(1.0), dtypes=REAL),
        Entry("Identity(gain=2.0)", _init(hinit.Identity(2.0)), (DENSE,), kind="structure",
              structure=_identity(2.0)),
    ]
    dense = (lambda s: hk.Linear(s[1]), lambda s: s[0])
    conv = (lambda s: hk.Conv2D(s[3], s[:2]), lambda s: s[2])
    grouped = (lambda s: hk.Conv2D(s[3], s[:2], feature_group_count=4), lambda s: 4 * s[2])
    depthwise = (lambda s: hk.DepthwiseConv2D(s[3] // 32, s[:2]), lambda s: 32)
    transposed = (lambda s: hk.Conv2DTranspose(s[2], s[:2]), lambda s: s[3])
    e += [
        Entry("hk.Linear w", _layer(*dense, 0), (DENSE, WIDE),
              variance_scaling(1, "fan_in", "truncated_normal"), note=LINEAR_NOTE,
              draws=UNCORRECTED),
        Entry("hk.Linear w, stddev as TruncatedNormal documents it", _layer(*dense, 0),
              (DENSE, WIDE), UNCORRECTED, dtypes=REAL, note=BF16_NOTE),
        _biases("hk.Linear", *dense, (DENSE,), 0),
        Entry("hk.Conv2D w", _layer(*conv), (CONV,), UNCORRECTED, dtypes=REAL,
              note=SILENT_NOTE + ". " + BF16_NOTE),
        _biases("hk.Conv2D", *conv, (CONV,)),
        Entry("hk.Conv2D(feature_group_count=4) w", _layer(*grouped), ((3, 3, 8, 64),),
              UNCORRECTED,
              note="the kernel is (kH, kW, in/groups, out) and sigma = 1/sqrt(kH kW in/groups) "
                   "before the cut. " + SILENT_NOTE),
        Entry("hk.DepthwiseConv2D w", _layer(*depthwise), ((5, 5, 1, 64),), UNCORRECTED,
              note="the kernel is (kH, kW, 1, multiplier*in) and sigma = 1/sqrt(kH kW) before "
                   "the cut. " + SILENT_NOTE),
        _biases("hk.DepthwiseConv2D", *depthwise, ((5, 5, 1, 64),), dtypes=("float32",)),
        Entry("hk.Conv2DTranspose w", _layer(*transposed), ((3, 3, 64, 32),),
              variance_scaling(1, "fan_out", "truncated_normal", corrected=False,
                               name="N(0, 1/(kH kW in)) cut at +-2 sigma (uncorrected)"),
              note="the kernel is stored (kH, kW, out, in) and sigma = 1/sqrt(kH kW in) uses the "
                   "layer's input channels, the last axis, which the (*k, in, out) fan rule "
                   "(and VarianceScaling's own fans on this kernel) calls fan_out; the "
                   "docstring says only 'truncated normal', variance 0.774/(kH kW in)"),
        _biases("hk.Conv2DTranspose", *transposed, ((3, 3, 64, 32),), dtypes=("float32",)),
        Entry("hk.Embed embeddings", _embed, ((1000, 64), DENSE),
              fixed_truncated_normal(1.0, bounds=(-2.0, 2.0)), role="embedding",
              note="the docstring says only 'a truncated normal distribution'; the source "
                   "draws TruncatedNormal(), N(0, 1) cut at +-2, variance 0.774, in float32 "
                   "only (Embed takes no dtype)"),
    ]
    return e


# ---- spelling: Haiku calls for a derive scheme ------------------------------------------------


def _call(name: str, *args: str, **kwargs: str) -> str:
    parts = [*args, *(f"{k}={v}" for k, v in kwargs.items())]
    return f"{PREFIX}{name}({', '.join(parts)})"


def _fixed(target: Scheme) -> list[Spelling]:
    """RandomNormal, TruncatedNormal and RandomUniform at the target's variance and mean
    (at fans 1, 1: a fixed law's)."""
    mean = float(target.mean)
    fixed = fixed_law(target)
    centre = {"mean": literal(mean)} if mean else {}
    out = [Spelling(_call("RandomNormal", stddev=literal(fixed.sd), **centre), fixed.normal)]
    if target.distribution == "truncated_normal":
        sigma, cut = fixed.sigma, fixed.k
        assert cut is not None
        try:
            law = fixed_truncated_normal(sigma, bounds=(mean - cut * sigma, mean + cut * sigma),
                                         mean=mean)
        except ValueError:  # float bounds not exactly symmetric: the law is the target's
            law = target
    else:  # the same variance: sigma before the cut is sd/0.8796
        law, cut = fixed_truncated_normal(fixed.sd, mean=mean), 2.0
        sigma = law.sigma_at(1, 1)
    assert sigma is not None
    cuts = {} if cut == 2 else {"lower": literal(-cut), "upper": literal(cut)}
    out.append(Spelling(_call("TruncatedNormal", stddev=literal(sigma), **centre, **cuts), law,
                        "stddev is the sigma before the cut at mean +- lower/upper * stddev"))
    out.append(Spelling(_call("RandomUniform", minval=literal(fixed.low),
                              maxval=literal(fixed.high)), fixed.uniform))
    return out


def _scaled(target: Scheme) -> list[Spelling]:
    """VarianceScaling in the target's mode (fan_avg for fan_geo_avg, which Haiku lacks) with
    each distribution; the uncorrected truncated normal via the scale times 0.8796²."""
    mode = target.mode if target.mode in MODES else "fan_avg"
    scale = target.scale
    note = "" if mode == target.mode else f"Haiku has no {target.mode}; fan_avg is nearest"
    out = [Spelling(_call("VarianceScaling", literal(scale), f"'{mode}'", f"'{dist}'"),
                    variance_scaling(scale, mode, dist), note) for dist in DISTRIBUTIONS]
    if target.distribution == "truncated_normal" and not target.corrected \
            and target.truncation == 2:
        out.insert(0, Spelling(
            _call("VarianceScaling", f"{literal(scale)} * {CUT!r}**2".removeprefix("1 * "),
                  f"'{mode}'", "'truncated_normal'"),
            variance_scaling(scale, mode, "truncated_normal", corrected=False), _join(
                note, "VarianceScaling divides sigma by 0.8796..., the constant squared "
                      "here, so sigma^2 = scale/n before the cut, as the layers' default")))
    if mode == "fan_in" and target.distribution == "uniform":
        out.append(Spelling(_call("UniformScaling", literal(sp.sqrt(scale))),
                            variance_scaling(scale, "fan_in", "uniform"),
                            "fan_in is the product of every axis but the last"))
    return out


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def spell(target: Scheme, role: str) -> list[Spelling]:
    """Haiku calls for `target` as a parameter of `role`: Constant for a constant,
    RandomNormal/TruncatedNormal/RandomUniform for a fixed law, VarianceScaling for a law in
    the fans (weights and embeddings only: a bias initializer sees the bias's shape)."""
    if target.variance == 0:
        value = float(target.mean)
        offers = [Spelling(_call("Constant", literal(value)), constant(value))]
        if value == 0:
            offers.insert(0, Spelling("jnp.zeros", constant(0.0),
                                      "the default b_init of Haiku's layers"))
        return offers
    if target.mode is None:
        return _fixed(target)
    if role == "bias":
        return [Spelling("jnp.zeros", constant(0.0), "the default b_init of Haiku's layers")]
    return _scaled(target)
