"""`identify`: the derive schemes that explain samples of one initializer at one or more
shapes — family, truncation, fan mode and scale — ranked, with ties said as ties.

Family: the samples of every shape, each divided by its own root mean square, pooled and
compared by KS with N(0, 1), U(±√3), and a normal cut at ±k σ whose k is fitted from the
largest |z| (k/c(k) = max|z|); a cut counts only where a normal would have put values
beyond it, and families whose KS distances differ by less than the test's noise tie.
Mode: for each fan mode (and a fixed variance), scaleᵢ = E[w²]ᵢ / v_mode(fansᵢ) must agree
across the shapes within their standard errors √((κ − 1)/nᵢ); a scale within 4 standard
errors of a simple fraction (denominator ≤ 6, numerator ≤ 12) ranks first. With one shape every
mode agrees with itself, so the modes tie, and the result says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import optimize, stats

from derive import MODES, Scheme, fixed_uniform, variance_scaling
from verify.layout import fans

SHAPE_VALUES = 200_000  # values pooled for the family's KS test
SIMPLE = 6  # a "simple" scale is a fraction with denominator at most 6, numerator at most 12
CONSISTENT = 1e-6  # p-value above which the shapes agree on a mode's scale
Observation = tuple[np.ndarray, Sequence[int]]


@dataclass(frozen=True)
class Candidate:
    """One explanation of the samples. `scheme` is a derive scheme `check` accepts (a fixed
    U(`low`, `high`) for an off-centre uniform); `tie` is True where another candidate
    explains every shape equally well."""

    scheme: Scheme
    distribution: str
    mode: str | None
    scale: float
    truncation: float | None
    corrected: bool | None
    tie: bool
    distance: float
    fraction: Fraction | None = None
    low: float = 0.0
    high: float = 0.0

    def describe(self) -> str:
        if self.scheme.mean:
            return f"a uniform on [{self.low:.4g}, {self.high:.4g}] (KS distance " \
                   f"{self.distance:.3g})"
        if self.distribution == "truncated_normal":
            what = (f"a normal cut at +-{self.truncation:g} sigma ("
                    + ("variance-corrected)" if self.corrected else "not variance-corrected)"))
        else:
            what = {"normal": "an untruncated normal",
                    "uniform": "a symmetric uniform"}[self.distribution]
        frac = self.fraction
        if self.mode is None:
            sd = math.sqrt(float(frac)) if frac is not None else math.sqrt(self.scale)
            scale = f"{sd:.4g}^2, whatever the fans"
        elif frac is not None:
            scale = f"{frac}/{self.mode}" if frac.denominator == 1 else f"({frac})/{self.mode}"
        else:
            scale = f"{self.scale:.4g}/{self.mode}"
        size = "scale" if self.distribution == "truncated_normal" and not self.corrected \
            else "variance"
        tie = ", tied with other explanations" if self.tie else ""
        return f"{what} with {size} {scale} (KS distance {self.distance:.3g}){tie}"


def _observations(observations: Sequence[Observation] | np.ndarray,
                  shape: Sequence[int] | None) -> list[tuple[np.ndarray, tuple[int, ...]]]:
    if isinstance(observations, np.ndarray):
        if shape is None:
            raise ValueError("identify(samples, shape) needs the shape the samples came in")
        observations = [(observations, shape)]
    found = []
    for samples, shp in observations:
        x = np.asarray(samples, dtype=np.float64).ravel()
        if x.size < 10 or not np.all(np.isfinite(x)):
            raise ValueError("identify needs at least 10 finite values per observation")
        found.append((x, tuple(shp)))
    if not found:
        raise ValueError("identify needs at least one (samples, shape) observation")
    return found


def _cut(largest: float, n: int) -> float | None:
    """k ≥ 1 with k/c(k) = largest |z|, where a normal would have put values beyond it; else
    None (a cut below 1 σ is a uniform in all but name)."""
    low, high = 1.0, 40.0
    if not low / _c(low) < largest < high:
        return None
    k = optimize.brentq(lambda t: t / _c(t) - largest, low, high)
    return k if n * 2 * stats.norm.sf(k) >= 5 else None


def _c(k: float) -> float:
    """c(k), the sd of N(0, 1) cut at ±k, by scipy: fitting calls it often, and the scheme
    built from the fit takes derive's exact c(k)."""
    return math.sqrt(float(stats.truncnorm(-k, k).var()))


def _simple(k: float) -> float:
    """k, snapped to a whole or half number within 2%."""
    snapped = round(2 * k) / 2
    return snapped if abs(snapped / k - 1) < 0.02 else round(k, 2)


