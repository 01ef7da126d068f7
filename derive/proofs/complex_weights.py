"""Derivation 9: complex weights, read as circular laws of the modulus."""

from __future__ import annotations

from functools import cache

import sympy as sp

from derive.derivation import Derivation, Step, chain, solve_one
from derive.notation import EXPECT

r = sp.Symbol("r", positive=True)
t = sp.Symbol("t", positive=True)
v = sp.Symbol("v", positive=True)
R = sp.Symbol("R", positive=True)
K = sp.Symbol("K", positive=True)
s2 = sp.Symbol("sigma^2", positive=True)


@cache
def complex_weights() -> Derivation:
    """|w|²/v ~ Exp(1) for the circular normal; U(0, 2) on the disk of radius √(2v); for the
    normal cut at |w| ≤ kσ, |w|²/σ² ~ Exp(1) cut at K = k², of mean
    m(K) = (1 − (1 + K)e^{−K})/(1 − e^{−K})."""
    normal_density = sp.exp(-(r**2) / v) / (sp.pi * v)
    normal_cdf = sp.Integral(2 * sp.pi * r * normal_density, (r, 0, sp.sqrt(t)))
    disk_power = sp.Integral(r**2 * 2 * sp.pi * r / (sp.pi * R**2), (r, 0, R))
    disk_cdf = sp.Integral(2 * sp.pi * r / (sp.pi * R**2), (r, 0, sp.sqrt(t)))
    radius = solve_one(R**2 / 2 - v, R)
    cut_mean = sp.Integral(t * sp.exp(-t), (t, 0, K)) / sp.Integral(sp.exp(-t), (t, 0, K))
    mean = (1 - (1 + K) * sp.exp(-K)) / (1 - sp.exp(-K))
    steps = (
        Step(normal_cdf, 1 - sp.exp(-t / v),
             "circular normal: density $e^{-|w|^2/v}/(\\pi v)$, integrate over the disk "
             "$|w| \\le \\sqrt{t}$ in polar coordinates: $|w|^2/v \\sim \\mathrm{Exp}(1)$"),
        Step(disk_power, R**2 / 2, "uniform on the disk of radius $R$: $\\mathbb{E}|w|^2$"),
        Step(R, sp.sqrt(2 * v), "solve $R^2/2 = v$", {R: radius}),
        Step(disk_cdf, t / R**2,
             "$\\mathbb{P}(|w|^2 \\le t)$ on the disk: $|w|^2/v \\sim U(0, 2)$"),
        *chain(cut_mean, (mean, "$|w|^2/\\sigma^2 \\sim \\mathrm{Exp}(1)$ kept where it is "
                                "at most $K = k^2$: its mean $m(K)$")),
        Step(s2, v / mean, "solve $\\sigma^2 m(K) = v$: the corrected cut normal",
             {s2: solve_one(s2 * mean - v, s2)}),
    )
    return Derivation(
        key="complex",
        title="Complex weights: the modulus laws",
        summary=(
            "A complex initializer is circular: its phase is uniform and independent of its "
            f"modulus, and ${EXPECT}|w|^2$ plays the role of the variance $v$. "
            "The circular normal "
            "(real and imaginary parts independent, each of variance $v/2$) has "
            "$|w|^2/v \\sim \\mathrm{Exp}(1)$; the uniform law on a disk reaches "
            f"${EXPECT}|w|^2 = v$ "
            "at radius $\\sqrt{2v}$, where $|w|^2/v \\sim U(0, 2)$; the normal cut at "
            "$|w| \\le k\\sigma$ keeps $|w|^2/\\sigma^2 \\sim \\mathrm{Exp}(1)$ below "
            "$K = k^2$, of mean $m(K)$, so $\\sigma^2 = v/m(K)$ gives $\\mathbb{E}|w|^2 = v$."
        ),
        assumptions=(
            "The phase of $w$ is uniform on $[0, 2\\pi)$ and independent of $|w|$.",
            "The truncated law is the circular normal of $\\mathbb{E}|w|^2 = \\sigma^2$ kept where "
            "$|w| \\le k\\sigma$.",
        ),
        steps=steps,
        results={"disk_radius": sp.sqrt(2 * v), "modulus_mean": mean},
    )
