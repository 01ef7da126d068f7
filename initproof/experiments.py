"""The classic experiments, reproduced: `python -m initproof.experiments OUT_DIR` writes them.

Every expected number comes from derive or from `verify.predict`. Each
experiment returns (markdown, figures) so tests can check its claims. The
document compares gains with PyTorch's, so it needs torch (and matplotlib for
the figures): without them it refuses rather than write a different document.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from initproof import UsageError, inputs
from initproof.extras import require
from initproof.files import write_text
from verify.propagation import Comparison, Profile, compare, predict, propagate

SEED = 2010  # the year of Glorot and Bengio's paper
PINNED_KERNELS = {"OPENBLAS_CORETYPE": "Haswell",
                  "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}
"""OpenBLAS and numpy choose their kernels by CPU (AVX-512 or not, Intel or AMD), and the
training experiment magnifies the last-bit differences: the document is computed with
the AVX2 kernels on every x86-64 machine, so it does not depend on which one ran it."""
Figure = Callable[[Path], Path]


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def tanh_saturation() -> tuple[str, dict[str, Comparison]]:
    """1. Ten tanh layers, width 500, batch 1000: N(0, 0.01²), N(0, 1) and N(0, 1/fan_in)."""
    runs = {}
    for name in ("small_normal", "standard_normal", "lecun_normal"):
        runs[name] = compare(propagate(name, "tanh", depth=10, width=500, batch=1000, seed=SEED),
                             predict(name, "tanh", depth=10, width=500, batch=1000))
    parts = ["## 1. Ten tanh layers: collapse, saturation, spread\n",
             "Width 500, batch 1000 unit-Gaussian inputs, no bias. Predicted values from the "
             "Gaussian-integral recursion; the std tolerance is the stated ± in log space. "
             "A run is *inconclusive* where some layer's tolerance, of the activations' or "
             "of the gradients' variance, admits a factor 2.\n"]
    for name, c in runs.items():
        m, p = c.measured, c.predicted
        saturated = [np.mean(np.abs(v) > 0.99) for v in m.values]
        rows = [[str(i + 1), _fmt(m.mean[i]), _fmt(p.mean[i]), _fmt(m.std[i]), _fmt(p.std[i]),
                 f"{p.tolerance.var[i] / 2:.3f}", f"{saturated[i]:.1%}"]
                for i in range(m.depth)]
        parts += [f"### `{name}`: {c.verdict}\n",
                  _table(["layer", "mean", "predicted", "std", "predicted", "log ±",
                          "abs(a) > 0.99"], rows), ""]
    parts.append("![tanh profiles](tanh-saturation.png)\n")
    return "\n".join(parts), runs


def identity_example(c_values: tuple[float, ...] = (1.5, 0.5)) -> tuple[str, dict[float, Profile]]:
    """2. Ten 2-unit linear layers W = c·I: signal and gradients scale exactly as c^(L−1)."""
    import sympy as sp

    from derive import depth

    gain = depth().results["identity_gain"]
    symbol = {s.name: s for s in gain.free_symbols}
    c, L = symbol["c"], symbol["L"]
    runs, rows = {}, []
    for value in c_values:
        prof = propagate(lambda shape, seed, v=value: v * np.eye(*shape), "linear",
                         depth=10, width=2, batch=1000, seed=SEED)
        runs[value] = prof
        for l in (1, 2, 5, 10):
            exact = float(gain.subs({c: sp.nsimplify(value), L: l}))
            grad = float(gain.subs({c: sp.nsimplify(value), L: 10 - l + 1}))
            rows.append([_fmt(value), str(l), _fmt(prof.std[l - 1] / prof.std[0]), _fmt(exact),
                         _fmt(np.sqrt(prof.grad_var[l - 1] / prof.grad_var[-1])), _fmt(grad)])
    text = ("## 2. The identity example: W = c·I\n\n"
            "Ten linear layers of 2 units. Layer l's output is c^(l-1) times layer 1's; the "
            "gradient reaching layer l is c^(L-l) times the last layer's. Exact values from "
            "derive's `identity_gain` c^(L-1).\n\n"
            + _table(["c", "layer l", "std(a_l)/std(a_1)", "c^(l-1)", "grad ratio", "c^(L-l)"],
                     rows) + "\n")
    return text, runs


def relu_depth(depths: tuple[int, ...] = (10, 30, 50), width: int = 256,
               batch: int = 256) -> tuple[str, dict[tuple[str, int], Comparison]]:
    """3. ReLU nets: He keeps the variance; LeCun and Glorot halve it every layer."""
    from derive import conditions

    he_gain = float(conditions().results["he_gain"])
    runs, rows = {}, []
    for d in depths:
        for name in ("he_normal", "lecun_normal", "glorot_normal"):
            runs[name, d] = compare(propagate(name, "relu", depth=d, width=width, batch=batch,
                                              seed=SEED), predict(name, "relu", depth=d,
                                                                  width=width, batch=batch))
        he = runs["he_normal", d].measured.std[-1]
        for name in ("he_normal", "lecun_normal", "glorot_normal"):
            c = runs[name, d]
            rows.append([str(d), name, _fmt(c.measured.var[-1]), _fmt(c.predicted.var[-1]),
                         _fmt(c.measured.std[-1] / he), _fmt(he_gain ** (-d / 2)),
                         f"{c.predicted.tolerance.var[-1] / 2:.2f}",
                         c.verdict])
    text = ("## 3. ReLU through depth\n\n"
            f"Width {width}, batch {batch}. The std ratio against He is predicted to be "
            "2^(-L/2), with 2 = derive's `he_gain`. All three nets share one seed, so their "
            "weights differ only by the factor √2 and, ReLU being positively homogeneous, the "
            "ratio is exact; the variances themselves carry the √(5L/n)-driven spread, "
            "whose log tolerance is shown: where it admits a factor 2 in variance the "
            "verdict is *inconclusive*, since the check could not have seen such an "
            "error.\n\n"
            + _table(["depth", "init", "var(a_L)", "predicted", "std / He's", "2^(-L/2)",
                      "log ±", "verdict"], rows)
            + "\n\n![ReLU variance through depth](relu-depth.png)\n")
    return text, runs


def relu_figure(runs: dict[tuple[str, int], Comparison]) -> Figure:
    """Per-layer Var(a_l) of the deepest nets: measured points, predicted lines and bands."""

    def figure(path: Path) -> Path:
        from initproof.figures import pyplot, save

        plt = pyplot()
        deepest = max(d for _, d in runs)
        fig, ax = plt.subplots(figsize=(7, 4))
        for name in ("he_normal", "lecun_normal"):
            c = runs[name, deepest]
            layers = np.arange(1, deepest + 1)
            tol = c.predicted.tolerance.var
            ax.plot(layers, c.measured.var, "o", ms=3, label=f"{name} measured")
            ax.plot(layers, c.predicted.var, "-", label=f"{name} predicted")
            ax.fill_between(layers, c.predicted.var * np.exp(-tol), c.predicted.var * np.exp(tol),
                            alpha=0.2)
        ax.set(xlabel="layer", ylabel="Var(a_l)", yscale="log",
               title=f"ReLU, depth {deepest}: He keeps the variance, LeCun halves it")
        ax.legend()
        return save(fig, path)

    return figure


def symmetry_example(steps: int = 200) -> tuple[str, dict[str, float]]:
    """4. From a constant init every hidden unit stays identical through training."""
    from verify.training import init_params, spirals, train

    x, y = spirals(100, seed=SEED)
    spread, rows = {}, []
    for const in (0.0, 0.3, -1.2):
        params = init_params(lambda shape, seed, v=const: np.full(shape, v), [2, 16, 16, 1], 0)
        trained, losses = train(params, x, y, steps, lr=0.5)
        hidden = trained[:4:2]  # W_1, W_2: identical rows mean identical hidden units
        spread[const] = max(float(np.ptp(w, axis=0).max()) for w in hidden)
        rows.append([_fmt(const), str(steps), _fmt(losses[0]), _fmt(losses[-1]),
                     _fmt(spread[const])])
    text = ("## 4. Symmetry: constant initializations never break it\n\n"
            "A 2-16-16-1 tanh net on the spirals, every weight set to the same constant, "
            "trained by gradient descent. The largest difference between two hidden units' "
            "incoming weights stays exactly zero (derivation 8); the property is also tested "
            "with hypothesis over constants, inputs and step counts.\n\n"
            + _table(["constant", "steps", "loss at start", "loss at end",
                      "max difference between units"], rows) + "\n")
    return text, spread


CONVERGENCE_INITS = ("zeros", "small_normal", "standard_normal", "lecun_normal")


def convergence(steps: int = 2000) -> tuple[str, dict[str, np.ndarray], Figure]:
    """5. Spirals, a 2-32-32-32-1 tanh net, plain gradient descent from four initializations."""
    from verify import initializer
    from verify.training import forward, init_params, spirals, train

    x, y = spirals(200, seed=SEED)
    x_test, y_test = spirals(200, seed=SEED + 1)
    curves, rows = {}, []
    marks = [0, steps // 20, steps // 4, steps // 2, steps]
    for name in CONVERGENCE_INITS:
        params = init_params(initializer(name), [2, 32, 32, 32, 1], SEED)
        saturated = np.mean([np.mean(np.abs(h) > 0.99) for h in forward(params, x)[1:-1]])
        trained, curves[name] = train(params, x, y, steps, lr=0.3)
        accuracy = np.mean((forward(trained, x_test)[-1][:, 0] > 0) == (y_test > 0))
        rows.append([name] + [_fmt(curves[name][t]) for t in marks]
                    + [f"{saturated:.0%}", f"{accuracy:.1%}"])
    text = ("## 5. Convergence on the spirals\n\n"
            "400 training and 400 test points; learning rate 0.3, full batch. Zeros never "
            "learn (every hidden unit is and stays 0); N(0, 0.01²) learns nothing in "
            f"{steps} steps (the signal and gradients vanish through the layers); N(0, 1) "
            "starts saturated, with a higher loss, yet on this two-input task its last layer "
            "still fits the saturated features; LeCun's variance-preserving start converges.\n\n"
            + _table(["init"] + [f"loss @ {t}" for t in marks]
                     + ["hidden abs > 0.99 at init", "test accuracy"], rows)
            + "\n\n![loss curves](convergence.png)\n")

    def figure(path: Path) -> Path:
        from initproof.figures import pyplot, save

        plt = pyplot()
        fig, ax = plt.subplots(figsize=(7, 4))
        for name, curve in curves.items():
            ax.plot(curve, label=name)
        ax.set(xlabel="gradient step", ylabel="training loss", yscale="log",
               title="2-32-32-32-1 tanh net on the spirals")
        ax.legend()
        return save(fig, path)

    return text, curves, figure


def framework_gains() -> dict[str, float]:
    """PyTorch's `calculate_gain` for each activation it names, from the torch adapter."""
    from verify.frameworks import adapter

    require("the gains experiment", "torch")
    return adapter("torch").gains()  # type: ignore[attr-defined]


