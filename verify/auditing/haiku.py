"""Haiku parameter trees (what `hk.transform(f).init` returns): {module name: {name: array}}.

Haiku keeps no module objects after `init`, so the module type is read from its name as
Haiku makes it, the class name in snake case with a counter (`linear_1`, `conv2_d`,
`embed`, `layer_norm`), which names given by hand do not follow: such parameters are
described by their own names only, and need rules.

Defaults, from `haiku`'s sources (0.0.17):
    Linear, ConvND, ConvNDTranspose: w TruncatedNormal(stddev=1/√fan_in), cut at ±2
        stddev and not rescaled (variance 0.774/fan_in), b 0; fan_in = in·∏k from the
        (*k, in, out) layout (a transposed convolution's w is (*k, out, in): fan_in then
        counts its output channels, as Haiku's own code does)
    Embed: embeddings TruncatedNormal(stddev=1), uncorrected
    LayerNorm, RMSNorm, BatchNorm: scale 1, offset 0
"""

from __future__ import annotations

import math
import re
from functools import partial

import haiku as hk  # noqa: F401  (the adapter is chosen for Haiku's trees)
import jax
import numpy as np

from derive import Scheme, constant, fixed_truncated_normal
from verify.auditing.parameters import Parameter
from verify.layout import fans

DENSE = re.compile(r"(^|/)(linear|conv\d_d|conv\d_d_transpose)(_\d+)?$")
NORMS = re.compile(r"(^|/)(layer_norm|rms_norm|batch_norm|group_norm)(_\d+)?$")
EMBED = re.compile(r"(^|/)embed(_\d+)?$")
CUT_NOTE = "Haiku's TruncatedNormal cuts at +-2 stddev and does not rescale: 0.774 stddev^2"


CONVENTION = "keras"  # the layout `identify` reads unclaimed kernels in

def _layer(module: str) -> str:
    leaf = module.rsplit("/", 1)[-1]
    return re.sub(r"_\d+$", "", leaf)


def _describe(module: str, name: str, shape: tuple[int, ...], weight: tuple[int, ...] | None
              ) -> tuple[str, tuple[int, int] | None, Scheme | None, str]:
    if NORMS.search(module):
        return ("norm_scale", None, constant(1), "") if name == "scale" else \
            ("norm_offset", None, constant(0), "")
    if EMBED.search(module) and name == "embeddings":
        return "embedding", (shape[1], shape[0]), fixed_truncated_normal(
            1.0, bounds=(-2.0, 2.0)), CUT_NOTE
    if DENSE.search(module) and weight is not None and len(weight) >= 2:
        f = fans(weight, "keras")
        if name == "b":
            return "bias", f, constant(0), ""
        std = 1 / math.sqrt(f[0])
        return "kernel", f, fixed_truncated_normal(std, bounds=(-2 * std, 2 * std)), CUT_NOTE
    role = "kernel" if len(shape) >= 2 else "bias" if name in ("b", "bias") else "other"
    return role, fans(shape, "keras") if len(shape) >= 2 else None, None, \
        "a module name Haiku did not make: its type is unknown"


def _values(array: object) -> np.ndarray:
    return np.array(jax.device_get(array), copy=True)


def parameters(tree: dict) -> list[Parameter]:
    """Every array of a Haiku params tree, module by module."""
    found = []
    for module, params in tree.items():
        weight = params.get("w")
        weight_shape = tuple(int(d) for d in weight.shape) if weight is not None else None
        for name, array in params.items():
            shape = tuple(int(d) for d in array.shape)
            role, f, default, note = _describe(module, name, shape, weight_shape)
            found.append(Parameter(f"{module}/{name}", _layer(module), role, shape,
                                   partial(_values, array), str(np.dtype(array.dtype)), f,
                                   default, note))
    return found
