"""The contract a framework adapter meets: the `Entry`s it lists, and the `Adapter` itself.

An adapter is a module (or any object) registered under the `initproof.adapters`
entry-point group. Its entries sample the framework's initializers and say what
each claims; `crosscheck` does the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import sympy as sp

from derive import Scheme, fixed_normal, fixed_uniform, variance_scaling

Sampler = Callable[[tuple[int, ...], str, int], np.ndarray]
"""sample(shape, dtype, seed): a float64 (or complex128) numpy array in the framework's layout."""


@dataclass(frozen=True)
class Entry:
    """One initializer: how to sample it, what it claims, which checks apply.

    kind: 'moments' (checked by `verify.check` against `claim`, complex dtypes against
    its circular complex law), 'orthogonal' (WᵀW = gain²·I on the
    2-D view, gain = `value`), 'constant' (every value equals `value`),
    'structure' (`structure(array)` returns a failure message or '').
    role: 'weight', 'bias' or 'embedding'. A bias entry's `shapes` are its layer's weight
    shapes: `sample(weight_shape, dtype, seed)` returns the bias, checked with the
    weight's fans. draws: the law really drawn where it is known to differ from the claim
    (`translate` writes that law in other frameworks).
    """

    name: str
    sample: Sampler
    shapes: tuple[tuple[int, ...], ...]
    claim: Scheme | None = None
    kind: str = "moments"
    value: float = 0.0
    structure: Callable[[np.ndarray], str] | None = None
    note: str = ""
    dtypes: tuple[str, ...] = ("float32",)
    axes: dict[str, object] = field(default_factory=dict)
    role: str = "weight"
    draws: Scheme | None = None


@dataclass(frozen=True)
class Spelling:
    """A call in a framework's own API, the derive scheme it draws from, and what a reader
    must know (a fan it computes its own way, say)."""

    call: str
    claim: Scheme
    note: str = ""


@dataclass(frozen=True)
class FixedLaw:
    """A fixed-variance law's numbers as calls take them: its `mean` and `variance`, the `sd`
    of the normal and the half-width `half` of the uniform with that variance (from derive),
    and for a truncated normal `sigma` (before the cut), the cut's half-width `bound` and
    `k` = bound/sigma; `normal` and `uniform` are the laws of that mean and variance."""

    mean: float
    variance: float
    sd: float
    half: float
    sigma: float | None = None
    bound: float | None = None
    k: float | None = None

    @property
    def low(self) -> float:
        return self.mean - self.half

    @property
    def high(self) -> float:
        return self.mean + self.half

    @property
    def normal(self) -> Scheme:
        """N(mean, sd²)."""
        return fixed_normal(self.sd, self.mean)

    @property
    def uniform(self) -> Scheme:
        """U(low, high)."""
        return fixed_uniform(self.low, self.high)


def fixed_law(target: Scheme) -> FixedLaw:
    """The numbers of a fixed-variance, non-constant `target` (its values at any fans)."""
    variance = target.variance_at(1, 1)
    truncated = target.distribution == "truncated_normal"
    return FixedLaw(float(target.mean), variance,
                    variance_scaling(variance, None, "normal").sigma_at(1, 1),  # type: ignore
                    variance_scaling(variance, None, "uniform").bound_at(1, 1),  # type: ignore
                    target.sigma_at(1, 1) if truncated else None,
                    target.bound_at(1, 1) if truncated else None,
                    float(target.truncation) if truncated else None)  # type: ignore[arg-type]


def literal(value: object) -> str:
    """A number as Python source: short decimals as written (0.02), else exact where short
    (1/3, math.sqrt(5)), else 6 significant digits."""
    number = float(value)  # type: ignore[arg-type]
    if number.is_integer():
        return str(int(number))
    if len(repr(number)) <= 7:
        return repr(number)
    text = sp.pycode(sp.nsimplify(value, rational=False))
    return text if len(text) <= 16 and "." not in text.replace("math.", "") \
        else f"{number:.6g}"


class Adapter(Protocol):
    """A framework's initializers as samplers.

    CONVENTION: the weight layout, one of `verify.CONVENTIONS`; `version()`: the packages
    and versions checked; `disturb()`: move every global random state the framework has;
    `entries()`: every initializer and layer default, each with its claim.
    """

    CONVENTION: str

    def version(self) -> str: ...

    def disturb(self) -> None: ...

    def entries(self) -> list[Entry]: ...


class Speller(Protocol):
    """An adapter that can also write calls (optional; `initproof translate` uses it).

    `spell(target, role)`: the calls of this framework's API that come nearest to the
    derive scheme `target` for a parameter of that role ('weight', 'bias', 'embedding'),
    each with the scheme it really draws; `translate` picks the one whose law equals the
    target, else the nearest.
    """

    def spell(self, target: Scheme, role: str) -> list[Spelling]: ...
