"""Coordinate check (Yang et al. 2022): how far a layer's pre-activations move in a few Adam steps.

An MLP x → h₁ = W₁x → h₂ = W₂·tanh(h₁) → f = v·tanh(h₂) (no biases; d inputs, width n, scalar
output) is trained by full-batch Adam on a fixed regression set, loss ½·mean((f − y)²). After
`steps` steps the change of each layer is RMS(h_t − h₀) over the batch and the units. Its
log-log slope against n, averaged over seeds (standard error from their spread), estimates
derive's exponent: under SP 0, 1 and 3/2 for h₁, h₂ and f; under muP 0 for all three.
Each layer's init variance and Adam rate are derive's expressions in n, d and η.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp
from scipy import stats

from derive import width_scaling

NAMES = ("sp", "mup")
MEASURED = ("h1", "h2", "f")  # the pre-activations the input, hidden and output layers make
INPUT_DIM = 8
BATCH = 16
BETAS = (0.9, 0.999)
LAYERS = ("input", "hidden", "output")
EPSILON = 1e-16  # derive's epsilon -> 0; only guards against a zero gradient entry


@dataclass(frozen=True)
class Parametrization:
    """Per layer (input, hidden, output): init variance (n, d) ↦ σ², Adam rate (n, d, η) ↦ c."""

    name: str
    variance: tuple[Callable[[float, float], float], ...]
    lr: tuple[Callable[[float, float, float], float], ...]


@cache
def parametrization(name: str) -> Parametrization:
    """SP or muP, each layer's variance and rate lambdified from derive's results."""
    if name not in NAMES:
        raise ValueError(f"parametrization {name!r} is unknown: choose one of {NAMES}")
    results = width_scaling().results
    symbol = {s.name: s for e in results.values() for s in e.free_symbols}
    n, d, eta = symbol["n"], symbol["d"], symbol["eta"]
    return Parametrization(
        name=name,
        variance=tuple(sp.lambdify((n, d), results[f"{name}_{k}_variance"]) for k in LAYERS),
        lr=tuple(sp.lambdify((n, d, eta), results[f"{name}_{k}_lr"]) for k in LAYERS),
    )


def exponents(name: str) -> np.ndarray:
    """derive's exponents of n for the changes of h₁, h₂ and f under `name`."""
    if name not in NAMES:
        raise ValueError(f"parametrization {name!r} is unknown: choose one of {NAMES}")
    results = width_scaling().results
    return np.array([float(results[f"{name}_{k}_exponent"]) for k in LAYERS])


def dataset(seed: int = 0, size: int = BATCH,
            dim: int = INPUT_DIM) -> tuple[np.ndarray, np.ndarray]:
    """x ~ N(0, I_d) of shape (size, dim) and targets y = sin(x·u), u ~ N(0, I/d)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((size, dim))
    return x, np.sin(x @ rng.standard_normal(dim) / np.sqrt(dim))


def init_weights(p: Parametrization, width: int, dim: int,
                 rng: np.random.Generator) -> list[np.ndarray]:
    """[W₁ (n, d), W₂ (n, n), v (1, n)], each N(0, σ²) with p's variance."""
    shapes = [(width, dim), (width, width), (1, width)]
    return [rng.standard_normal(s) * np.sqrt(var(width, dim))
            for s, var in zip(shapes, p.variance, strict=True)]


def forward(weights: Sequence[np.ndarray], x: np.ndarray) -> list[np.ndarray]:
    """[h₁, a₁, h₂, a₂, f] with a = tanh(h)."""
    w1, w2, v = weights
    h1 = x @ w1.T
    a1 = np.tanh(h1)
    h2 = a1 @ w2.T
    a2 = np.tanh(h2)
    return [h1, a1, h2, a2, a2 @ v.T]


