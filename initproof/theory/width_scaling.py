"""Width scaling: the coordinate check of Yang et al. (2022) under SP and muP, with Adam, beside
derive's exponents of the width."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from derive import width_scaling
from initproof.figures import pyplot, save
from initproof.theory import SEED, table
from verify.width_scaling import BATCH, INPUT_DIM, CoordCheck, coord_check, exponents

WIDTHS = (64, 128, 256, 512, 1024, 2048)
FIT_FROM = 256  # below it the batch's O(batch/width) correction lowers SP's slopes visibly
STEPS, SEEDS, LR = 3, 24, 1e-6
ALPHA = 1e-6
NAMES = {"sp": "SP", "mup": "muP"}
LABELS = ("h1 (input layer)", "h2 (hidden layer)", "f (output)")


def _runs() -> dict[str, CoordCheck]:
    seeds = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(SEED).spawn(2)]
    return {name: coord_check(name, WIDTHS, steps=STEPS, seeds=SEEDS, lr=LR, seed=seed)
            for name, seed in zip(NAMES, seeds, strict=True)}


def _figure(runs: dict[str, CoordCheck], path: Path) -> Path:
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), sharey=True)
    widths = np.array(WIDTHS, dtype=float)
    for ax, (name, run) in zip(axes, runs.items(), strict=True):
        fit = run.from_width(FIT_FROM)
        predicted = exponents(name)
        for k, colour in enumerate(("tab:blue", "tab:orange", "tab:green")):
            jitter = np.exp(np.linspace(-0.06, 0.06, run.changes.shape[0]))
            ax.plot(np.outer(jitter, widths).ravel(), run.changes[:, :, k].ravel(), ".",
                    ms=2.5, alpha=0.45, color=colour)
            logs = np.log(fit.changes[:, :, k]).mean(axis=0)
            x = np.log(np.array(fit.widths, dtype=float))
            centre = logs.mean() - fit.slope[k] * x.mean()
            ax.plot(widths, np.exp(centre + fit.slope[k] * np.log(widths)), "-", color=colour,
                    label=f"{LABELS[k]}: slope {fit.slope[k]:.3f} (derive {predicted[k]:g})")
        ax.axvspan(widths[0] * 0.9, FIT_FROM * 0.95, color="grey", alpha=0.1)
        ax.text(widths[0], ax.get_ylim()[0], " not fitted", fontsize=8, va="bottom")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("width n")
        ax.set_title(f"{NAMES[name]}, Adam: change after {STEPS} steps")
        ax.legend(fontsize=8, loc="upper left")
    axes[0].set_ylabel("RMS of h_t - h_0 over batch and units")
    fig.tight_layout()
    return save(fig, path)


def _rows(runs: dict[str, CoordCheck]) -> list[list[str]]:
    results = width_scaling().results
    rows = []
    for name, run in runs.items():
        fit = run.from_width(FIT_FROM)
        tol = fit.tolerance(ALPHA / (len(runs) * len(LABELS)))
        for k, label in enumerate(LABELS):
            expected = exponents(name)[k]
            agrees = abs(fit.slope[k] - expected) <= tol[k]
            verdict = "agrees" if agrees else "differs"
            if name == "sp" and k == 2:
                own = float(results["sp_output_own_exponent"])
                inside = own < fit.slope[k] - tol[k] and fit.slope[k] < expected + tol[k]
                verdict += f"; between {own:g} and {expected:g}: {'yes' if inside else 'no'}"
            rows.append([NAMES[name], label, f"{expected:g}",
                         f"{fit.slope[k]:.3f} +/- {fit.slope_se[k]:.2g}", f"{tol[k]:.2g}",
                         f"{run.slope[k]:.3f} +/- {run.slope_se[k]:.2g}", verdict])
    return rows


def _local_rows(run: CoordCheck) -> list[list[str]]:
    """SP's slope between consecutive widths, mean +/- standard error over seeds."""
    local = np.diff(np.log(run.changes), axis=1) / np.diff(np.log(run.widths))[None, :, None]
    mean, se = local.mean(axis=0), local.std(axis=0, ddof=1) / np.sqrt(local.shape[0])
    return [[f"{a}-{b}", *(f"{mean[w, k]:.3f} +/- {se[w, k]:.2g}" for k in (1, 2))]
            for w, (a, b) in enumerate(zip(run.widths, run.widths[1:], strict=False))]


