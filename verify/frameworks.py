"""`crosscheck`: a framework's initializers against the derive schemes they claim.

An adapter module (`verify.torch_adapter`, `verify.jax_adapter`,
`verify.keras_adapter`) lists `Entry`s: a sampler `sample(shape, dtype, seed)`
returning a float64 (or complex) numpy array, the claimed scheme in the
framework's layout, and the shapes to try. Claims read names the portable way:
"normal" is untruncated, a truncated normal "with stddev s" has standard
deviation s, a uniform "with scale s" is symmetric. Where a framework means
something else, the check fails and `identify` says what the sample really is.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import sympy as sp

from derive import Scheme, variance_scaling
from verify.battery import check
from verify.layout import fans

FRAMEWORKS = ("torch", "jax", "keras")
Sampler = Callable[[tuple[int, ...], str, int], np.ndarray]
ORTHOGONAL_TOL = {"float64": 1e-10, "float32": 2e-5, "complex64": 2e-5}
MANTISSA_BITS = {"float16": 10, "bfloat16": 7, "float32": 23, "float64": 52}


def resolution(dtype: str, value: float) -> float:
    """The spacing of `dtype` at `value`: 2^(⌊log₂ value⌋ − mantissa bits)."""
    return 2.0 ** (math.floor(math.log2(value)) - MANTISSA_BITS[dtype]) if value > 0 else 0.0


@dataclass(frozen=True)
class Entry:
    """One initializer: how to sample it, what it claims, which checks apply.

    kind: 'moments' (checked by `verify.check` against `claim`), 'complex'
    (E|w|² = the claim's variance, a z-test), 'orthogonal' (WᵀW = gain²·I on the
    2-D view, gain = `value`), 'constant' (every value equals `value`),
    'structure' (`structure(array)` returns a failure message or '').
    """

    name: str
    sample: Sampler
    shapes: tuple[tuple[int, ...], ...]
    claim: Scheme | None = None
    kind: str = "moments"
    value: float = 0.0
    structure: Callable[[np.ndarray], str] | None = None
    note: str = ""
    dtypes: tuple[str, ...] = ("float32",)
    axes: dict[str, object] = field(default_factory=dict)


@dataclass
class Row:
    """The verdict on one initializer at one shape and dtype."""

    framework: str
    initializer: str
    shape: tuple[int, ...]
    dtype: str
    claim: str
    fan_in: int | None
    fan_out: int | None
    expected_var: float | None
    observed_var: float | None
    expected_bound: float | None
    observed_max: float | None
    passed: bool
    reproducible: bool
    sees: float | None = None
    finding: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def fixed_normal(std: float) -> Scheme:
    """N(0, std²)."""
    return variance_scaling(sp.nsimplify(std) ** 2, None, "normal", name=f"N(0, {std}^2)")


def fixed_truncated(std: float) -> Scheme:
    """A normal cut at ±2σ whose standard deviation (after the cut) is `std`."""
    return variance_scaling(sp.nsimplify(std) ** 2, None, "truncated_normal",
                            name=f"truncated normal with std {std}")


def fixed_uniform(half_width: float) -> Scheme:
    """U(−b, b), variance b²/3 from derive's uniform derivation."""
    from derive.distributions import b, uniform

    var = uniform().results["variance"].subs(b, sp.nsimplify(half_width))
    return variance_scaling(var, None, "uniform", name=f"U(-{half_width}, {half_width})")


def _reproducible(entry: Entry, shape: tuple[int, ...], dtype: str, seed: int,
                  disturb: Callable[[], None]) -> bool:
    """Same seed gives the same array, even after the global random state has moved."""
    first = entry.sample(shape, dtype, seed)
    disturb()
    return bool(np.array_equal(first, entry.sample(shape, dtype, seed)))


def _orthogonal_error(w: np.ndarray, gain: float, convention: str) -> float:
    """max |MᵀM − gain²·I| on the 2-D view M (out × rest for torch, rest × out otherwise),
    the smaller of the two Gram matrices."""
    m = w.reshape(w.shape[0], -1) if convention == "torch" else w.reshape(-1, w.shape[-1])
    gram = m.conj().T @ m if m.shape[0] >= m.shape[1] else m @ m.conj().T
    return float(np.abs(gram - gain**2 * np.eye(gram.shape[0])).max())


def _identify_sentence(samples: np.ndarray, shape: tuple[int, ...], convention: str,
                       axes: dict[str, object]) -> str:
    from verify.identification import identify

    best = identify(samples, shape, convention, **axes)
    return f"the sample is best explained by {best[0].describe()}" if best else ""


