"""`audit`: every parameter of a model checked against its claim (the user's rule, else the
framework's default), pooled by claim and layer type, and compared across parameters.

The family-wise α is split evenly (Bonferroni) among the rows with a claim, the pooled
groups and the cross-parameter correlation test; inside each, `check` applies Holm.
Pooling: each parameter's values standardized, (w − mean)/s with s its claim's σ (the
normal drawn from) or, for a uniform, its standard deviation, are tested together against
the unit law of that family; at most `POOLED_VALUES` of them, each member giving its
first values in proportion to its size.
Correlation: for parameters of one shape, r between their first values; independent
parameters give r·√n ≈ N(0, 1).
"""

from __future__ import annotations

import hashlib
import importlib
import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from types import ModuleType

import numpy as np

from derive import Scheme, parse_scheme, variance_scaling
from verify.auditing import signal
from verify.auditing.parameters import Parameter
from verify.auditing.report import AuditFinding, AuditGroup, AuditReport, AuditRow, SignalRow
from verify.checking import (
    MANTISSA_BITS,
    Report,
    check,
    distribution,
    kurtosis,
    z_two_sided,
)
from verify.frameworks import identify
from verify.sampling import child_seeds, resolve

ADAPTERS = {"torch": "verify.auditing.torch", "keras": "verify.auditing.keras",
            "flax": "verify.auditing.flax", "equinox": "verify.auditing.equinox",
            "haiku": "verify.auditing.haiku", "linen": "verify.auditing.linen"}
"""The module that describes a framework's models, by the root package of the model's class."""
CORRELATION_VALUES = 4096  # values of each parameter the correlation test compares
POOLED_VALUES = 1 << 21  # values a pooled group holds at most, shared among its members
MIN_IDENTIFY = 64  # an unclaimed parameter is identified from at least this many values
Rules = Mapping[str, Scheme | str]


def adapter_for(model: object, framework: str | None = None) -> tuple[str, ModuleType]:
    """(framework, the module that describes its models): as named, else by the model's
    class (a Haiku params dict or linen variables must be named: "haiku", "linen")."""
    if framework is not None:
        if framework not in ADAPTERS:
            raise ValueError(f"unknown framework {framework!r}; valid: {', '.join(ADAPTERS)}")
        return framework, importlib.import_module(ADAPTERS[framework])
    for cls in type(model).__mro__:
        root = cls.__module__.split(".")[0]
        if root in ADAPTERS and root not in ("haiku", "linen"):
            return root, importlib.import_module(ADAPTERS[root])
    hint = " (a Haiku params tree or Flax linen variables: pass framework='haiku' or " \
        "'linen')" if isinstance(model, Mapping) else ""
    raise TypeError(f"cannot audit a {type(model).__name__}{hint}: no adapter describes it; "
                    f"supported: {', '.join(ADAPTERS)} models")


def _rules(rules: Rules | None, constants: Mapping[str, float] | None) -> list[tuple[str, Scheme]]:
    return [(pattern, parse_scheme(scheme, constants) if isinstance(scheme, str)
             else resolve(scheme)) for pattern, scheme in (rules or {}).items()]


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


def _row(p: Parameter, values: np.ndarray, claim: Scheme | None, source: str,
         alpha: float, convention: str) -> AuditRow:
    base = (p.path, p.layer, p.role, tuple(values.shape), p.dtype, p.fans)
    if claim is None:
        return AuditRow(*base, None, source, None, float(np.var(values)) if values.size else 0.0,
                        True, _identified(p, values, convention))
    if claim.mode is not None and p.fans is None:
        return AuditRow(*base, claim.name, source, None, _second_moment(values, claim), False,
                        f"{claim.name} needs fans, and a {p.role} of {p.layer} has none")
    fans = p.fans or (1, 1)
    expected = claim.variance_at(*fans)
    report = check(values, claim, shape=values.shape, fans=fans, alpha=alpha,
                   dtype=p.dtype if p.dtype in MANTISSA_BITS else None)
    variance = next((c for c in report.checks if c.name == "variance"), None)
    observed = float(variance.observed) if variance is not None \
        else _second_moment(values, claim)
    detail = "; ".join(c.detail for c in report.failed) or "; ".join(report.notes)
    return AuditRow(*base, claim.name, source, expected, observed, report.passed,
                    "; ".join(x for x in (detail, p.note) if x), _sees(report))


