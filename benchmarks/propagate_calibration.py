"""How often Monte Carlo and theory disagree: false alarms, and the power to see a wrong variance.

    python benchmarks/propagate_calibration.py [SEEDS] [WIDTH] [ERROR] [BATCH] [BIAS] [SCHEME]
    (defaults 1000 64 0 64 0, each activation's variance-preserving scheme)

For each activation, a variance-preserving scheme (or SCHEME for all), depth 20, BATCH
inputs and SEEDS seeds spawned from one SeedSequence: how many runs `compare` calls a
disagreement (at the default family-wise α = 1e-6 per run), the largest
|measured − predicted| / tolerance seen over every layer and quantity, the widest log
tolerance of a variance, and how many of the 20 layers cannot see a factor 2 (a log
tolerance ≥ log 2 of Var(a_l) or Var(δ_l): such a run is at best "inconclusive"). With
ERROR > 0 every weight is drawn with variance (1 + ERROR)·Var(W) while the
prediction keeps Var(W), so the disagreements are detections. BIAS > 0 adds
biases b ~ N(0, BIAS²) to every layer, in the nets and in the predictions. Prints a Markdown
table (docs/evidence/propagation-calibration.md).
"""

from __future__ import annotations

import sys

import numpy as np

from derive import SCHEMES
from verify import child_seeds, compare, predict, propagate, sample
from verify.propagation.comparison import BLIND_FACTOR

SETTINGS = {"linear": "glorot_uniform", "tanh": "lecun_normal", "relu": "he_normal",
            "leaky_relu": "he_uniform", "sigmoid": "lecun_normal", "elu": "lecun_normal",
            "selu": "lecun_normal", "gelu": "he_normal", "silu": "he_truncated_normal"}


def worst(c: object) -> float:
    """The largest share of its tolerance any layer's mean, log var or log grad var used."""
    m, p = c.measured, c.predicted
    t = p.tolerance
    return float(max(np.max(np.abs(m.mean - p.mean) / t.mean),
                     np.max(np.abs(np.log(m.var / p.var)) / t.var),
                     np.max(np.abs(np.log(m.grad_var / p.grad_var)) / t.grad_var)))


def scaled(name: str, error: float) -> object:
    """The scheme's sampler with every weight multiplied by √(1 + error)."""
    factor = np.sqrt(1 + error)
    return lambda shape, seed: factor * sample(SCHEMES[name], shape, rng=seed)


def main(seeds: int = 1000, width: int = 64, error: float = 0.0, batch: int = 64,
         bias: float = 0.0, scheme: str | None = None, depth: int = 20) -> None:
    print(f"Depth {depth}, width {width}, batch {batch}, {seeds} seeds per activation, "
          f"weight variance off by {error:.0%}" + (f", bias sd {bias:g}" if bias else "") + ".\n")
    print("| activation | init | disagreements | median share of tolerance | 99% | largest "
          "| widest log tolerance | layers blind to x2 |")
    print("|---|---|---|---|---|---|---|---|")
    for act, init in SETTINGS.items():
        init = scheme or init
        p = predict(init, act, depth=depth, width=width, batch=batch, bias=bias)
        t = p.tolerance
        blind = int(np.sum((t.var >= np.log(BLIND_FACTOR)) | (t.grad_var >= np.log(BLIND_FACTOR))))
        drawn = scaled(init, error) if error else init
        shares, bad = [], 0
        for s in child_seeds(2024, seeds):
            c = compare(propagate(drawn, act, depth=depth, width=width, batch=batch, seed=s,
                                  bias=bias), p)
            bad += not c.agree
            shares.append(worst(c))
        q = np.quantile(shares, [0.5, 0.99, 1.0])
        print(f"| {act} | {init} | {bad} of {seeds} | {q[0]:.2f} | {q[1]:.2f} | {q[2]:.2f} "
              f"| {max(t.var.max(), t.grad_var.max()):.2f} | {blind} of {depth} |")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(*(int(a) for a in args[:2]), *(float(a) for a in args[2:3]), *(int(a) for a in args[3:4]),
         *(float(a) for a in args[4:5]), *args[5:6])
