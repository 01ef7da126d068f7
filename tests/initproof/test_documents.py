"""The generated documents: current, compilable, and correct mathematics."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sympy as sp
from scipy import stats
from sympy.parsing.latex import parse_latex

import derive
from derive import render
from derive.width import math_width, text_width
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


needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None,
                                    reason="pdflatex is not installed")
BAD_LOG = re.compile(r"^(?:Overfull \\[hv]box.*"
                     r"|LaTeX Warning: (?:Reference|Citation) .* undefined.*"
                     r"|LaTeX Warning: There were undefined references.*)$", re.M)


def _compile(text: str, folder: Path, name: str = STANDALONE) -> str:
    """pdflatex twice (references settle on the second run); the second run's log."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    for _ in range(2):
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", name],
                             cwd=folder, capture_output=True, text=True, check=False)
        assert run.returncode == 0, run.stdout[-3000:]
    assert (folder / name).with_suffix(".pdf").stat().st_size > 5_000
    return (folder / name).with_suffix(".log").read_text(encoding="latin-1")


def _beyond_margin(pdf: Path) -> list[str]:
    """Words set past the right margin, read from the PDF (pdftotext -bbox), for lines
    that run over their column on purpose and so escape pdflatex's overfull check."""
    if shutil.which("pdftotext") is None:
        return []
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    margin = 612 - 1.5 / 2.54 * 72  # letter paper, 1.5 cm margins, in points
    return [word for x, word in re.findall(r'xMax="([\d.]+)"[^>]*>([^<]*)<', html)
            if float(x) > margin + 0.5]


def _standalone(files: dict[str, str], body: str) -> str:
    """The standalone document's preamble around another body."""
    head = files[STANDALONE].split("\\maketitle")[0]
    return f"{head}\\maketitle\n{body}\n\\end{{document}}\n"


@pytest.mark.latex
@needs_pdflatex
def test_standalone_document_compiles_without_overfull_lines(files: dict[str, str],
                                                            tmp_path: Path) -> None:
    log = _compile(files[STANDALONE], tmp_path)
    assert BAD_LOG.findall(log) == [], "lines run into the margin or references are undefined"
    assert _beyond_margin((tmp_path / STANDALONE).with_suffix(".pdf")) == []


def _long_derivation() -> derive.Derivation:
    """A derivation no module has: a sum of twelve moment products under a long left side,
    a product of seven that cannot break, long reasons, a long result; the layout must fit
    it without being told how."""
    xs = sp.symbols("x_1:13")
    total = sum((derive.E(x) ** 2 * derive.Var(x) for x in xs), sp.Integer(0))
    product = sp.Mul(*(derive.Var(x) for x in xs[:7]))
    reason = ("a reason long enough to need two or three lines in its column, naming "
              "$\\operatorname{Var}(x_i)$ and $\\mathbb{E}[x_i]$ on the way")
    return derive.Derivation(
        key="long", title="A long line", summary="Twelve terms.", assumptions=(),
        steps=(derive.Step(derive.Var(sum(xs, sp.Integer(0))), total, reason),
               derive.Step(total, total - xs[0], "short"),
               derive.Step(derive.Var(sp.Mul(*xs[:7])), product, reason)),
        results={"total": total})


@pytest.mark.latex
@needs_pdflatex
def test_a_new_long_derivation_is_broken_to_fit(files: dict[str, str], tmp_path: Path) -> None:
    body = derive.derivation_latex(_long_derivation())
    assert "\\quad {} +" in body and "\\parbox" in body and "\\rlap" in body
    log = _compile(_standalone(files, body), tmp_path)
    assert BAD_LOG.findall(log) == []
    assert _beyond_margin((tmp_path / STANDALONE).with_suffix(".pdf")) == []


@pytest.mark.latex
@needs_pdflatex
def test_an_overfull_line_is_caught(files: dict[str, str], tmp_path: Path) -> None:
    """The check can fail: one product of forty factors cannot be broken, and runs over."""
    xs = sp.symbols("x_1:41")
    body = derive.derivation_latex(derive.Derivation(
        key="wide", title="Too wide", summary="", assumptions=(),
        steps=(derive.Step(sp.Symbol("y"), sp.Mul(*(derive.Var(x) for x in xs)), "planted"),)))
    log = _compile(_standalone(files, body), tmp_path)
    assert any(line.startswith("Overfull \\hbox") for line in BAD_LOG.findall(log))
    if shutil.which("pdftotext"):
        assert _beyond_margin((tmp_path / STANDALONE).with_suffix(".pdf")) != []


