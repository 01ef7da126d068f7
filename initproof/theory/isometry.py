"""Dynamical isometry: the singular values of the input-output Jacobian of random nets, linear,
tanh and ReLU, with Gaussian and orthogonal weights, against derive's free-probability moments
(Saxe et al. 2014; Pennington, Schoenholz and Ganguli 2017)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from derive import orthogonal, variance_scaling
from initproof.figures import pyplot, save
from initproof.theory import SEED, table, verdict
from verify import child_seeds
from verify.propagation import (
    compare_spectrum,
    critical_point,
    depth_slope,
    jacobian_spectrum,
    predict_spectrum,
)

FIGURE_WIDTH, DEPTHS = 256, (2, 8, 32)
TABLE_DEPTH, TABLE_WIDTH, REPLICATES = 8, 128, 32
SLOPE_DEPTHS, SLOPE_REPLICATES = (2, 4, 8, 16), 16
TANH_Q = 1 / 64  # the q* of derive's numeric tanh step, as in Pennington et al. (2017)
ACTIVATIONS = ("linear", "tanh", "relu")


def _net(activation: str, weights: str, q: float = TANH_Q) -> tuple[object, dict[str, float],
                                                                      str]:
    """(scheme, keywords, label) of a critical net: sigma_w^2 mu_1 = 1 at its fixed point q."""
    point = critical_point(activation, q if activation == "tanh" else 1.0)
    keywords = {"q": point.q, "bias": math.sqrt(point.bias_variance)}
    scheme = orthogonal(math.sqrt(point.weight_variance)) if weights == "orthogonal" else \
        variance_scaling(point.weight_variance, "fan_in", "normal")
    where = f", q* = {point.q:.4g}" if activation == "tanh" else ""
    return scheme, keywords, f"{activation}, {weights}{where}"


def _figure(out_dir: Path, seeds: list[int]) -> str:
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), sharey=True)
    colours = dict(zip(DEPTHS, ("tab:blue", "tab:orange", "tab:red"), strict=True))
    k = 0
    for ax, activation in zip(axes, ACTIVATIONS, strict=True):
        for weights, style in (("gaussian", "--"), ("orthogonal", "-")):
            scheme, keywords, label = _net(activation, weights)
            for depth in DEPTHS:
                s = jacobian_spectrum(scheme, activation, depth=depth, width=FIGURE_WIDTH,
                                      seed=seeds[k], **keywords)
                k += 1
                s = np.sort(np.maximum(s, 1e-12))
                ax.step(s, np.arange(1, s.size + 1) / s.size, where="post", ls=style,
                        color=colours[depth], label=f"{weights}, L = {depth}")
        ax.set_xscale("log")
        ax.set_xlim(1e-3, 20)
        ax.set_title(label.split(",")[0] + (f" (q* = {TANH_Q:.4g})" if activation == "tanh"
                                            else ""))
        ax.set_xlabel("singular value of J")
        ax.axvline(1.0, color="grey", lw=0.6)
    axes[0].set_ylabel("fraction of singular values below")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=6, fontsize=8,
               bbox_to_anchor=(0.5, -0.13))
    fig.suptitle(f"Empirical CDF of the Jacobian's singular values, width {FIGURE_WIDTH}, "
                 "critical initialisation (solid: orthogonal, dashed: Gaussian)", fontsize=10)
    name = "isometry_spectra.png"
    save(fig, out_dir / name)
    return name


ROUNDING = 1e-20
"""Variances below this are float rounding (the linear orthogonal net's are about 1e-31 and
differ between machines): shown as 0."""


def _g(x: float, digits: int = 4, sign: str = "") -> str:
    return "0" if abs(x) < ROUNDING else f"{x:{sign}.{digits}g}"


def _row(label: str, c: object) -> list[str]:
    mean, v = c.mean, c.normalized_variance  # type: ignore[attr-defined]
    return [label, str(c.depth), _g(v.predicted),  # type: ignore[attr-defined]
            f"{_g(v.at[0])} / {_g(v.at[1])}", _g(v.value), f"{v.tolerance:.3g}",
            _g(v.finite_width, 3, "+"), f"{mean.value:.4g} +- {mean.tolerance:.3g}",
            _verdict(c)]


def _verdict(c: object) -> str:
    """The worse of the mean's and the variance's verdicts; a variance predicted to be 0
    (exactly, up to the rounding its tolerance allows) has no factor 2 to miss."""
    mean, v = c.mean, c.normalized_variance  # type: ignore[attr-defined]
    both = [verdict(mean.value, mean.predicted, mean.tolerance),
            verdict(v.value, v.predicted, v.tolerance) if abs(v.predicted) > v.tolerance
            else "agrees" if v.passed else "differs"]
    return next((w for w in ("differs", "inconclusive") if w in both), "agrees")


def _slopes(seed: int) -> list[list[str]]:
    """Per net: v at each depth (extrapolated), the fitted slope and derive's slope."""
    nets = [_net("linear", "gaussian"), _net("relu", "orthogonal"), _net("relu", "gaussian")]
    seeds = child_seeds(seed, len(nets) * len(SLOPE_DEPTHS))
    rows = []
    for k, (scheme, keywords, label) in enumerate(nets):
        activation = label.split(",")[0]
        runs = [compare_spectrum(scheme, activation, depth=depth, width=TABLE_WIDTH,
                                 replicates=SLOPE_REPLICATES,
                                 seed=seeds[k * len(SLOPE_DEPTHS) + i], **keywords)
                for i, depth in enumerate(SLOPE_DEPTHS)]
        slope, _, tolerance = depth_slope(runs)
        predicted = [predict_spectrum(scheme, activation, depth=d, width=TABLE_WIDTH,
                                      **keywords).normalized_variance for d in (1, 2)]
        rows.append([label, *(f"{r.normalized_variance.value:.4g}" for r in runs),
                     f"{predicted[1] - predicted[0]:.4g}", f"{slope:.4g} +- {tolerance:.3g}",
                     verdict(slope, predicted[1] - predicted[0], tolerance)
                     if all(r.passed for r in runs) else "differs"])
    return rows


