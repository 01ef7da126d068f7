"""Monte Carlo through a deep MLP: per-layer activation and gradient statistics.

Layer l = 1..L: z_l = a_{l−1}·W_lᵀ (+ b_l), a_l = φ(z_l), a_0 = x ~ N(0, I).
Backward from a unit-Gaussian output gradient g: δ_L = g ⊙ φ'(z_L),
δ_{l−1} = (δ_l·W_l) ⊙ φ'(z_{l−1}); `grad_var[l]` is Var(δ_l) = Var(∂ℓ/∂z_l).

Memory: 8 bytes × (Σ_l n_l·n_{l−1} + batch·Σ_l n_l) for the weights and the
stored φ'(z_l) when backward=True, plus four working arrays of at most
max(batch, n)·n values, 4096 values per layer kept for histograms and under
0.1 MiB of small objects; with
backward=False only one layer is held at a time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from derive import ACTIVATIONS as ACTIVATION_NAMES
from verify.propagation.profile import Profile, layer_widths
from verify.propagation.quadrature import activation
from verify.sampling import child_seeds, initializer

Progress = Callable[[int, int], None]
HISTOGRAM_VALUES = 4096


def _mean_var(a: np.ndarray) -> tuple[float, float]:
    """(mean, E[a²] − mean²) in two BLAS-speed passes; clipped at 0."""
    flat = a.ravel()
    mean = float(flat.sum()) / flat.size
    return mean, max(float(flat @ flat) / flat.size - mean**2, 0.0)


def propagate(init: object, activation_name: str, *, depth: int, width: int | Sequence[int],
              batch: int, seed: int = 0, backward: bool = True, bias: float = 0.0,
              slope: float = 0.01, progress: Progress | None = None) -> Profile:
    """Run `batch` unit-Gaussian inputs through the net; weights W_l of shape (n_l, n_{l−1}).

    `bias` is the standard deviation σ_b of b_l ~ N(0, σ_b²) (0: no bias).

    >>> p = propagate("he_normal", "relu", depth=3, width=256, batch=64, seed=0)
    >>> [round(float(v), 1) for v in p.var]
    [0.6, 0.6, 0.6]
    """
    if activation_name not in ACTIVATION_NAMES:
        raise ValueError(f"unknown activation {activation_name!r}; "
                         f"choose from: {', '.join(ACTIVATION_NAMES)}")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 2:
        raise ValueError(f"batch must be an integer of at least 2, got {batch!r}")
    if not (math.isfinite(bias) and bias >= 0):
        raise ValueError(f"bias is a standard deviation: finite and >= 0, got {bias!r}")
    if not math.isfinite(slope):
        raise ValueError(f"slope must be finite, got {slope!r}")
    widths = layer_widths(width, depth)
    phi = activation(activation_name, slope)
    sampler = initializer(init)
    input_seed, grad_seed, bias_seed, *layer_seeds = child_seeds(seed, depth + 3)
    bias_rng = np.random.default_rng(bias_seed)

    a = np.random.default_rng(input_seed).standard_normal((batch, widths[0]))
    stats = np.empty((depth, 3))
    weights, slopes, values = [], [], []
    for l in range(1, depth + 1):
        w = np.asarray(sampler((widths[l], widths[l - 1]), layer_seeds[l - 1]), dtype=np.float64)
        if w.shape != (widths[l], widths[l - 1]):
            raise ValueError(f"init returned shape {w.shape} for ({widths[l]}, {widths[l - 1]})")
        z = a @ w.T
        if bias:
            z += bias_rng.normal(0.0, bias, widths[l])
        a = phi(z)
        mean, var = _mean_var(a)
        stats[l - 1] = mean, np.sqrt(var), var
        values.append(a.ravel()[:HISTOGRAM_VALUES].copy())
        if backward:
            weights.append(w)
            slopes.append(phi.grad(z))
        if progress is not None:
            progress(l, 2 * depth if backward else depth)

    grad_var = None
    if backward:
        grad_var = np.empty(depth)
        delta = np.random.default_rng(grad_seed).standard_normal((batch, widths[-1])) * slopes[-1]
        for l in range(depth, 0, -1):
            grad_var[l - 1] = _mean_var(delta)[1]
            if l > 1:
                delta = (delta @ weights[l - 1]) * slopes[l - 2]
            weights[l - 1] = slopes[l - 1] = None  # free as we go
            if progress is not None:
                progress(2 * depth - l + 1, 2 * depth)
    return Profile("measured", activation_name, widths, stats[:, 0], stats[:, 1], stats[:, 2],
                   grad_var, values=values)