def gains(depth: int = 50) -> tuple[str, dict[str, tuple[float, ...]]]:
    """6. The gains 1/√E[φ(z)²] and 1/√E[φ'(z)²], and PyTorch's, through `depth` layers."""
    from derive import ACTIVATIONS, variance_scaling
    from verify.propagation import gain

    theirs = framework_gains()
    rows, values = [], {}
    for name in ACTIVATIONS:
        g = gain(name)
        row = [f"`{name}`", _fmt(g.forward) + (" (exact)" if g.forward_exact is not None else ""),
               _fmt(g.backward) + (" (exact)" if g.backward_exact is not None else "")]
        effects = []
        for value in (g.forward, theirs.get(name)):
            if value is None:
                row += ["-", "-", "-"]
                continue
            p = predict(variance_scaling(value**2, "fan_in", "normal", name=f"gain {value:.4g}"),
                        name, depth=depth, width=512)
            effects.append((p.var[-1] / p.var[0], p.grad_var[0] / p.grad_var[-1]))
            row += [_fmt(value)] if value is not g.forward else []
            row += [_fmt(effects[-1][0]), _fmt(effects[-1][1])]
        values[name] = (g.forward, g.backward, *(theirs.get(name),))
        rows.append(row)
    source = "PyTorch's `torch.nn.init.calculate_gain`"
    text = (f"## 6. Gains, and what they do over {depth} layers\n\n"
            "Var(W) = gain²/fan_in with normal weights; the ratios are the theory's "
            f"Var(a_{depth})/Var(a_1) and Var(δ_1)/Var(δ_{depth}). The forward gain "
            "1/√E[φ(z)²] keeps the second moment of a unit Gaussian, not the signal of a deep "
            f"net in general; the framework column is {source} (leaky_relu at its default "
            "slope 0.01).\n\n"
            + _table(["activation", "forward gain", "backward gain", "var ratio", "grad ratio",
                      "framework gain", "var ratio", "grad ratio"], rows) + "\n")
    return text, values


