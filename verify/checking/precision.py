"""What a floating dtype can represent: its spacing, and the law of values rounded to it.

Low-precision initializers legitimately repeat values: a float16 or bfloat16 array of
a million values has few distinct ones. The checks compare what they count against a
law on a grid: the claimed law rounded to the dtype (bin probabilities), or, for
counting equal values, quantized on a uniform grid of 2^p levels over the support
(p the dtype's mantissa bits), so that no sampler that spends the dtype's bits on its
uniform repeats values more often than that model says.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from scipy import stats

MANTISSA_BITS = {"float16": 10, "bfloat16": 7, "float32": 23, "float64": 52}


def dtype_name(dtype: object) -> str:
    """'float16', 'bfloat16', 'float32' or 'float64'; ValueError for anything else."""
    name = str(np.dtype(dtype)) if not isinstance(dtype, str) else dtype
    if name not in MANTISSA_BITS:
        raise ValueError(f"unsupported dtype {name!r}; real floating dtypes: "
                         f"{', '.join(MANTISSA_BITS)}")
    return name


def spacing(dtype: str, value: float) -> float:
    """The spacing of `dtype` at |value|: 2^(⌊log₂|value|⌋ − mantissa bits)."""
    value = abs(value)
    return 2.0 ** (math.floor(math.log2(value)) - MANTISSA_BITS[dtype]) if value > 0 else 0.0


@cache
def _grid(dtype: str) -> np.ndarray:
    """Every finite value of a 16-bit dtype, sorted, each once."""
    bits = np.arange(1 << 16, dtype=np.uint32)
    values = (bits << 16).view(np.float32) if dtype == "bfloat16" else \
        bits.astype(np.uint16).view(np.float16)
    return np.unique(values[np.isfinite(values)].astype(np.float64))


def rounded_edges(dtype: str, edges: np.ndarray) -> np.ndarray:
    """Bin edges for values rounded to `dtype`: bin [a, b) holds the rounded values in it,
    which come from the unrounded ones in [m(a), m(b)), m(a) the midpoint below the least
    representable value ≥ a. For float32 and float64 the shift is below 1e-7 of a bin:
    the edges are returned as they are."""
    if dtype not in ("float16", "bfloat16"):
        return edges
    grid = _grid(dtype)
    i = np.clip(np.searchsorted(grid, edges, side="left"), 1, grid.size - 1)
    return (grid[i - 1] + grid[i]) / 2


def level_masses(dtype: str, dist: stats.rv_continuous,
                 centre: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Every level of a 16-bit dtype less `centre`, and the law's mass on it: P(x rounds to
    the level) for x − centre ~ dist, the mass between the midpoints about the level."""
    grid = _grid(dtype)
    mids = np.concatenate([[-np.inf], (grid[1:] + grid[:-1]) / 2, [np.inf]])
    cdf = dist.cdf(mids - centre)
    return grid - centre, np.diff(cdf)


def tie_moments(dist: stats.rv_continuous, dtype: str, top: float) -> tuple[float, float]:
    """(q₂, q₃) = (Σ p_x², Σ p_x³) for the law quantized on a uniform grid of 2^p levels
    over [−top, top], p the dtype's mantissa bits: step h = 2·top·2⁻ᵖ, p_x ≈ f(x)·h, so
    q₂ ≈ h·∫f², q₃ ≈ h²·∫f³. Two values are equal with probability q₂. A sampler that spends
    the dtype's mantissa bits on its uniform is at least this fine: JAX's float32 uniform
    takes 23 random bits, 2²³ levels over its interval; PyTorch's takes 24."""
    h = 2 * top * 2.0 ** -MANTISSA_BITS[dtype]
    lo, hi = dist.support()
    lo, hi = max(lo, -top), min(hi, top)
    x = np.linspace(lo, hi, 20_001)
    f = dist.pdf(x)
    dx = x[1] - x[0]
    return float(h * np.sum(f**2) * dx), float(h**2 * np.sum(f**3) * dx)


def round_to(dtype: str, values: np.ndarray) -> np.ndarray:
    """`values` rounded to `dtype` (to nearest, ties to even); bfloat16 comes back as float32
    holding bfloat16 values, for numpy has no bfloat16 of its own."""
    if dtype != "bfloat16":
        return np.asarray(values).astype(dtype_name(dtype))
    bits = np.asarray(values, dtype=np.float32).view(np.uint32)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return rounded.astype(np.uint32).view(np.float32)
