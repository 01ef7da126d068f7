"""Keras 3's initializers and default kernels as samplers (KERAS_BACKEND defaults to numpy here).

Layout (*kernel, in, out). Initializers take their seed; layers are built after
`keras.utils.set_random_seed`.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "numpy")

import keras
import numpy as np
from keras import initializers as kinit

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

CONVENTION = "keras"
DENSE, WIDE, CONV = (256, 256), (128, 512), (3, 3, 32, 64)
SHAPES = (DENSE, WIDE, CONV)
NAMED_NOTE = ("Keras's GlorotNormal, LecunNormal and HeNormal draw a normal truncated at "
              "+-2 sigma (variance-corrected): derive's *_truncated_normal, not PyTorch's "
              "untruncated xavier_normal_/kaiming_normal_")


def version() -> str:
    return f"keras {keras.__version__} (backend {keras.backend.backend()})"


def disturb() -> None:
    """Move numpy's global random state and Keras's global seed generator."""
    np.random.random(7)
    keras.random.normal((3,), seed=keras.random.SeedGenerator())


def _init(cls: type, **kwargs: object) -> object:
    def sample(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
        w = keras.ops.convert_to_numpy(cls(seed=seed, **kwargs)(shape, dtype=dtype))
        assert w.dtype == np.dtype(dtype), f"asked for {dtype}, got {w.dtype}"
        return w.astype(np.float64)

    return sample


def _layer(build: object, input_shape: object) -> object:
    def sample(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
        keras.utils.set_random_seed(seed)
        layer = build(shape)  # type: ignore[operator]
        layer.build(input_shape(shape))  # type: ignore[operator]
        return keras.ops.convert_to_numpy(layer.kernel).astype(np.float64)

    return sample


def entries() -> list[Entry]:
    """VarianceScaling, the named initializers, the plain ones, Orthogonal, default kernels."""
    both = ("float32", "float64")
    e = [
        Entry("VarianceScaling(1.0, 'fan_in', 'normal')",
              _init(kinit.VarianceScaling, scale=1.0, mode="fan_in", distribution="normal"),
              SHAPES, variance_scaling(1, "fan_in", "normal"),
              draws=variance_scaling(1, "fan_in", "truncated_normal"),
              note="Keras maps distribution='normal' to 'truncated_normal'; the untruncated "
                   "normal is 'untruncated_normal'"),
        Entry("VarianceScaling(2.0, 'fan_out', 'untruncated_normal')",
              _init(kinit.VarianceScaling, scale=2.0, mode="fan_out",
                    distribution="untruncated_normal"),
              SHAPES, variance_scaling(2, "fan_out", "normal")),
        Entry("VarianceScaling(1.0, 'fan_avg', 'truncated_normal')",
              _init(kinit.VarianceScaling, scale=1.0, mode="fan_avg",
                    distribution="truncated_normal"),
              SHAPES, variance_scaling(1, "fan_avg", "truncated_normal")),
        Entry("VarianceScaling(1.0, 'fan_avg', 'uniform')",
              _init(kinit.VarianceScaling, scale=1.0, mode="fan_avg", distribution="uniform"),
              SHAPES, variance_scaling(1, "fan_avg", "uniform")),
    ]
    for name in ("Glorot", "Lecun", "He"):
        e.append(Entry(f"{name}Uniform", _init(getattr(kinit, f"{name}Uniform")), SHAPES,
                       SCHEMES[f"{name.lower()}_uniform"], dtypes=both))
        e.append(Entry(f"{name}Normal", _init(getattr(kinit, f"{name}Normal")), SHAPES,
                       SCHEMES[f"{name.lower()}_normal"], dtypes=both, note=NAMED_NOTE,
                       draws=SCHEMES[f"{name.lower()}_truncated_normal"]))
    e += [
        Entry("TruncatedNormal(stddev=0.02)", _init(kinit.TruncatedNormal, stddev=0.02), SHAPES,
              fixed_truncated_normal(0.02), draws=fixed_truncated_normal(0.02, (-0.04, 0.04)),
              note="TruncatedNormal(stddev) cuts N(0, stddev^2) at +-2 stddev without "
                   "correcting the variance (0.774 stddev^2); VarianceScaling corrects it"),
        Entry("RandomNormal(stddev=0.02)", _init(kinit.RandomNormal, stddev=0.02), SHAPES,
              fixed_normal(0.02)),
        Entry("RandomUniform(-0.05, 0.05)", _init(kinit.RandomUniform), SHAPES,
              fixed_uniform(-0.05, 0.05)),
        Entry("Orthogonal()", _init(kinit.Orthogonal), (*SHAPES, (1024, 1024)),
              kind="orthogonal", value=1.0),
        Entry("keras.layers.Dense kernel", _layer(lambda s: keras.layers.Dense(s[1]),
                                                  lambda s: (None, s[0])),
              (DENSE, WIDE), SCHEMES["glorot_uniform"]),
        Entry("keras.layers.Conv2D kernel", _layer(lambda s: keras.layers.Conv2D(s[3], s[:2]),
                                                   lambda s: (None, 16, 16, s[2])),
              (CONV,), SCHEMES["glorot_uniform"]),
    ]
    return e


def spell(target: Scheme, role: str) -> list[Spelling]:
    """VarianceScaling(scale, mode, distribution) for a weight's fan law ('truncated_normal'
    corrected and cut at ±2σ, 'untruncated_normal', 'uniform'); RandomNormal, RandomUniform,
    TruncatedNormal (σ before the cut at ±2σ) and Constant for fixed laws."""
    if target.mode is not None:
        if role == "bias" or target.mode == "fan_geo_avg":
            return []
        scale = literal(target.scale)
        return [Spelling(f"keras.initializers.VarianceScaling({scale}, '{target.mode}', "
                         f"'{name}')", variance_scaling(target.scale, target.mode, d))
                for name, d in (("untruncated_normal", "normal"),
                                ("truncated_normal", "truncated_normal"), ("uniform", "uniform"))]
    mean = float(target.mean)
    if target.variance == 0:
        return [Spelling(f"keras.initializers.Constant({literal(mean)})", constant(mean))]
    law = fixed_law(target)
    at = f"mean={literal(mean)}, " if mean else ""
    out = [Spelling(f"keras.initializers.RandomNormal({at}stddev={literal(law.sd)})",
                    law.normal),
           Spelling(f"keras.initializers.RandomUniform({literal(law.low)}, {literal(law.high)})",
                    law.uniform)]
    if target.distribution == "truncated_normal":
        sigma = law.sigma
        assert sigma is not None
        out.append(Spelling(f"keras.initializers.TruncatedNormal({at}stddev={literal(sigma)})",
                            fixed_truncated_normal(sigma, (mean - 2 * sigma, mean + 2 * sigma),
                                                   mean)))
    return out
