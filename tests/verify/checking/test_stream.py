"""The streamed sums are those of the whole array, however it is cut into chunks."""

from __future__ import annotations

import numpy as np
import pytest

from verify.checking.stream import Stream


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 1000])
def test_chunking_does_not_change_the_sums(chunk: int) -> None:
    x = np.random.default_rng(0).normal(size=1000)
    x[500] = 9.0  # beyond the histogram's range: the upper overflow bin
    edges = np.linspace(-5, 5, 101)
    s = Stream(edges, stride=10)
    for i in range(0, x.size, chunk):
        s.add(x[i : i + chunk])
    assert s.n == 1000 and s.pairs == [999, 998]
    assert s.lagged == pytest.approx([x[:-1] @ x[1:], x[:-2] @ x[2:]], rel=1e-12)
    assert s.squares == pytest.approx(x @ x, rel=1e-12)
    assert s.fourth == pytest.approx(np.sum(x**4), rel=1e-12)
    assert (s.max_abs, s.max_index) == (9.0, 500)
    assert np.array_equal(s.counts[1:-1], np.histogram(x, edges)[0]) and s.counts[-1] == 1
    assert np.array_equal(s.sample(), x[::10])


def test_non_finite_values_are_counted_and_left_out() -> None:
    s = Stream(np.linspace(-1, 1, 5), stride=1)
    s.add(np.array([0.5, np.nan, np.inf, -0.25]))
    assert (s.n, s.nonfinite, s.total) == (2, 2, 0.25)
