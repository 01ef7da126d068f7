"""Criticality: the tanh phase diagram of Poole et al. (2016) and Schoenholz et al. (2017),
its depth scale xi_c measured by Monte Carlo at grid points, and the published numbers.

The Monte Carlo grid is `sweep(measure_point, grid_tasks(), seed=SEED)` (`initproof.sweep`):
each task is pure, given its own SeedSequence child of `initproof.theory.SEED`, so the grid
gives the same numbers serially, on a local dask cluster or on a remote one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from derive import meanfield
from initproof.sweep import sweep
from initproof.theory import SEED, table, verdict
from verify.propagation import (
    SIGNAL,
    DepthScaleMeasurement,
    chi1,
    correlation_map,
    critical_weight_variance,
    depth_scales,
    expected_slope,
    gradient_growth,
    iterate_gap,
    measure_depth_scale,
    propagate_pairs,
    q_star,
    tolerance_factor,
)

WIDTH, DEPTH, NETS = 256, 30, 16
ORDERED_OFFSET, CHAOTIC_OFFSET = 1e-3, 0.2
GRID = ((0.6, 0.05), (0.9, 0.2), (1.0, 0.05), (1.2, 0.3), (1.3, 0.1), (1.5, 0.2),
        (1.5, 0.05), (2.2, 0.02), (2.5, 0.05), (2.8, 0.15), (3.0, 0.1), (3.5, 0.2),
        (3.8, 0.05), (4.0, 0.3))
"""(sigma_w^2, sigma_b^2) of the Monte Carlo points: both phases, xi_c from 1.5 to 16."""
TRAINABLE = (50, 200)
"""Depths L whose contour 6 xi_c = L the diagram draws (Schoenholz et al.: trainable to
about 6 xi_c)."""
WEIGHTS = np.linspace(0.5, 4.0, 36)
BIASES = np.linspace(0.005, 0.3, 16)
"""The heat map's grid; it starts above sigma_b^2 = 0, where q* = 0 on the ordered side and
c_l keeps its memory (xi_c infinite; the map's values tend to the papers' limit)."""
PAIRS = 32


@dataclass(frozen=True)
class Task:
    """One Monte Carlo point: the net and where its pairs start (at q*, and at 1 - 1e-3 in
    the ordered phase or at c* +- offset in the chaotic one)."""

    activation: str
    weight_variance: float
    bias_variance: float
    width: int
    depth: int
    q0: float
    centre: float
    offset: float


@dataclass(frozen=True)
class PointResult:
    """A task's measurement beside the theory: xi_c = -1/log chi_c, and the same fit of
    derive's maps over the measured layers (the prediction the measurement is held to)."""

    task: Task
    measured: DepthScaleMeasurement
    xi_theory: float
    xi_expected: float


def grid_tasks(activation: str = "tanh",
               points: Sequence[tuple[float, float]] = GRID) -> list[Task]:
    """The Monte Carlo tasks, one a point."""
    tasks = []
    for weight, bias in points:
        cmap = correlation_map(activation, weight, bias)
        centre = cmap.fixed_point
        offset = ORDERED_OFFSET if centre == 1 else min(CHAOTIC_OFFSET, (1 - centre) / 2)
        tasks.append(Task(activation, weight, bias, WIDTH, DEPTH, cmap.q_star, centre, offset))
    return tasks


def measure_point(task: Task, seed: int) -> PointResult:
    """Measure xi_c at one task (pure: the same task and seed give the same result)."""
    m = measure_depth_scale(task.activation, task.weight_variance, task.bias_variance,
                            task.width, task.depth, seed, q0=task.q0, centre=task.centre,
                            offset=task.offset, replicates=NETS, pairs=PAIRS)
    xi = depth_scales(task.activation, task.weight_variance, task.bias_variance)[1]
    return PointResult(task, m, xi, -1 / expected_slope(m))


def xi_grid(activation: str, weights: np.ndarray, biases: np.ndarray) -> np.ndarray:
    """xi_c on the grid, rows by sigma_b^2: inf on the critical line and where q* = 0, nan
    where q* is infinite (the lengths grow without bound: no fixed point)."""
    def xi(w: float, b: float) -> float:
        if q_star(activation, w, b) == math.inf:
            return math.nan
        return depth_scales(activation, w, b)[1]

    return np.array([[xi(float(w), float(b)) for w in weights] for b in biases])


