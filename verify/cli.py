"""The `initproof` command line: derive | verify | propagate | crosscheck | report."""

from __future__ import annotations

import argparse
import difflib
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path


class UsageError(Exception):
    """Bad input from the command line: reported in one line, exit code 2."""


def resolve_schemes(names: Sequence[str]) -> list[str]:
    """The names, checked against `derive.SCHEMES`; an unknown one names the closest."""
    from derive import SCHEMES

    for name in names:
        if name not in SCHEMES:
            close = difflib.get_close_matches(name, SCHEMES, n=3, cutoff=0.5)
            hint = f"closest: {', '.join(close)}" if close else f"choose from: {', '.join(SCHEMES)}"
            raise UsageError(f"unknown scheme {name!r}; {hint}")
    return list(names)


def _check_derivations(out: object) -> list:
    import derive

    derivations = derive.derivations()
    for d in derivations:
        start = time.perf_counter()
        d.check()
        print(f"  proved  {d.title} ({len(d.steps)} steps, {time.perf_counter() - start:.2f} s)",
              file=out)
    return derivations


def _write_docs(out_dir: Path, derivations: list) -> list[Path]:
    from derive import SCHEMES
    from derive.render import documents, write_documents

    files = documents(derivations, SCHEMES)
    try:
        return write_documents(files, out_dir)
    except OSError as e:
        raise UsageError(f"cannot write to {out_dir}: {e.strerror or e}") from e


def _scheme_table(names: Sequence[str], latex: bool) -> str:
    import sympy as sp

    from derive import SCHEMES
    from derive.render import display_form, tex

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


def cmd_derive(args: argparse.Namespace) -> int:
    names = resolve_schemes(args.schemes)
    print("Derivations (each step re-proved by sympy):")
    derivations = _check_derivations(sys.stdout)
    if args.out is not None:
        written = _write_docs(args.out, derivations)
        print(f"wrote {len(written)} files to {args.out}")
    from derive import SCHEMES

    print()
    print(_scheme_table(names or [n for n, s in SCHEMES.items() if s.name == n], args.latex))
    return 0


def _parse_shape(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(d) for d in text.replace("x", ",").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"shape must look like 256,128 or 64x3x3x3, got {text!r}") from None


def run_verify(names: Sequence[str], shape: tuple[int, ...], convention: str, seed: int,
               samples: int | None, alpha: float) -> list:
    """Check the built-in sampler of each scheme against derive; one report each."""
    from derive import SCHEMES
    from verify.battery import check
    from verify.sampling import sample
    from verify.stats import child_seeds

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


def cmd_verify(args: argparse.Namespace) -> int:
    import json

    from derive import SCHEMES

    names = resolve_schemes(args.schemes) or [n for n, s in SCHEMES.items() if s.name == n]
    reports = run_verify(names, args.shape, args.convention, args.seed, args.samples, args.alpha)
    if args.json:
        print(json.dumps([r.to_dict() for r in reports], indent=2, default=str))
    else:
        print("\n\n".join(str(r) for r in reports))
        print(f"\n{sum(r.passed for r in reports)} passed, "
              f"{sum(not r.passed for r in reports)} failed")
    return 0 if all(r.passed for r in reports) else 1


def _progress(done: int, total: int) -> None:
    """A one-line progress bar on stderr, drawn only for a terminal."""
    if sys.stderr.isatty():
        filled = round(30 * done / total)
        end = "\n" if done == total else ""
        print(f"\r  [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}", end=end,
              file=sys.stderr, flush=True)


def run_propagate(init: str, activation: str, depth: int, width: int | list[int], batch: int,
                  seed: int = 0, bias: float = 0.0, slope: float = 0.01,
                  backward: bool = True, alpha: float = 1e-6) -> object:
    """Measured against predicted for one net: a `verify.theory.Comparison`."""
    from verify.montecarlo import propagate
    from verify.theory import compare, predict

    resolve_schemes([init])
    try:
        measured = propagate(init, activation, depth=depth, width=width, batch=batch, seed=seed,
                             backward=backward, bias=bias, slope=slope, progress=_progress)
        predicted = predict(init, activation, depth=depth, width=width, batch=batch, bias=bias,
                            slope=slope, alpha=alpha)
    except ValueError as e:
        raise UsageError(str(e)) from e
    return compare(measured, predicted)


def _widths(text: str) -> int | list[int]:
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"width must be an integer or depth + 1 integers like 64,128,128, got {text!r}"
        ) from None
    return values[0] if len(values) == 1 else values


