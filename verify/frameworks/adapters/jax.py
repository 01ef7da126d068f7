"""JAX's `jax.nn.initializers` (and Flax's default kernels, where Flax is installed) as samplers.

Layout: `in_axis=-2`, `out_axis=-1`, so a dense kernel is (in, out) and a 2-D
convolution kernel (kH, kW, in, out). Each sampler takes its key from the seed.
float64 needs `jax_enable_x64`, so it is not tried.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.nn import initializers as jinit

from derive import (
    SCHEMES,
    Scheme,
    constant,
    fixed_normal,
    fixed_truncated_normal,
    fixed_uniform,
    variance_scaling,
)
from verify.frameworks.protocol import Entry, Spelling, fixed_law, literal

CONVENTION = "jax"
DENSE, WIDE, CONV = (256, 256), (128, 512), (3, 3, 32, 64)
SHAPES = (DENSE, WIDE, CONV)
NAMED_NOTE = ("JAX's glorot_normal, lecun_normal and he_normal draw a normal truncated at "
              "+-2 sigma (variance-corrected): derive's *_truncated_normal, not PyTorch's "
              "untruncated xavier_normal_/kaiming_normal_")
BF16_NOTE = ("jax.random.uniform(-1, 1) spends only the dtype's mantissa bits: in bfloat16 it "
             "takes 128 levels between -1 and 1 - 2^-6 (7 random bits), so the samples are "
             "off-centre and fail the mean and shape tests; in float16 it takes 1024 equally "
             "spaced levels (10 random bits), coarser near zero than the float16 rounding of a "
             "uniform, which the histogram over every value sees; float32 matches")
COMPLEX_NOTE = ("the complex truncated normal has |z|^2 ~ Exp(1) cut at 4, whose mean is "
                "(1 - 5e^-4)/(1 - e^-4); JAX divides by sqrt(1 - 5e^-4) = 0.9531..., leaving out "
                "the kept mass 1 - e^-4, so E|w|^2 is 1/(1 - e^-4) = 1.019 times the variance "
                "asked for")
TRUNC_NOTE = ("truncated_normal(stddev) cuts N(0, stddev^2) at +-2 stddev without correcting "
              "the variance, which is 0.8796^2 * stddev^2 = 0.774 stddev^2; variance_scaling "
              "corrects it")


def version() -> str:
    try:
        import flax

        return f"jax {jax.__version__}, flax {flax.__version__}"
    except ImportError:
        return f"jax {jax.__version__}"


def disturb() -> None:
    """JAX has no global random state; move numpy's."""
    np.random.random(7)


