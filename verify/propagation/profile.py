"""The per-layer record a Monte Carlo run measures and the theory predicts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np


@dataclass(frozen=True)
class Tolerance:
    """Per-layer half-widths a measurement must meet: `var` and `grad_var` in log space,
    `mean` absolute."""

    var: np.ndarray
    mean: np.ndarray
    grad_var: np.ndarray


@dataclass(frozen=True)
class Profile:
    """Per-layer statistics of activations a_l and gradients δ_l, l = 1..depth.

    A measured profile (from `propagate`) carries a few activation values per layer
    for histograms; a predicted one (from `predict`) carries the pre-activation
    variance q_l and the Monte Carlo tolerances a measurement must meet.
    """

    kind: str
    activation: str
    widths: tuple[int, ...]
    mean: np.ndarray
    std: np.ndarray
    var: np.ndarray
    grad_var: np.ndarray | None
    pre_var: np.ndarray | None = None
    tolerance: Tolerance | None = None
    values: list[np.ndarray] = field(default_factory=list, repr=False)

    @property
    def depth(self) -> int:
        return len(self.widths) - 1

    def to_dict(self) -> dict[str, object]:
        def listed(a: np.ndarray | None) -> list[float] | None:
            return None if a is None else [float(v) for v in a]

        out = {"kind": self.kind, "activation": self.activation, "widths": list(self.widths),
               "mean": listed(self.mean), "std": listed(self.std), "var": listed(self.var),
               "grad_var": listed(self.grad_var)}
        if self.pre_var is not None:
            out["pre_var"] = listed(self.pre_var)
        if self.tolerance is not None:
            out["tolerance"] = {k: listed(v) for k, v in asdict(self.tolerance).items()}
        return out


def layer_widths(width: int | Sequence[int], depth: int) -> tuple[int, ...]:
    """(n_0, …, n_L): one width for all, or depth + 1 widths, input first."""
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be a positive integer, got {depth!r}")
    widths = (width,) * (depth + 1) if isinstance(width, int) else tuple(width)
    if len(widths) != depth + 1:
        raise ValueError(f"give one width or depth + 1 = {depth + 1} widths (input first), "
                         f"got {len(widths)}")
    if any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in widths):
        raise ValueError(f"widths must be positive integers, got {widths}")
    return widths