@pytest.mark.latex
@needs_pdflatex
def test_the_width_estimate_follows_pdflatex(tmp_path: Path) -> None:
    """Every rendered equation and reason, measured by pdflatex, is at most 15 % (and half an
    em) wider than the layout assumed, so its budget of 16 cm on an 18.6 cm line holds; and
    the estimate wastes no more than half as much again."""
    pieces = [(tex, True) for d in derive.derivations() for step in d.steps
              for tex in (derive.latex(step.old), derive.latex(step.new))]
    pieces += [(render._latex_text(step.reason), False)
               for d in derive.derivations() for step in d.steps]
    shown = [rf"$\displaystyle {p}$" if math else p for p, math in pieces]
    boxes = [rf"\sbox0{{{p}}}\typeout{{W{i}:\the\wd0}}" for i, p in enumerate(shown)]
    log = _compile("\\documentclass[10pt]{article}\\usepackage{amsmath,amssymb}"
                   "\\begin{document}\n" + "\n".join(boxes) + "\nx\n\\end{document}\n",
                   tmp_path, "widths.tex")
    measured = {int(i): float(w) / 10 for i, w in re.findall(r"W(\d+):([\d.]+)pt", log)}
    assert len(measured) == len(pieces)
    for i, (piece, math) in enumerate(pieces):
        estimate = math_width(piece) if math else text_width(piece)
        assert measured[i] <= 1.15 * estimate + 0.5, piece
        assert estimate <= 1.5 * measured[i] + 1.5, piece


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
        assert [r[2].replace("\\vert ", "|") for r in rows] == [s.reason for s in d.steps]
        for line in text.splitlines():
            if line.startswith("| "):  # a | inside math would split the row into more cells
                assert len(line.strip(" |").split("|")) == 3, line
        for assumption in d.assumptions:
            assert f"- {assumption}" in text


OLD_FORMS = {  # what prose used to write, against the upright forms equations print
    "italic fan_in or fan_out": re.compile(r"\bfan\\?_"),
    "Var without \\operatorname": re.compile(r"(?<![{\w])Var\b"),
    "E without \\mathbb": re.compile(r"(?<![{\w\\])E\s*[\[|]"),
    "relu without \\operatorname": re.compile(r"(?<![{\w])relu\("),
    "N(0, .) without \\mathcal": re.compile(r"(?<![{\w])N\(0"),
    "an italic word as a subscript": re.compile(r"_\{[A-Za-z]{3,}\}"),  # z_{\mathrm{prev}}
}


def _old_forms(text: str) -> list[str]:
    return [name for name, pattern in OLD_FORMS.items() if pattern.search(text)]


def _prose(d: derive.Derivation) -> list[str]:
    return [d.title, d.summary, *d.assumptions, *(s.reason for s in d.steps)]


@pytest.mark.parametrize("d", derive.derivations(), ids=lambda d: d.key)
def test_prose_writes_names_as_equations_do(d: derive.Derivation) -> None:
    for text in _prose(d):
        math = " ".join(text.split("$")[1::2])
        words = " ".join(text.split("$")[0::2])
        assert _old_forms(math) == [], text
        assert not re.search(r"\bfan_(in|out)\b", words), f"a fan outside math: {text}"


def test_the_old_forms_are_caught() -> None:
    assert _old_forms("$fan_{in} Var(w) = 1$") == ["italic fan_in or fan_out",
                                                   "Var without \\operatorname"]
    assert _old_forms("E[X^2] and E|w|^2, relu(z), N(0, q), z_{prev}") == [
        "E without \\mathbb", "relu without \\operatorname", "N(0, .) without \\mathcal",
        "an italic word as a subscript"]
    assert _old_forms("M_{ij} = z_{\\mathrm{prev}}") == []
    assert _old_forms(f"${derive.latex(derive.fan_in * derive.Var(sp.Symbol('w')))}$") == []


def test_documents_use_one_notation(files: dict[str, str]) -> None:
    """Markdown and LaTeX alike: no old form anywhere outside code names."""
    for name, text in files.items():
        plain = re.sub(r"`[^`]*`|\\texttt\{[^}]*\}", "", text)
        assert _old_forms(plain) == [], name


def test_numbers_are_shown_to_a_few_digits(files: dict[str, str]) -> None:
    for name, text in files.items():
        for number in re.findall(r"\\approx (\d+\.\d+)", text):
            assert len(number.replace(".", "").lstrip("0")) <= render.DIGITS, (name, number)


def test_scheme_table_defines_c2_where_it_is_used() -> None:
    from initproof.runs import scheme_table

    correction = float(derive.truncated_normal().results["correction"])
    text = scheme_table(["he_truncated_normal"], latex=False)
    assert "c_2*sqrt(fan_in)" in text
    definition = text.splitlines()[-1]
    assert definition.startswith("where c_2 = sqrt(1 - ") and f"{correction:.4g}" in definition
    assert "where c_{2} = \\sqrt{1 - " in scheme_table(["he_truncated_normal"], latex=True)
    assert "where" not in scheme_table(["he_uniform", "glorot_normal"], latex=False)
