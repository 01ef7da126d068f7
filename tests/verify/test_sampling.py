"""The built-in samplers: shape, dtype, bound; scheme names accepted as schemes are."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import derive
from verify import fans, sample
from verify.testing.strategies import kernel_shapes, schemes


@settings(max_examples=30, deadline=None)
@given(schemes(), kernel_shapes("torch", max_side=6),
       hs.sampled_from([np.float32, np.float64]))
def test_sample_shape_and_dtype(scheme: derive.Scheme, shape: tuple[int, ...], dtype) -> None:
    w = sample(scheme, shape, rng=0, dtype=dtype)
    assert w.shape == shape and w.dtype == dtype
    bound = scheme.bound_at(*fans(shape))
    if bound is not None:
        assert np.abs(w).max() <= bound + np.spacing(dtype(bound))


def test_sample_takes_a_scheme_name() -> None:
    by_name = sample("he_uniform", (8, 4), rng=3)
    assert np.array_equal(by_name, sample(derive.SCHEMES["he_uniform"], (8, 4), rng=3))
    with pytest.raises(ValueError, match="unknown scheme 'he_unifrm'"):
        sample("he_unifrm", (8, 4))