def experiment(out_dir: Path) -> str:
    """Run the coordinate check under SP and muP, write width_scaling.png, return the section."""
    runs = _runs()
    figure = _figure(runs, Path(out_dir) / "width_scaling.png")
    header = ["parametrization", "layer", "derive's exponent",
              f"slope, widths {FIT_FROM}-{WIDTHS[-1]}", "tolerance", "slope, all widths",
              "verdict"]
    largest_f = float(np.sqrt(np.mean(runs["sp"].changes[:, -1, 2] ** 2)))
    n_fit = sum(w >= FIT_FROM for w in WIDTHS)
    local = table(["widths", "SP h2 local slope (derive 1)", "SP f local slope (derive 3/2)"],
                  _local_rows(runs["sp"]))
    return "\n".join([
        "## Width scaling: SP and muP under Adam",
        "",
        "Adam's first step is $-\\eta \\operatorname{sign}(g)$, so the $n$ terms of a hidden "
        "update $\\Delta h_i = \\sum_j \\Delta W_{ij} x_j$ share a sign and add up: under the "
        "standard parametrization (SP, variance $1/\\mathrm{fan}_{\\mathrm{in}}$, one rate "
        "$\\eta$) the change of a hidden layer grows like $n$ and the output's like "
        "$n^{3/2}$; muP (Yang et al. 2022, Table 3: hidden and output rates "
        "$\\eta/\\mathrm{fan}_{\\mathrm{in}}$, output variance "
        "$1/\\mathrm{fan}_{\\mathrm{in}}^2$) makes every change independent of $n$ "
        "(derivation `width_scaling`).",
        "",
        f"The coordinate check: an MLP $x \\to h_1 \\to h_2 \\to f$ ({INPUT_DIM} inputs, "
        "two tanh layers of width $n$, scalar output, no biases) takes "
        f"{STEPS} full-batch Adam steps at $\\eta = 10^{{{np.log10(LR):.0f}}}$ on {BATCH} "
        f"fixed regression examples, from {SEEDS} independent initializations per width. "
        "Plotted is the RMS, over the batch and the units, of each pre-activation's change. "
        "The rate is small so that every network stays in the regime of the derivation: "
        f"at width {WIDTHS[-1]} the SP output moves by {largest_f:.2g} (RMS) against "
        "residuals of order 1. The slope is each seed's least-squares slope of log change "
        "on log width, averaged over seeds; its standard error is their standard deviation "
        f"over $\\sqrt{{{SEEDS}}}$, and the tolerance is Student's t with {SEEDS - 1} "
        "degrees of freedom at a two-sided 1e-6, Bonferroni-divided over the six slopes.",
        "",
        table(header, _rows(runs)),
        "",
        f"The slopes are fitted on the {n_fit} widths from {FIT_FROM} (unshaded in the "
        f"figure); the slope on all widths is given beside. Below {FIT_FROM} the batch "
        "adds a correction of relative order batch/width, which we read as follows (it is "
        "not part of the derivation, which takes one example): with a batch, the $n$ terms "
        "of a hidden update share their sign only in part; the aligned part adds up to "
        "order $n$, the rest only to order $\\sqrt{n}$, so the squared change is "
        "$A^2 n^2 + V n$ for some constants $A$ and $V$, and the local slope "
        "$1 - V/(2(A^2 n + V))$ stays below 1 at small widths. SP's output has two "
        "terms, its own update (exponent 1) and the change of $h_2$ seen through $v$ "
        "(exponent 3/2): at finite width its slope lies between the two and reaches 3/2 "
        "only as $n \\to \\infty$, with a correction of order $n^{-1/2}$. The slopes "
        "between consecutive widths show both approaches:",
        "",
        local,
        "",
        f"![Change of each layer against width, SP and muP]({figure.name})",
    ])
