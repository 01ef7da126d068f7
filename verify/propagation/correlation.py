"""Monte Carlo of the mean field: pairs of inputs through deep random nets of finite width.

A net of width N: h_l = W_l·φ(h_{l−1}) + b_l with W_l ~ N(0, σ_w²/N) of shape (N, N) and
b_l ~ N(0, σ_b²), fresh at every layer and shared by the inputs. Each pair starts as
pre-activations h_0 of length exactly q0 (|h|²/N) and correlation exactly c0. Per layer:
q_l = |h|²/N, c_l = ⟨hᵃ, hᵇ⟩/(|hᵃ||hᵇ|) and the gap 1 − c_l = |ĥᵃ − ĥᵇ|²/2 (unit vectors),
which keeps its precision as c_l → 1.

`measure_depth_scale` is a pure function of (activation, σ_w², σ_b², width, depth, seed)
and the starting point: it runs `replicates` nets (children of `seed` by SeedSequence),
averages the distance D_l to the fixed point over pairs and nets, and fits log D_l
against l over the first layers where D_l is at least `SIGNAL` standard errors (the
spread over nets) above zero: slope −1/ξ_c. Its standard error is the jackknife's over
nets. `gradient_growth` measures the backward growth of the gradients' variance per
layer, χ₁ in mean field. `tolerance_factor` turns a spread over nets into a tolerance:
Student's t at a family-wise alpha. Finite width shifts every measurement by O(1/N);
at width 256 that shift is far inside these tolerances: over 40 seeds at each of four
tanh points, (measured − expected)/standard error had mean within ±0.4 and spread 0.8 to
1.1, where the tolerance allows 7.9 (16 nets, alpha = 1e-6).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from derive import ACTIVATIONS
from verify.propagation.quadrature import activation as numeric_activation

SIGNAL = 20.0
"""A layer enters the fit while its distance D_l is this many standard errors above 0 (a
lower cut lets the layers that fluctuated up linger in the window, and the jackknife
then understates the spread: at 10 it did by a third in the chaotic phase)."""

Seed = int | np.random.SeedSequence


def tolerance_factor(replicates: int, comparisons: int, alpha: float = 1e-6) -> float:
    """How many standard errors (over `replicates` independent nets) a tolerance spans:
    Student's t with replicates − 1 degrees of freedom at 1 − alpha/(2·comparisons), so
    that all `comparisons` hold together with probability 1 − alpha."""
    from scipy import stats

    return float(stats.t.ppf(1 - alpha / (2 * comparisons), replicates - 1))


def children(seed: Seed, count: int) -> list[np.random.SeedSequence]:
    """`count` children of `seed`, the same on every call (no spawn counter is advanced)."""
    parent = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return [np.random.SeedSequence(parent.entropy, spawn_key=(*parent.spawn_key, i),
                                   pool_size=parent.pool_size) for i in range(count)]


def _check(name: str, weight_variance: float, bias_variance: float, width: int,
           depth: int) -> None:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose from: {', '.join(ACTIVATIONS)}")
    if not (math.isfinite(weight_variance) and weight_variance > 0):
        raise ValueError(f"weight_variance must be finite and > 0, got {weight_variance!r}")
    if not (math.isfinite(bias_variance) and bias_variance >= 0):
        raise ValueError(f"bias_variance must be finite and >= 0, got {bias_variance!r}")
    for label, value, least in (("width", width, 2), ("depth", depth, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"{label} must be an integer of at least {least}, got {value!r}")


@dataclass(frozen=True)
class CorrelationRun:
    """One net: per layer l = 0..depth (rows) and pair (columns), q (mean over the pair's
    two inputs), c and the gap 1 − c."""

    activation: str
    weight_variance: float
    bias_variance: float
    width: int
    q: np.ndarray
    c: np.ndarray
    gap: np.ndarray


def _pair_start(rng: np.random.Generator, width: int, q0: float, c0: float) -> np.ndarray:
    """Two pre-activation vectors of length exactly q0 and correlation exactly c0."""
    v = rng.standard_normal((width, 2))
    e1 = v[:, 0] / np.linalg.norm(v[:, 0])
    e2 = v[:, 1] - (v[:, 1] @ e1) * e1
    e2 /= np.linalg.norm(e2)
    scale = math.sqrt(width * q0)
    return scale * np.stack([e1, c0 * e1 + math.sqrt((1 - c0) * (1 + c0)) * e2], axis=1)


def _measure(h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pair (columns 2k, 2k + 1): q (mean of the two), c and the gap 1 − c."""
    norms = np.linalg.norm(h, axis=0)
    unit = h / norms
    a, b = unit[:, 0::2], unit[:, 1::2]
    q = (norms[0::2] ** 2 + norms[1::2] ** 2) / (2 * h.shape[0])
    gap = np.sum((a - b) ** 2, axis=0) / 2
    c = np.clip(np.sum(a * b, axis=0), -1.0, 1.0)
    return q, c, gap


