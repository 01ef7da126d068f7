"""Keras 3 models: every variable of every layer (nested layers too), with the fans Keras
computes for it and the initializer the layer declares for it.

Keras keeps each layer's initializers (`kernel_initializer`, `bias_initializer`, ...), so
the claim is what the layer was built with, read as a derive scheme: VarianceScaling and
its named forms (GlorotUniform, HeNormal, LecunNormal, ...), RandomNormal, RandomUniform,
TruncatedNormal (cut at ±2 stddev, uncorrected), Zeros, Ones, Constant. Orthogonal has no
derive scheme yet and is left unclaimed.

Fans, as Keras's `compute_fans` reads the stored kernel: (*k, in, out) → in·∏k, out·∏k.
Keras stores a transposed convolution as (*k, out, in) and a depthwise one as
(*k, in, multiplier), so it counts the input channels in the latter's fan_in; an
EinsumDense kernel (MultiHeadAttention's) has its fans from the equation's axes.
"""

from __future__ import annotations

import math
from functools import partial

import keras
import numpy as np

from derive import (
    SCHEMES,
    Scheme,
    constant,
    fixed_normal,
    fixed_truncated_normal,
    fixed_uniform,
    variance_scaling,
)
from verify.auditing.parameters import Parameter
from verify.layout import fans

DEPTHWISE_NOTE = ("Keras counts the input channels in a depthwise kernel's fan_in, though "
                  "each output sums only the kernel's taps (keras#11773)")
TRANSPOSED_NOTE = "Keras stores a transposed convolution as (*k, out, in): fan_in counts out"
ATTRIBUTE = {"kernel": "kernel_initializer", "bias": "bias_initializer",
             "embeddings": "embeddings_initializer", "gamma": "gamma_initializer",
             "beta": "beta_initializer", "moving_mean": "moving_mean_initializer",
             "moving_variance": "moving_variance_initializer",
             "recurrent_kernel": "recurrent_initializer",
             "depthwise_kernel": "depthwise_initializer",
             "pointwise_kernel": "pointwise_initializer"}
DISTRIBUTIONS = {"truncated_normal": "truncated_normal", "untruncated_normal": "normal",
                 "normal": "truncated_normal", "uniform": "uniform"}
ROLES = {"kernel": "kernel", "bias": "bias", "embeddings": "embedding", "gamma": "norm_scale",
         "beta": "norm_offset", "recurrent_kernel": "recurrent", "depthwise_kernel": "kernel",
         "pointwise_kernel": "kernel"}


CONVENTION = "keras"  # the layout `identify` reads unclaimed kernels in

def claim_of(initializer: object) -> Scheme | None:
    """The derive scheme a Keras initializer draws from; None for one derive lacks."""
    if initializer is None:
        return None
    name = type(initializer).__name__
    config = initializer.get_config() if hasattr(initializer, "get_config") else {}
    if isinstance(initializer, keras.initializers.VarianceScaling):  # named forms too
        return variance_scaling(initializer.scale, initializer.mode,
                                DISTRIBUTIONS[initializer.distribution],
                                name=name if name != "VarianceScaling" else None)
    if name == "Zeros":
        return SCHEMES["zeros"]
    if name == "Ones":
        return constant(1)
    if name == "Constant":
        return constant(float(config["value"]))
    if name == "RandomNormal":
        return fixed_normal(config["stddev"], mean=config["mean"])
    if name == "RandomUniform":
        return fixed_uniform(config["minval"], config["maxval"])
    if name == "TruncatedNormal":
        m, s = config["mean"], config["stddev"]
        return fixed_truncated_normal(s, bounds=(m - 2 * s, m + 2 * s), mean=m)
    return None


def _einsum_fans(layer: object, shape: tuple[int, ...]) -> tuple[int, int]:
    """fan_in: the kernel axes the input shares (summed over); fan_out: the others."""
    inputs, rest = layer.equation.split(",")  # type: ignore[attr-defined]
    kernel = rest.split("->")[0]
    fan_in = math.prod(d for letter, d in zip(kernel, shape, strict=True) if letter in inputs)
    return fan_in, math.prod(shape) // fan_in


def _fans(layer: object, name: str, shape: tuple[int, ...]) -> tuple[int, int] | None:
    if name == "bias":  # a bias takes its kernel's fans
        kernel = getattr(layer, "kernel", None)
        return _fans(layer, "kernel", tuple(kernel.shape)) if kernel is not None else None
    if len(shape) < 2:
        return None
    if isinstance(layer, keras.layers.EinsumDense):
        return _einsum_fans(layer, shape)
    return fans(shape, "keras")


def _note(layer: object) -> str:
    if isinstance(layer, keras.layers.DepthwiseConv2D | keras.layers.DepthwiseConv1D):
        return DEPTHWISE_NOTE
    if "Transpose" in type(layer).__name__:
        return TRANSPOSED_NOTE
    return ""


def _describe(layer: object, variable: object) -> tuple[str, Scheme | None, str]:
    """(role, claim, note) of one of the layer's own variables."""
    name = variable.name  # type: ignore[attr-defined]
    attribute = ATTRIBUTE.get(name, f"{name}_initializer")
    if not hasattr(layer, attribute) and name == "kernel":  # DepthwiseConv2D's own name
        attribute = "depthwise_initializer"
    initializer = getattr(layer, attribute, None)
    note = _note(layer)
    if name == "bias" and getattr(layer, "unit_forget_bias", False):
        return "recurrent", None, "unit_forget_bias: the forget gate's block is 1, the rest 0"
    claim = claim_of(initializer)
    if claim is None and initializer is not None:
        note = "; ".join(x for x in (note, f"{type(initializer).__name__} has no derive "
                                     "scheme yet") if x)
    role = ROLES.get(name, "other")
    if "lstm" in type(layer).__name__.lower() or "gru" in type(layer).__name__.lower():
        role = "recurrent"
    return role, claim, note


def _walk(layer: object, seen: set[int]):
    for variable in [*layer._trainable_variables, *layer._non_trainable_variables]:  # own only
        if id(variable) not in seen:
            seen.add(id(variable))
            yield layer, variable
    for child in layer._flatten_layers(include_self=False, recursive=False):
        yield from _walk(child, seen)


def _values(variable: object) -> np.ndarray:
    return np.array(keras.ops.convert_to_numpy(variable.value), copy=True)  # type: ignore


def parameters(model: object) -> list[Parameter]:
    """Every variable of `model` once, described by the layer that owns it."""
    found = []
    for layer, variable in _walk(model, set()):
        shape = tuple(int(d) for d in variable.shape)
        role, claim, note = _describe(layer, variable)
        dtype = str(variable.dtype)
        found.append(Parameter(variable.path, type(layer).__name__, role, shape,
                               partial(_values, variable), dtype,
                               _fans(layer, variable.name, shape), claim, note))
    return found
