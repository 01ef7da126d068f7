"""`compare_models`: two models that claim to be one architecture (a port), parameter by
parameter, with two-sample tests, so that a port that changed a default is found without
knowing either claim.

Pairing: an explicit `mapping` (path in A → path in B) first; the rest in order within
each (role, number of values), so that PyTorch's (out, in) weight meets Flax's (in, out)
kernel. Layouts do not matter to the tests, which compare the two laws of the values:

location:  Welch's t
scale:     z = ln(m₂a/m₂b)/√((κa − 1)/n_a + (κb − 1)/n_b), m₂ the mean square about the
           mean, κ each sample's own kurtosis (the delta method on the log ratio), from
           `LARGE` values a side; below, Brown–Forsythe (Levene about the medians)
shape:     two-sample KS of the values divided by their own root mean square (at most
           `KS_VALUES` of each, evenly spaced)
Constant parameters are compared for equality. Bonferroni over every test of every pair.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from verify.auditing.auditor import adapter_for
from verify.auditing.parameters import Parameter
from verify.checking import DEFAULT_POWER, power_z

KS_VALUES = 200_000
TESTS = 3  # location, scale, shape
LARGE = 1000  # from this many values a side the scale test uses the delta method


@dataclass(frozen=True)
class PairRow:
    """One parameter of A against its counterpart in B; `sees` is the smallest relative
    variance difference the delta-method scale test detects with power 0.99 at these sizes
    (approximate below `LARGE` values a side)."""

    a: str
    b: str
    layer_a: str
    layer_b: str
    shape_a: tuple[int, ...]
    shape_b: tuple[int, ...]
    variance_a: float
    variance_b: float
    passed: bool
    detail: str = ""
    sees: float | None = None


@dataclass(frozen=True)
class ComparisonReport:
    rows: tuple[PairRow, ...]
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]
    alpha: float

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows) and not self.only_a and not self.only_b

    def headline(self) -> str:
        differ = [r.a for r in self.rows if not r.passed]
        what = [f"{len(differ)} pairs differ ({', '.join(differ[:4])}"
                f"{', ...' if len(differ) > 4 else ''})"] if differ else []
        what += [f"{len(self.only_a)} only in A"] if self.only_a else []
        what += [f"{len(self.only_b)} only in B"] if self.only_b else []
        verdict = "SAME" if self.passed else "DIFFER: " + "; ".join(what)
        return f"{verdict} -- {len(self.rows)} pairs, family-wise alpha={self.alpha:g}"

    def __str__(self) -> str:
        lines = [self.headline(), ""]
        table = [("A", "B", "shape A", "shape B", "var A", "var B", "sees", "verdict")]
        table += [(r.a, r.b, "x".join(map(str, r.shape_a)), "x".join(map(str, r.shape_b)),
                   f"{r.variance_a:.4g}", f"{r.variance_b:.4g}",
                   f"{r.sees:.0%}" if r.sees is not None else "-",
                   "same" if r.passed else "DIFFER") for r in self.rows]
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                  for row in table]
        lines += [f"  {r.a} / {r.b}: {r.detail}" for r in self.rows if not r.passed]
        lines += [f"  only in A: {p}" for p in self.only_a]
        lines += [f"  only in B: {p}" for p in self.only_b]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        return {"passed": self.passed, "alpha": self.alpha,
                "rows": [asdict(r) for r in self.rows], "only_a": list(self.only_a),
                "only_b": list(self.only_b)}


def _pairs(a: list[Parameter], b: list[Parameter], mapping: Mapping[str, str]
           ) -> tuple[list[tuple[Parameter, Parameter]], list[str], list[str]]:
    by_path_b = {p.path: p for p in b}
    unknown = [v for v in mapping.values() if v not in by_path_b]
    if unknown:
        raise ValueError(f"mapping names parameters B does not have: {', '.join(unknown)}")
    pairs = [(p, by_path_b[mapping[p.path]]) for p in a if p.path in mapping]
    taken = {q.path for _, q in pairs}
    queue: dict[tuple, list[Parameter]] = defaultdict(list)
    for q in b:
        if q.path not in taken:
            queue[(q.role, math.prod(q.shape))].append(q)
    only_a = []
    for p in a:
        if p.path in mapping:
            continue
        waiting = queue[(p.role, math.prod(p.shape))]
        if waiting:
            pairs.append((p, waiting.pop(0)))
        else:
            only_a.append(p.path)
    only_b = [q.path for waiting in queue.values() for q in waiting]
    return pairs, only_a, only_b


def _compare(p: Parameter, q: Parameter, alpha: float) -> PairRow:
    x = p.load().reshape(-1).astype(np.float64)
    y = q.load().reshape(-1).astype(np.float64)
    base = (p.path, q.path, p.layer, q.layer, p.shape, q.shape,
            float(np.var(x)) if x.size else 0.0, float(np.var(y)) if y.size else 0.0)
    x_const, y_const = x.size and np.all(x == x[0]), y.size and np.all(y == y[0])
    if x_const or y_const or x.size < 2 or y.size < 2:
        same = bool(x_const and y_const and x[0] == y[0])
        detail = "" if same else "constant in one and not the other, or different constants"
        return PairRow(*base, same, detail)
    found = []
    va, vb = base[6], base[7]
    welch = stats.ttest_ind(x, y, equal_var=False)
    if welch.pvalue < alpha:
        found.append(f"means differ ({x.mean():.4g} against {y.mean():.4g}, Welch t = "
                     f"{welch.statistic:.1f})")
    ka = float(np.mean((x - x.mean()) ** 4) / va**2)
    kb = float(np.mean((y - y.mean()) ** 4) / vb**2)
    se = math.sqrt(max(ka - 1, 1e-12) / x.size + max(kb - 1, 1e-12) / y.size)
    if min(x.size, y.size) >= LARGE:
        scale_p = float(2 * stats.norm.sf(abs(math.log(va / vb)) / se))
    else:  # the sample kurtosis of a few values is too rough for the delta method
        scale_p = float(stats.levene(x, y, center="median").pvalue)
    if scale_p < alpha:
        found.append(f"variances differ by {va / vb:.4g}x (p = {scale_p:.2g})")
    ks = stats.ks_2samp(_thin(x / math.sqrt(np.mean(x * x))),
                        _thin(y / math.sqrt(np.mean(y * y))))
    if ks.pvalue < alpha:
        found.append(f"shapes differ (two-sample KS {ks.statistic:.3g}): another family or "
                     "a cut")
    sees = math.expm1(power_z(alpha, DEFAULT_POWER) * se)
    return PairRow(*base, not found, "; ".join(found), sees)


def _thin(v: np.ndarray) -> np.ndarray:
    return v[:: max(1, v.size // KS_VALUES)]


def compare_models(a: object, b: object, mapping: Mapping[str, str] | None = None, *,
                   alpha: float = 1e-6, frameworks: tuple[str | None, str | None] = (None, None)
                   ) -> ComparisonReport:
    """Pair the parameters of `a` and `b` (any frameworks `audit` reads) and test each pair
    for a difference in location, scale or shape."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    params_a = adapter_for(a, frameworks[0])[1].parameters(a)
    params_b = adapter_for(b, frameworks[1])[1].parameters(b)
    unknown = [k for k in (mapping or {}) if k not in {p.path for p in params_a}]
    if unknown:
        raise ValueError(f"mapping names parameters A does not have: {', '.join(unknown)}")
    pairs, only_a, only_b = _pairs(params_a, params_b, mapping or {})
    each = alpha / max(1, TESTS * len(pairs))
    rows = tuple(_compare(p, q, each) for p, q in pairs)
    return ComparisonReport(rows, tuple(only_a), tuple(only_b), alpha)
