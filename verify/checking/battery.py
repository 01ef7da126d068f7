"""`check`: a battery of calibrated tests of an initializer against derive's scheme.

The p-valued tests (location, scale, KS, Cramér–von Mises, largest |w| near
the bound) are corrected together by Holm at family-wise level α; the
deterministic ones (finite, shape, dtype, within bound, not degenerate,
reproducible) pass or fail outright.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from functools import partial

import numpy as np
from scipy import stats

from derive import Scheme
from verify.checking import statistics as st
from verify.layout import check_shape, fans
from verify.sampling import Initializer, child_seeds, resolve

CHUNK = 1 << 20
DEFAULT_DELTA = 0.02
DEFAULT_POWER = 0.99
PVALUED = ("mean", "variance", "ks", "cvm", "max_near_bound")
"""The tests Holm corrects together; max_near_bound only where the scheme has a bound."""
Init = Initializer | np.ndarray


@dataclass(frozen=True)
class Check:
    """One test: scipy-style `statistic` and `pvalue`, plus what it saw and could see."""

    name: str
    statistic: float | None
    pvalue: float | None
    expected: float | str | None
    observed: float | str | None
    passed: bool
    detail: str = ""
    effect: float | None = None
    ci: tuple[float, float] | None = None
    detectable: float | None = None


@dataclass(frozen=True)
class Report:
    """The verdict on one initializer; `str(report)` is a readable table."""

    scheme: str
    shape: tuple[int, ...]
    convention: str
    fan_in: int
    fan_out: int
    n: int
    alpha: float
    checks: tuple[Check, ...]
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "passed": self.passed}

    def __str__(self) -> str:
        head = (f"{self.scheme} on shape {self.shape} ({self.convention}: fan_in={self.fan_in}, "
                f"fan_out={self.fan_out}), n={self.n:,}, family-wise alpha={self.alpha:g}: "
                f"{'PASS' if self.passed else 'FAIL'}")
        rows = [("check", "observed", "expected", "effect [CI]", "detectable", "p", "")]
        for c in self.checks:
            effect = "-" if c.effect is None else f"{c.effect:+.4g}"
            if c.ci is not None:
                effect += f" [{c.ci[0]:+.3g}, {c.ci[1]:+.3g}]"
            rows.append((c.name, _fmt(c.observed), _fmt(c.expected), effect,
                         "-" if c.detectable is None else f"{c.detectable:.3g}",
                         "-" if c.pvalue is None else f"{c.pvalue:.3g}",
                         "ok" if c.passed else "FAIL"))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        table = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
                 for r in rows]
        details = [f"  {c.name}: {c.detail}" for c in self.checks if c.detail and not c.passed]
        return "\n".join([head, *table, *details, *(f"note: {n}" for n in self.notes)])


def _fmt(v: object) -> str:
    return "-" if v is None else f"{v:.6g}" if isinstance(v, float) else str(v)


def _chunks(init: Init, shape: tuple[int, ...], seed: int, n: int | None) -> Iterator[np.ndarray]:
    """The samples: the array itself, or calls init(shape, sᵢ) with seeds spawned from `seed`."""
    if not callable(init):
        flat = np.asarray(init).reshape(-1)
        for i in range(0, flat.size, CHUNK):
            yield flat[i : i + CHUNK]
        return
    size = math.prod(shape)
    for child in child_seeds(seed, max(1, -(-(n or size) // size))):
        yield np.asarray(init(shape, child))


def _sanity(first: np.ndarray, shape: tuple[int, ...], random: bool) -> list[Check]:
    """Shape, floating dtype and no degenerate structure, on the first array drawn."""
    checks = [
        Check("shape", None, None, str(shape), str(first.shape), first.shape == shape),
        Check("dtype", None, None, "floating", str(first.dtype),
              np.issubdtype(first.dtype, np.floating)),
    ]
    if random and first.size > 1:
        flat = first.reshape(first.shape[0], -1) if first.ndim > 1 else first.reshape(-1, 1)
        equal = bool(np.all(flat == flat.flat[0]))
        rows = flat.shape[1] > 1 and np.unique(flat, axis=0).shape[0] < flat.shape[0]
        cols = flat.shape[0] > 1 and np.unique(flat, axis=1).shape[1] < flat.shape[1]
        detail = ("all values equal" if equal else "identical rows" if rows
                  else "identical columns" if cols else "")
        checks.append(Check("not_degenerate", None, None, "distinct", detail or "distinct",
                            not detail, detail))
    return checks


def default_samples(scheme: Scheme, fan_in: float, fan_out: float, alpha: float) -> int:
    """n that catches a 2% scale error with power 0.99 at the family's α (Bonferroni bound)."""
    kappa = st.kurtosis(st.distribution(scheme, fan_in, fan_out))
    return st.samples_for(DEFAULT_DELTA, kappa, alpha / len(PVALUED), DEFAULT_POWER)


