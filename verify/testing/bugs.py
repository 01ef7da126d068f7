"""Bugs real initializers ship, as initializers to plant in tests: each keeps what a naive
check looks at (the variance, usually the marginal law) and breaks something else.

`BUGS[name]` is a `Bug`: the scheme it claims, the shape to try, the initializer
`init(shape, seed)` and the check of `verify.check` that must name it. The module needs
only `derive.SCHEMES`, `verify.layout.fans` and `verify.sampling.sample`, so that
`benchmarks/power.py` can plant the same bugs in an older battery.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from derive import SCHEMES
from verify.layout import fans
from verify.sampling import sample as _sample

Initializer = Callable[[tuple[int, ...], int], np.ndarray]


def sample(name: str, shape: tuple[int, ...], rng: int) -> np.ndarray:
    return _sample(SCHEMES[name], shape, rng=rng)


@dataclass(frozen=True)
class Bug:
    """A planted bug: `init` claims `scheme` at `shape`; `seen_by` must fail on it."""

    scheme: str
    shape: tuple[int, ...]
    init: Initializer
    seen_by: str
    what: str


def _sd(scheme: str, shape: tuple[int, ...]) -> float:
    return math.sqrt(SCHEMES[scheme].variance_at(*fans(shape)))


def ar1(rho: float = 0.05) -> Initializer:
    """An AR(1) filter along memory order: each value N(0, σ²), neighbours correlated ρ."""
    def init(shape: tuple[int, ...], seed: int) -> np.ndarray:
        x = sample("he_normal", shape, rng=seed).reshape(-1)
        y = np.empty_like(x)
        y[0] = x[0]
        for i in range(1, x.size):
            y[i] = rho * y[i - 1] + math.sqrt(1 - rho * rho) * x[i]
        return y.reshape(shape)
    return init


def centred_rows(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Every row sums to zero; the variance is restored."""
    w = sample("he_normal", shape, rng=seed)
    return (w - w.mean(axis=1, keepdims=True)) * math.sqrt(shape[1] / (shape[1] - 1))