def _moment_row(framework: str, convention: str, entry: Entry, shape: tuple[int, ...],
                dtype: str, seed: int, alpha: float) -> Row:
    claim = entry.claim
    assert claim is not None
    fi, fo = fans(shape, convention, **entry.axes)  # type: ignore[arg-type]
    bound = claim.bound_at(fi, fo)
    report = check(lambda s, sd: entry.sample(s, dtype, sd), claim, shape=shape,
                   convention=convention, seed=seed, alpha=alpha,
                   resolution=None if bound is None else resolution(dtype, bound), **entry.axes)
    by_name = {c.name: c for c in report.checks}
    var = by_name.get("variance")
    sample = entry.sample(shape, dtype, seed)
    sentence = ""
    if not report.passed:
        sentence = "; ".join(c.detail for c in report.checks if not c.passed)
        explained = _identify_sentence(sample, shape, convention, entry.axes)
        sentence += f"; {explained}" if explained else ""
    observed_max = float(by_name["within_bound"].observed) if "within_bound" in by_name \
        else float(np.abs(sample).max())
    return Row(framework, entry.name, shape, dtype, claim.name, fi, fo,
               claim.variance_at(fi, fo), None if var is None else float(var.observed),
               claim.bound_at(fi, fo), observed_max, report.passed, True,
               None if var is None else var.detectable, _join(sentence, entry.note))


def _join(*parts: str) -> str:
    return ". ".join(p.rstrip(".") for p in parts if p) + ("." if any(parts) else "")