def cmd_propagate(args: argparse.Namespace) -> int:
    import json

    c = run_propagate(args.init, args.activation, args.depth, args.width, args.batch, args.seed,
                      args.bias, args.slope, not args.no_backward, args.alpha)
    if args.json:
        print(json.dumps({"init": args.init, "agree": c.agree, "alpha": args.alpha,
                          "measured": c.measured.to_dict(), "predicted": c.predicted.to_dict(),
                          "ok": {k: [bool(x) for x in v] for k, v in c.ok.items()}}, indent=2))
    else:
        print(f"{args.init} + {args.activation}: depth {args.depth}, widths "
              f"{','.join(map(str, c.measured.widths))}, batch {args.batch}, seed {args.seed}")
        print(f"tolerances at family-wise alpha = {args.alpha:g}: mean absolute; std and grad "
              "var as +-log, from the spread of the estimate (see verify.theory)")
        print(c)
    if args.plot is not None:
        from verify.plots import plot_profiles

        try:
            plot_profiles([(f"{args.init} + {args.activation}", c.measured, c.predicted)],
                          args.plot)
        except ImportError as e:
            raise UsageError(str(e)) from e
        except OSError as e:
            raise UsageError(f"cannot write {args.plot}: {e.strerror or e}") from e
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0 if c.agree else 1


def run_crosscheck(names: Sequence[str], seed: int = 0, alpha: float = 1e-6) -> list:
    """Rows of `verify.frameworks.crosscheck` for each framework; 'all' means every installed."""
    from verify.frameworks import FRAMEWORKS, crosscheck, installed

    if "all" in names:
        names = installed()
        if not names:
            raise UsageError("none of torch, jax, keras is installed: pip install "
                             "torch==2.13.0 jax jaxlib flax keras")
    rows = []
    for fw in names:
        if fw not in FRAMEWORKS:
            raise UsageError(f"unknown framework {fw!r}; choose from: {', '.join(FRAMEWORKS)}, all")
        print(f"  cross-checking {fw}", file=sys.stderr)
        try:
            rows += crosscheck(fw, seed=seed, alpha=alpha, progress=_progress)
        except ImportError as e:
            raise UsageError(f"{fw} is not installed ({e}); pip install "
                             f"{'torch==2.13.0' if fw == 'torch' else fw}") from e
    return rows


def cmd_crosscheck(args: argparse.Namespace) -> int:
    import json

    from derive.render import write_documents
    from verify.frameworks import document, markdown

    rows = run_crosscheck(args.frameworks, args.seed, args.alpha)
    if args.json:
        print(json.dumps([r.to_dict() for r in rows], indent=2, default=str))
    elif args.markdown:
        print(markdown(rows))
    else:
        for r in rows:
            print(f"{'ok  ' if r.passed else 'DIFF'} {r.framework:6s} {r.initializer:58s} "
                  f"{'x'.join(map(str, r.shape)):12s} {r.dtype:9s} {r.claim}")
        print("\n" + markdown(rows).split("### Findings\n", 1)[1])
    if args.out is not None:
        try:
            write_documents({args.out.name: document(rows, args.alpha)}, args.out.parent)
        except OSError as e:
            raise UsageError(f"cannot write {args.out}: {e.strerror or e}") from e
        print(f"wrote {args.out}", file=sys.stderr)
    mismatches = sum(not r.passed for r in rows)
    print(f"{len(rows) - mismatches} match, {mismatches} mismatch", file=sys.stderr)
    return 1 if args.strict and mismatches else 0


REPORT_NETS = {"linear": "glorot_normal", "tanh": "lecun_normal", "relu": "he_normal",
               "leaky_relu": "he_uniform", "sigmoid": "lecun_normal", "elu": "lecun_normal",
               "selu": "lecun_normal", "gelu": "he_normal", "silu": "he_normal"}


def _compile_pdf(tex_file: Path) -> Path | None:
    """Compile with pdflatex when it is installed; the PDF lands beside the source."""
    if shutil.which("pdflatex") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                              f"-output-directory={tmp}", str(tex_file)],
                             capture_output=True, text=True, check=False)
        pdf = Path(tmp) / tex_file.with_suffix(".pdf").name
        if run.returncode != 0 or not pdf.exists():
            raise RuntimeError(f"pdflatex failed on {tex_file}:\n{run.stdout[-2000:]}")
        target = tex_file.with_suffix(".pdf")
        shutil.copyfile(pdf, target)
        return target


