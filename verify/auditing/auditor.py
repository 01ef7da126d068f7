"""`audit`: every parameter of a model checked against its claim (the user's rule, else the
framework's default), pooled by claim and layer type, and compared across parameters.

The family-wise α is split evenly (Bonferroni) among the rows with a claim, the pooled
groups and the cross-parameter correlation test; inside each, `check` applies Holm.
Pooling: each parameter's values standardized, (w − mean)/s with s its claim's σ (the
normal drawn from) or, for a uniform, its standard deviation, are tested together against
the unit law of that family.
Correlation: for parameters of one shape, r between their first values; independent
parameters give r·√n ≈ N(0, 1).
"""

from __future__ import annotations

import hashlib
import importlib
import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from fnmatch import fnmatchcase
from types import ModuleType

import numpy as np

from derive import Scheme, parse_scheme, variance_scaling
from verify.auditing.parameters import Parameter
from verify.auditing.report import AuditFinding, AuditGroup, AuditReport, AuditRow
from verify.checking import check, z_two_sided
from verify.checking.precision import MANTISSA_BITS
from verify.frameworks import identify
from verify.sampling import resolve

ADAPTERS = {"torch": "verify.auditing.torch"}
"""The module that describes a framework's models, by the root package of the model's class."""
CORRELATION_VALUES = 4096  # values of each parameter the correlation test compares
MIN_IDENTIFY = 64  # an unclaimed parameter is identified from at least this many values
Rules = Mapping[str, Scheme | str]


def _adapter(model: object) -> tuple[str, ModuleType]:
    for cls in type(model).__mro__:
        root = cls.__module__.split(".")[0]
        if root in ADAPTERS:
            return root, importlib.import_module(ADAPTERS[root])
    raise TypeError(f"cannot audit a {type(model).__name__}: no adapter describes it; "
                    f"supported: {', '.join(ADAPTERS)} models")


def _rules(rules: Rules | None, constants: Mapping[str, float] | None) -> list[tuple[str, Scheme]]:
    out = []
    for pattern, scheme in (rules or {}).items():
        out.append((pattern, parse_scheme(scheme, constants) if isinstance(scheme, str)
                    else resolve(scheme)))
    return out


def _claim(p: Parameter, rules: list[tuple[str, Scheme]]) -> tuple[Scheme | None, str]:
    """The first rule whose glob matches the path, else the framework's default."""
    for pattern, scheme in rules:
        if fnmatchcase(p.path, pattern):
            return scheme, f"rule {pattern}"
    return (p.default, "default") if p.default is not None else (None, "none")


def _random(scheme: Scheme) -> bool:
    return scheme.variance != 0


def _spread(scheme: Scheme, fans: tuple[int, int]) -> float:
    """s of the pooling: σ of the normal drawn from, or a uniform's standard deviation."""
    sigma = scheme.sigma_at(*fans)
    return sigma if sigma is not None else math.sqrt(scheme.variance_at(*fans))


def _unit(scheme: Scheme) -> Scheme:
    """The law of (w − mean)/s: the same family at σ = 1 (or unit variance for a uniform)."""
    if scheme.distribution == "truncated_normal":
        return variance_scaling(1, None, "truncated_normal", truncation=scheme.truncation,
                                corrected=False)
    return variance_scaling(1, None, scheme.distribution)


def _row(p: Parameter, claim: Scheme | None, source: str, alpha: float) -> AuditRow:
    values = p.values
    base = (p.path, p.layer, p.role, tuple(values.shape), p.dtype, p.fans)
    if claim is None:
        return AuditRow(*base, None, source, None, float(np.var(values)) if values.size else 0.0,
                        True, _identified(p))
    centre = float(claim.mean)
    observed = float(np.mean((values.astype(np.float64) - centre) ** 2)) if values.size else 0.0
    if claim.mode is not None and p.fans is None:
        return AuditRow(*base, claim.name, source, None, observed, False,
                        f"{claim.name} needs fans, and a {p.role} of {p.layer} has none")
    fans = p.fans or (1, 1)
    expected = claim.variance_at(*fans)
    report = check(values, claim, shape=values.shape, fans=fans, alpha=alpha,
                   dtype=p.dtype if p.dtype in MANTISSA_BITS else None)
    variance = next((c for c in report.checks if c.name == "variance"), None)
    detail = "; ".join(c.detail for c in report.failed) or "; ".join(report.notes)
    return AuditRow(*base, claim.name, source, expected, observed, report.passed,
                    "; ".join(x for x in (detail, p.note) if x),
                    variance.detectable if variance is not None else None)


def _identified(p: Parameter) -> str:
    values = p.values
    if values.size >= 2 and np.all(values == values.reshape(-1)[0]):
        return f"constant {float(values.reshape(-1)[0]):g}"
    if values.ndim < 2 or values.size < MIN_IDENTIFY or p.fans is None:
        return "no claim, too few values or no fans to identify"
    found = identify(values.astype(np.float64), values.shape)
    return f"no claim; best explained by {found[0].describe()}" if found else "no claim"


