"""The `initproof` command line: derive | report."""

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

    print()
    print(_scheme_table([n for n, s in SCHEMES.items() if s.name == n], latex=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="initproof", description="Prove and check neural-network weight initializers.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("derive", help="re-prove the derivations; show schemes; write docs")
    p.add_argument("schemes", nargs="*", metavar="SCHEME", help="schemes to show (default: all)")
    p.add_argument("--out", type=Path, help="write LaTeX and Markdown documents to this folder")
    p.add_argument("--latex", action="store_true", help="show formulas as LaTeX")
    p.set_defaults(func=cmd_derive)

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
