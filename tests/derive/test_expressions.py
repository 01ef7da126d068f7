"""Schemes from text, as rule files write them."""

from __future__ import annotations

import math

import pytest

import derive
from derive import parse_scheme


def test_calls_read_their_numbers_with_the_constants() -> None:
    gpt = parse_scheme("normal(std=0.02/sqrt(2*n_layer))", {"n_layer": 12})
    assert gpt.variance_at(1, 1) == pytest.approx((0.02 / math.sqrt(24)) ** 2, rel=1e-12)
    torch_default = parse_scheme("trunc_normal(std=1)")  # PyTorch's bounds: a=-2, b=2
    assert torch_default.truncation == 2 and not torch_default.corrected
    assert parse_scheme("uniform(0, 1)").mean == derive.fixed_uniform(0, 1).mean
    assert parse_scheme('variance_scaling(2, "fan_in", "uniform")').bound == \
        derive.SCHEMES["he_uniform"].bound
    assert parse_scheme("ones").mean == 1 and parse_scheme("constant(0.25)").variance == 0
    assert parse_scheme("he_normal") is derive.SCHEMES["he_normal"]


@pytest.mark.parametrize(("text", "message"), [
    ("normal(std=d)", "unknown name d"),
    ("laplace(1)", "unknown scheme"),
    ("normal(1, 2, 3)", "bad arguments"),
    ("normal(std=", "cannot parse"),
    ("uniform(1, 1)", "low < high"),
    ("he_norml", "unknown scheme"),
])
def test_bad_text_is_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_scheme(text)


def test_numpy_floats_are_read_as_floats() -> None:
    """np.float64 is a float whose repr is not a number (a bug the experiments met)."""
    np = pytest.importorskip("numpy")
    scheme = derive.variance_scaling(np.float64(2.5), "fan_in", "normal")
    assert scheme.variance == derive.variance_scaling(2.5, "fan_in", "normal").variance