def _groups(members: dict[tuple[str, str], list[tuple[Parameter, Scheme]]],
            alpha: float) -> list[AuditGroup]:
    groups = []
    for (name, layer), items in members.items():
        if len(items) < 2:
            continue
        scheme = items[0][1]
        pooled = np.concatenate([
            ((p.values.astype(np.float64) - float(s.mean)) / _spread(s, p.fans or (1, 1)))
            .reshape(-1) for p, s in items])
        coarsest = "float32" if any(p.dtype == "float32" for p, _ in items) else "float64"
        report = check(pooled, _unit(scheme), shape=pooled.shape, fans=(1, 1), alpha=alpha,
                       dtype=coarsest)  # its ties and steps, rescaled: finer, so conservative
        variance = next((c for c in report.checks if c.name == "variance"), None)
        groups.append(AuditGroup(name, layer, tuple(p.path for p, _ in items), pooled.size,
                                 report.passed, "; ".join(c.detail for c in report.failed),
                                 variance.detectable if variance is not None else None))
    return groups


def _digest(values: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(values).tobytes(), digest_size=16).digest()


def _identical(params: list[Parameter]) -> list[AuditFinding]:
    """Random parameters holding exactly the same values: one stream used twice, or a layer
    deep-copied after it was drawn."""
    same: dict[tuple, list[str]] = defaultdict(list)
    for p in params:
        same[(p.values.shape, str(p.values.dtype), _digest(p.values))].append(p.path)
    return [AuditFinding("identical", tuple(paths),
                         f"{len(paths)} parameters hold identical values ({', '.join(paths[:4])}"
                         f"{', ...' if len(paths) > 4 else ''}): a reused random stream or a "
                         "module copied after it was initialized")
            for paths in same.values() if len(paths) > 1]


def _correlated(params: list[Parameter], alpha: float) -> list[AuditFinding]:
    """Pairs of same-shape random parameters whose values correlate beyond r·√n ~ N(0, 1)."""
    by_shape: dict[tuple, list[Parameter]] = defaultdict(list)
    for p in params:
        by_shape[p.values.shape].append(p)
    pairs = sum(len(g) * (len(g) - 1) // 2 for g in by_shape.values())
    if pairs == 0:
        return []
    found = []
    for group in by_shape.values():
        if len(group) < 2:
            continue
        z = np.stack([p.values.reshape(-1)[:CORRELATION_VALUES].astype(np.float64)
                      for p in group])
        z -= z.mean(axis=1, keepdims=True)
        norms = np.linalg.norm(z, axis=1)
        if z.shape[1] < 16 or np.any(norms == 0):
            continue
        r = (z / norms[:, None]) @ (z / norms[:, None]).T
        limit = z_two_sided(alpha / pairs) / math.sqrt(z.shape[1])
        for i, j in zip(*np.triu_indices(len(group), 1), strict=True):
            if abs(r[i, j]) > limit and abs(r[i, j]) < 1 - 1e-12:
                found.append(AuditFinding(
                    "correlated", (group[i].path, group[j].path),
                    f"{group[i].path} and {group[j].path} correlate, r = {r[i, j]:+.3f} over "
                    f"{z.shape[1]} values (independent draws stay within +-{limit:.3f}): "
                    "a shared or overlapping random stream"))
    return found


def audit(model: object, rules: Rules | None = None, *, constants: Mapping[str, float] | None
          = None, alpha: float = 1e-6,
          progress: Callable[[int, int], None] | None = None) -> AuditReport:
    """Audit every parameter of `model` (a PyTorch `nn.Module`).

    Args:
        rules: an ordered mapping from a glob on the parameter's path to a derive scheme (or
            its text, as `derive.parse_scheme` reads it); the first match wins over the
            framework's default for the layer type.
        constants: names the rules' text may use (n_layer, d_model, ...).
        alpha: the family-wise error rate of the whole audit.
        progress: called with (parameters done, total).
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    framework, adapter = _adapter(model)
    claims_by_rule = _rules(rules, constants)
    params: list[Parameter] = adapter.parameters(model)
    claimed = [(p, *_claim(p, claims_by_rule)) for p in params]
    members: dict[tuple[str, str], list[tuple[Parameter, Scheme]]] = defaultdict(list)
    for p, claim, _ in claimed:
        if claim is not None and _random(claim) and p.dtype in ("float32", "float64") \
                and (claim.mode is None or p.fans is not None):
            members[(claim.name, p.layer)].append((p, claim))
    tests = sum(c is not None for _, c, _ in claimed) + \
        sum(len(m) > 1 for m in members.values()) + 1
    each = alpha / tests
    rows = []
    for i, (p, claim, source) in enumerate(claimed):
        rows.append(_row(p, claim, source, each))
        if progress is not None:
            progress(i + 1, len(claimed))
    random = [p for p, c, _ in claimed if (c is None or _random(c)) and p.values.size >= 16
              and not np.all(p.values == p.values.reshape(-1)[0])]
    findings = _identical(random) + _correlated(random, each)
    findings += [AuditFinding("unexplained_constant", (r.path,),
                              f"{r.path} is {r.detail} and no rule or default explains it")
                 for r in rows if r.claim is None and r.detail.startswith("constant")]
    return AuditReport(framework, alpha, tuple(rows), tuple(_groups(members, each)),
                       tuple(findings))


def assert_model_init(model: object, rules: Rules | None = None, **kwargs: object) -> AuditReport:
    """`audit`, raising AssertionError carrying the report when anything fails."""
    report = audit(model, rules, **kwargs)  # type: ignore[arg-type]
    if not report.passed:
        raise AssertionError(f"model initialization failed the audit:\n{report}")
    return report