def check(init: Init, scheme: Scheme | str, *, shape: Sequence[int], convention: str = "torch",
          seed: int = 0, alpha: float = 1e-6, n_samples: int | None = None,
          resolution: float | None = None, **axes: object) -> Report:
    """Test `init` (an array, or a callable init(shape, seed)) against the scheme.

    `resolution` is the spacing near the bound of the dtype the values were made in,
    when they arrive converted (bfloat16 values as float64, say); by default that of
    the array's own dtype. |w| may pass the bound by that much, and the largest |w|
    counts as reaching the bound when within it.

    Returns:
        A `Report`: `.passed`, `.checks` (each with statistic, p-value, effect and the
        smallest error it could detect), `str()` a table.

    >>> from verify import sample
    >>> report = check(lambda shape, seed: sample("glorot_uniform", shape, rng=seed) * 1.1,
    ...                "glorot_uniform", shape=(128, 64))
    >>> report.passed, [c.name for c in report.failed]
    (False, ['within_bound', 'variance', 'ks', 'cvm'])
    """
    scheme = resolve(scheme)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    if n_samples is not None and n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    shape = check_shape(shape)
    fan_in, fan_out = fans(shape, convention, **axes)  # type: ignore[arg-type]
    variance = scheme.variance_at(fan_in, fan_out)
    bound = scheme.bound_at(fan_in, fan_out)
    notes = []
    if n_samples is None and callable(init) and variance > 0:
        n_samples = default_samples(scheme, fan_in, fan_out, alpha)
        notes.append(f"n={n_samples:,} chosen to catch a {DEFAULT_DELTA:.0%} scale error with "
                     f"power {DEFAULT_POWER} at the family's alpha")
    moments, first, checks = st.Moments(), None if callable(init) else np.asarray(init), []
    for chunk in _chunks(init, shape, seed, n_samples):
        first = chunk if first is None else first
        moments.add(chunk)
    assert first is not None
    checks += _sanity(first, shape, random=variance > 0)
    checks.append(Check("finite", None, None, 0, moments.nonfinite, moments.nonfinite == 0,
                        f"{moments.nonfinite} values are NaN or infinite"))
    if callable(init):
        checks += _reproducible(init, shape, seed, first, random=variance > 0)
    if bound is not None:
        ulp = resolution if resolution is not None else \
            float(np.spacing(np.asarray(bound, dtype=first.dtype))) \
            if np.issubdtype(first.dtype, np.floating) else 0.0
        checks.append(Check("within_bound", moments.max_abs, None, bound, moments.max_abs,
                            moments.max_abs <= bound + ulp,
                            f"largest |w| {moments.max_abs:.6g} exceeds the bound {bound:.6g}"))
    if variance == 0:
        checks.append(Check("all_zero", None, None, 0.0, moments.max_abs, moments.max_abs == 0,
                            "the scheme is constant zero"))
    elif moments.n >= 2:
        checks += _statistical(moments, scheme, fan_in, fan_out, alpha,
                               ulp if bound is not None else 0.0)
    return Report(scheme.name, shape, convention, fan_in, fan_out, moments.n, alpha,
                  tuple(checks), tuple(notes))