def document() -> tuple[str, dict[str, Figure]]:
    """Run all six; the markdown and a writer for each figure it links."""
    from initproof.figures import plot_profiles

    text1, runs1 = tanh_saturation()
    text5, _, figure5 = convergence()
    text3, runs3 = relu_depth()
    texts = [text1, identity_example()[0], text3, symmetry_example()[0], text5,
             gains()[0]]
    doc = "\n".join(["# The classic experiments, reproduced\n",
                     "Generated by `python -m initproof.experiments docs/experiments` "
                     f"(seed {SEED}); do not edit. The theory that followed (criticality, "
                     "residual depth, dynamical isometry, width scaling) is reproduced in "
                     "[beyond.md](beyond.md).\n", *texts])
    figures = {"tanh-saturation.png": lambda path: plot_profiles(
        [(n, c.measured, c.predicted) for n, c in runs1.items()], path),
        "relu-depth.png": relu_figure(runs3), "convergence.png": figure5}
    return doc, figures


def write(out: Path) -> list[Path]:
    """Write README.md and the figures to `out`; refuse, writing nothing, without the extras
    or a folder that can be written, before the experiments run."""
    require("docs/experiments", "torch", "matplotlib")
    inputs.writable_folder(out)
    doc, figures = document()
    written = [write_text(out / "README.md", doc)]
    return written + [draw(out / name) for name, draw in figures.items()]


