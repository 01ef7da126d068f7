"""Monte Carlo through a deep MLP: per-layer activation and gradient statistics.

Layer l = 1..L: z_l = a_{l−1}·W_lᵀ (+ b_l), a_l = φ(z_l), a_0 = x ~ N(0, I).
Backward from a unit-Gaussian output gradient g: δ_L = g ⊙ φ'(z_L),
δ_{l−1} = (δ_l·W_l) ⊙ φ'(z_{l−1}); `grad_var[l]` is Var(δ_l) = Var(∂ℓ/∂z_l).

Memory: 8 bytes × (Σ_l n_l·n_{l−1} + batch·Σ_l n_l) for the weights and the
stored φ'(z_l) when backward=True, plus four working arrays of at most
max(batch, n)·n values, 4096 values per layer kept for histograms and under
0.1 MiB of small objects; with
backward=False only one layer is held at a time.

With `residual` (see `verify.propagation.residual`) the depth counts blocks
x_l = x_{l−1} + α·F_l(x_{l−1}) (or F_l(LN(x_{l−1})) with pre-normalization), each branch
F_l being `branch_depth` square layers with φ between them and the last one linear; the
statistics are the stream's x_l, forward only (grad_var is None).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from derive import ACTIVATIONS as ACTIVATION_NAMES
from verify.propagation.profile import Profile, layer_widths
from verify.propagation.quadrature import Activation, activation
from verify.propagation.residual import Residual, layer_norm
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
              slope: float = 0.01, progress: Progress | None = None,
              residual: Residual | None = None) -> Profile:
    """Run `batch` unit-Gaussian inputs through the net; weights W_l of shape (n_l, n_{l−1}).

    `bias` is the standard deviation σ_b of b_l ~ N(0, σ_b²) (0: no bias). With `residual`
    the net is a stack of `depth` residual blocks (see the module's docstring).

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
    if residual is not None:
        return _residual(sampler, phi, residual, widths, batch, seed, bias, progress)
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


def _residual(sampler: Callable, phi: Activation, residual: Residual, widths: tuple[int, ...],
              batch: int, seed: int, bias: float, progress: Progress | None) -> Profile:
    """The stream of `len(widths) − 1` residual blocks; every layer is n × n."""
    if not isinstance(residual, Residual):
        raise TypeError(f"residual must be a Residual, got {residual!r}")
    if len(set(widths)) != 1:
        raise ValueError(f"a residual stream keeps one width, got {widths}")
    n, depth, m = widths[0], len(widths) - 1, residual.branch_depth
    input_seed, _, bias_seed, *layer_seeds = child_seeds(seed, depth * m + 3)
    bias_rng = np.random.default_rng(bias_seed)
    x = np.random.default_rng(input_seed).standard_normal((batch, n))
    stats, values = np.empty((depth, 3)), []
    for l in range(depth):
        h = layer_norm(x) if residual.prenorm else x
        for j in range(m):
            w = np.asarray(sampler((n, n), layer_seeds[l * m + j]), dtype=np.float64)
            if w.shape != (n, n):
                raise ValueError(f"init returned shape {w.shape} for ({n}, {n})")
            h = h @ w.T
            if bias:
                h += bias_rng.normal(0.0, bias, n)
            h = phi(h) if j < m - 1 else h
        x = x + residual.multiplier * h
        mean, var = _mean_var(x)
        stats[l] = mean, np.sqrt(var), var
        values.append(x.ravel()[:HISTOGRAM_VALUES].copy())
        if progress is not None:
            progress(l + 1, depth)
    return Profile("measured", phi.name, widths, stats[:, 0], stats[:, 1], stats[:, 2], None,
                   values=values)
