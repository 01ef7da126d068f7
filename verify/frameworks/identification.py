"""`identify`: the schemes that best explain a sample — family, scale and fan mode, ranked.

Families are told apart by their shape (KS distance of the sample against each
family scaled to the sample's own second moment m₂ = E[w²]: normal N(0, m₂),
truncated normal cut at ±2σ with σ = √m₂ / 0.8796…, uniform U(±√(3m₂)), and a
uniform on [min, max] for samples that are not centred). Within a family,
scale = m₂ / v_mode(fan_in, fan_out) for each fan mode; a mode whose scale is a
simple fraction (denominator ≤ 6) within 4 standard errors ranks first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import stats

from verify.layout import fans

SHAPE_VALUES = 200_000


@dataclass(frozen=True)
class Candidate:
    """One explanation: `family`, `mode` (None: a fixed variance), `scale` and its fit."""

    family: str
    mode: str | None
    scale: float
    fraction: Fraction | None
    variance: float
    ks: float
    pvalue: float
    schemes: tuple[str, ...]
    low: float = 0.0
    high: float = 0.0
    sigma: float = 0.0

    def describe(self) -> str:
        if self.family == "uniform_interval":
            return f"a uniform on [{self.low:.4g}, {self.high:.4g}] (KS distance {self.ks:.3g})"
        what = {"normal": "an untruncated normal",
                "truncated_normal": "a normal cut at +-2 sigma",
                "uniform": "a symmetric uniform"}[self.family]
        frac = self.fraction
        scale = (f"{self.variance:.4g}" if frac is None or not self.mode
                 else f"{frac}/{self.mode}" if frac.denominator == 1 else f"({frac})/{self.mode}")
        named = f", i.e. derive's {', '.join(self.schemes)}" if self.schemes else ""
        truncated = self.family == "truncated_normal"
        cut = f", sigma before the cut {self.sigma:.4g}" if truncated else ""
        return f"{what} with variance {scale}{cut} (KS distance {self.ks:.3g}){named}"


def _families(m2: float, correction: float) -> dict[str, stats.rv_continuous]:
    sd = math.sqrt(m2)
    return {"normal": stats.norm(0, sd),
            "truncated_normal": stats.truncnorm(-2, 2, scale=sd / correction),
            "uniform": stats.uniform(-math.sqrt(3 * m2), 2 * math.sqrt(3 * m2))}


def identify(samples: np.ndarray, shape: tuple[int, ...], convention: str = "torch",
             **axes: object) -> list[Candidate]:
    """Candidates ranked best first; `samples` are values of one or more arrays of `shape`.

    >>> from verify import sample
    >>> identify(sample("he_normal", (512, 256), rng=0), (512, 256))[0].schemes
    ('he_normal', 'kaiming_normal')
    """
    from derive import MODES, SCHEMES, truncated_normal, variance_scaling

    x = np.asarray(samples, dtype=np.float64).ravel()
    if x.size < 10 or not np.all(np.isfinite(x)):
        raise ValueError("identify needs at least 10 finite values")
    fan_in, fan_out = fans(shape, convention, **axes)  # type: ignore[arg-type]
    m2 = float(np.mean(x * x))
    if m2 == 0:
        return []
    correction = float(truncated_normal().results["correction"])
    head = x[:SHAPE_VALUES]
    se = math.sqrt(max(float(np.mean(x**4)) / m2**2 - 1, 0.0) / x.size)
    found = []
    for family, dist in _families(m2, correction).items():
        ks = stats.kstest(head, dist.cdf)
        named = tuple(n for n, s in SCHEMES.items() if s.distribution == family and s.mode
                      and abs(s.variance_at(fan_in, fan_out) / m2 - 1) < 4 * se)
        options = []
        for mode in (*MODES, None):
            unit = variance_scaling(1, mode, family).variance_at(fan_in, fan_out)
            scale = m2 / unit
            frac = Fraction(scale).limit_denominator(6)
            good = 0 < frac.numerator <= 12 and abs(float(frac) / scale - 1) < 4 * se
            options.append(Candidate(family, mode, scale, frac if good and mode else None, m2,
                                     float(ks.statistic), float(ks.pvalue), named,
                                     sigma=math.sqrt(m2) / correction))
        options.sort(key=lambda c: (c.fraction is None,
                                    c.fraction.denominator if c.fraction else 0))
        found += options
    low, high = float(x.min()), float(x.max())
    if high > low:
        ks = stats.kstest(head, stats.uniform(low, high - low).cdf)
        found.append(Candidate("uniform_interval", None, m2, None, m2, float(ks.statistic),
                               float(ks.pvalue), (), low, high))
    return sorted(found, key=lambda c: round(c.ks, 3))
