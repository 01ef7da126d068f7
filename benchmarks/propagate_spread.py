"""How far a batch-pooled Var(a_l) and Var(δ_l) really spread around the prediction, against
their tolerances.

    python benchmarks/propagate_spread.py ACTIVATION INIT WIDTH SEEDS BATCH [BATCH ...]

For each batch size, SEEDS nets of depth 20 (seeds spawned from one SeedSequence):
the mean, sd and 0.5% / 99.5% quantiles of log(measured / predicted) of Var(a_l) and of
Var(δ_l) at layers 1, 5, 10 and 20, beside `predict`'s log tolerance for that batch: a
quantile near it shows how little margin is left, an sd far below a sixth of it how much
power is lost.
"""

from __future__ import annotations

import sys

import numpy as np

from verify import child_seeds, predict, propagate

LAYERS = (1, 5, 10, 20)


def main(activation: str, init: str, width: int, seeds: int, batches: list[int],
         depth: int = 20) -> None:
    print(f"{activation}, {init}, depth {depth}, width {width}, {seeds} seeds per batch size.\n")
    print("| batch | quantity | layer | mean | sd | 0.5% | 99.5% | tolerance |")
    print("|---|---|---|---|---|---|---|---|")
    for batch in batches:
        p = predict(init, activation, depth=depth, width=width, batch=batch)
        runs = [propagate(init, activation, depth=depth, width=width, batch=batch, seed=s)
                for s in child_seeds(7, seeds)]
        for name, measured, predicted, tolerance in (
                ("Var(a)", [m.var for m in runs], p.var, p.tolerance.var),
                ("Var(δ)", [m.grad_var for m in runs], p.grad_var, p.tolerance.grad_var)):
            logs = np.log(np.array(measured) / predicted)
            for layer in LAYERS:
                x = logs[:, layer - 1]
                lo, hi = np.quantile(x, [0.005, 0.995])
                print(f"| {batch} | {name} | {layer} | {x.mean():.2f} | {x.std():.2f} | {lo:.2f} "
                      f"| {hi:.2f} | {tolerance[layer - 1]:.2f} |")


if __name__ == "__main__":
    act, scheme, n, count, *sizes = sys.argv[1:]
    main(act, scheme, int(n), int(count), [int(b) for b in sizes])