def _net(activation: str, weight_variance: float, bias_variance: float, width: int,
         depth: int, seed: Seed, q0: float, starts: Sequence[float]) -> CorrelationRun:
    """One net; pair k starts at length q0 and correlation starts[k]."""
    if not (math.isfinite(q0) and q0 > 0):
        raise ValueError(f"q0 must be finite and > 0, got {q0!r}")
    phi = numeric_activation(activation)
    rng = np.random.default_rng(seed)
    h = np.concatenate([_pair_start(rng, width, q0, c0) for c0 in starts], axis=1)
    q, c, gap = (np.empty((depth + 1, len(starts))) for _ in range(3))
    q[0], c[0], gap[0] = _measure(h)
    sd_w, sd_b = math.sqrt(weight_variance / width), math.sqrt(bias_variance)
    for layer in range(1, depth + 1):
        w = rng.standard_normal((width, width)) * sd_w
        h = w @ phi(h)
        if sd_b:
            h += rng.standard_normal((width, 1)) * sd_b
        q[layer], c[layer], gap[layer] = _measure(h)
    return CorrelationRun(activation, float(weight_variance), float(bias_variance), width,
                          q, c, gap)


def propagate_pairs(activation: str, weight_variance: float, bias_variance: float, width: int,
                    depth: int, seed: Seed, *, q0: float, c0: float,
                    pairs: int = 1) -> CorrelationRun:
    """`pairs` independent pairs (q0, c0) through one random net of width N and `depth`."""
    _check(activation, weight_variance, bias_variance, width, depth)
    if not -1 <= c0 <= 1:
        raise ValueError(f"c0 is a correlation in [-1, 1], got {c0!r}")
    if isinstance(pairs, bool) or not isinstance(pairs, int) or pairs < 1:
        raise ValueError(f"pairs must be a positive integer, got {pairs!r}")
    return _net(activation, weight_variance, bias_variance, width, depth, seed, q0,
                [c0] * pairs)


@dataclass(frozen=True)
class DepthScaleMeasurement:
    """ξ_c measured from the distance D_l to the fixed point, averaged over nets: the
    weighted fit of log D_l over `layers` (first, last), its slope and jackknife standard
    error over the nets, ξ = −1/slope with its standard error, and per layer the mean
    distance, the mean length q_l and their standard errors. `xi` is nan when fewer than
    three layers stand out of the noise."""

    activation: str
    weight_variance: float
    bias_variance: float
    width: int
    depth: int
    replicates: int
    centre: float
    offset: float
    layers: tuple[int, int]
    slope: float
    slope_se: float
    xi: float
    xi_se: float
    distance: np.ndarray
    distance_se: np.ndarray
    q: np.ndarray
    q_se: np.ndarray
    c: np.ndarray
    c_se: np.ndarray


def _slope(distance: np.ndarray, se: np.ndarray, first: int, last: int) -> float:
    """The slope of log D_l on l over first..last, each layer weighted by (D_l/se_l)²."""
    layers = np.arange(first, last + 1)
    weight = distance[first:last + 1] / se[first:last + 1]
    return float(np.polyfit(layers, np.log(distance[first:last + 1]), 1, w=weight)[0])


def _window(distance: np.ndarray, se: np.ndarray) -> tuple[int, int]:
    """Layers 1..last, each with D_l at least SIGNAL standard errors above zero."""
    last = 0
    for layer in range(1, len(distance)):
        if not distance[layer] >= SIGNAL * se[layer] or distance[layer] <= 0:
            break
        last = layer
    return 1, last


