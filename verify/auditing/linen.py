"""Flax linen variables (what `model.init(key, x)` returns, or its "params"): the module
type of each parameter read from the name linen gives it, `ClassName_N`, as Haiku's
adapter does; names given by hand are described by their own names only, and need rules.

Defaults, from `flax.linen`'s sources (0.12):
    Dense, Conv, ConvTranspose, DenseGeneral: kernel lecun_normal = variance_scaling(1,
        fan_in, truncated_normal) on the (*k, in, out) layout, bias 0
    MultiHeadDotProductAttention: query, key and value kernels (d, heads, head_dim) and the
        out kernel (heads, head_dim, d), each initialized as its flattened matrix
    Embed: variance_scaling(1, fan_in, normal) with fan_in = features
    LayerNorm, RMSNorm, GroupNorm, BatchNorm: scale 1, bias 0
    recurrent cells: recurrent kernels orthogonal (no derive scheme yet: unclaimed)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from functools import partial

import jax
import numpy as np

from derive import SCHEMES, Scheme, constant
from verify.auditing.parameters import Parameter
from verify.layout import fans

CONVENTION = "jax"  # the layout `identify` reads unclaimed kernels in
AUTO = re.compile(r"^([A-Z][A-Za-z0-9]*)_\d+$")
DENSE = ("Dense", "Conv", "ConvTranspose", "ConvLocal", "DenseGeneral", "Einsum")
NORMS = ("LayerNorm", "RMSNorm", "GroupNorm", "BatchNorm")
CELLS = ("LSTMCell", "OptimizedLSTMCell", "GRUCell", "SimpleCell", "MGUCell")
ATTENTION = ("MultiHeadDotProductAttention", "MultiHeadAttention", "SelfAttention")


def _leaves(tree: Mapping, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...],
                                                                       object]]:
    for key, value in tree.items():
        if isinstance(value, Mapping):
            yield from _leaves(value, (*path, str(key)))
        else:
            yield (*path, str(key)), value


def _classes(path: tuple[str, ...]) -> list[str]:
    """The class names linen's automatic names carry along the path ('' where hand-named)."""
    return [m.group(1) if (m := AUTO.match(part)) else "" for part in path]


def _describe(path: tuple[str, ...], shape: tuple[int, ...]
              ) -> tuple[str, str, tuple[int, int] | None, Scheme | None, str]:
    """(layer, role, fans, default, note) of the parameter at `path`."""
    name, owners = path[-1], _classes(path[:-1])
    owner = owners[-1] if owners else ""
    parent = owners[-2] if len(owners) > 1 else ""
    if owner in NORMS:
        return owner, *(("norm_scale", None, constant(1), "") if name == "scale" else
                        ("norm_offset", None, constant(0), ""))
    if owner == "Embed" and name == "embedding":
        return owner, "embedding", (shape[1], shape[0]), SCHEMES["lecun_normal"], ""
    if parent in CELLS or owner in CELLS:
        recurrent = path[-2].startswith("h") and name == "kernel"
        return parent or owner, "recurrent", fans(shape, "jax") if len(shape) == 2 else None, \
            None if recurrent else (SCHEMES["lecun_truncated_normal"] if name == "kernel"
                                    else SCHEMES["zeros"]), \
            "a recurrent kernel: orthogonal, no derive scheme yet" if recurrent else ""
    if path[-2:-1] and path[-2] in ("query", "key", "value", "out") and \
            any(p in ATTENTION for p in owners):
        inputs = 2 if path[-2] == "out" else 1  # q, k, v: (d, H, hd); out: (H, hd, d)
        if name == "kernel" and len(shape) == 3:
            f = (math.prod(shape[:inputs]), math.prod(shape[inputs:]))
            return "DenseGeneral", "attention", f, SCHEMES["lecun_truncated_normal"], ""
        return "DenseGeneral", "bias", None, SCHEMES["zeros"], ""
    if owner in DENSE:
        if name == "kernel":
            return owner, "kernel", fans(shape, "jax") if len(shape) >= 2 else None, \
                SCHEMES["lecun_truncated_normal"], ""
        return owner, "bias", None, SCHEMES["zeros"], ""
    role = "kernel" if len(shape) >= 2 else "bias" if name == "bias" else "other"
    return owner or "unknown", role, fans(shape, "jax") if len(shape) >= 2 else None, None, \
        "a module name linen did not make: its type is unknown"


def _values(array: object) -> np.ndarray:
    return np.array(jax.device_get(array), copy=True)


def parameters(variables: Mapping) -> list[Parameter]:
    """Every array of linen's "params" collection (given whole or as the variables)."""
    params = variables.get("params", variables)
    found = []
    for path, array in _leaves(params):
        shape = tuple(int(d) for d in array.shape)  # type: ignore[attr-defined]
        layer, role, f, default, note = _describe(path, shape)
        found.append(Parameter("/".join(path), layer, role, shape, partial(_values, array),
                               str(np.dtype(array.dtype)), f, default, note))  # type: ignore
    return found