def _second_moment(values: np.ndarray, claim: Scheme) -> float:
    """E[(w − mean)²] about the claim's mean (the variance test's own figure, where it ran)."""
    if not values.size:
        return 0.0
    return float(np.mean((values.astype(np.float64) - float(claim.mean)) ** 2))


def _sees(report: Report) -> float | None:
    """The smallest relative variance error the report's variance test could detect."""
    variance = next((c for c in report.checks if c.name == "variance"), None)
    return variance.detectable if variance is not None else None


def _identified(p: Parameter, values: np.ndarray, convention: str) -> str:
    if values.size >= 2 and np.all(values == values.reshape(-1)[0]):
        return f"constant {float(values.reshape(-1)[0]):g}"
    if values.ndim < 2 or values.size < MIN_IDENTIFY or p.fans is None:
        return "no claim, too few values or no fans to identify"
    found = identify(values.astype(np.float64), values.shape, convention)
    return f"no claim; best explained by {found[0].describe()}" if found else "no claim"


def _standardized(values: np.ndarray, scheme: Scheme, fans: tuple[int, int] | None,
                  count: int) -> np.ndarray:
    """(w − mean)/s of the first `count` values."""
    head = values.reshape(-1)[:count].astype(np.float64)
    return (head - float(scheme.mean)) / _spread(scheme, fans or (1, 1))


def _group(key: tuple[str, str], scheme: Scheme, paths: list[str], parts: list[np.ndarray],
           dtypes: set[str], alpha: float) -> AuditGroup:
    pooled = np.concatenate(parts)
    coarsest = "float32" if "float32" in dtypes else "float64"
    report = check(pooled, _unit(scheme), shape=pooled.shape, fans=(1, 1), alpha=alpha,
                   dtype=coarsest)  # its ties and steps, rescaled: finer, so conservative
    return AuditGroup(key[0], key[1], tuple(paths), pooled.size, report.passed,
                      "; ".join(c.detail for c in report.failed), _sees(report))


@dataclass(frozen=True)
class _Seen:
    """What the cross-parameter tests keep of a random parameter: a fingerprint of its values
    (its first `CORRELATION_VALUES` and every 97th value), those first values, and how to load
    it again to confirm that fingerprints shared are values shared."""

    path: str
    shape: tuple[int, ...]
    fingerprint: bytes
    head: np.ndarray
    load: Callable[[], np.ndarray]


def _seen(p: Parameter, values: np.ndarray) -> _Seen:
    flat = values.reshape(-1)
    sampled = np.concatenate([flat[:CORRELATION_VALUES], flat[CORRELATION_VALUES::97]])
    fingerprint = hashlib.blake2b(sampled.tobytes() + str(values.dtype).encode(),
                                  digest_size=16).digest()
    return _Seen(p.path, values.shape, fingerprint,
                 flat[:CORRELATION_VALUES].astype(np.float64), p.load)


def _identical(seen: list[_Seen]) -> list[AuditFinding]:
    """Random parameters holding exactly the same values: one stream used twice, or a layer
    deep-copied after it was drawn. Those sharing a fingerprint are loaded again and compared
    whole."""
    same: dict[tuple, list[_Seen]] = defaultdict(list)
    for s in seen:
        same[(s.shape, s.fingerprint)].append(s)
    found = []
    for group in (g for g in same.values() if len(g) > 1):
        first = group[0].load()
        paths = [group[0].path] + [s.path for s in group[1:]
                                   if np.array_equal(first, s.load())]
        if len(paths) > 1:
            found.append(AuditFinding(
                "identical", tuple(paths),
                f"{len(paths)} parameters hold identical values ({', '.join(paths[:4])}"
                f"{', ...' if len(paths) > 4 else ''}): a reused random stream or a module "
                "copied after it was initialized"))
    return found


