"""numpy samplers for derive's schemes, and the contract an initializer under test meets.

normal: N(0, σ²); truncated_normal: σ·z with z ~ N(0, 1) kept where |z| ≤ bound/σ
(rejection); uniform: U(−b, b); each moved by the scheme's mean. σ and b are lambdified
from derive. orthogonal: gain times a Haar matrix, by a sign-corrected QR.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import cache
from typing import Protocol

import numpy as np
import sympy as sp

from derive import SCHEMES, Scheme, complex_variance, modulus_law
from derive import fan_in as fan_in_symbol
from derive import fan_out as fan_out_symbol
from verify.layout import fans, out_first


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


def _whole_matrix(scheme: Scheme) -> None:
    if scheme.distribution == "orthogonal":
        raise ValueError(f"{scheme.name} draws a whole matrix, not independent values: "
                         "use sample(scheme, shape)")


def draw(scheme: Scheme, size: int, fan_in: float, fan_out: float,
         rng: np.random.Generator) -> np.ndarray:
    """`size` float64 samples of the scheme at these fans (not for orthogonal schemes)."""
    _whole_matrix(scheme)
    centred = _centred(scheme, size, fan_in, fan_out, rng)
    return centred + float(scheme.mean) if scheme.mean else centred


def _centred(scheme: Scheme, size: int, fan_in: float, fan_out: float,
             rng: np.random.Generator) -> np.ndarray:
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


@cache
def _complex_power(scheme: Scheme) -> Callable[[float, float], float]:
    return sp.lambdify((fan_in_symbol, fan_out_symbol), complex_variance(scheme), "math")


def complex_power(scheme: Scheme, fan_in: float, fan_out: float) -> float:
    """E|w|² of the scheme drawn complex at these fans (derive's `complex_variance`)."""
    return float(_complex_power(scheme)(fan_in, fan_out))


def draw_complex(scheme: Scheme, size: int, fan_in: float, fan_out: float,
                 rng: np.random.Generator) -> np.ndarray:
    """`size` complex128 samples, circular: w = √(E|w|²·u)·e^{iθ}, θ uniform, u the modulus
    law of derivation (9) (an Exp(1) cut at K drawn as −log(1 − U·(1 − e^{−K})))."""
    _whole_matrix(scheme)
    power = complex_power(scheme, fan_in, fan_out)
    law = modulus_law(scheme)
    scale = float(law.scale)
    if not law.exponential:
        u = rng.uniform(0.0, scale, size)
    elif law.cut is None:
        u = scale * rng.standard_exponential(size)
    else:
        u = -scale * np.log1p(-rng.uniform(0.0, 1.0, size) * -math.expm1(-float(law.cut)))
    phase = rng.uniform(0.0, 2 * math.pi, size)
    return np.sqrt(power * u) * np.exp(1j * phase) + float(scheme.mean)


def orthogonal_matrix(gain: float, shape: Sequence[int], rng: np.random.Generator,
                      convention: str = "torch", complex_: bool = False) -> np.ndarray:
    """gain·Q, Q Haar on the matrices with orthonormal rows or columns, in `shape`: the 2-D
    view is (out, in·k) where the layout puts the output first (PyTorch's `orthogonal_`),
    (k·in, out) else. Q is the QR factor of a Gaussian (long side × short side) matrix times
    diag(sign(diag R)) (the phases diag R/|diag R| for complex), which makes it Haar
    (Mezzadri 2007); transposed when the view is wide."""
    shape = tuple(shape)
    rows, cols = (shape[0], math.prod(shape[1:])) if out_first(convention, len(shape)) \
        else (math.prod(shape[:-1]), shape[-1])
    tall = (max(rows, cols), min(rows, cols))
    a = rng.standard_normal(tall)
    if complex_:
        a = (a + 1j * rng.standard_normal(tall)) / math.sqrt(2)
    q, r = np.linalg.qr(a)
    d = np.diag(r)
    q = q * (d / np.abs(d) if complex_ else np.sign(d))
    return gain * (q if rows >= cols else q.T).reshape(shape)


def sample(scheme: Scheme | str, shape: Sequence[int], *,
           rng: np.random.Generator | int | None = None, convention: str = "torch",
           dtype: np.dtype | type = np.float64, **axes: object) -> np.ndarray:
    """An array of this shape drawn from the scheme, fans read in `convention`'s layout;
    a complex `dtype` draws the scheme's circular complex law (`draw_complex`), an orthogonal
    scheme a whole Haar matrix (`orthogonal_matrix`; unitary for a complex dtype).

    >>> sample("he_uniform", (3, 2), rng=0).shape
    (3, 2)
    """
    scheme = resolve(scheme)
    fan_in, fan_out = fans(shape, convention, **axes)  # type: ignore[arg-type]
    rng = np.random.default_rng(rng)
    if scheme.distribution == "orthogonal":
        gain = math.sqrt(float(scheme.scale))
        complex_ = np.dtype(dtype).kind == "c"
        return orthogonal_matrix(gain, shape, rng, convention, complex_).astype(dtype, copy=False)
    size = int(np.prod(shape))
    sampler = draw_complex if np.dtype(dtype).kind == "c" else draw
    return sampler(scheme, size, fan_in, fan_out, rng).astype(dtype, copy=False) \
        .reshape(tuple(shape))


def initializer(init: Initializer | Scheme | str) -> Initializer:
    """`init(shape, seed)` for a scheme name, a `derive.Scheme`, or such a callable."""
    if isinstance(init, str | Scheme):
        scheme = resolve(init)
        return lambda shape, seed: sample(scheme, shape, rng=seed)
    if callable(init):
        return init
    raise TypeError(f"init must be a scheme name, a Scheme or a callable, got {init!r}")
