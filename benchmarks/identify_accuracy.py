"""Accuracy of `verify.identify` on known initializers, from one shape and from two.

    python benchmarks/identify_accuracy.py > docs/evidence/identify.md

Each initializer is a derive scheme (the claim a framework's documentation makes, named in
the first column) sampled by the built-in sampler at two dense shapes and two convolution
shapes (torch layout). Right: the top candidate has the true family, cut, correction and
fan mode, and a scale within 3% (exactly, when the scale is a simple fraction). A tie is
right when the truth is among the tied candidates.
"""

from __future__ import annotations

import derive
from derive import fixed_normal, fixed_truncated_normal, fixed_uniform, variance_scaling
from verify import identify, sample

S = derive.SCHEMES
KNOWN = {
    "lecun_normal (Keras VarianceScaling untruncated_normal)": S["lecun_normal"],
    "lecun_truncated_normal (JAX/Flax lecun_normal, Flax Dense)": S["lecun_truncated_normal"],
    "lecun_uniform": S["lecun_uniform"],
    "glorot_normal (torch xavier_normal_)": S["glorot_normal"],
    "glorot_truncated_normal (JAX/Keras glorot_normal)": S["glorot_truncated_normal"],
    "glorot_uniform (Keras Dense/Conv2D default)": S["glorot_uniform"],
    "he_normal (torch kaiming_normal_)": S["he_normal"],
    "he_truncated_normal (JAX/Keras he_normal)": S["he_truncated_normal"],
    "he_uniform (torch kaiming_uniform_)": S["he_uniform"],
    "small_normal N(0, 0.01^2)": S["small_normal"],
    "standard_normal": S["standard_normal"],
    "uniform_inv_sqrt (torch nn.Linear/Conv default, Equinox Linear)": S["uniform_inv_sqrt"],
    "torch kaiming_normal_(mode='fan_out')": variance_scaling(2, "fan_out", "normal"),
    "torch kaiming_uniform_(a=0.2)": variance_scaling(derive.leaky_he_scale(0.2), "fan_in",
                                                      "uniform"),
    "torch xavier_normal_(gain=5/3)": variance_scaling(25 / 9, "fan_avg", "normal"),
    "torch normal_(std=0.02)": fixed_normal(0.02),
    "torch uniform_(-0.05, 0.05)": fixed_uniform(-0.05, 0.05),
    "torch trunc_normal_(std=1), bounds +-2": fixed_truncated_normal(1.0, bounds=(-2, 2)),
    "torch trunc_normal_(std=0.5), bounds +-1.5": fixed_truncated_normal(0.5, bounds=(-1.5, 1.5)),
    "Haiku TruncatedNormal(0.02)": variance_scaling(0.02**2, None, "truncated_normal",
                                                    corrected=False),
    "Keras TruncatedNormal(0.05)": variance_scaling(0.05**2, None, "truncated_normal",
                                                    corrected=False),
    "timm trunc_normal_tf_(std=0.01)": variance_scaling(0.01**2, None, "truncated_normal",
                                                        corrected=False),
    "JAX variance_scaling(2, fan_out, normal)": variance_scaling(2, "fan_out", "normal"),
    "JAX variance_scaling(0.5, fan_geo_avg, truncated_normal)":
        variance_scaling(0.5, "fan_geo_avg", "truncated_normal"),
    "JAX variance_scaling(3, fan_in, uniform)": variance_scaling(3, "fan_in", "uniform"),
    "timm variance_scaling_(2, fan_avg, truncated_normal)":
        variance_scaling(2, "fan_avg", "truncated_normal"),
    "Keras VarianceScaling(0.1, fan_in, untruncated_normal)":
        variance_scaling(0.1, "fan_in", "normal"),
    "truncated at 3 sigma, corrected, 1/fan_in":
        variance_scaling(1, "fan_in", "truncated_normal", truncation=3),
    "truncated at 3 sigma, uncorrected, 0.01^2":
        variance_scaling(0.01**2, None, "truncated_normal", truncation=3, corrected=False),
    "uniform 4/fan_in": variance_scaling(4, "fan_in", "uniform"),
    "uniform (1/2)/fan_out": variance_scaling(0.5, "fan_out", "uniform"),
    "normal 0.1^2": fixed_normal(0.1),
    "uniform +-0.1": fixed_uniform(-0.1, 0.1),
}
SHAPE_SETS = {"dense": ((256, 128), (96, 512)), "conv": ((64, 32, 3, 3), (128, 16, 5, 5))}


def same(candidate: object, truth: derive.Scheme) -> bool:
    """Same family, cut, correction and mode, and a scale within 3%."""
    s = candidate.scheme  # type: ignore[attr-defined]
    if s is None or (s.distribution, s.mode) != (truth.distribution, truth.mode):
        return False
    if truth.distribution == "truncated_normal" and (
            abs(float(s.truncation) - float(truth.truncation)) > 0.05 * float(truth.truncation)
            or s.corrected != truth.corrected):
        return False
    fans = (300.0, 700.0)
    return abs(s.variance_at(*fans) / truth.variance_at(*fans) - 1) < 0.03


def verdict(found: list, truth: derive.Scheme) -> str:
    if same(found[0], truth):
        return "tie, truth among them" if found[0].tie else "right"
    if found[0].tie and any(c.tie and same(c, truth) for c in found):
        return "tie, truth among them"
    return "WRONG: " + found[0].describe()


def main() -> None:
    rows, tally = [], {}
    for seed, (label, truth) in enumerate(KNOWN.items()):
        cells = []
        for kind, shapes in SHAPE_SETS.items():
            obs = [(sample(truth, shape, rng=seed * 10 + i), shape)
                   for i, shape in enumerate(shapes)]
            for used, observations in (("two shapes", obs), ("one shape", obs[:1])):
                v = verdict(identify(observations), truth)
                tally.setdefault((kind, used), []).append(v.split(":")[0].split(",")[0])
                cells.append(v)
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    print("# `verify.identify` on known initializers\n")
    print("Generated by `python benchmarks/identify_accuracy.py`. Each initializer sampled at "
          "two dense shapes (256x128, 96x512) and two convolution shapes (64x32x3x3, "
          "128x16x5x5), torch layout; identified from both shapes and from the first alone. "
          "*right*: the top candidate has the true family, cut, correction and fan mode and a "
          "scale within 3%; *tie*: identify said several explanations fit equally well, the "
          "truth among them (from one shape, 2/fan_in and 4/fan_out cannot be told apart).\n")
    print("| | " + " | ".join(f"{k}, {u}" for k in SHAPE_SETS for u in ("two shapes",
                                                                          "one shape")) + " |")
    print("|---|" + "---|" * 4)
    for outcome in ("right", "tie", "WRONG"):
        print(f"| {outcome} | " + " | ".join(
            f"{sum(v == outcome for v in tally[(k, u)])} / {len(KNOWN)}"
            for k in SHAPE_SETS for u in ("two shapes", "one shape")) + " |")
    print("\n| initializer | dense, two shapes | dense, one shape | conv, two shapes | "
          "conv, one shape |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