def measure_depth_scale(activation: str, weight_variance: float, bias_variance: float,
                        width: int, depth: int, seed: Seed, *, q0: float, centre: float,
                        offset: float, replicates: int = 16,
                        pairs: int = 32) -> DepthScaleMeasurement:
    """ξ_c from `replicates` nets of `pairs` pairs each, all of length q0 (choose q*).

    Ordered (centre = 1): the pairs start at c = 1 − offset and D_l = 1 − c_l. Otherwise
    half start at centre + offset and half at centre − offset, and D_l is half the
    difference of their correlations: the map's even terms cancel, so D_l = χ_c^l·offset
    up to O(offset³) about the fixed point c* = centre, and no estimate of c* enters.
    Pure: the same arguments give the same result."""
    _check(activation, weight_variance, bias_variance, width, depth)
    if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 3:
        raise ValueError(f"replicates must be an integer of at least 3, got {replicates!r}")
    if isinstance(pairs, bool) or not isinstance(pairs, int) or pairs < 2 or pairs % 2:
        raise ValueError(f"pairs must be an even integer of at least 2, got {pairs!r}")
    ordered = centre == 1
    if not (-1 <= centre <= 1 and 0 < offset and (centre + offset <= 1 or ordered)
            and centre - offset >= -1):
        raise ValueError(f"centre +- offset must be correlations in [-1, 1], got centre "
                         f"{centre!r} and offset {offset!r}")
    starts = [1 - offset] * pairs if ordered else [centre + offset, centre - offset] * (
        pairs // 2)
    distance, qs, cs = [], [], []
    for child in children(seed, replicates):
        run = _net(activation, weight_variance, bias_variance, width, depth, child, q0,
                   starts)
        up = run.c[:, 0::2].mean(axis=1) - run.c[:, 1::2].mean(axis=1)
        distance.append(run.gap.mean(axis=1) if ordered else up / 2)
        qs.append(run.q.mean(axis=1))
        cs.append(run.c.mean(axis=1))
    d, q, c = np.stack(distance), np.stack(qs), np.stack(cs)
    root = math.sqrt(replicates)
    mean, se = d.mean(axis=0), d.std(axis=0, ddof=1) / root
    first, last = _window(mean, se)
    slope = slope_se = xi = xi_se = math.nan
    if last - first >= 2:
        slope = _slope(mean, se, first, last)
        leave_out = []
        for r in range(replicates):  # the window, too, chosen afresh without net r
            rest = np.delete(d, r, axis=0)
            rest_mean = rest.mean(axis=0)
            rest_se = rest.std(axis=0, ddof=1) / math.sqrt(replicates - 1)
            lo, hi = _window(rest_mean, rest_se)
            hi = max(hi, lo + 2)
            leave_out.append(_slope(rest_mean, rest_se, lo, hi))
        jack = np.array(leave_out)
        slope_se = float(math.sqrt((replicates - 1) / replicates
                                   * np.sum((jack - jack.mean()) ** 2)))
        xi = -1 / slope if slope < 0 else math.inf
        xi_se = slope_se / slope**2
    return DepthScaleMeasurement(
        activation, float(weight_variance), float(bias_variance), width, depth, replicates,
        float(centre), float(offset), (first, last), slope, slope_se, xi, xi_se, mean, se,
        q.mean(axis=0), q.std(axis=0, ddof=1) / root, c.mean(axis=0),
        c.std(axis=0, ddof=1) / root)


@dataclass(frozen=True)
class GradientGrowth:
    """The backward growth of the gradients' variance per layer, Var(δ_{l−1})/Var(δ_l),
    averaged in log over layers `layers` of each net; its mean over nets and standard error."""

    ratio: float
    se: float
    per_net: np.ndarray
    layers: tuple[int, int]


def gradient_growth(activation: str, weight_variance: float, bias_variance: float,
                    width: int, depth: int, seed: Seed, *, batch: int = 64, replicates: int = 8,
                    skip: int = 6) -> GradientGrowth:
    """Through `replicates` nets (unit-Gaussian inputs, weights N(0, σ_w²/fan_in), biases
    N(0, σ_b²)), the geometric mean over layers skip..depth of Var(δ_{l−1})/Var(δ_l): after
    `skip` layers the forward lengths have reached q*, where mean field predicts χ₁."""
    from verify.propagation.montecarlo import propagate

    _check(activation, weight_variance, bias_variance, width, depth)
    if not 0 < skip < depth - 1:
        raise ValueError(f"skip must lie in 1..depth - 2, got {skip!r}")

    def init(shape: tuple[int, ...], s: int) -> np.ndarray:
        return np.random.default_rng(s).normal(0.0, math.sqrt(weight_variance / shape[1]),
                                               shape)

    per_net = []
    for child in children(seed, replicates):
        net_seed = int(child.generate_state(1)[0])
        profile = propagate(init, activation, depth=depth, width=width, batch=batch,
                            seed=net_seed, bias=math.sqrt(bias_variance))
        logs = np.log(profile.grad_var)
        per_net.append(math.exp(float(np.mean(logs[skip - 1:-1] - logs[skip:]))))
    ratios = np.array(per_net)
    return GradientGrowth(float(np.exp(np.log(ratios).mean())),
                          float(ratios.std(ddof=1) / math.sqrt(replicates)), ratios,
                          (skip, depth))


def expected_slope(m: DepthScaleMeasurement) -> float:
    """The slope the fit of `m` would find without finite-width noise: the same weighted fit,
    over the same layers, of D_l from derive's maps iterated from the same starts (so the
    offset's own curvature is in the prediction, not in the error)."""
    from verify.propagation.criticality import trajectory

    first, last = m.layers
    if last - first < 2:
        return math.nan
    q0 = float(m.q[0])
    if m.centre == 1:
        distance = trajectory(m.activation, m.weight_variance, m.bias_variance, q0,
                              1 - m.offset, last).gap
    else:
        up, down = (trajectory(m.activation, m.weight_variance, m.bias_variance, q0,
                               m.centre + sign * m.offset, last).c for sign in (1, -1))
        distance = (up - down) / 2
    return _slope(distance, m.distance_se[:last + 1], first, last)
