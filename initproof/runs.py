"""The work the commands share: proving, verifying, propagating and cross-checking on given
settings, with one-line errors for bad input and progress on stderr."""

from __future__ import annotations

import difflib
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TextIO

from initproof import UsageError


def resolve_schemes(names: Sequence[str]) -> list[str]:
    """The names, checked against `derive.SCHEMES`; an unknown one names the closest."""
    from derive import SCHEMES

    for name in names:
        if name not in SCHEMES:
            close = difflib.get_close_matches(name, SCHEMES, n=3, cutoff=0.5)
            hint = f"closest: {', '.join(close)}" if close else f"choose from: {', '.join(SCHEMES)}"
            raise UsageError(f"unknown scheme {name!r}; {hint}")
    return list(names)


def prove(out: TextIO) -> list:
    """Re-prove every derivation, a line each on `out`; the derivations."""
    import derive

    derivations = derive.derivations()
    for d in derivations:
        start = time.perf_counter()
        d.check()
        print(f"  proved  {d.title} ({len(d.steps)} steps, {time.perf_counter() - start:.2f} s)",
              file=out)
    return derivations


def write_derivation_docs(out_dir: Path, derivations: list) -> list[Path]:
    """The derivations' Markdown and LaTeX, the catalogue and the standalone document."""
    from derive import SCHEMES
    from initproof.documents import derivation_documents
    from initproof.files import write_files

    files = derivation_documents(derivations, SCHEMES)
    try:
        return write_files(files, out_dir)
    except OSError as e:
        raise UsageError(f"cannot write to {out_dir}: {e.strerror or e}") from e


def scheme_table(names: Sequence[str], latex: bool) -> str:
    """scheme | distribution | variance | bound, as sympy text or LaTeX; when a formula
    uses the truncated normal's correction c_2, a line under the table defines it."""
    import sympy as sp

    from derive import CORRECTION_SYMBOL, SCHEMES, correction_definition, display_form, text
    from derive import latex as tex

    def show(e: sp.Expr) -> str:
        return tex(display_form(e)) if latex else text(display_form(e))

    rows = [("scheme", "distribution", "variance", "bound")]
    uses_correction = False
    for name in names:
        s = SCHEMES[name]
        shown = [e for e in (s.variance, s.bound) if e is not None]
        uses_correction |= any(display_form(e).has(CORRECTION_SYMBOL) for e in shown)
        rows.append((name, s.distribution, show(s.variance),
                     "-" if s.bound is None else show(s.bound)))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    table = "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False))
                      + "  " + r[3] for r in rows)
    if uses_correction:
        table += (f"\n\nwhere {correction_definition(latex)} is the standard deviation of "
                  "N(0, 1) cut at +-2")
    return table


def run_verify(names: Sequence[str], shape: tuple[int, ...], convention: str, seed: int,
               samples: int | None, alpha: float) -> list:
    """Check the built-in sampler of each scheme against derive; one report each."""
    from derive import SCHEMES
    from verify import check, child_seeds, sample

    reports = []
    seeds = child_seeds(seed, len(names))
    for name, child in zip(names, seeds, strict=True):
        scheme = SCHEMES[name]

        def init(shp: tuple[int, ...], s: int, scheme: object = scheme) -> object:
            return sample(scheme, shp, rng=s, convention=convention)  # type: ignore[arg-type]

        try:
            reports.append(check(init, scheme, shape=shape, convention=convention,
                                 seed=child, alpha=alpha,
                                 n_samples=samples))
        except ValueError as e:
            raise UsageError(str(e)) from e
        print(f"  {'ok  ' if reports[-1].passed else 'FAIL'} {name}", file=sys.stderr)
    return reports


class Progress:
    """Progress on stderr: a bar redrawn in place on a terminal; otherwise (CI logs) a line
    every `every` seconds and one at the end."""

    def __init__(self, every: float = 5.0) -> None:
        self.every, self.start, self.last = every, time.monotonic(), time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        if sys.stderr.isatty():
            filled = round(30 * done / total)
            end = "\n" if done == total else ""
            print(f"\r  [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}", end=end,
                  file=sys.stderr, flush=True)
        elif done == total or time.monotonic() - self.last >= self.every:
            self.last = time.monotonic()
            print(f"  {done}/{total} ({self.last - self.start:.0f} s)", file=sys.stderr,
                  flush=True)


def run_propagate(init: str, activation: str, depth: int, width: int | list[int], batch: int,
                  seed: int = 0, bias: float = 0.0, slope: float = 0.01,
                  backward: bool = True, alpha: float = 1e-6) -> object:
    """Measured against predicted for one net: a `verify.Comparison`."""
    from verify import compare, predict, propagate

    resolve_schemes([init])
    try:
        measured = propagate(init, activation, depth=depth, width=width, batch=batch, seed=seed,
                             backward=backward, bias=bias, slope=slope, progress=Progress())
        predicted = predict(init, activation, depth=depth, width=width, batch=batch, bias=bias,
                            slope=slope, alpha=alpha)
    except ValueError as e:
        raise UsageError(str(e)) from e
    return compare(measured, predicted)


