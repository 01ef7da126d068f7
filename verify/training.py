"""A small tanh MLP trained by full-batch gradient descent, in numpy.

Logistic loss ℓ = mean(log(1 + e^{−y·f(x)})), y ∈ {−1, +1}; hidden layers
h_l = tanh(h_{l−1}·W_lᵀ + b_l), output f = h_L·vᵀ + c. Used for the symmetry
and convergence experiments.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from verify.sampling import Initializer, child_seeds


def spirals(n: int, seed: int = 0, noise: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals in the plane, n points each: (x of shape (2n, 2), y = ±1)."""
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.uniform(0.05, 1.0, n)) * 3 * np.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (3 * np.pi)
    x = np.concatenate([arm, -arm]) + rng.normal(0, noise / (3 * np.pi), (2 * n, 2))
    return x, np.concatenate([np.ones(n), -np.ones(n)])


def init_params(init: Initializer, sizes: Sequence[int], seed: int) -> list[np.ndarray]:
    """[W_1, b_1, …, W_L, b_L]: weights from `init((out, in), seed)`, biases zero."""
    params = []
    for (n_in, n_out), s in zip(pairwise(sizes), child_seeds(seed, len(sizes) - 1),
                                strict=True):
        params += [np.asarray(init((n_out, n_in), s), dtype=np.float64), np.zeros(n_out)]
    return params


def forward(params: list[np.ndarray], x: np.ndarray) -> list[np.ndarray]:
    """The activations [x, h_1, …, h_{L−1}, f]: tanh on hidden layers, linear output."""
    hs = [x]
    for i in range(0, len(params), 2):
        z = hs[-1] @ params[i].T + params[i + 1]
        hs.append(z if i == len(params) - 2 else np.tanh(z))
    return hs


def loss_and_grads(params: list[np.ndarray], x: np.ndarray,
                   y: np.ndarray) -> tuple[float, list[np.ndarray]]:
    """ℓ and ∂ℓ/∂params by back-propagation."""
    hs = forward(params, x)
    margin = y * hs[-1][:, 0]
    loss = float(np.mean(np.logaddexp(0.0, -margin)))
    delta = (-y / (1 + np.exp(np.clip(margin, -500, 500))) / len(y))[:, None]
    grads: list[np.ndarray] = [np.empty(0)] * len(params)
    for i in range(len(params) - 2, -1, -2):
        grads[i], grads[i + 1] = delta.T @ hs[i // 2], delta.sum(axis=0)
        if i:
            delta = (delta @ params[i]) * (1 - hs[i // 2] ** 2)
    return loss, grads


def train(params: list[np.ndarray], x: np.ndarray, y: np.ndarray, steps: int,
          lr: float) -> tuple[list[np.ndarray], np.ndarray]:
    """Plain gradient descent; returns the final parameters and the loss before each step."""
    params = [p.copy() for p in params]
    losses = np.empty(steps + 1)
    for t in range(steps + 1):
        losses[t], grads = loss_and_grads(params, x, y)
        if t < steps:
            for p, g in zip(params, grads, strict=True):
                p -= lr * g
    return params, losses
