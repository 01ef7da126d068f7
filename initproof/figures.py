"""Figures of propagation profiles (matplotlib, the `plot` extra), written atomically."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from initproof.files import write_atomic
from verify.propagation import Profile


def pyplot() -> object:
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plots need matplotlib: pip install 'initproof[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: object, path: Path) -> Path:
    """Write the figure to `path` atomically, in the format its suffix names, and close it."""
    plt = pyplot()
    try:
        return write_atomic(Path(path), lambda tmp: fig.savefig(  # type: ignore[attr-defined]
            tmp, dpi=110, bbox_inches="tight"))
    finally:
        plt.close(fig)  # type: ignore[attr-defined]


def plot_profiles(runs: Sequence[tuple[str, Profile, Profile | None]], path: Path) -> Path:
    """Per-layer mean, std and gradient variance (measured: points; predicted: lines with the
    tolerance band), and the activation histograms of every layer, one row per run."""
    plt = pyplot()
    fig, axes = plt.subplots(len(runs), 4, figsize=(17, 3.4 * len(runs)), squeeze=False)
    for row, (label, measured, predicted) in zip(axes, runs, strict=True):
        layers = np.arange(1, measured.depth + 1)
        panels = [("mean", measured.mean, "linear"), ("std", measured.std, "log"),
                  ("gradient variance", measured.grad_var, "log")]
        for ax, (title, values, scale) in zip(row, panels, strict=False):
            ax.set_title(f"{label}: {title}")
            ax.set_xlabel("layer")
            if values is None:
                ax.set_visible(False)
                continue
            ax.plot(layers, values, "o", label="measured")
            if predicted is not None:
                _predicted_band(ax, title, layers, predicted)
            if scale == "log" and np.all(values > 0):
                ax.set_yscale("log")
            ax.legend(fontsize=8)
        ax = row[3]
        colors = plt.cm.viridis(np.linspace(0, 1, len(measured.values)))
        for i, (v, color) in enumerate(zip(measured.values, colors, strict=True)):
            if np.ptp(v) > 0:
                ax.hist(v, bins=60, histtype="step", color=color, density=True,
                        label=f"layer {i + 1}" if i in (0, len(colors) - 1) else None)
        ax.set_title(f"{label}: activation histograms")
        ax.set_xlabel("activation value")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return save(fig, path)


def _predicted_band(ax: object, title: str, layers: np.ndarray, p: Profile) -> None:
    tol = p.tolerance
    assert tol is not None, "a predicted profile carries its tolerances"
    if title == "mean":
        centre, lo, hi = p.mean, p.mean - tol.mean, p.mean + tol.mean
    elif title == "std":
        centre = p.std
        lo, hi = p.std * np.exp(-tol.var / 2), p.std * np.exp(tol.var / 2)
    else:
        centre = p.grad_var
        lo, hi = p.grad_var * np.exp(-tol.grad_var), p.grad_var * np.exp(tol.grad_var)
    ax.plot(layers, centre, "-", label="predicted")
    ax.fill_between(layers, lo, hi, alpha=0.2, label="tolerance")