def _require(framework: str) -> None:
    """The framework's adapter imports, else a UsageError saying how to install it."""
    from initproof.extras import INSTALL
    from verify.frameworks import adapter

    try:
        adapter(framework).version()
    except ImportError as e:
        raise UsageError(f"{framework} is not installed ({e}); "
                         f"{INSTALL.get(framework, f'pip install {framework}')}") from e


def run_translate(framework: str, name: str, to: Sequence[str] | None) -> list:
    """`verify.translate` of `name`, every framework named and installed checked first."""
    from verify.frameworks import installed, names, translate

    for fw in [framework, *(to or [])]:
        if fw not in names():
            raise UsageError(f"unknown framework {fw!r}; choose from: {', '.join(names())}")
        _require(fw)
    targets = [fw for fw in (to or installed()) if fw != framework]
    if not targets:
        raise UsageError(f"no framework other than {framework} to translate into"
                         + ("" if to else " is installed (make frameworks)")
                         + f"; choose from: {', '.join(n for n in names() if n != framework)}")
    try:
        return translate(framework, name, to=targets)
    except ValueError as e:
        raise UsageError(str(e)) from e


def run_crosscheck(names: Sequence[str], seed: int = 0, alpha: float = 1e-6) -> list:
    """Rows of `verify.crosscheck` for each framework; 'all' means every installed."""
    from verify.frameworks import crosscheck, installed
    from verify.frameworks import names as frameworks

    if "all" in names:
        names = installed()
        if not names:
            raise UsageError("no framework with an adapter is installed: make frameworks "
                             "(torch==2.13.0 first)")
    for fw in names:  # every name and every install checked before any work starts
        if fw not in frameworks():
            raise UsageError(f"unknown framework {fw!r}; "
                             f"choose from: {', '.join(frameworks())}, all")
        _require(fw)
    rows = []
    for fw in names:
        print(f"  cross-checking {fw}", file=sys.stderr)
        rows += crosscheck(fw, seed=seed, alpha=alpha, progress=Progress())
    return rows




def load_factory(spec: str) -> object:
    """The model that MODULE:FACTORY builds (the current folder importable, as for
    `python -m`); every failure a one-line UsageError."""
    import importlib

    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise UsageError(f"expected MODULE:FACTORY (e.g. mypackage.models:build), got {spec!r}")
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise UsageError(f"cannot import {module_name!r}: {e}") from e
    factory = module
    for part in attr.split("."):
        if not hasattr(factory, part):
            raise UsageError(f"{module_name!r} has no {attr!r}")
        factory = getattr(factory, part)
    if not callable(factory):
        raise UsageError(f"{spec} is a {type(factory).__name__}, not a callable that builds "
                         "a model")
    try:
        return factory()
    except Exception as e:  # the user's code: say what it raised, in one line
        raise UsageError(f"{spec}() raised {type(e).__name__}: {e}") from e


def _read_toml(path: Path) -> dict:
    """The TOML file's tables; a missing, unreadable or malformed file a UsageError."""
    import tomllib

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror or e}") from e
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UsageError(f"{path} is not valid TOML: {e}") from e


def read_rules(path: Path) -> tuple[dict[str, object], dict[str, float]]:
    """The [rules] (glob = scheme text) and [constants] tables of a TOML file, each rule
    parsed now so that a bad one is named before any work."""
    from derive import parse_scheme

    data = _read_toml(path)
    unknown = set(data) - {"rules", "constants"}
    if unknown:
        raise UsageError(f"{path}: unknown table(s) {', '.join(sorted(unknown))}; "
                         "valid: [rules], [constants]")
    constants = data.get("constants", {})
    bad = [k for k, v in constants.items() if isinstance(v, bool)
           or not isinstance(v, int | float)]
    if bad:
        raise UsageError(f"{path}: constants must be numbers: {', '.join(bad)}")
    rules: dict[str, object] = {}
    for pattern, text in data.get("rules", {}).items():
        if not isinstance(text, str):
            raise UsageError(f"{path}: rule {pattern!r} must be a string, got {text!r}")
        try:
            rules[pattern] = parse_scheme(text, constants)
        except ValueError as e:
            raise UsageError(f"{path}: rule {pattern!r}: {e}") from e
    return rules, constants


def run_audit(spec: str, rules_file: Path | None, alpha: float,
              input_shape: tuple[int, ...] | None = None, seed: int = 0,
              framework: str | None = None) -> object:
    """`verify.audit` of the model MODULE:FACTORY builds, with the rules of `rules_file`
    (and the signal of a unit-Gaussian batch of `input_shape` through it)."""
    from verify import audit

    rules, constants = read_rules(rules_file) if rules_file is not None else ({}, {})
    model = load_factory(spec)
    print(f"  auditing the {type(model).__name__} that {spec} built", file=sys.stderr)
    try:
        return audit(model, rules, constants=constants, alpha=alpha,  # type: ignore[arg-type]
                     input_shape=input_shape, seed=seed, framework=framework,
                     progress=Progress())
    except (TypeError, ValueError) as e:
        raise UsageError(str(e)) from e
    except (RuntimeError, IndexError) as e:  # the model's own forward pass, on our batch
        raise UsageError(f"the model did not run on a unit-Gaussian batch of shape "
                         f"{input_shape}: {str(e).splitlines()[0]}") from e


