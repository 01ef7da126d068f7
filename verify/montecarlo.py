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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from derive.nonlinear import ACTIVATIONS as ACTIVATION_NAMES
from verify.gaussian import activation
from verify.stats import child_seeds

Init = Callable[[tuple[int, ...], int], np.ndarray]
Progress = Callable[[int, int], None]
HISTOGRAM_VALUES = 4096


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
    tolerance: dict[str, np.ndarray] | None = None
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
            out["tolerance"] = {k: listed(v) for k, v in self.tolerance.items()}
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


def weight_sampler(init: object) -> Init:
    """`init(shape, seed)` for a scheme name, a `derive.Scheme`, or such a callable."""
    from derive import SCHEMES, Scheme
    from verify.sampling import sample

    if isinstance(init, str):
        if init not in SCHEMES:
            raise ValueError(f"unknown scheme {init!r}; choose from: {', '.join(SCHEMES)}")
        init = SCHEMES[init]
    if isinstance(init, Scheme):
        return lambda shape, seed, s=init: sample(s, shape, rng=seed)
    if callable(init):
        return init  # type: ignore[return-value]
    raise TypeError(f"init must be a scheme name, a Scheme or a callable, got {init!r}")


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
    """
    if activation_name not in ACTIVATION_NAMES:
        raise ValueError(f"unknown activation {activation_name!r}; "
                         f"choose from: {', '.join(ACTIVATION_NAMES)}")
    if batch < 2:
        raise ValueError(f"batch must be at least 2, got {batch!r}")
    widths = layer_widths(width, depth)
    phi = activation(activation_name, slope)
    sampler = weight_sampler(init)
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
