"""Gains that keep the forward signal or the backward gradient at unit second moment."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from verify.propagation.quadrature import activation, expect


@dataclass(frozen=True)
class Gain:
    """Gains that keep E[a²] (forward) or E[δ²] (backward) at 1 per layer with Var(W) = g²/n."""

    activation: str
    forward: float
    backward: float
    forward_exact: object | None
    backward_exact: object | None


def gain(activation_name: str, slope: float = 0.01) -> Gain:
    """forward = 1/√E[φ(z)²], backward = 1/√E[φ'(z)²], z ~ N(0, 1); derive's exact value
    where sympy integrates, quadrature otherwise.

    >>> gain("relu").forward
    1.4142135623730951
    """
    from derive import exact_gain

    phi = activation(activation_name, slope)
    numeric = expect([lambda x: phi(x) ** 2, lambda x: phi.grad(x) ** 2], 1.0)
    out = []
    for which, value in zip(("forward", "backward"), numeric, strict=True):
        exact = exact_gain(activation_name, which, slope)
        out.append((float(exact) if exact is not None else 1 / np.sqrt(value), exact))
    (fwd, fwd_exact), (bwd, bwd_exact) = out
    return Gain(activation_name, fwd, bwd, fwd_exact, bwd_exact)