def read_mapping(path: Path) -> dict[str, str]:
    """The [map] table of a TOML file: a parameter path in A = its path in B."""
    data = _read_toml(path)
    if set(data) != {"map"} or not all(isinstance(v, str) for v in data["map"].values()):
        raise UsageError(f"{path}: expected one table [map] of \"path in A\" = \"path in B\"")
    return dict(data["map"])


def run_compare(spec_a: str, spec_b: str, map_file: Path | None, alpha: float) -> object:
    """`verify.compare_models` of the two models MODULE:FACTORY A and B build."""
    from verify import compare_models

    mapping = read_mapping(map_file) if map_file is not None else {}
    a, b = load_factory(spec_a), load_factory(spec_b)
    print(f"  comparing the {type(a).__name__} of {spec_a} with the {type(b).__name__} of "
          f"{spec_b}", file=sys.stderr)
    try:
        return compare_models(a, b, mapping, alpha=alpha)
    except (TypeError, ValueError) as e:
        raise UsageError(str(e)) from e


PHASE_BIASES = (0.0, 0.01, 0.05, 0.1, 0.2, 0.3)
PHASE_FACTORS = (0.8, 0.9, 1.1, 1.25)


@dataclass(frozen=True)
class PhasePoint:
    """Mean field at one (sigma_w^2, sigma_b^2): q*, chi_1 and the depth scales."""

    weight_variance: float
    factor: float
    phase: str
    q_star: float
    chi1: float
    xi_q: float
    xi_c: float


@dataclass(frozen=True)
class PhaseRow:
    """At one sigma_b^2: the critical sigma_w^2 (chi_1 = 1), q* there and what it is
    (`lengths`: "fixed point", "infinite" or "any", where every length is a fixed point and
    q_star is None), notes on what is special (no critical point at finite length, q* = 0),
    and the mean field at sigma_w^2 = factor x the critical value."""

    bias_variance: float
    critical_weight_variance: float | None
    q_star: float | None
    lengths: str
    notes: tuple[str, ...]
    points: tuple[PhasePoint, ...]

    def to_dict(self) -> dict:
        return asdict(self)


def _phase_point(activation: str, weight: float, bias: float, factor: float) -> PhasePoint:
    from verify.propagation import chi1, depth_scales, q_star

    q = q_star(activation, weight, bias)
    chi = chi1(activation, weight, bias)
    xi_q, xi_c = depth_scales(activation, weight, bias)
    if q == math.inf:
        phase = "no fixed point"
    else:
        phase = "ordered" if chi < 1 - 1e-12 else "chaotic" if chi > 1 + 1e-12 else "critical"
    return PhasePoint(weight, factor, phase, q, chi, xi_q, xi_c)


def run_phase(activation: str, bias_variances: Sequence[float] = PHASE_BIASES,
              factors: Sequence[float] = PHASE_FACTORS) -> list[PhaseRow]:
    """Per sigma_b^2: the critical line chi_1 = 1 and the depth scales on either side."""
    from derive import ACTIVATIONS
    from verify.propagation import chi1, critical_weight_variance, q_star

    if activation not in ACTIVATIONS:
        close = difflib.get_close_matches(activation, ACTIVATIONS, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UsageError(f"unknown activation {activation!r}{hint}; choose from: "
                         f"{', '.join(ACTIVATIONS)}")
    rows = []
    for bias in bias_variances:
        critical = critical_weight_variance(activation, bias)
        if math.isnan(critical):
            note = ("chi_1 stays below 1 for every sigma_w^2 up to 1e6" if
                    chi1(activation, 1e6, bias) < 1 else "chi_1 jumps across 1 where q* "
                    "(reached from q = 1) jumps past an unstable fixed point to 0 or infinity")
            rows.append(PhaseRow(bias, None, None, "none", (f"{note}: no critical point",), ()))
            continue
        q: float | None = q_star(activation, critical, bias)
        notes, lengths = [], "infinite" if q == math.inf else "fixed point"
        if q == math.inf:
            notes.append(f"chi_1 = 1 at sigma_w^2 = {critical:.4g}, but q* is infinite there "
                         "(the lengths grow without bound): no critical point at finite "
                         "length")
        elif q == 1.0 and q_star(activation, critical, bias, q0=2.0) == 2.0:
            q, lengths = None, "any"
            notes.append(f"at sigma_w^2 = {critical:.4g} every length is a fixed point: q* "
                         "is the input's own length")
        points = tuple(_phase_point(activation, f * critical, bias, f) for f in factors)
        if any(p.q_star == 0 for p in points):
            notes.append("where q* = 0 the lengths shrink to 0 (xi_q) as fast as the "
                         "distances between inputs, so c_l keeps its memory: xi_c = inf (the "
                         "papers' -1/log chi_1 is the limit sigma_b^2 -> 0+)")
        rows.append(PhaseRow(bias, critical, q, lengths, tuple(notes), points))
    return rows
