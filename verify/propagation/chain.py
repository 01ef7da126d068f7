"""One input's pre-activation variance through the layers: its law, computed rather than bounded.

Given a_{l−1} of one input, layer l's n_l pre-activations are i.i.d. N(0, q_l) (weights and
biases drawn afresh), q_l = σ_l²·‖a_{l−1}‖² + σ_b², so q_{l+1} = σ_{l+1}²·n_l·M_l + σ_b² with
M_l the mean of n_l i.i.d. φ(√q_l·z)²: a Markov chain in q, started from
q_1 = σ_1²·n_0·(χ²_{n_0}/n_0) + σ_b². M_l's law is taken as the gamma of its mean E[φ²](q_l)
and variance (E[φ⁴] − E[φ²]²)/n_l, exact for a linear net (n·M/q is χ²_n). The chain runs
on a grid in log q whose spacing h is a quarter of the smallest one-layer spread
√((κ − 1)/n), κ = E[φ⁴]/E[φ²]²; each step's log-spread is kept at or above h, so that the
grid only widens the law. Mass beyond the grid stays in its end cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from verify.propagation.meanfield import GaussianMoments
from verify.propagation.quadrature import Activation, expect

MAX_POINTS = 3000  # grid points in log q; a coarser grid only widens the law
TAIL = 1e-15  # a step's law is cut at these gamma quantiles; the rest joins the end cells
COARSE = 0.05  # spacing in log q of the exact moments, interpolated (cubic) in between
FLOOR = 1e-30  # grid points with less probability are dropped: far below any tail used


@dataclass(frozen=True)
class Law:
    """log q on a grid; E[φ], E[φ²], E[φ⁴] and E[φ'²] there; `prob[l − 1]` the law of q_l."""

    log_q: np.ndarray
    m1: np.ndarray
    m2: np.ndarray
    m4: np.ndarray
    d2: np.ndarray
    prob: np.ndarray

    def interval(self, layer: int, tail: float) -> slice:
        """The grid points between q_layer's `tail` and 1 − `tail` quantiles (inclusive)."""
        cdf = np.cumsum(self.prob[layer - 1])
        lo = int(np.searchsorted(cdf, tail))
        hi = int(np.searchsorted(cdf, cdf[-1] - tail))
        return slice(lo, min(hi, len(cdf) - 1) + 1)


def _moments(phi: Activation, log_q: np.ndarray) -> tuple[np.ndarray, ...]:
    """E[φ], E[φ²], E[φ⁴], E[φ'²] at e^{log_q}: exact on a grid of spacing COARSE, cubic in
    between (E[φ] linearly, the others in log)."""
    from scipy.interpolate import CubicSpline

    coarse = np.linspace(log_q[0], log_q[-1], max(int(np.ceil((log_q[-1] - log_q[0]) / COARSE)),
                                                  3) + 1)
    fns = [phi, lambda x: phi(x) ** 2, lambda x: phi(x) ** 4, lambda x: phi.grad(x) ** 2]
    values = np.array([expect(fns, float(np.exp(x))) for x in coarse])
    out = [CubicSpline(coarse, values[:, 0])(log_q)]
    for j in (1, 2, 3):
        column = values[:, j]
        if np.all(column > 0):
            out.append(np.exp(CubicSpline(coarse, np.log(column))(log_q)))
        else:
            out.append(np.maximum(CubicSpline(coarse, column)(log_q), 0.0))
    return tuple(out)


def law(phi: Activation, sigma2: np.ndarray, widths: Sequence[int], bias: float,
        log_lo: float, log_hi: float, step: float) -> Law | None:
    """The law of q_1 … q_L of one unit-Gaussian input on a grid over [log_lo, log_hi] of
    spacing step/4 (at most MAX_POINTS points), `step` the smallest one-layer log-spread;
    None where the grid cannot be laid, a layer passes no signal or E[φ²] vanishes."""
    depth = len(widths) - 1
    gains = sigma2 * np.array(widths[:-1], dtype=float)
    if not (np.isfinite(log_lo) and np.isfinite(log_hi) and log_hi > log_lo
            and np.all(gains > 0)):
        return None
    n_points = int(np.clip(np.ceil((log_hi - log_lo) / max(step / 4, 1e-12)), 64, MAX_POINTS))
    log_q = np.linspace(log_lo, log_hi, n_points)
    h = log_q[1] - log_q[0]
    m1, m2, m4, d2 = _moments(phi, log_q)
    if not np.all(m2 > 0):
        return None
    edges = np.concatenate([log_q - h / 2, [log_q[-1] + h / 2]])

    def spread(shape: np.ndarray, scale: np.ndarray, gain: float,
               prob: np.ndarray) -> np.ndarray:
        """prob over the grid of log(gain·M + σ_b²), M ~ Γ(shape, scale) from each point."""
        live = np.flatnonzero(prob > FLOOR)
        if live.size == 0:
            return np.zeros(n_points)
        k, th = shape[live], scale[live]
        lo_m, hi_m = stats.gamma.ppf(TAIL, k, scale=th), stats.gamma.isf(TAIL, k, scale=th)
        with np.errstate(divide="ignore"):
            first = np.searchsorted(edges, np.log(gain * lo_m + bias**2)) - 1
            last = np.searchsorted(edges, np.log(gain * hi_m + bias**2))
        first, last = np.clip(first, 0, n_points - 1), np.clip(last, 0, n_points - 1)
        width = int(np.max(last - first)) + 1
        cols = np.minimum(first[:, None] + np.arange(width + 1)[None, :], n_points)
        cut = (np.exp(np.concatenate([edges, [np.inf]])[cols]) - bias**2) / gain
        cdf = special.gammainc(k[:, None], np.maximum(cut, 0) / th[:, None])
        cdf[:, 0] = np.where(first == 0, 0.0, cdf[:, 0])  # below the grid: the first cell
        mass = np.diff(cdf, axis=1)
        mass[:, -1] += 1 - cdf[:, -1]  # above the window: its last cell (the grid's end)
        target = np.minimum(cols[:, :-1], n_points - 1)
        return np.bincount(target.ravel(), (prob[live, None] * mass).ravel(), n_points)

    prob = np.empty((depth, n_points))
    # q_1 = gain_1·χ²_{n_0}/n_0 + σ_b²: one start, a gamma of shape n_0/2 and mean 1
    start = np.zeros(n_points)
    start[0] = 1.0
    shape = np.full(n_points, min(widths[0] / 2, 1 / h**2))
    prob[0] = spread(shape, 1 / shape, float(gains[0]), start)
    with np.errstate(divide="ignore"):  # each step's log-spread at least h
        shape = np.minimum(m2**2 / np.maximum(m4 - m2**2, 0.0), np.inf)
    for l in range(1, depth):
        step_shape = np.minimum(widths[l] * shape, 1 / h**2)
        prob[l] = spread(step_shape, m2 / step_shape, float(gains[l]), prob[l - 1])
    return Law(log_q, m1, m2, m4, d2, prob)


@dataclass(frozen=True)
class Ranges:
    """How far the predictions move while q_l ranges over its law's quantiles: log Var(a)
    (the larger of the moves down and up, the latter with the inputs' spread of E[a]), the
    largest Var(a) there, E[a] (absolute) and log E[φ'²]."""

    var: float
    var_max: float
    mean: float
    grad: float


def ranges(one: Law, layer: int, centre: GaussianMoments, tail: float) -> Ranges:
    """The moves of Var(a) = E[φ²] − E[φ]², E[a] and E[φ'²] from their values in `centre`
    over q_layer's `tail` to 1 − `tail` quantiles. A batch's Var(a) is the mean of its inputs'
    plus the variance of their means, at most (max E[φ] − min E[φ])²/4."""
    span = one.interval(layer, tail)
    m1, m2, d2 = one.m1[span], one.m2[span], one.d2[span]
    var = np.maximum(m2 - m1**2, 0.0)
    top = var.max() + (m1.max() - m1.min()) ** 2 / 4

    def log_move(values: np.ndarray, at: float) -> float:
        if at <= 0 or values.min() <= 0:
            return 0.0 if at == 0 and np.all(values == 0) else np.inf
        return float(np.max(np.abs(np.log(values / at))))

    return Ranges(var=max(log_move(np.array([var.min(), top]), centre.var), 0.0),
                  var_max=float(top), mean=float(np.max(np.abs(m1 - centre.m1))),
                  grad=log_move(d2, centre.d2))