def spiked(share: float = 0.1) -> Initializer:
    """A rank-one component carrying `share` of the variance."""
    def init(shape: tuple[int, ...], seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        u, v = rng.standard_normal(shape[0]), rng.standard_normal(shape[1])
        w = sample("glorot_normal", shape, rng=seed)
        return math.sqrt(1 - share) * w + math.sqrt(share) * _sd("glorot_normal", shape) * \
            np.outer(u, v)
    return init


def permuted_columns(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Every column a permutation of the first."""
    rng = np.random.default_rng(seed)
    column = rng.uniform(-1, 1, shape[0]) * math.sqrt(3) * _sd("lecun_uniform", shape)
    return np.stack([rng.permutation(column) for _ in range(shape[1])], axis=1)


def doubled(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Every value appears twice, shuffled."""
    half = sample("he_uniform", shape, rng=seed).reshape(-1)[::2]
    return np.random.default_rng(seed).permutation(np.repeat(half, 2)).reshape(shape)


def seed_pool(pool: int = 8) -> Initializer:
    """The seed reduced modulo a small number: different seeds, equal arrays."""
    return lambda shape, seed: sample("he_normal", shape, rng=seed % pool)


def tiled(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """The top half's block repeated below it."""
    block = sample("glorot_uniform", shape, rng=seed)[: shape[0] // 2]
    return np.tile(block, (2, 1))


def student(dof: int = 50) -> Initializer:
    """Student t at the right variance: a heavier tail than the normal claimed."""
    def init(shape: tuple[int, ...], seed: int) -> np.ndarray:
        t = np.random.default_rng(seed).standard_t(dof, shape)
        return t * _sd("he_normal", shape) / math.sqrt(dof / (dof - 2))
    return init


def cut_at_three(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """A normal cut at ±3σ, rescaled to the variance, claimed untruncated."""
    from scipy import stats

    z = stats.truncnorm.rvs(-3, 3, size=shape, random_state=seed)
    return z * _sd("lecun_normal", shape) / stats.truncnorm(-3, 3).std()


def outlier(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """One value at −100σ, as `trunc_normal_(std=0.02)` with bounds ±2 can emit."""
    w = sample("glorot_normal", shape, rng=seed)
    w.reshape(-1)[np.random.default_rng(seed).integers(w.size)] = -100 * _sd("glorot_normal",
                                                                             shape)
    return w


def gapped(start: float = 0.3, width: float = 0.02) -> Initializer:
    """A uniform with no values in [start·b, (start + width)·b)."""
    def init(shape: tuple[int, ...], seed: int) -> np.ndarray:
        b = math.sqrt(3) * _sd("glorot_uniform", shape)
        u = np.random.default_rng(seed).uniform(-1, 1 - width, shape)
        return b * np.where(u >= start, u + width, u)
    return init


def coarse(levels: int = 256) -> Initializer:
    """A uniform on `levels` equally spaced values."""
    def init(shape: tuple[int, ...], seed: int) -> np.ndarray:
        b = math.sqrt(3) * _sd("he_uniform", shape)
        k = np.random.default_rng(seed).integers(0, levels, shape)
        return b * ((2 * k + 1) / levels - 1)
    return init


def late_other_law(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Rows past the first 200,000 values follow a uniform of the same variance."""
    first, second = np.random.SeedSequence(seed).spawn(2)
    w = _sample(SCHEMES["he_normal"], shape, rng=np.random.default_rng(first))
    row = -(-200_000 // math.prod(shape[1:]))
    b = math.sqrt(3) * _sd("he_normal", shape)
    w[row:] = np.random.default_rng(second).uniform(-b, b, w[row:].shape)
    return w


def scaled(name: str, variance_factor: float) -> Initializer:
    """The scheme's sampler with its variance multiplied by `variance_factor`."""
    return lambda shape, seed: math.sqrt(variance_factor) * sample(name, shape, rng=seed)


def other_scheme(name: str) -> Initializer:
    """Another scheme's sampler: a wrong family, a missing cut or a wrong fan."""
    return lambda shape, seed: sample(name, shape, rng=seed)


SHAPE = (96, 64)
BUGS: dict[str, Bug] = {
    "variance 2% too large (normal)": Bug("he_normal", SHAPE, scaled("he_normal", 1.02),
                                          "variance", "scale"),
    "variance 2% too large (uniform)": Bug("glorot_uniform", SHAPE,
                                           scaled("glorot_uniform", 1.02), "variance", "scale"),
    "fan_out where fan_in was meant": Bug("he_normal", SHAPE, lambda shape, seed: sample(
        "he_normal", shape[::-1], rng=seed).T, "variance", "scale"),
    "normal where uniform was meant": Bug("glorot_uniform", SHAPE, other_scheme("glorot_normal"),
                                          "histogram", "family"),
    "truncation missing": Bug("he_truncated_normal", SHAPE, scaled("he_normal", 1.0),
                              "within_bound", "family"),
    "serial correlation (AR(1), rho 0.05)": Bug("he_normal", SHAPE, ar1(), "serial_correlation",
                                                "dependence"),
    "rows summing to zero": Bug("he_normal", SHAPE, centred_rows, "row_sums", "dependence"),
    "rank-one part, 10% of the variance": Bug("glorot_normal", (256, 256), spiked(),
                                              "top_singular_value", "dependence"),
    "columns permuted copies of one": Bug("lecun_uniform", SHAPE, permuted_columns, "ties",
                                          "dependence"),
    "every value twice": Bug("he_uniform", SHAPE, doubled, "ties", "repeats"),
    "seeds from a pool of 8": Bug("he_normal", SHAPE, seed_pool(), "distinct_arrays", "repeats"),
    "tiled blocks": Bug("glorot_uniform", SHAPE, tiled, "ties", "repeats"),
    "another law past 200,000 values": Bug("he_normal", (1024, 512), late_other_law,
                                           "histogram", "shape"),
    "Student t, 50 dof, right variance": Bug("he_normal", SHAPE, student(), "fourth_moment",
                                             "tails"),
    "normal cut at 3 sigma": Bug("lecun_normal", SHAPE, cut_at_three, "tail", "tails"),
    "one value at -100 sigma": Bug("glorot_normal", (1000, 1000), outlier, "tail", "tails"),
    "uniform with a 1% gap": Bug("glorot_uniform", SHAPE, gapped(), "histogram", "local"),
    "uniform on 256 levels": Bug("he_uniform", SHAPE, coarse(), "ties", "local"),
}