def _complex_row(framework: str, convention: str, entry: Entry, shape: tuple[int, ...],
                 dtype: str, seed: int, alpha: float) -> Row:
    """E|w|² against the claim's variance: z = (mean − v)/se, se from the sample's spread."""
    from verify.battery import CHUNK, DEFAULT_POWER
    from verify.stats import child_seeds, power_z, z_two_sided

    claim = entry.claim
    assert claim is not None
    fi, fo = fans(shape, convention, **entry.axes)  # type: ignore[arg-type]
    size = math.prod(shape)
    draws = [entry.sample(shape, dtype, s) for s in child_seeds(seed, -(-CHUNK // size))]
    power = np.concatenate([np.abs(w.ravel()) ** 2 for w in draws])
    expected, observed = claim.variance_at(fi, fo), float(power.mean())
    se = float(power.std()) / math.sqrt(power.size)
    passed = abs(observed - expected) <= z_two_sided(alpha) * se
    detail = "" if passed else f"E|w|^2 is {observed / expected:.4f} x derive's"
    return Row(framework, entry.name, shape, dtype, f"{claim.name}, E|w|^2", fi, fo, expected,
               observed, None, float(np.sqrt(power.max())), passed, True,
               power_z(alpha, DEFAULT_POWER) * se / expected, _join(detail, entry.note))


def _other_row(framework: str, convention: str, entry: Entry, shape: tuple[int, ...],
               dtype: str, seed: int) -> Row:
    w = entry.sample(shape, dtype, seed)
    if entry.kind == "orthogonal":
        err = _orthogonal_error(w, entry.value, convention)
        passed = err <= ORTHOGONAL_TOL.get(dtype, 1e-2)
        detail = "" if passed else f"max |M^T M - gain^2 I| is {err:.3g}"
        claim = f"orthogonal, gain {entry.value:g}"
    elif entry.kind == "constant":
        passed = bool(np.all(w == entry.value))
        detail = "" if passed else f"values differ from {entry.value}"
        claim = f"constant {entry.value:g}"
    else:
        assert entry.structure is not None
        detail = entry.structure(w)
        passed = not detail
        claim = (entry.structure.__doc__ or "structure").strip().splitlines()[0]
    largest = None if entry.kind == "structure" else float(np.abs(w).max())
    return Row(framework, entry.name, shape, dtype, claim, None, None, None, None, None,
               largest, passed, True, None, _join(detail, entry.note))


def adapter(framework: str) -> object:
    """The adapter module of `framework`; ImportError names what to install."""
    if framework not in FRAMEWORKS:
        raise ValueError(f"unknown framework {framework!r}; choose from: "
                         f"{', '.join(FRAMEWORKS)}, all")
    return importlib.import_module(f"verify.{framework}_adapter")


def crosscheck(framework: str, *, seed: int = 0, alpha: float = 1e-6,
               progress: Callable[[int, int], None] | None = None) -> list[Row]:
    """Every initializer of the framework at each of its shapes and dtypes: one `Row` each."""
    from verify.stats import child_seeds

    module = adapter(framework)
    entries: Sequence[Entry] = module.entries()  # type: ignore[attr-defined]
    jobs = [(e, s, d) for e in entries for s in e.shapes for d in e.dtypes]
    rows = []
    for i, ((entry, shape, dtype), child) in enumerate(zip(jobs, child_seeds(seed, len(jobs)),
                                                          strict=True)):
        convention = module.CONVENTION  # type: ignore[attr-defined]
        if entry.kind == "moments":
            row = _moment_row(framework, convention, entry, shape, dtype, child, alpha)
        elif entry.kind == "complex":
            row = _complex_row(framework, convention, entry, shape, dtype, child, alpha)
        else:
            row = _other_row(framework, convention, entry, shape, dtype, child)
        row.reproducible = _reproducible(entry, shape, dtype, child,
                                         module.disturb)  # type: ignore[attr-defined]
        if not row.reproducible:
            row.passed = False
            row.finding = _join("the same seed gave a different array", row.finding)
        rows.append(row)
        if progress is not None:
            progress(i + 1, len(jobs))
    return rows


def versions(framework: str) -> str:
    """'name version' of the framework's packages."""
    return adapter(framework).version()  # type: ignore[attr-defined]


def _num(x: float | None) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4g}"


def installed() -> list[str]:
    """The frameworks whose adapters import here."""
    found = []
    for fw in FRAMEWORKS:
        try:
            adapter(fw)
        except ImportError:
            continue
        found.append(fw)
    return found


def document(rows: Sequence[Row], alpha: float) -> str:
    """docs/crosscheck.md: what was run against, how to read it, the tables and findings."""
    frameworks = list(dict.fromkeys(r.framework for r in rows))
    mismatches = sum(not r.passed for r in rows)
    head = [
        "# Cross-check: framework initializers against derive's formulas\n",
        f"Generated by `initproof crosscheck {' '.join(frameworks)} --out docs/crosscheck.md`; "
        "do not edit.\n",
        "Versions: " + "; ".join(versions(fw) for fw in frameworks) + ".\n",
        "Each claim is read the portable way: *normal* is untruncated, a truncated normal "
        "*with stddev s* has standard deviation s after the cut at +-2 sigma, a uniform "
        "*with scale s* is U(-s, s). Moment rows run `verify.check` (mean, scale, KS, "
        f"Cramer-von Mises, bounds; Holm at family-wise alpha = {alpha:g}); *sees* is the "
        "smallest relative variance error that check detects with power 0.99 at its n, so "
        "a *match* rules out any larger error. Orthogonal rows check max |M^T M - gain^2 I| "
        + ", ".join(f"<= {t:g} ({d})" for d, t in ORTHOGONAL_TOL.items()) + "; complex rows "
        "test E|w|^2 with a z-test and state what they see the same way; "
        "every row also checks that the same seed gives the same array after the global "
        "random state has moved.\n",
        f"{len(rows)} rows, {len(rows) - mismatches} match, {mismatches} mismatch; every "
        "mismatch is explained under Findings.\n",
    ]
    return "\n".join(head) + "\n" + markdown(rows)


def markdown(rows: Sequence[Row]) -> str:
    """One table per framework, then the findings (every mismatch, every note)."""
    out = []
    for fw in dict.fromkeys(r.framework for r in rows):
        out += [f"### {fw}\n", "| initializer | shape | dtype | claim | fans (in, out) | "
                "variance expected | observed | bound | max abs | sees | verdict |",
                "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in (r for r in rows if r.framework == fw):
            fan = "-" if r.fan_in is None else f"{r.fan_in}, {r.fan_out}"
            sees = "-" if r.sees is None else f"{r.sees:.1%}"
            out.append(f"| `{r.initializer}` | {'x'.join(map(str, r.shape))} | {r.dtype} | "
                       f"{r.claim} | {fan} | {_num(r.expected_var)} | {_num(r.observed_var)} | "
                       f"{_num(r.expected_bound)} | {_num(r.observed_max)} | {sees} | "
                       f"{'match' if r.passed else '**mismatch**'} |")
        out.append("")
    findings = {}
    for r in rows:
        if r.finding:
            key = (r.framework, r.initializer, r.passed)
            findings.setdefault(key, r.finding)
    out.append("### Findings\n")
    for (fw, name, passed), text in findings.items():
        out.append(f"- **{fw} `{name}`** ({'match' if passed else 'mismatch'}): {text}")
    return "\n".join(out) + "\n"
