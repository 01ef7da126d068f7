"""The work the commands share: proving, verifying, propagating and cross-checking on given
settings, with one-line errors for bad input and progress on stderr."""

from __future__ import annotations

import difflib
import sys
import time
from collections.abc import Sequence
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
    """scheme | distribution | variance | bound, as sympy text or LaTeX."""
    import sympy as sp

    from derive import SCHEMES, display_form
    from derive import latex as tex

    def show(e: sp.Expr) -> str:
        return tex(display_form(e)) if latex else sp.sstr(display_form(e))

    rows = [("scheme", "distribution", "variance", "bound")]
    for name in names:
        s = SCHEMES[name]
        rows.append((name, s.distribution, show(s.variance),
                     "-" if s.bound is None else show(s.bound)))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[3]
                     for r in rows)


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


def run_crosscheck(names: Sequence[str], seed: int = 0, alpha: float = 1e-6) -> list:
    """Rows of `verify.crosscheck` for each framework; 'all' means every installed."""
    from verify.frameworks import adapter, crosscheck, installed
    from verify.frameworks import names as frameworks

    if "all" in names:
        names = installed()
        if not names:
            raise UsageError("none of torch, jax, keras is installed: pip install "
                             "torch==2.13.0 jax jaxlib flax keras")
    for fw in names:  # every name and every install checked before any work starts
        if fw not in frameworks():
            raise UsageError(f"unknown framework {fw!r}; "
                             f"choose from: {', '.join(frameworks())}, all")
        try:
            adapter(fw)
        except ImportError as e:
            raise UsageError(f"{fw} is not installed ({e}); pip install "
                             f"{'torch==2.13.0' if fw == 'torch' else fw}") from e
    rows = []
    for fw in names:
        print(f"  cross-checking {fw}", file=sys.stderr)
        rows += crosscheck(fw, seed=seed, alpha=alpha, progress=Progress())
    return rows