def _families(z: np.ndarray, n: int) -> list[tuple[str, float | None, float]]:
    """(family, k, KS distance) for each family, the pooled standardized sample z."""
    families = [("normal", None, stats.norm()), ("uniform", None,
                                                 stats.uniform(-math.sqrt(3), 2 * math.sqrt(3)))]
    k = _cut(float(np.max(np.abs(z))), n)
    if k is not None:
        k = _simple(k)
        c = _c(k)
        families.append(("truncated_normal", k, stats.truncnorm(-k, k, scale=1 / c)))
    head = z[:: max(1, z.size // SHAPE_VALUES)]
    return [(name, cut, float(stats.kstest(head, dist.cdf).statistic))
            for name, cut, dist in families]


def identify(observations: Sequence[Observation] | np.ndarray,
             shape: Sequence[int] | None = None, convention: str = "torch",
             **axes: object) -> list[Candidate]:
    """Candidates ranked best first, for samples of one initializer at one or more shapes.

    `observations` is a list of (samples, shape) pairs (or one array, with `shape`).

    >>> from verify import sample
    >>> best = identify([(sample("he_normal", (512, 256), rng=0), (512, 256)),
    ...                  (sample("he_normal", (64, 1024), rng=1), (64, 1024))])[0]
    >>> best.scheme.variance, best.tie
    (2/fan_in, False)
    """
    obs = _observations(observations, shape)
    x_all = np.concatenate([x for x, _ in obs])
    n = x_all.size
    m2 = np.array([float(np.mean(x * x)) for x, _ in obs])
    if not np.all(m2 > 0):
        return []
    mean = float(x_all.mean())
    kappa = float(np.mean(x_all**4) / np.mean(x_all**2) ** 2)
    z = np.concatenate([x / math.sqrt(v) for (x, _), v in zip(obs, m2, strict=True)])
    noise = 1.63 / math.sqrt(min(n, SHAPE_VALUES))  # KS's 1% critical distance
    found: list[tuple[tuple, Candidate, float]] = []
    if abs(mean) > 5 * math.sqrt(float(x_all.var()) / n):  # off centre: a fixed U(a, b)
        low, high = (_round_end(float(e), float(np.ptp(x_all)) * 20 / n)
                     for e in (x_all.min(), x_all.max()))
        distance = float(stats.kstest(x_all[:SHAPE_VALUES], stats.uniform(low, high - low).cdf)
                         .statistic)
        found.append(((round(distance / noise), False, False),
                      Candidate(fixed_uniform(low, high), "uniform", None,
                                (high - low) ** 2 / 12, None, None, False, distance,
                                low=low, high=high), 0.0))
    counts = np.array([x.size for x, _ in obs])
    fan_pairs = [fans(s, convention, **axes) for _, s in obs]  # type: ignore[arg-type]
    units = {mode: np.array([variance_scaling(1, mode, "normal").variance_at(fi, fo)
                             for fi, fo in fan_pairs]) for mode in (*MODES, None)}
    for family, k, distance in _families(z, n):
        variants = [(True,), (False,)] if family == "truncated_normal" else [(True,)]
        for (corrected,) in variants:
            shrink = _c(k) ** 2 if family == "truncated_normal" and not corrected else 1.0
            for mode, per_mode in units.items():
                unit = per_mode * shrink
                scales = m2 / unit
                pooled = float(np.sum(counts * m2) / np.sum(counts * unit))
                se = pooled * np.sqrt(max(kappa - 1, 1e-12) / counts)
                chi2 = float(np.sum(((scales - pooled) / se) ** 2))
                consistent = len(obs) == 1 or stats.chi2.sf(chi2, len(obs) - 1) > CONSISTENT
                frac = _simplest(pooled, mode, 4 * float(se.min()) / pooled)
                simple = frac is not None
                value = float(frac) if simple else pooled
                exact = frac if simple else pooled
                scheme = variance_scaling(exact, mode, family, **(
                    {"truncation": k, "corrected": corrected}
                    if family == "truncated_normal" else {}))
                key = (round(distance / noise), not consistent, not simple)
                miss = abs(value / pooled - 1)  # how far the simple value is from the fit
                found.append((key, Candidate(scheme, family, mode, value, k,
                                             corrected if family == "truncated_normal" else None,
                                             False, distance, frac), miss))
    found.sort(key=lambda item: (item[0], round(item[2] / 0.005), item[1].fraction.denominator
                                 if item[1].fraction else 0, item[1].mode is None))
    (best, top, _), rivals = found[0], found[1:]
    # a tie: another family or fan mode fits as closely and agrees across the shapes (the
    # simplicity of a scale ranks, it does not decide); corrected and uncorrected cuts of one
    # mode are one law
    tied = any(key[:2] == best[:2] and (c.distribution, c.mode) != (top.distribution, top.mode)
               for key, c, _ in rivals)
    return [Candidate(**{**c.__dict__, "tie": tied and key[:2] == best[:2]})
            for key, c, _ in found]


def _round_end(end: float, tolerance: float) -> float:
    """The end of a uniform's support with the fewest significant digits (0, or up to 4)
    within `tolerance` of the observed extreme."""
    if abs(end) <= tolerance:
        return 0.0
    for digits in range(1, 5):
        rounded = float(f"{end:.{digits - 1}e}")
        if abs(rounded - end) <= tolerance:
            return rounded
    return end


def _simplest(scale: float, mode: str | None, tolerance: float) -> Fraction | None:
    """The simple value within `tolerance` (relative) of `scale`: a fraction with denominator
    ≤ 6 and numerator ≤ 12 for a fan mode; for a fixed variance, the square of a standard
    deviation with one or two significant digits (0.02², 0.05²); None if there is none."""
    if mode is not None:
        frac = Fraction(scale).limit_denominator(SIMPLE)
        close = 0 < frac.numerator <= 2 * SIMPLE and abs(float(frac) / scale - 1) < tolerance
        return frac if close else None
    sd = math.sqrt(scale)
    for digits in (1, 2):
        rounded = Fraction(f"{sd:.{digits - 1}e}")
        if abs(float(rounded) ** 2 / scale - 1) < tolerance:
            return rounded**2
    return None