def cmd_report(args: argparse.Namespace) -> int:
    from derive.render import STANDALONE

    print("== derive ==")
    derivations = _check_derivations(sys.stdout)
    docs = args.out / "derivations"
    written = _write_docs(docs, derivations)
    print(f"wrote {len(written)} files to {docs}")
    pdf = _compile_pdf(docs / STANDALONE)
    print(f"compiled {pdf}" if pdf else "pdflatex not found: PDF skipped")
    from derive import SCHEMES

    names = [n for n, s in SCHEMES.items() if s.name == n]
    print()
    print(_scheme_table(names, latex=False))
    print("\n== verify: built-in samplers against derive ==")
    reports = run_verify(names, (256, 128), "torch", 0, None, 1e-6)
    for r in reports:
        worst = min((c.detectable for c in r.checks if c.name == "variance"), default=None)
        sees = "" if worst is None else f", sees a {worst:.1%} scale error"
        print(f"  {'ok  ' if r.passed else 'FAIL'} {r.scheme:26s} n={r.n:>9,}{sees}")
    print("\n== propagate: Monte Carlo against theory, depth 20, width 256, batch 256 ==")
    comparisons = [run_propagate(init, act, 20, 256, 256) for act, init in REPORT_NETS.items()]
    for c in comparisons:
        p = c.predicted
        print(f"  {'ok  ' if c.agree else 'FAIL'} {c.measured.activation:10s} "
              f"{REPORT_NETS[c.measured.activation]:20s} var(a_20) {c.measured.var[-1]:9.3g} "
              f"predicted {p.var[-1]:9.3g} (log tolerance {p.tolerance['var'][-1]:.2f})")
    print("\n== crosscheck: framework initializers against derive ==")
    from verify.frameworks import installed

    found = installed()
    if not found:
        print("  no framework installed (pip install torch==2.13.0 jax jaxlib flax keras)")
    else:
        rows = run_crosscheck(found)
        for fw in found:
            mine = [r for r in rows if r.framework == fw]
            bad = sorted({r.initializer for r in mine if not r.passed})
            print(f"  {fw}: {len(mine)} rows, {len(mine) - sum(not r.passed for r in mine)} "
                  f"match; mismatches (see docs/crosscheck.md): {', '.join(bad) or 'none'}")
    return 0 if all(r.passed for r in reports) and all(c.agree for c in comparisons) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="initproof", description="Prove and check neural-network weight initializers.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("derive", help="re-prove the derivations; show schemes; write docs")
    p.add_argument("schemes", nargs="*", metavar="SCHEME", help="schemes to show (default: all)")
    p.add_argument("--out", type=Path, help="write LaTeX and Markdown documents to this folder")
    p.add_argument("--latex", action="store_true", help="show formulas as LaTeX")
    p.set_defaults(func=cmd_derive)

    p = sub.add_parser("verify", help="check the built-in samplers against derive")
    p.add_argument("schemes", nargs="*", metavar="SCHEME", help="schemes (default: all)")
    p.add_argument("--shape", type=_parse_shape, default=(256, 128),
                   help="weight shape, e.g. 256,128 (default: %(default)s)")
    p.add_argument("--convention", choices=("torch", "keras", "jax"), default="torch")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--samples", type=int, default=None,
                   help="values to draw (default: enough to see a 2%% scale error)")
    p.add_argument("--alpha", type=float, default=1e-6, help="family-wise error rate")
    p.add_argument("--json", action="store_true", help="print the reports as JSON")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("propagate", help="Monte Carlo through a deep MLP against the theory")
    p.add_argument("--init", default="he_normal", help="scheme (default: %(default)s)")
    p.add_argument("--activation", default="relu",
                   help="linear, tanh, relu, ... (an unknown name lists them; "
                        "default: %(default)s)")
    p.add_argument("--depth", type=int, default=10)
    p.add_argument("--width", type=_widths, default=256,
                   help="one width, or depth + 1 widths input first (default: %(default)s)")
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--bias", type=float, default=0.0, help="bias std (default: no bias)")
    p.add_argument("--slope", type=float, default=0.01, help="leaky_relu slope")
    p.add_argument("--no-backward", action="store_true", help="skip the gradients")
    p.add_argument("--alpha", type=float, default=1e-6, help="family-wise error rate")
    p.add_argument("--plot", type=Path, help="write curves and histograms to this image")
    p.add_argument("--json", action="store_true", help="print the profiles as JSON")
    p.set_defaults(func=cmd_propagate)

    p = sub.add_parser("crosscheck", help="framework initializers against derive's formulas")
    p.add_argument("frameworks", nargs="+", metavar="FRAMEWORK",
                   help="torch, jax, keras or all (every installed one)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--alpha", type=float, default=1e-6, help="family-wise error rate per check")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.add_argument("--markdown", action="store_true", help="print Markdown tables")
    p.add_argument("--out", type=Path, help="write the full Markdown document to this file")
    p.add_argument("--strict", action="store_true", help="exit 1 when anything mismatches")
    p.set_defaults(func=cmd_crosscheck)

    p = sub.add_parser("report", help="the main job: everything, on built-in defaults")
    p.add_argument("--out", type=Path, default=Path("initproof-report"),
                   help="folder for the report's files (default: %(default)s)")
    p.set_defaults(func=cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as e:
        print(f"initproof: {e}", file=sys.stderr)
        return 2
    except AssertionError as e:
        print(f"initproof: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
