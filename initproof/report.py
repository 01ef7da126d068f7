"""`initproof report`, the main job: derive, verify, propagate and cross-check on built-in
defaults, writing the derivations (and their PDF where pdflatex is installed)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from initproof.documents import STANDALONE
from initproof.files import write_atomic
from initproof.runs import (
    prove,
    run_crosscheck,
    run_propagate,
    run_verify,
    scheme_table,
    write_derivation_docs,
)

REPORT_NETS = {"linear": "glorot_normal", "tanh": "lecun_normal", "relu": "he_normal",
               "leaky_relu": "he_uniform", "sigmoid": "lecun_normal", "elu": "lecun_normal",
               "selu": "lecun_normal", "gelu": "he_normal", "silu": "he_normal"}


def compile_pdf(tex_file: Path) -> str:
    """Compile with pdflatex, the PDF landing beside the source; one line saying what happened."""
    if shutil.which("pdflatex") is None:
        return "pdflatex not found: PDF skipped"
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                              f"-output-directory={tmp}", str(tex_file)],
                             capture_output=True, text=True, check=False)
        pdf = Path(tmp) / tex_file.with_suffix(".pdf").name
        if run.returncode != 0 or not pdf.exists():
            error = next((line for line in run.stdout.splitlines() if line.startswith("!")),
                         f"exit code {run.returncode}")
            return f"pdflatex failed on {tex_file} ({error}): PDF skipped"
        target = write_atomic(tex_file.with_suffix(".pdf"), lambda t: shutil.copyfile(pdf, t))
        return f"compiled {target}"


def report(out: Path) -> int:
    """Run the main job on built-in defaults, printing each section; 0 when all agree."""
    print("== derive ==")
    derivations = prove(sys.stdout)
    docs = out / "derivations"
    written = write_derivation_docs(docs, derivations)
    print(f"wrote {len(written)} files to {docs}")
    print(compile_pdf(docs / STANDALONE))
    from derive import SCHEMES

    names = [n for n, s in SCHEMES.items() if s.name == n]
    print()
    print(scheme_table(names, latex=False))
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
        print(f"  {c.verdict:12s} {c.measured.activation:10s} "
              f"{REPORT_NETS[c.measured.activation]:20s} var(a_20) {c.measured.var[-1]:9.3g} "
              f"predicted {p.var[-1]:9.3g} (log tolerance {p.tolerance.var[-1]:.2f})")
    print("\n== crosscheck: framework initializers against derive ==")
    from verify.frameworks import installed

    found = installed()
    if not found:
        print("  no framework installed (make frameworks: torch==2.13.0 first, then the others)")
    else:
        rows = run_crosscheck(found)
        for fw in found:
            mine = [r for r in rows if r.framework == fw]
            bad = sorted({r.initializer for r in mine if not r.passed})
            print(f"  {fw}: {len(mine)} rows, {len(mine) - sum(not r.passed for r in mine)} "
                  f"match; mismatches (see docs/crosscheck.md): {', '.join(bad) or 'none'}")
    return 0 if all(r.passed for r in reports) and all(c.agree for c in comparisons) else 1