def critical_line(activation: str, biases: np.ndarray) -> np.ndarray:
    """The critical sigma_w^2 per sigma_b^2; nan where the critical point has no finite q*."""
    out = []
    for b in biases:
        w = critical_weight_variance(activation, float(b))
        finite = math.isfinite(w) and math.isfinite(q_star(activation, w, float(b)))
        out.append(w if finite else math.nan)
    return np.array(out)


def phase_figure(activation: str, path: Path, results: Sequence[PointResult] = (),
                 weights: np.ndarray = WEIGHTS, biases: np.ndarray = BIASES) -> Path:
    """Filled contours of xi_c (log scale) over (sigma_w^2, sigma_b^2), the critical line, the
    contours 6 xi_c = 50 and 200, and the measured points filled with their measured xi_c."""
    from initproof.figures import pyplot, save

    plt = pyplot()
    LogNorm, Line2D = plt.matplotlib.colors.LogNorm, plt.Line2D
    xi = xi_grid(activation, weights, biases)
    capped = np.clip(xi, 0.5, 500)
    norm = LogNorm(vmin=0.5, vmax=500)
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    ax.set_facecolor("0.85")
    filled = ax.contourf(weights, biases, capped, levels=np.geomspace(0.5, 500, 25),
                         norm=norm, cmap="viridis")
    fig.colorbar(filled, ax=ax, label=r"depth scale $\xi_c$ (layers)", ticks=[1, 10, 100])
    fine = np.linspace(0.0, biases[-1], 31)
    line = critical_line(activation, fine)
    ax.plot(line, fine, "r-", lw=2)
    if math.isfinite(line[0]):  # where the line meets sigma_b^2 = 0, e.g. (1, 0) for tanh
        ax.plot([line[0]], [0.0], "r*", ms=12, clip_on=False)
    styles = ["--", ":"]
    ax.contour(weights, biases, np.nan_to_num(capped, nan=500), levels=[d / 6 for d in TRAINABLE],
               colors="white", linestyles=styles, linewidths=1.4)
    handles = [Line2D([], [], color="r", lw=2, label=r"critical line $\chi_1 = 1$")]
    if np.isnan(xi).any():
        handles.append(Line2D([], [], ls="", marker="s", color="0.85", ms=9,
                              label=r"$q^* = \infty$: no fixed point"))
    handles += [Line2D([], [], color="white", ls=ls, label=rf"$6 \xi_c = {d}$")
                for ls, d in zip(styles, TRAINABLE, strict=True)]
    if results:
        ax.scatter([r.task.weight_variance for r in results],
                   [r.task.bias_variance for r in results],
                   c=[r.measured.xi for r in results], norm=norm, cmap="viridis",
                   edgecolors="red", s=90, linewidths=1.8)
        handles.append(Line2D([], [], ls="", marker="o", mfc="none", mec="red", ms=9,
                              label=r"measured $\xi_c$ (fill)"))
    ax.set_xlabel(r"$\sigma_w^2 = \mathrm{fan}_\mathrm{in}\,\mathrm{Var}(W)$")
    ax.set_ylabel(r"$\sigma_b^2$")
    ax.set_title(f"{activation}: how fast inputs' correlations settle (ordered: "
                 r"$\chi_1 < 1$, chaotic: $\chi_1 > 1$)")
    ax.set_xlim(weights[0], weights[-1])
    ax.set_ylim(0.0, biases[-1])
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3,
              fontsize=8, facecolor="0.45", labelcolor="white", framealpha=0.9)
    fig.tight_layout()
    return save(fig, path)