def generate(module: str, description: str, write: Callable[..., list[Path]],
             argv: list[str] | None = None, sweeps: bool = False) -> int:
    """`python -m MODULE [OUT] [--scheduler S]`: re-start with the kernels pinned, then
    `write(OUT)` (`write(OUT, S)` when it `sweeps`); one line and exit code 1 for a missing
    extra, 2 for a folder that cannot be written or a scheduler that cannot be reached."""
    if any(os.environ.get(k) != v for k, v in PINNED_KERNELS.items()):
        # the kernels are chosen when numpy loads: start again with them pinned
        os.execve(sys.executable, [sys.executable, "-m", module,
                                   *(sys.argv[1:] if argv is None else argv)],
                  {**os.environ, **PINNED_KERNELS})
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=description)
    parser.add_argument("out", nargs="?", type=Path, default=Path("docs/experiments"),
                        help="folder to write the document and its figures to "
                             "(default: %(default)s)")
    if sweeps:
        parser.add_argument("--scheduler", help="run the Monte Carlo grids 'serial', on a "
                            "'local' dask cluster (the default with dask installed) or on "
                            "the dask scheduler at this address")
    args = parser.parse_args(argv)
    try:
        for path in write(args.out, *([args.scheduler] if sweeps else [])):
            print(f"wrote {path}")
    except ImportError as e:
        print(f"initproof: {e}; nothing was written", file=sys.stderr)
        return 1
    except UsageError as e:
        print(f"initproof: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"initproof: cannot write to {args.out}: {e.strerror or e}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    return generate("initproof.experiments",
                    "Run the classic experiments and write their document and figures.",
                    write, argv)


if __name__ == "__main__":
    sys.exit(main())