def _correlated(seen: list[_Seen], alpha: float) -> list[AuditFinding]:
    """Pairs of same-shape random parameters whose values correlate beyond r·√n ~ N(0, 1)."""
    by_shape: dict[tuple, list[_Seen]] = defaultdict(list)
    for s in seen:
        by_shape[s.shape].append(s)
    pairs = sum(len(g) * (len(g) - 1) // 2 for g in by_shape.values())
    found = []
    for group in by_shape.values():
        if len(group) < 2:
            continue
        z = np.stack([s.head for s in group])
        z -= z.mean(axis=1, keepdims=True)
        norms = np.linalg.norm(z, axis=1)
        if z.shape[1] < 16 or np.any(norms == 0):
            continue
        z /= norms[:, None]
        r = z @ z.T
        limit = z_two_sided(alpha / pairs) / math.sqrt(z.shape[1])
        for i, j in zip(*np.triu_indices(len(group), 1), strict=True):
            if limit < abs(r[i, j]) < 1 - 1e-12:
                found.append(AuditFinding(
                    "correlated", (group[i].path, group[j].path),
                    f"{group[i].path} and {group[j].path} correlate, r = {r[i, j]:+.3f} over "
                    f"{z.shape[1]} values (independent draws stay within +-{limit:.3f}): "
                    "a shared or overlapping random stream"))
    return found


def audit(model: object, rules: Rules | None = None, *, constants: Mapping[str, float] | None
          = None, inputs: tuple | None = None, input_shape: tuple[int, ...] | None = None,
          seed: int = 0, alpha: float = 1e-6, framework: str | None = None,
          progress: Callable[[int, int], None] | None = None) -> AuditReport:
    """Audit every parameter of `model`: a PyTorch `nn.Module`, a Keras 3 model, a Flax NNX
    module or linen variables, an Equinox module or a Haiku params tree.

    Args:
        rules: an ordered mapping from a glob on the parameter's path to a derive scheme (or
            its text, as `derive.parse_scheme` reads it); the first match wins over the
            framework's default for the layer type.
        constants: names the rules' text may use (n_layer, d_model, ...).
        inputs, input_shape: a batch to send through the model (its positional arguments),
            or the shape of a unit-Gaussian one; then each dense layer's forward and
            backward mean-square ratio is measured and compared with the claims' prediction
            for these inputs (`verify.auditing.signal`). PyTorch models only.
        alpha: the family-wise error rate of the whole audit.
        framework: which adapter reads the model (default: by its class; a Haiku params
            dict needs "haiku", Flax linen variables "linen").
        progress: called with (parameters done, total).
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    framework, adapter = adapter_for(model, framework)
    claims_by_rule = _rules(rules, constants)
    params: list[Parameter] = adapter.parameters(model)
    claimed = [(p, *_claim(p, claims_by_rule)) for p in params]
    pooling: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])  # members, values
    for p, claim, _ in claimed:
        if _poolable(p, claim):
            pooling[_key(p, claim)][0] += 1
            pooling[_key(p, claim)][1] += math.prod(p.shape)
    groups_run = sum(members > 1 for members, _ in pooling.values())
    # the inputs' and the gradient's seeds spawned from `seed`, never `seed` itself: a model
    # built after torch.manual_seed(0) would meet its own weights' stream again
    input_seed, gradient_seed = child_seeds(seed, 2)
    if input_shape is not None and inputs is None:
        inputs = _need(adapter, "unit_inputs", framework)(tuple(input_shape), input_seed)
    signal_family = inputs is not None
    each = alpha / (sum(c is not None for _, c, _ in claimed) + groups_run + 1 + signal_family)
    rows, seen = [], []
    parts: dict[tuple[str, str], list] = defaultdict(list)  # (path, dtype, slice) per group
    for i, (p, claim, source) in enumerate(claimed):
        values = p.load()
        rows.append(_row(p, values, claim, source, each, adapter.CONVENTION))
        if _poolable(p, claim):
            key = _key(p, claim)
            count = math.ceil(POOLED_VALUES * values.size / max(pooling[key][1], POOLED_VALUES))
            parts[key].append((p.path, p.dtype, claim,
                               _standardized(values, claim, p.fans, count)))  # type: ignore
        if (claim is None or _random(claim)) and values.size >= 16 \
                and not np.all(values == values.reshape(-1)[0]):
            seen.append(_seen(p, values))
        del values  # one parameter's copy at a time
        if progress is not None:
            progress(i + 1, len(claimed))
    groups = [_group(key, members[0][2], [m[0] for m in members], [m[3] for m in members],
                     {m[1] for m in members}, each)
              for key, members in parts.items() if len(members) > 1]
    findings = _identical(seen) + _correlated(seen, each)
    findings += [AuditFinding("unexplained_constant", (r.path,),
                              f"{r.path} is {r.detail} and no rule or default explains it")
                 for r in rows if r.claim is None and r.detail.startswith("constant")]
    signal = _signal(_need(adapter, "trace", framework)(model, tuple(inputs), gradient_seed),
                     {p.path: (c, p.fans) for p, c, _ in claimed}, each) \
        if signal_family else []
    return AuditReport(framework, alpha, tuple(rows), tuple(groups), tuple(findings),
                       tuple(signal))


def _need(adapter: ModuleType, name: str, framework: str) -> Callable:
    if not hasattr(adapter, name):
        raise TypeError(f"the signal through a {framework} model is not measured yet; "
                        "audit it without inputs")
    return getattr(adapter, name)


def _law(claim: Scheme | None, fans: tuple[int, int] | None) -> tuple[float, float] | None:
    """(variance, kurtosis) of a centred claim at these fans; None if it has a mean or
    needs fans it lacks."""
    if claim is None or claim.mean != 0 or (claim.mode is not None and fans is None):
        return None
    fans = fans or (1, 1)
    variance = claim.variance_at(*fans)
    if variance == 0:
        return 0.0, 3.0
    return variance, kurtosis(distribution(claim, *fans))


def _signal(traced: list, claims: Mapping[str, tuple[Scheme | None, tuple | None]],
            alpha: float) -> list[SignalRow]:
    """Each traced layer's forward and backward ratios against the claims' prediction,
    Bonferroni over the predictions made."""
    measured = []
    for t in traced:
        weight = _law(*claims.get(t.weight, (None, None)))
        bias = _law(*claims[t.bias]) if t.bias is not None and t.bias in claims else (0.0, 3.0)
        forward = signal.ratio(t.x, t.y)
        backward = signal.ratio(t.grad_y, t.grad_x) if t.grad_x is not None \
            and t.grad_y is not None else None
        expect = expect_back = None
        if weight is not None and bias is not None:
            expect = signal.predicted(t.x, t.y.shape[1], *weight, *bias)
            if backward is not None:
                expect_back = signal.predicted(t.grad_y, t.grad_x.shape[1], *weight)
        measured.append((t, forward, backward, expect, expect_back))
    tests = sum((e is not None) + (b is not None) for *_, e, b in measured)
    limit = alpha / max(1, tests)
    out = []
    for t, forward, backward, expect, expect_back in measured:
        flagged = (expect is not None and signal.pvalue(forward, *expect) < limit) or \
            (expect_back is not None and signal.pvalue(backward, *expect_back) < limit)
        out.append(SignalRow(t.path, t.layer, forward, *(expect or (None, None)), backward,
                             *(expect_back or (None, None)), flagged))
    return out


def _poolable(p: Parameter, claim: Scheme | None) -> bool:
    """Independent values of a known law (an orthogonal matrix is checked whole)."""
    return claim is not None and _random(claim) and p.dtype in ("float32", "float64") \
        and (claim.mode is None or p.fans is not None) and math.prod(p.shape) > 0 \
        and claim.distribution != "orthogonal"


def _key(p: Parameter, claim: Scheme) -> tuple[str, str]:
    return claim.name, p.layer


def assert_model_init(model: object, rules: Rules | None = None, **kwargs: object) -> AuditReport:
    """`audit`, raising AssertionError carrying the report when anything fails."""
    report = audit(model, rules, **kwargs)  # type: ignore[arg-type]
    if not report.passed:
        raise AssertionError(f"model initialization failed the audit:\n{report}")
    return report