def _relu_decay(path: Path | None) -> tuple[list[list[str]], dict[str, float]]:
    """ReLU at (2, 0): the exact map to l = 10^4 and a Monte Carlo to l = 25."""
    import sympy as sp

    results = meanfield().results
    constant, rate = float(results["relu_depth_constant"]), float(results["relu_depth_rate"])
    cmap = correlation_map("relu", 2.0, 0.0)
    gaps = iterate_gap(cmap, 1.0, 10_000)
    depth, nets = 25, 16
    runs = [propagate_pairs("relu", 2.0, 0.0, WIDTH, depth, s, q0=1.0, c0=0.0, pairs=16)
            for s in np.random.SeedSequence(SEED, spawn_key=(1,)).spawn(nets)]
    measured = np.stack([r.gap.mean(axis=1) for r in runs])
    mean, se = measured.mean(axis=0), measured.std(axis=0, ddof=1) / math.sqrt(nets)
    k = tolerance_factor(nets, depth)
    rows = []
    for layer in (1, 5, 10, 25, 100, 1000, 10_000):
        ratio = f"{layer**2 * gaps[layer] / constant:.4f}"
        if layer > depth:
            rows.append([str(layer), f"{gaps[layer]:.4g}", "-", "-", "-", ratio])
            continue
        rows.append([str(layer), f"{gaps[layer]:.4g}", f"{mean[layer]:.4g} +- {se[layer]:.2g}",
                     f"{k * se[layer]:.2g}", verdict(mean[layer], gaps[layer], k * se[layer]),
                     ratio])
    ratio = 10_000**2 * gaps[10_000] / constant
    summary = {"ratio": ratio, "rate": rate, "constant": constant,
               "coefficient": float(sp.N(results["relu_series_coefficient"]))}
    if path is not None:
        from initproof.figures import pyplot, save

        plt = pyplot()
        fig, ax = plt.subplots(figsize=(6, 3.8))
        layers = np.arange(1, len(gaps))
        ax.semilogx(layers, layers**2 * gaps[1:] / constant, "-",
                    label=r"exact map: $l^2 (1 - c_l) / (9\pi^2/2)$")
        ml = np.arange(1, depth + 1)
        ax.errorbar(ml, ml**2 * mean[1:] / constant, yerr=ml**2 * se[1:] / constant,
                    fmt="o", ms=3, label=f"Monte Carlo, width {WIDTH}, {nets} nets (+- 1 s.e.)")
        ax.axhline(1, color="k", lw=0.8)
        ax.set_xlabel("layer l")
        ax.set_ylabel("ratio to the asymptote")
        ax.set_title(r"ReLU at $\sigma_w^2 = 2$, $\sigma_b^2 = 0$: $1 - c_l \to 9\pi^2/(2 l^2)$")
        ax.legend(fontsize=8)
        fig.tight_layout()
        save(fig, path)
    return rows, summary


def _fmt(x: float) -> str:
    return "inf" if x == math.inf else f"{x:.4g}"


