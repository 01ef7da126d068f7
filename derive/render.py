"""Render derivations and the scheme catalogue to LaTeX and GitHub Markdown strings.

Prose (titles, summaries, reasons) is ASCII with inline `$…$` math, which both
formats read; equations are sympy objects printed by `sympy.latex`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import sympy as sp

from derive.derivation import Derivation, Step
from derive.notation import latex as tex
from derive.proofs import truncated_normal
from derive.schemes import Scheme

CORRECTION_SYMBOL = sp.Symbol("c_2", positive=True)


def step_equation(step: Step, continues: bool) -> tuple[str, str]:
    """(left side, right side) of a step; the left is empty when it continues a chain."""
    left = "" if continues else tex(step.old)
    if step.limit is not None:
        left = rf"\lim_{{{tex(step.limit)} \to \infty}} {tex(step.old)}"
    return left, tex(step.new)


def _equations(d: Derivation) -> Iterable[tuple[int, str, str, str]]:
    previous = None
    for number, step in enumerate(d.steps, 1):
        continues = step.limit is None and previous is not None and step.old == previous
        left, right = step_equation(step, continues)
        yield number, left, right, step.reason
        previous = step.new


def _latex_text(text: str) -> str:
    """Escape LaTeX's special characters outside `$…$` math."""
    parts = text.split("$")
    for i in range(0, len(parts), 2):
        parts[i] = re.sub(r"([_%&#])", r"\\\1", parts[i])
    return "$".join(parts)


def _numeric(value: sp.Expr) -> str | None:
    """A constant's value to 20 significant digits, else None."""
    return str(sp.N(value, 20)) if value.is_number and not value.is_Rational else None


def derivation_latex(d: Derivation) -> str:
    """A LaTeX section: summary, assumptions, an align* of steps with reasons, results."""
    lines = [rf"\section{{{_latex_text(d.title)}}}\label{{sec:{d.key}}}", "",
             _latex_text(d.summary), "", r"\paragraph{Assumptions}", r"\begin{itemize}"]
    lines += [rf"  \item {_latex_text(a)}" for a in d.assumptions]
    lines += [r"\end{itemize}", "", r"\begin{align*}"]
    rows = [rf"  {left} &= {right} && \text{{{_latex_text(reason)}}}"
            for _, left, right, reason in _equations(d)]
    lines += [" \\\\\n".join(rows), r"\end{align*}"]
    if d.results:
        lines += ["", r"\paragraph{Results}", r"\begin{align*}"]
        rows = []
        for name, value in d.results.items():
            approx = _numeric(value)
            tail = rf" \approx {approx}" if approx else ""
            rows.append(rf"  \text{{{_latex_text(name)}}} &: {tex(value)}{tail}")
        lines += [" \\\\\n".join(rows), r"\end{align*}"]
    return "\n".join(lines) + "\n"


def _cell(latex: str) -> str:
    return latex.replace("|", r"\vert ")


def derivation_markdown(d: Derivation, number: int | None = None) -> str:
    """GitHub Markdown: summary, assumptions, a table of steps with reasons, results."""
    heading = f"{number}. {d.title}" if number is not None else d.title
    lines = [f"# {heading}", "", d.summary, "", "**Assumptions**", ""]
    lines += [f"- {a}" for a in d.assumptions]
    lines += ["", "| # | step | because |", "|---|---|---|"]
    for n, left, right, reason in _equations(d):
        lines.append(f"| {n} | ${_cell(left)} = {_cell(right)}$ | {reason} |")
    if d.results:
        lines += ["", "**Results**", ""]
        for name, value in d.results.items():
            approx = _numeric(value)
            tail = f" $\\approx {approx}$" if approx else ""
            lines.append(f"- `{name}`: ${tex(value)}${tail}")
    return "\n".join(lines) + "\n"


def display_form(e: sp.Expr) -> sp.Expr:
    """A scheme expression with the truncation correction 0.8796… written as c_2."""
    return e.subs(truncated_normal().results["correction"], CORRECTION_SYMBOL)


def _scheme_display(e: sp.Expr | None) -> str:
    return "-" if e is None else tex(display_form(e))


def _distinct(schemes: Mapping[str, Scheme]) -> list[tuple[str, Scheme, list[str]]]:
    """Each scheme once, with the aliases that point to it."""
    seen: dict[int, tuple[str, Scheme, list[str]]] = {}
    for name, scheme in schemes.items():
        entry = seen.setdefault(id(scheme), (scheme.name, scheme, []))
        if name != scheme.name:
            entry[2].append(name)
    return list(seen.values())


def catalogue_markdown(schemes: Mapping[str, Scheme]) -> str:
    """The catalogue as a Markdown table: scheme, distribution, variance, bound, σ."""
    c = truncated_normal().results["correction"]
    lines = ["# The scheme catalogue", "",
             "Variance and bound of every named scheme, computed from the derivations. "
             "The bound is the uniform half-width or the truncation point; "
             f"$c_2 = {tex(c)} \\approx {_numeric(c)}$.", "",
             "| scheme | aliases | distribution | variance | bound |", "|---|---|---|---|---|"]
    for name, s, aliases in _distinct(schemes):
        lines.append(f"| `{name}` | {', '.join(f'`{a}`' for a in aliases) or '-'} | "
                     f"{s.distribution} | ${_scheme_display(s.variance)}$ | "
                     f"${_scheme_display(s.bound)}$ |".replace("$-$", "-"))
    return "\n".join(lines) + "\n"


def catalogue_latex(schemes: Mapping[str, Scheme]) -> str:
    """The catalogue as a LaTeX section with one table."""
    c = truncated_normal().results["correction"]
    lines = [r"\section{The scheme catalogue}", "",
             "Variance and bound of every named scheme, computed from the derivations above; "
             rf"$c_2 = {tex(c)} \approx {_numeric(c)}$.", "",
             r"\begin{center}", r"\begin{tabular}{llll}",
             r"scheme & distribution & variance & bound \\ \hline"]
    for name, s, _ in _distinct(schemes):
        bound = "--" if s.bound is None else f"${_scheme_display(s.bound)}$"
        lines.append(rf"\texttt{{{_latex_text(name)}}} & {_latex_text(s.distribution)} & "
                     rf"${_scheme_display(s.variance)}$ & {bound} \\")
    lines += [r"\end{tabular}", r"\end{center}"]
    return "\n".join(lines) + "\n"
