"""Fan-in and fan-out of a weight shape in each framework's layout.

torch (out, in, *k), keras (*k, in, out) and mlx (out, *k, in): fan_in = in·∏k,
fan_out = out·∏k. paddle: a 2-D weight is (in, out), a convolution (out, in, *k).
jax: fan_in = ∏shape[in_axis]·r, fan_out = ∏shape[out_axis]·r, r the product
of the axes that are neither in, out nor batch (batch axes count in neither).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral

CONVENTIONS = ("torch", "keras", "jax", "mlx", "paddle")


def _axes(axis: int | Sequence[int], ndim: int, name: str) -> tuple[int, ...]:
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not isinstance(a, int) or not -ndim <= a < ndim:
            raise ValueError(f"{name}={a!r} is out of range for a {ndim}-dimensional shape")
    return tuple(a % ndim for a in axes)


def check_shape(shape: Sequence[int], min_dims: int = 2) -> tuple[int, ...]:
    """The shape as a tuple of positive ints; fewer than `min_dims` dimensions is an error
    (a weight's fans need two)."""
    shape = tuple(shape)
    if len(shape) < min_dims:
        raise ValueError(f"a weight shape needs at least {min_dims} dimensions, got {shape}")
    for i, d in enumerate(shape):
        if isinstance(d, bool) or not isinstance(d, Integral) or d <= 0:
            raise ValueError(f"dimension {i} of shape {shape} must be a positive integer, "
                             f"got {d!r}")
    return tuple(int(d) for d in shape)


def out_first(convention: str, ndim: int) -> bool:
    """Whether the layout puts the output axis first (torch, mlx, paddle's convolutions)."""
    return convention in ("torch", "mlx") or (convention == "paddle" and ndim > 2)


def fans(shape: Sequence[int], convention: str = "torch", *,
         in_axis: int | Sequence[int] = -2, out_axis: int | Sequence[int] = -1,
         batch_axis: int | Sequence[int] = ()) -> tuple[int, int]:
    """(fan_in, fan_out) of a kernel of this shape in this framework's layout.

    >>> fans((64, 32, 3, 3)), fans((3, 3, 32, 64), "keras")
    ((288, 576), (288, 576))
    """
    shape = check_shape(shape)
    if convention == "paddle":
        convention = "keras" if len(shape) == 2 else "torch"
    if convention == "mlx":
        receptive = math.prod(shape[1:-1])
        return shape[-1] * receptive, shape[0] * receptive
    if convention == "torch":
        receptive = math.prod(shape[2:])
        return shape[1] * receptive, shape[0] * receptive
    if convention == "keras":
        receptive = math.prod(shape[:-2])
        return shape[-2] * receptive, shape[-1] * receptive
    if convention != "jax":
        raise ValueError(f"unknown convention {convention!r}; valid: {', '.join(CONVENTIONS)}")
    ndim = len(shape)
    ins = _axes(in_axis, ndim, "in_axis")
    outs = _axes(out_axis, ndim, "out_axis")
    batch = _axes(batch_axis, ndim, "batch_axis")
    if set(ins) & set(outs) or (set(ins) | set(outs)) & set(batch):
        raise ValueError(f"in_axis {ins}, out_axis {outs} and batch_axis {batch} must not overlap")
    receptive = math.prod(d for i, d in enumerate(shape) if i not in {*ins, *outs, *batch})
    return (math.prod(shape[i] for i in ins) * receptive,
            math.prod(shape[i] for i in outs) * receptive)
