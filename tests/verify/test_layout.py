"""Fans in each framework's layout."""

from __future__ import annotations

import math

import pytest
from hypothesis import given

from verify import fans
from verify.testing.strategies import kernel_shapes


@given(kernel_shapes("torch"))
def test_torch_and_keras_layouts_agree(shape: tuple[int, ...]) -> None:
    keras_shape = (*shape[2:], shape[1], shape[0])
    assert fans(shape, "torch") == fans(keras_shape, "keras") == fans(keras_shape, "jax")


@given(kernel_shapes("keras"))
def test_fans_share_the_receptive_field(shape: tuple[int, ...]) -> None:
    fan_in, fan_out = fans(shape, "keras")
    assert fan_in * shape[-1] == fan_out * shape[-2]
    assert fan_in * fan_out == math.prod(shape) * math.prod(shape[:-2])


def test_jax_axes() -> None:
    assert fans((3, 5, 7), "jax", in_axis=0, out_axis=1) == (21, 35)
    assert fans((4, 3, 5, 7), "jax", batch_axis=0) == (15, 21)
    assert fans((2, 3, 5, 7), "jax", in_axis=(0, 1), out_axis=-1) == (30, 35)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (((5,),), {}, "at least 2 dimensions"),
        (((5, 0),), {}, "dimension 1 .* positive integer"),
        (((5, -2),), {}, "dimension 1"),
        (((5, 3), "tf"), {}, "valid: torch, keras, jax"),
        (((5, 3), "jax"), {"in_axis": 2}, "in_axis=2 is out of range"),
        (((5, 3), "jax"), {"in_axis": 1, "out_axis": 1}, "must not overlap"),
    ],
)
def test_fans_reject_bad_shapes(args: tuple, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fans(*args, **kwargs)
