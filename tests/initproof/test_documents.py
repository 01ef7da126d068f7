"""The generated documents: current, compilable, and correct mathematics."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from scipy import stats
from sympy.parsing.latex import parse_latex

import derive
from initproof.documents import STANDALONE, derivation_documents
from tests.conftest import DOCS as ALL_DOCS

DOCS = ALL_DOCS / "derivations"


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return derivation_documents(derive.derivations(), derive.SCHEMES)


def test_generated_docs_are_current(files: dict[str, str]) -> None:
    on_disk = {p.name for p in DOCS.iterdir()}
    assert on_disk == set(files), "run `make docs` and commit docs/derivations"
    for name, text in files.items():
        assert (DOCS / name).read_text(encoding="utf-8") == text, (
            f"docs/derivations/{name} is stale: run `make docs` and commit")


def test_prose_is_ascii(files: dict[str, str]) -> None:
    for name, text in files.items():
        if name.endswith(".tex"):
            assert text.isascii(), f"{name} has non-ASCII characters pdflatex cannot set"


@pytest.mark.latex
@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_standalone_document_compiles(files: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / STANDALONE).write_text(files[STANDALONE], encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", STANDALONE],
                         cwd=tmp_path, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout[-3000:]
    assert (tmp_path / STANDALONE).with_suffix(".pdf").stat().st_size > 10_000


FAN_NAMES = {r"\mathrm{fan}_{\mathrm{in}}": "x", r"\mathrm{fan}_{\mathrm{out}}": "y", "c_{2}": "c"}


def _parse(latex: str) -> object:
    for written, plain in FAN_NAMES.items():
        latex = latex.replace(written, plain)
    return parse_latex(latex, backend="lark")


def test_rendered_catalogue_is_the_derived_mathematics(files: dict[str, str]) -> None:
    """Parse every rendered formula of the catalogue back and evaluate it at several fans."""
    correction = stats.truncnorm(-2, 2).std()  # an independent source for c_2
    rows = [line for line in files["catalogue.md"].splitlines() if line.startswith("| `")]
    assert len(rows) == len({id(s) for s in derive.SCHEMES.values()})
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        scheme = derive.SCHEMES[cells[0].strip("`")]
        variance = _parse(cells[3].strip("$"))
        bound = None if cells[4] == "-" else _parse(cells[4].strip("$"))
        for fi, fo in ((3, 5), (64, 64), (1000, 17)):
            values = {"x": fi, "y": fo, "c": correction}
            expr_values = {s: values[s.name] for s in variance.free_symbols}
            assert float(variance.subs(expr_values)) == pytest.approx(
                scheme.variance_at(fi, fo), rel=1e-12), cells[0]
            if bound is not None:
                bound_values = {s: values[s.name] for s in bound.free_symbols}
                assert float(bound.subs(bound_values)) == pytest.approx(
                    scheme.bound_at(fi, fo), rel=1e-12), cells[0]


def test_markdown_shows_every_step_with_its_reason(files: dict[str, str]) -> None:
    for number, d in enumerate(derive.derivations(), 1):
        text = files[f"{number:02d}-{d.key}.md"]
        rows = re.findall(r"^\| (\d+) \| \$(.*)\$ \| (.*) \|$", text, flags=re.M)
        assert [int(r[0]) for r in rows] == list(range(1, len(d.steps) + 1))
        assert [r[2] for r in rows] == [s.reason for s in d.steps]
        for assumption in d.assumptions:
            assert f"- {assumption}" in text