def experiment(out_dir: Path) -> str:
    """The figure of spectra and the table of predicted against measured moments."""
    out_dir = Path(out_dir)
    figure_seeds = child_seeds(SEED, 2 * len(ACTIVATIONS) * len(DEPTHS))
    name = _figure(out_dir, figure_seeds)
    nets = [_net(a, w) for a in ACTIVATIONS for w in ("gaussian", "orthogonal")]
    nets.append(_net("tanh", "orthogonal", q=1.0))
    rows = []
    for (scheme, keywords, label), seed in zip(nets, child_seeds(SEED + 1, len(nets)),
                                               strict=True):
        c = compare_spectrum(scheme, label.split(",")[0], depth=TABLE_DEPTH, width=TABLE_WIDTH,
                             replicates=REPLICATES, seed=seed, **keywords)
        rows.append(_row(label, c))
    slope_header = ["net", *(f"v, L = {d}" for d in SLOPE_DEPTHS), "slope predicted",
                    "slope measured +- tolerance", "verdict"]
    slope_rows = _slopes(SEED + 2)
    header = ["net", "L", "v predicted", f"v at n = {TABLE_WIDTH} / {2 * TABLE_WIDTH}",
              "v extrapolated", "tolerance", f"O(1/n) at n = {TABLE_WIDTH}",
              "mean extrapolated +- tolerance", "verdict"]
    return "\n".join([
        "## Dynamical isometry: orthogonal weights and the Jacobian's spectrum\n",
        "The input-output Jacobian $J = D_L W_L \\cdots D_1 W_1$ of an $L$-layer net of "
        "square layers, $D_l = \\mathrm{diag}(\\phi'(h_l))$, at the critical point "
        "$\\sigma_w^2 \\mu_1 = 1$ with the pre-activations at the fixed point $q^*$ of the "
        "length map (the input is $\\phi(h_0)$, $h_0 \\sim N(0, q^* I)$; linear and ReLU "
        "nets have no bias and $q^* = 1$; tanh has the $\\sigma_b^2$ that makes $q^*$ the "
        "fixed point). Derive's isometry derivation predicts, at large width, a spectrum of "
        "$J J^T$ with mean 1 and variance $v = L (\\mu_2/\\mu_1^2 - 1 - s_1)$, "
        "$\\mu_k = E[\\phi'(h)^{2k}]$, $s_1 = 0$ for orthogonal and $-1$ for Gaussian "
        "weights: $L$ for linear Gaussian and ReLU orthogonal nets, $2L$ for ReLU Gaussian "
        "ones, 0 for linear orthogonal ones (every singular value exactly 1) and about "
        "$8 q^{*2} L$ for tanh with orthogonal weights.\n",
        f"![singular values]({name})\n",
        "Each curve is one net; the singular values below $10^{-3}$, among them ReLU's "
        "exact zeros (a unit off in some layer), are the height where a curve starts.\n",
        f"Each net's $v$ is the variance of its $s^2$ over their squared mean; the table "
        f"averages {REPLICATES} nets at widths {TABLE_WIDTH} and {2 * TABLE_WIDTH} and "
        "extrapolates linearly in $1/n$ ($2 \\bar v(2n) - \\bar v(n)$), which removes the "
        "$O(1/n)$ finite-width correction (its measured size is the column "
        f"$O(1/n)$ at $n = {TABLE_WIDTH}$) and leaves $O(1/n^2)$. The tolerance is the "
        "two-sided Student $t$ quantile at family-wise $\\alpha = 10^{-6}$ (two comparisons "
        "per net, Welch-Satterthwaite degrees of freedom) times the standard error from the "
        "spread over nets, plus float rounding; variances below $10^{-20}$ are rounding and "
        "shown as 0. A calibration of the tests' setting (24 nets "
        "at widths 64 and 128, L = 8, 150 seeds for each of six nets) found the $t$ "
        "statistics with standard deviation 0.95 to 1.15 and a residual mean of at most 0.6 "
        "(ReLU Gaussian): the $O(1/n^2)$ left after the extrapolation. A row is "
        "*inconclusive* where a tolerance, of the mean or of $v$, would also admit a factor "
        "2.\n",
        table(header, rows), "",
        "The variance grows linearly in depth, with the slope $\\mu_2/\\mu_1^2 - 1 - s_1$ "
        "per layer: 1 for linear Gaussian nets, 1 for ReLU even with orthogonal weights, "
        f"2 for ReLU Gaussian nets. Extrapolated $v$ ({SLOPE_REPLICATES} nets at widths "
        f"{TABLE_WIDTH} and {2 * TABLE_WIDTH} per depth) and its weighted least-squares "
        "slope, with the same $t$ tolerance for the fewest degrees of freedom:\n",
        table(slope_header, slope_rows), ""])
