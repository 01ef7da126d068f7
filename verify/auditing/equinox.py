"""Equinox models: every array field of every `eqx.Module` in the tree, with the module that
holds it, fans in Equinox's PyTorch-like layout (out, in, *k) and Equinox's defaults.

Defaults, from `equinox.nn`'s sources (0.13):
    Linear, Conv*, ConvTranspose*: weight and bias U(±1/√fan_in), fan_in = (in/groups)·∏k
        (a transposed convolution's weight is stored (out, in/groups, *k) too)
    Embedding: N(0, 1)
    LayerNorm, GroupNorm, RMSNorm: weight 1, bias 0
    GRUCell, LSTMCell: every weight and bias U(±1/√hidden)
Complex Linear layers draw each part so; they are read as their real parts' law here.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from functools import partial

import equinox as eqx
import jax
import numpy as np

from derive import SCHEMES, Scheme, constant, fixed_uniform
from verify.auditing.parameters import Parameter
from verify.layout import fans

NORMS = ("LayerNorm", "GroupNorm", "RMSNorm")


CONVENTION = "torch"  # the layout `identify` reads unclaimed kernels in

def _inv_sqrt(fan_in: float) -> Scheme:
    return fixed_uniform(-1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in))


def _describe(module: object, name: str, shape: tuple[int, ...]
              ) -> tuple[str, tuple[int, int] | None, Scheme | None]:
    kind = type(module).__name__
    weight = getattr(module, "weight", None)
    weight_fans = fans(tuple(weight.shape), "torch") if weight is not None \
        and getattr(weight, "ndim", 0) >= 2 else None
    if kind in NORMS:
        return ("norm_scale", None, constant(1)) if name == "weight" else \
            ("norm_offset", None, constant(0))
    if kind == "Embedding":
        return "embedding", weight_fans, SCHEMES["standard_normal"]
    if kind in ("GRUCell", "LSTMCell"):
        return "recurrent", None, _inv_sqrt(module.hidden_size)  # type: ignore[attr-defined]
    if weight_fans is not None and (kind == "Linear" or kind.startswith("Conv")):
        return ("kernel" if name == "weight" else "bias", weight_fans,
                SCHEMES["uniform_inv_sqrt"] if name == "weight" else _inv_sqrt(weight_fans[0]))
    role = "kernel" if len(shape) >= 2 else "bias" if name == "bias" else "other"
    return role, fans(shape, "torch") if len(shape) >= 2 else None, None


def _walk(node: object, path: str) -> Iterator[tuple[str, object, str, object]]:
    """(path, owning module, field name, array) for every array in the tree."""
    if isinstance(node, eqx.Module):
        for f in dataclasses.fields(node):
            value = getattr(node, f.name, None)
            here = f"{path}.{f.name}" if path else f.name
            if eqx.is_array(value):
                yield here, node, f.name, value
            else:
                yield from _walk(value, here)
    elif isinstance(node, list | tuple):
        for i, item in enumerate(node):
            yield from _walk(item, f"{path}[{i}]")


def _values(array: object) -> np.ndarray:
    values = np.array(jax.device_get(array), copy=True)
    return values.real.copy() if np.iscomplexobj(values) else values


def parameters(model: object) -> list[Parameter]:
    """Every array of `model` once, described by the module that holds it."""
    found, seen = [], set()
    for path, module, name, array in _walk(model, ""):
        if id(array) in seen:
            continue
        seen.add(id(array))
        shape = tuple(int(d) for d in array.shape)
        role, f, default = _describe(module, name, shape)
        found.append(Parameter(path, type(module).__name__, role, shape,
                               partial(_values, array), str(np.dtype(array.dtype)), f,
                               default))
    return found