def gradients(weights: Sequence[np.ndarray], x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """∂ℓ/∂[W₁, W₂, v] for ℓ = ½·mean((f − y)²), by back-propagation."""
    _, a1, _, a2, f = forward(weights, x)
    delta_f = (f - y[:, None]) / len(y)
    delta2 = (delta_f @ weights[2]) * (1 - a2**2)
    delta1 = (delta2 @ weights[1]) * (1 - a1**2)
    return [delta1.T @ x, delta2.T @ a1, delta_f.T @ a2]


def adam(weights: Sequence[np.ndarray], x: np.ndarray, y: np.ndarray, rates: Sequence[float],
         steps: int, betas: tuple[float, float] = BETAS,
         epsilon: float = EPSILON) -> list[np.ndarray]:
    """`steps` full-batch Adam steps, rate c_l for layer l: W ← W − c·m̂/(√v̂ + ε)."""
    (b1, b2), ws = betas, [w.copy() for w in weights]
    m = [np.zeros_like(w) for w in ws]
    v = [np.zeros_like(w) for w in ws]
    for t in range(1, steps + 1):
        for w, g, m_, v_, c in zip(ws, gradients(ws, x, y), m, v, rates, strict=True):
            m_ *= b1
            m_ += (1 - b1) * g
            v_ *= b2
            v_ += (1 - b2) * g**2
            w -= c * (m_ / (1 - b1**t)) / (np.sqrt(v_ / (1 - b2**t)) + epsilon)
    return ws


def layer_changes(p: Parametrization, width: int, x: np.ndarray, y: np.ndarray, steps: int,
            lr: float, rng: np.random.Generator) -> np.ndarray:
    """RMS(h_t − h₀) over batch and units for h₁, h₂ and f, after `steps` Adam steps."""
    dim = x.shape[1]
    w0 = init_weights(p, width, dim, rng)
    wt = adam(w0, x, y, [c(width, dim, lr) for c in p.lr], steps)
    before, after = forward(w0, x), forward(wt, x)
    return np.array([np.sqrt(np.mean((after[k] - before[k]) ** 2)) for k in (0, 2, 4)])


@dataclass(frozen=True)
class CoordCheck:
    """Changes (seed, width, layer) and, per layer h₁, h₂, f, the mean over seeds of each seed's
    least-squares slope of log change on log width, with its standard error sd/√seeds."""

    parametrization: str
    widths: tuple[int, ...]
    changes: np.ndarray
    slope: np.ndarray
    slope_se: np.ndarray

    def tolerance(self, alpha: float = 1e-6) -> np.ndarray:
        """The half-width t_{1−α/2, seeds−1}·se of the two-sided interval of level 1 − α."""
        seeds = self.changes.shape[0]
        return stats.t.ppf(1 - alpha / 2, seeds - 1) * self.slope_se

    def consistent(self, exponent: Sequence[float] | np.ndarray,
                   alpha: float = 1e-6) -> np.ndarray:
        """Per layer: |slope − exponent| within the tolerance at family-wise level α
        (Bonferroni over the layers)."""
        exponent = np.asarray(exponent, dtype=float)
        return np.abs(self.slope - exponent) <= self.tolerance(alpha / len(self.slope))

    def from_width(self, smallest: int) -> CoordCheck:
        """The same runs, fitted on the widths of at least `smallest` only."""
        keep = [k for k, w in enumerate(self.widths) if w >= smallest]
        if len(keep) < 2:
            raise ValueError(f"smallest width {smallest} leaves fewer than two of {self.widths}")
        widths = tuple(self.widths[k] for k in keep)
        slope, se = slopes(widths, self.changes[:, keep])
        return CoordCheck(self.parametrization, widths, self.changes[:, keep], slope, se)


def slopes(widths: Sequence[int], changes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per layer, mean and standard error over seeds of the log-log slope of change on width."""
    logw = np.log(np.asarray(widths, dtype=float))
    centred = logw - logw.mean()
    per_seed = np.einsum("w,swl->sl", centred, np.log(changes)) / (centred @ centred)
    return per_seed.mean(axis=0), per_seed.std(axis=0, ddof=1) / np.sqrt(len(per_seed))


def coord_check(p: Parametrization | str, widths: Sequence[int], *, steps: int, seeds: int,
                lr: float, seed: int = 0, data_seed: int = 0, batch: int = BATCH) -> CoordCheck:
    """Train each width from `seeds` independent inits (spawned from `seed`) on one data set and
    fit the slopes of the changes of h₁, h₂ and f against width."""
    p = parametrization(p) if isinstance(p, str) else p
    widths = tuple(int(w) for w in widths)
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"widths {widths} must be at least two positive integers")
    if steps < 1 or seeds < 2 or not lr > 0:
        raise ValueError(f"steps={steps}, seeds={seeds}, lr={lr}: need steps >= 1, "
                         "seeds >= 2 and lr > 0")
    x, y = dataset(data_seed, batch)
    streams = np.random.SeedSequence(seed).spawn(seeds * len(widths))
    measured = np.array([[layer_changes(p, w, x, y, steps, lr,
                                  np.random.default_rng(streams[s * len(widths) + k]))
                          for k, w in enumerate(widths)] for s in range(seeds)])
    slope, se = slopes(widths, measured)
    return CoordCheck(parametrization=p.name, widths=widths, changes=measured, slope=slope,
                      slope_se=se)