def experiment(out_dir: Path, scheduler: str | None = None) -> str:
    """Run the grid (through `initproof.sweep` on `scheduler`), the published numbers and the
    ReLU decay; write phase-diagram.png and relu-critical.png; return the Markdown section."""
    results_d = meanfield().results
    points = sweep(measure_point, grid_tasks(), seed=SEED, scheduler=scheduler)
    phase_figure("tanh", Path(out_dir) / "phase-diagram.png", points)
    k = tolerance_factor(NETS, len(points))
    rows = []
    for p in points:
        m = p.measured
        tolerance = k * m.slope_se
        phase = "ordered" if p.task.centre == 1 else f"chaotic, c* = {p.task.centre:.3g}"
        rows.append([f"{p.task.weight_variance:g}", f"{p.task.bias_variance:g}", phase,
                     _fmt(p.xi_theory), _fmt(p.xi_expected),
                     f"{_fmt(m.xi)} +- {m.xi_se:.2g}", f"{m.layers[0]}-{m.layers[1]}",
                     f"{tolerance:.3g}", verdict(m.slope, -1 / p.xi_expected, tolerance)])
    gain = float(results_d["tanh_gain_weight_variance"])
    growth = gradient_growth("tanh", gain, 0.0, WIDTH, 20,
                             np.random.SeedSequence(SEED, spawn_key=(2,)), replicates=12)
    k_growth = tolerance_factor(12, 1)
    bias = float(results_d["tanh_bias_variance"])
    relu_rows, relu = _relu_decay(Path(out_dir) / "relu-critical.png")
    published = [
        ["q* at gain 5/3 (sigma_w^2 = 25/9), sigma_b = 0", "1.1785",
         f"{float(results_d['tanh_q_star']):.6g}", f"{q_star('tanh', gain, 0.0):.6g}", "-"],
        ["chi_1 there: gradient growth per layer", "1.21",
         f"{float(results_d['tanh_chi1']):.6g}", f"{chi1('tanh', gain, 0.0):.6g}",
         f"{growth.ratio:.4g} +- {growth.se:.2g} (tolerance {k_growth * growth.se:.2g})"],
        ["critical sigma_w^2 at sigma_b^2 = 0.05", "1.761",
         f"{float(results_d['tanh_critical_weight_variance']):.6g}",
         f"{critical_weight_variance('tanh', bias):.6g}", "-"],
        ["critical sigma_w^2 at sigma_b^2 = 0", "1", "1",
         f"{critical_weight_variance('tanh', 0.0):.6g}", "-"],
        ["ReLU: l^2 (1 - c_l) -> 9 pi^2/2", "44.41", f"{relu['constant']:.6g}",
         f"ratio {relu['ratio']:.4f} at l = 10^4", "see below"],
    ]
    return "\n".join([
        "## Criticality: the edge of chaos\n",
        "Two inputs through a deep random net (weights $N(0, \\sigma_w^2/N)$, biases "
        "$N(0, \\sigma_b^2)$) have lengths $q_l$ and correlation $c_l$ that follow derive's "
        "length and correlation maps (derivation *Mean field*). Where $\\chi_1 < 1$ (ordered) "
        "$c_l \\to 1$, where $\\chi_1 > 1$ (chaotic) $c_l \\to c^* < 1$, in both cases as "
        "$e^{-l/\\xi_c}$; on the critical line $\\chi_1 = 1$ the depth scale diverges. "
        "The heat map is $\\xi_c$ from verify's quadrature of derive's maps; the dashed and "
        "dotted contours are $6 \\xi_c = 50$ and $200$, the depths Schoenholz et al. found "
        "trainable; the ringed points are measured. The map starts at $\\sigma_b^2 = 0.005$: at "
        "$\\sigma_b^2 = 0$ the ordered side has $q^* = 0$, where lengths shrink as fast as "
        "distances and $c_l$ keeps its memory ($\\xi_c = \\infty$).\n",
        "![tanh phase diagram](phase-diagram.png)\n",
        f"Each point: {NETS} nets of width {WIDTH} and depth {DEPTH}, {PAIRS} pairs of inputs "
        "each, "
        "started at $q^*$; ordered points at $1 - c = 10^{-3}$, chaotic ones at "
        "$c^* \\pm 0.2$ (or less near 1), where $D_l$ is half the difference of the two "
        "correlations, so that no estimate of $c^*$ enters. The slope of $\\log D_l$ is "
        f"fitted over the layers whose mean $D_l$ is at least {SIGNAL:g} standard errors above "
        "0. "
        "*Expected* is the same fit of derive's maps iterated from the same starts "
        "(it differs from $\\xi_c = -1/\\log \\chi_c$ by the offset's own curvature, "
        "$O(\\text{offset}^2)$). The tolerance on the slope is the jackknife standard "
        f"error over nets times Student's t at family-wise $\\alpha = 10^{{-6}}$ over the "
        f"{len(points)} points (t = {k:.3g}, {NETS - 1} degrees of freedom); finite width "
        "adds $O(1/N)$ to the slope, inside that tolerance at this width. A point whose "
        "tolerance would also admit twice the expected $\\xi_c$ (half the slope) is "
        "*inconclusive*: it could not have seen that error (so is a layer of the ReLU table "
        "below whose tolerance admits twice or half its gap).\n",
        table(["sigma_w^2", "sigma_b^2", "phase", "xi_c theory", "xi expected (fit)",
               "xi measured", "layers fitted", "slope tolerance", "verdict"], rows),
        "\n### Published numbers\n",
        "Predicted by derive (numeric steps, checked at 30 digits against mpmath) and by "
        "verify's quadrature; the gradient growth is measured backward through 12 nets of "
        f"width {WIDTH} and depth 20 (layers 6-20), tolerance t = {k_growth:.3g} standard "
        "errors.\n",
        table(["quantity", "published", "derive", "verify", "Monte Carlo"], published),
        "\n### ReLU at the critical point\n",
        f"At $\\sigma_w^2 = 2$, $\\sigma_b^2 = 0$ derive proves $1 - c' = (1 - c) - "
        f"{relu['coefficient']:.4f} (1 - c)^{{3/2}} + \\dots$, so "
        "$1 - c_l \\approx 9 \\pi^2 / (2 l^2)$ with ratio "
        f"$1 + (k {relu['rate']:+.0f} \\log l)/l$: the exact map iterated $10^4$ layers from "
        f"$c = 0$ gives the ratio {relu['ratio']:.4f}. A Monte Carlo ({WIDTH} units, 16 nets "
        "of 16 pairs from $c_0 = 0$) follows the map within t standard errors (t at "
        "$\\alpha = 10^{-6}$ over 25 layers).\n",
        table(["layer", "1 - c_l exact map", "measured", "tolerance", "verdict",
               "exact map / (9 pi^2/(2 l^2))"], relu_rows),
        "\n![ReLU critical decay](relu-critical.png)\n",
    ])