def _reproducible(init: Initializer, shape: tuple[int, ...], seed: int, first: np.ndarray,
                  random: bool) -> list[Check]:
    """Same seed, same array; for a random scheme, another seed, another array."""
    (seed0,) = child_seeds(seed, 1)  # the seed `_chunks` gave the first call
    again = np.asarray(init(shape, seed0))
    other = np.asarray(init(shape, seed0 ^ 0x5EED))
    same = again.shape == first.shape and bool(np.array_equal(again, first, equal_nan=True))
    differs = other.shape != first.shape or not np.array_equal(other, first)
    checks = [Check("same_seed_same_array", None, None, "equal",
                    "equal" if same else "different", same,
                    "calling init twice with the same seed gave different arrays")]
    if random:
        checks.append(Check("seed_changes_array", None, None, "different",
                            "different" if differs else "equal", differs,
                            "a different seed gave the same array"))
    return checks


def _statistical(m: st.Moments, scheme: Scheme, fan_in: float, fan_out: float,
                 alpha: float, ulp: float = 0.0) -> list[Check]:
    dist = st.distribution(scheme, fan_in, fan_out)
    variance, bound = scheme.variance_at(fan_in, fan_out), scheme.bound_at(fan_in, fan_out)
    kappa = st.kurtosis(dist)
    each = alpha / (len(PVALUED) - (bound is None))
    z = st.z_two_sided(alpha)
    power_z = st.power_z(each, DEFAULT_POWER)
    mean = m.total / m.n
    loc_se = math.sqrt(variance / m.n)
    ratio = m.squares / m.n / variance
    scale_se = math.sqrt((kappa - 1) / m.n)
    kept = m.shape_sample()
    ks = stats.kstest(kept, dist.cdf)
    with np.errstate(invalid="ignore", divide="ignore"):
        cvm = stats.cramervonmises(kept, dist.cdf)
    # scipy's series gives NaN only far in the tail (statistics in the thousands): p ≈ 0
    cvm_p = float(cvm.pvalue) if math.isfinite(cvm.pvalue) else 0.0
    pending = [
        partial(Check, "mean", mean / loc_se, 2 * float(stats.norm.sf(abs(mean / loc_se))), 0.0,
                mean, detail="the mean is not zero", effect=mean / math.sqrt(variance),
                ci=(mean / math.sqrt(variance) - z / math.sqrt(m.n),
                    mean / math.sqrt(variance) + z / math.sqrt(m.n)),
                detectable=power_z / math.sqrt(m.n)),
        partial(Check, "variance", m.squares / variance,
                st.scale_pvalue(m, variance, kappa, scheme.distribution == "normal"),
                variance, m.squares / m.n,
                detail=f"observed variance is {ratio:.4f} x derive's", effect=ratio - 1,
                ci=(ratio - 1 - z * scale_se, ratio - 1 + z * scale_se),
                detectable=st.detectable(m.n, kappa, each, DEFAULT_POWER)),
        partial(Check, "ks", float(ks.statistic), float(ks.pvalue), dist.dist.name,
                f"n={kept.size}", detail="the shape differs from the scheme's distribution (KS)",
                effect=float(ks.statistic),
                detectable=math.sqrt(-math.log(each / 2) / (2 * kept.size))),
        partial(Check, "cvm", float(cvm.statistic), cvm_p, dist.dist.name, f"n={kept.size}",
                detail="the shape differs from the scheme's distribution (Cramer-von Mises)",
                effect=float(cvm.statistic)),
    ]
    if bound is not None:
        gap = 1 - min(m.max_abs + ulp, bound) / bound
        pending.append(partial(Check, "max_near_bound", m.max_abs,
                               st.near_bound_pvalue(m, dist, bound, ulp), bound, m.max_abs,
                               detail=f"largest |w| stays {gap:.3%} short of the bound",
                               effect=-gap, detectable=-math.log(each) / m.n))
    rejected = st.holm([p.args[2] for p in pending], alpha)
    return [p(passed=not r) for p, r in zip(pending, rejected, strict=True)]


def assert_initializer(init: Init, scheme: Scheme | str, **kwargs: object) -> Report:
    """`check`, raising AssertionError carrying the report when any check fails."""
    report = check(init, scheme, **kwargs)  # type: ignore[arg-type]
    if not report.passed:
        raise AssertionError(f"initializer failed:\n{report}")
    return report
