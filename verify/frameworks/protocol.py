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

from derive import Scheme

Sampler = Callable[[tuple[int, ...], str, int], np.ndarray]
"""sample(shape, dtype, seed): a float64 (or complex128) numpy array in the framework's layout."""


@dataclass(frozen=True)
class Entry:
    """One initializer: how to sample it, what it claims, which checks apply.

    kind: 'moments' (checked by `verify.check` against `claim`, complex dtypes against
    its circular complex law), 'orthogonal' (WᵀW = gain²·I on the
    2-D view, gain = `value`), 'constant' (every value equals `value`),
    'structure' (`structure(array)` returns a failure message or '').
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
