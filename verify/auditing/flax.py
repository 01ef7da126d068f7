"""Flax NNX models: every `nnx.Param`, the module that owns it, fans in JAX's layout and
the default that module draws (NNX keeps no initializer on a built module, so a model
built with other initializers needs rules).

Defaults, from `flax.nnx`'s sources (0.12):
    Linear, Conv, ConvTranspose, LinearGeneral (attention's q, k, v, out): kernel
        lecun_normal = variance_scaling(1, fan_in, truncated_normal), bias 0; a
        LinearGeneral kernel's fans are those of its flattened (∏in, ∏out) matrix
    Embed: variance_scaling(1, fan_in, normal) with fan_in = features
    LayerNorm, RMSNorm, GroupNorm, BatchNorm: scale 1, bias 0
    recurrent cells: input kernels lecun_normal, biases 0, recurrent kernels orthogonal
        (no derive scheme yet: unclaimed)
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
from flax import nnx

from derive import SCHEMES, Scheme, constant
from verify.auditing.parameters import Parameter
from verify.layout import fans

NORMS = (nnx.LayerNorm, nnx.RMSNorm, nnx.GroupNorm, nnx.BatchNorm)
CELLS = ("LSTMCell", "OptimizedLSTMCell", "GRUCell", "SimpleCell")


CONVENTION = "jax"  # the layout `identify` reads unclaimed kernels in

def _fans(module: object, name: str, shape: tuple[int, ...]) -> tuple[int, int] | None:
    if isinstance(module, nnx.LinearGeneral):
        ins, outs = (math.prod(module.in_features), math.prod(module.out_features))
        return ins, outs
    if isinstance(module, nnx.Embed):
        return shape[1], shape[0]  # in_axis -2 and out_axis 0 both name axis 0: fan_in = F
    if name == "bias":
        kernel = getattr(module, "kernel", None)
        return _fans(module, "kernel", tuple(kernel.shape)) if kernel is not None else None
    return fans(shape, "jax") if len(shape) >= 2 else None


def _describe(module: object, name: str) -> tuple[str, Scheme | None, str]:
    """(role, default, note) of parameter `name` of `module`."""
    if isinstance(module, NORMS):
        return ("norm_scale", constant(1), "") if name == "scale" else \
            ("norm_offset", constant(0), "")
    if isinstance(module, nnx.Embed):
        return "embedding", SCHEMES["lecun_normal"], ""
    if name == "kernel":
        return "kernel", SCHEMES["lecun_truncated_normal"], ""
    if name == "bias":
        return "bias", SCHEMES["zeros"], ""
    return "other", None, ""


def _values(variable: object) -> np.ndarray:
    return np.array(variable[...], copy=True)  # type: ignore[index]


def parameters(model: object) -> list[Parameter]:
    """Every `nnx.Param` of `model`, each once, described by the module that owns it."""
    if not isinstance(model, nnx.Module):
        raise TypeError(f"a {type(model).__name__} is not an nnx.Module: Flax linen models "
                        "cannot be audited yet (their classes are known only during init)")
    modules = dict(nnx.iter_modules(model))
    found = []
    for path, variable in nnx.iter_graph(model):
        if not isinstance(variable, nnx.Param):
            continue
        owner = modules[path[:-1]]
        parent = modules.get(path[:-2]) if len(path) > 1 else None
        name = str(path[-1])
        shape = tuple(int(d) for d in variable.shape)
        role, default, note = _describe(owner, name)
        if parent is not None and type(parent).__name__ in CELLS:
            role = "recurrent"
            if str(path[-2]).startswith(("h", "dense_h")) and name == "kernel":
                default, note = None, "a recurrent kernel: orthogonal, no derive scheme yet"
        found.append(Parameter("/".join(map(str, path)), type(owner).__name__, role, shape,
                               partial(_values, variable), str(variable.dtype),
                               _fans(owner, name, shape), default, note))
    return found
