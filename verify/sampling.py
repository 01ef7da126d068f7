"""numpy samplers for derive's schemes, and the contract an initializer under test meets.

normal: N(0, σ²); truncated_normal: σ·z with z ~ N(0, 1) kept where |z| ≤ bound/σ
(rejection); uniform: U(−b, b). σ and b are lambdified from derive.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from derive import SCHEMES, Scheme
from verify.layout import fans


class Initializer(Protocol):
    """An initializer under test: an array of `shape` drawn reproducibly from `seed`."""

    def __call__(self, shape: tuple[int, ...], seed: int, /) -> np.ndarray: ...


def child_seeds(seed: int, count: int) -> list[int]:
    """`count` independent integer seeds spawned from `seed` by numpy.random.SeedSequence.

    They are 32-bit, as `numpy.random.seed` and Keras require, so among thousands two may
    be equal (among 5,000, about once in 340 lists): compare arrays by seed, not by call.
    They are the first word of each child's state, which repeats for some pairs of parents
    (3892444561 and 1275092364 give the same two children): spawn from one parent only, and
    hand a seed to `numpy.random.default_rng` whole rather than spawning from it again.
    """
    return [int(c.generate_state(1)[0]) for c in np.random.SeedSequence(seed).spawn(count)]


def resolve(scheme: Scheme | str) -> Scheme:
    """A `derive.Scheme`, given itself or its name in `derive.SCHEMES`."""
    if isinstance(scheme, Scheme):
        return scheme
    if not isinstance(scheme, str) or scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; valid: {', '.join(SCHEMES)}")
    return SCHEMES[scheme]


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


def sample(scheme: Scheme | str, shape: Sequence[int], *,
           rng: np.random.Generator | int | None = None, convention: str = "torch",
           dtype: np.dtype | type = np.float64, **axes: object) -> np.ndarray:
    """An array of this shape drawn from the scheme, fans read in `convention`'s layout.

    >>> sample("he_uniform", (3, 2), rng=0).shape
    (3, 2)
    """
    scheme = resolve(scheme)
    fan_in, fan_out = fans(shape, convention, **axes)  # type: ignore[arg-type]
    rng = np.random.default_rng(rng)
    size = int(np.prod(shape))
    return draw(scheme, size, fan_in, fan_out, rng).astype(dtype, copy=False).reshape(tuple(shape))


def initializer(init: Initializer | Scheme | str) -> Initializer:
    """`init(shape, seed)` for a scheme name, a `derive.Scheme`, or such a callable."""
    if isinstance(init, str | Scheme):
        scheme = resolve(init)
        return lambda shape, seed: sample(scheme, shape, rng=seed)
    if callable(init):
        return init
    raise TypeError(f"init must be a scheme name, a Scheme or a callable, got {init!r}")
