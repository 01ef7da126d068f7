"""What an audit knows of one parameter before looking at its values: where it lives, what
its layer makes of it, and what the framework draws for it by default."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from derive import Scheme

ROLES = ("kernel", "bias", "embedding", "norm_scale", "norm_offset", "recurrent", "attention",
         "other")


@dataclass(frozen=True)
class Parameter:
    """One parameter: `path` as the framework names it, the `layer` type that owns it, its
    `role` (one of `ROLES`), `load()` giving its values as a numpy copy (made in `dtype`;
    called once, when the audit reaches it, so that one copy at a time is held), the
    `fans` that layer type implies in the framework's own layout (None where fans mean
    nothing, as for a norm's scale), and `default`, the framework's documented
    initializer for it (None if unknown)."""

    path: str
    layer: str
    role: str
    shape: tuple[int, ...]
    load: Callable[[], np.ndarray]
    dtype: str
    fans: tuple[int, int] | None
    default: Scheme | None
    note: str = ""


class ModelAdapter(Protocol):
    """What a framework's adapter offers the audit: every parameter of a model, described,
    and the layout its kernels are in; `trace` and `unit_inputs` where it measures the
    signal through a model."""

    CONVENTION: str

    def parameters(self, model: Any) -> list[Parameter]: ...


@dataclass(frozen=True)
class Traced:
    """One layer's input and output in one forward pass, and the gradients at both in one
    backward pass, each as (rows, features): `dense` when y = xW (+ b) with the weight at
    `weight` (and the bias at `bias`), in (in, out) orientation or the transpose."""

    path: str
    layer: str
    dense: bool
    weight: str | None
    bias: str | None
    x: np.ndarray
    y: np.ndarray
    grad_x: np.ndarray | None
    grad_y: np.ndarray | None