def _init(init: object) -> object:
    def sample(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
        w = init(jax.random.key(seed), shape, jnp.dtype(dtype))  # type: ignore[operator]
        assert w.dtype == jnp.dtype(dtype), f"asked for {dtype}, got {w.dtype}"
        out = np.asarray(w)
        return out.astype(np.complex128 if np.iscomplexobj(out) else np.float64)

    return sample


def _flax(build: object) -> object:
    def sample(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
        module, x = build(shape)  # type: ignore[operator]
        params = module.init(jax.random.key(seed), x)
        return np.asarray(params["params"]["kernel"], dtype=np.float64)

    return sample


def _delta_orthogonal(w: np.ndarray) -> str:
    """zero off the centre tap; the centre tap (in, out) has orthonormal rows"""
    centre = tuple(k // 2 for k in w.shape[:-2])
    rest = w.copy()
    rest[centre] = 0
    m = w[centre]
    err = float(np.abs(m @ m.T - np.eye(m.shape[0])).max())
    problems = [] if not rest.any() else ["non-zero values off the centre tap"]
    problems += [] if err < 2e-5 else [f"centre tap: max |M M^T - I| = {err:.3g}"]
    return "; ".join(problems)


def entries() -> list[Entry]:
    """jax.nn.initializers across modes, distributions and dtypes; Flax's defaults."""
    real = ("float32", "bfloat16", "float16")
    e = [Entry(f"variance_scaling({scale}, '{mode}', '{dist}')",
               _init(jinit.variance_scaling(scale, mode, dist)), SHAPES,
               variance_scaling(scale, mode, dist),
               note=("JAX's 'normal' is untruncated and 'truncated_normal' is variance-corrected"
                     if dist != "uniform" else ""))
         for scale, mode, dist in ((1.0, "fan_in", "truncated_normal"), (2.0, "fan_out", "normal"),
                                   (1.0, "fan_avg", "uniform"),
                                   (0.5, "fan_geo_avg", "truncated_normal"))]
    for name in ("glorot", "lecun", "he"):
        e.append(Entry(f"{name}_uniform", _init(getattr(jinit, f"{name}_uniform")()), SHAPES,
                       SCHEMES[f"{name}_uniform"], dtypes=real, note=BF16_NOTE))
        e.append(Entry(f"{name}_normal", _init(getattr(jinit, f"{name}_normal")()), SHAPES,
                       SCHEMES[f"{name}_normal"], dtypes=real, note=NAMED_NOTE,
                       draws=SCHEMES[f"{name}_truncated_normal"]))
    e += [
        Entry("truncated_normal(stddev=0.02)", _init(jinit.truncated_normal(0.02)), SHAPES,
              fixed_truncated_normal(0.02), note=TRUNC_NOTE,
              draws=fixed_truncated_normal(0.02, (-0.04, 0.04))),
        Entry("normal(stddev=0.02)", _init(jinit.normal(0.02)), SHAPES, fixed_normal(0.02)),
        Entry("uniform(scale=0.05)", _init(jinit.uniform(0.05)), SHAPES, fixed_uniform(-0.05, 0.05),
              draws=fixed_uniform(0, 0.05),
              note="uniform(scale) draws from [0, scale), not [-scale, scale): its mean is "
                   "scale/2"),
        Entry("uniform(scale=0.05), as documented", _init(jinit.uniform(0.05)), SHAPES,
              fixed_uniform(0, 0.05)),
        Entry("orthogonal()", _init(jinit.orthogonal()), (*SHAPES, (1024, 1024)),
              kind="orthogonal", value=1.0),
        Entry("delta_orthogonal()", _init(jinit.delta_orthogonal()), (CONV, (3, 32, 64)),
              kind="structure", structure=_delta_orthogonal),
        Entry("variance_scaling(1.0, 'fan_in', 'normal') complex64",
              _init(jinit.variance_scaling(1.0, "fan_in", "normal")), (DENSE, CONV),
              SCHEMES["lecun_normal"], dtypes=("complex64",)),
        Entry("variance_scaling(1.0, 'fan_in', 'truncated_normal') complex64",
              _init(jinit.variance_scaling(1.0, "fan_in", "truncated_normal")), (DENSE, CONV),
              SCHEMES["lecun_truncated_normal"], dtypes=("complex64",),
              note=COMPLEX_NOTE),
        Entry("variance_scaling(1.0, 'fan_in', 'uniform') complex64",
              _init(jinit.variance_scaling(1.0, "fan_in", "uniform")), (DENSE, CONV),
              SCHEMES["lecun_uniform"], dtypes=("complex64",)),
    ]
    try:
        from flax import linen
    except ImportError:
        return e
    e += [
        Entry("flax.linen.Dense kernel", _flax(lambda s: (linen.Dense(s[1]),
                                                          jnp.ones((1, s[0])))),
              (DENSE, WIDE), SCHEMES["lecun_normal"], note=NAMED_NOTE,
              draws=SCHEMES["lecun_truncated_normal"]),
        Entry("flax.linen.Conv kernel", _flax(lambda s: (linen.Conv(s[3], s[:2]),
                                                         jnp.ones((1, 8, 8, s[2])))),
              (CONV,), SCHEMES["lecun_normal"], note=NAMED_NOTE,
              draws=SCHEMES["lecun_truncated_normal"]),
    ]
    return e


def spell(target: Scheme, role: str) -> list[Spelling]:
    """variance_scaling(scale, mode, distribution) for a weight's fan law (its truncated
    normal corrected, cut at ±2σ); normal, truncated_normal (σ before the cut, cut at
    lower·σ and upper·σ), uniform (U[0, scale)) and constant for fixed laws, mean 0 but for
    constant."""
    if target.mode is not None:
        if role == "bias":
            return []
        scale = literal(target.scale)
        return [Spelling(f"jax.nn.initializers.variance_scaling({scale}, '{target.mode}', "
                         f"'{d}')", variance_scaling(target.scale, target.mode, d))
                for d in ("normal", "truncated_normal", "uniform")]
    mean = float(target.mean)
    if target.variance == 0:
        return [Spelling(f"jax.nn.initializers.constant({literal(mean)})", constant(mean))]
    if mean:  # only U[0, 2·mean) has a JAX spelling
        width = 2 * mean
        return [Spelling(f"jax.nn.initializers.uniform(scale={literal(width)})",
                         fixed_uniform(0, width), "JAX's uniform(scale) draws U[0, scale)")]
    law = fixed_law(target)
    sd, width = law.sd, 2 * law.half
    out = [Spelling(f"jax.nn.initializers.normal(stddev={literal(sd)})", law.normal),
           Spelling(f"jax.nn.initializers.uniform(scale={literal(width)})",
                    fixed_uniform(0, width), "JAX's uniform(scale) draws U[0, scale)")]
    if target.distribution == "truncated_normal":
        sigma, k = law.sigma, law.k
        assert sigma is not None and k is not None
        out.append(Spelling(f"jax.nn.initializers.truncated_normal(stddev={literal(sigma)}, "
                            f"lower={literal(-k)}, upper={literal(k)})",
                            fixed_truncated_normal(sigma, (-k * sigma, k * sigma))))
    return out
