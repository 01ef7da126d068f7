"""numpy samplers for every scheme of `derive.SCHEMES`, parameters lambdified from derive.

normal: N(0, σ²); truncated_normal: σ·z with z ~ N(0, 1) kept where |z| ≤ bound/σ
(rejection); uniform: U(−b, b).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from derive import Scheme
from verify.layout import fans


def draw(scheme: Scheme, size: int, fan_in: float, fan_out: float,
         rng: np.random.Generator) -> np.ndarray:
    """`size` float64 samples of the scheme at these fans."""
    if scheme.distribution == "uniform":
        b = scheme.bound_at(fan_in, fan_out)
        return rng.uniform(-b, b, size) if b > 0 else np.zeros(size)
    sigma = scheme.sigma_at(fan_in, fan_out)
    if scheme.distribution == "normal":
        return rng.normal(0.0, sigma, size)
    cut = scheme.bound_at(fan_in, fan_out) / sigma
    out = np.empty(size)
    filled = 0
    while filled < size:
        z = rng.standard_normal(int((size - filled) * 1.06) + 16)
        z = z[np.abs(z) <= cut][: size - filled]
        out[filled : filled + z.size] = z
        filled += z.size
    return out * sigma


def sample(scheme: Scheme, shape: Sequence[int], *, rng: np.random.Generator | int | None = None,
           convention: str = "torch", dtype: np.dtype | type = np.float64,
           **axes: object) -> np.ndarray:
    """An array of this shape drawn from the scheme, fans read in `convention`'s layout."""
    fan_in, fan_out = fans(shape, convention, **axes)  # type: ignore[arg-type]
    rng = np.random.default_rng(rng)
    size = int(np.prod(shape))
    return draw(scheme, size, fan_in, fan_out, rng).astype(dtype, copy=False).reshape(tuple(shape))
