"""Render derivations and the scheme catalogue to LaTeX and GitHub Markdown strings.

Prose (titles, summaries, reasons) is ASCII with inline `$…$` math, which both
formats read, naming things as the equations do (`\\operatorname{Var}`, `\\mathbb{E}`,
`\\mathrm{fan}_{\\mathrm{in}}`); equations are sympy objects printed by
`derive.notation.latex` in a textbook's order. In LaTeX every block of steps is laid out
to fit a 16 cm line by the estimated width of what it sets (`derive.width`): long reasons
wrap in a column, long sums break between terms, long left sides stand on their own line.
The truncated normal's correction is written c_2 wherever it appears after its definition.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

import sympy as sp

from derive.derivation import Derivation, Step
from derive.notation import latex as tex
from derive.notation import latex_terms
from derive.proofs import truncated_normal
from derive.schemes import Scheme
from derive.width import math_width, text_width

CORRECTION_SYMBOL = sp.Symbol("c_2", positive=True)
PAGE = 45.5
"""em: the line every row of an equation block must fit, 16 cm at 10 pt."""
GAP = 2.0
"""em: what the equations and their reasons are kept apart by, at least."""
REASON = 14.0
"""em: the narrowest column a long reason is wrapped into."""
DIGITS = 4
"""significant digits of a numeric value shown beside its closed form."""


def step_equation(step: Step, continues: bool) -> tuple[str, str]:
    """(left side, right side) of a step; the left is empty when it continues a chain."""
    left = "" if continues else tex(step.old)
    if step.limit is not None:
        left = rf"\lim_{{{tex(step.limit)} \to \infty}} {tex(step.old)}"
    return left, tex(step.new)


def _equations(d: Derivation) -> Iterable[tuple[int, str, Step, str]]:
    """(number, left side, step, reason) of each step."""
    previous = None
    for number, step in enumerate(d.steps, 1):
        continues = step.limit is None and previous is not None and step.old == previous
        left, _ = step_equation(step, continues)
        yield number, left, step, step.reason
        previous = step.new


def _left_pieces(step: Step, left: str) -> list[str]:
    """The left side cut where it may break (a limit's stays whole); none if it continues."""
    if not left:
        return []
    return [left] if step.limit is not None else latex_terms(step.old)


def _latex_text(text: str) -> str:
    """Escape LaTeX's special characters outside `$…$` math."""
    parts = text.split("$")
    for i in range(0, len(parts), 2):
        parts[i] = re.sub(r"([_%&#])", r"\\\1", parts[i])
    return "$".join(parts)


def _numeric(value: sp.Expr) -> str | None:
    """A closed-form irrational constant's value to `DIGITS` significant digits, else None
    (a rational, or a float that already shows its digits)."""
    if value.is_number and not value.is_Rational and value.is_finite \
            and not value.has(sp.Float):
        return str(sp.N(value, DIGITS))
    return None


def _lines(relation: str, pieces: list[str], budget: float) -> list[str]:
    """The right side `relation piece piece …` cut into lines of at most `budget` em where
    it can be cut (between the terms of a sum); a continued line is indented by a quad."""
    lines = [f"{relation} {pieces[0]}".strip() if pieces else relation]
    for piece in pieces[1:]:
        joined = f"{lines[-1]} {piece}"
        if math_width(joined) > budget:
            lines.append(rf"\quad {{}} {piece}")
        else:
            lines[-1] = joined
    return lines


def _note(why: str, column: float, beside: int) -> str:
    """A reason as set in its column of `column` em: one line, or wrapped in a parbox whose
    depth is hidden when it fits beside the `beside` lines of its equation."""
    if text_width(why) <= column:
        return rf"\text{{{_latex_text(why)}}}"
    note = rf"\parbox[t]{{{column * 10:.0f}pt}}{{\raggedright {_latex_text(why)}}}"
    return rf"\smash[b]{{{note}}}" if math.ceil(text_width(why) / column) <= beside else note


def _overhang(line: str, room: float) -> str:
    """A line set without width, free to run over the reason column of its row, where the
    estimate says it fits in `room` em; else set as it is, for pdflatex to report."""
    return rf"\rlap{{$\displaystyle {{}} {line}$}}" if math_width(line) <= room else line


def align(rows: list[tuple[list[str], str, list[str], str]]) -> str:
    """An align* of rows (left-side pieces, relation, right-side pieces, reason) that fits
    `PAGE`. A reason too long for the space the equations leave wraps in a column of at
    least `REASON` em; a side too long for what is left breaks between the terms of a sum.
    A left side wider than `PAGE`/3, and a right side with a term too wide for what is
    left, runs over the reason column, its reason set on the line below."""
    lefts = [math_width(" ".join(r[0])) for r in rows]
    alone = [w > PAGE / 3 for w in lefts]
    left = max((w for w, a in zip(lefts, alone, strict=True) if not a), default=0.0)
    right = max((math_width(f"{r[1]} {' '.join(r[2])}") for r in rows), default=0.0)
    reason = max((text_width(r[3]) for r in rows), default=0.0)
    gap = GAP if reason else 0.0
    column = reason
    if left + right + gap + reason > PAGE:
        column = min(reason, max(REASON, PAGE - left - gap - right))
    budget = PAGE - left - gap - column
    laid = [_lines(r[1], r[2], budget) for r in rows]
    wide = [max(map(math_width, lines)) > budget for lines in laid]
    # align* centres what has width, sharing what is left between the margins and the gap
    # between its column pairs: an overhanging line starts that far in (`PAGE` for the
    # page errs on the safe side, the real one being wider)
    natural = left + column + max((math_width(line) for lines, w in zip(laid, wide, strict=True)
                                   if not w for line in lines), default=0.0)
    room = PAGE - left - (PAGE - natural) / (3 if reason else 2)
    out = []
    for (lhs, relation, pieces, why), lines, own_line, too_wide in zip(
            rows, laid, alone, wide, strict=True):
        if own_line:
            out += [f"  &{_overhang(line, room)}" for line in _lines("", lhs, room)]
        start = "  &" if own_line else f"  {' '.join(lhs)} &"
        if too_wide:
            lines = [_overhang(line, room) for line in _lines(relation, pieces, room)]
            out += [start + lines[0]] + [f"  &{line}" for line in lines[1:]]
            if why:
                out.append(f"  &&& {_note(why, column, 1)}")
            continue
        note = f" && {_note(why, column, len(lines))}" if why else ""
        out.append(f"{start}{lines[0]}{note}")
        out += [f"  &{line}" for line in lines[1:]]
    return "\\begin{align*}\n" + " \\\\\n".join(out) + "\n\\end{align*}"


def _result(value: sp.Expr) -> list[str]:
    """A result's pieces as shown: the correction named c_2 (its definition where it is the
    result itself), and an irrational constant's value beside its closed form."""
    approx = _numeric(value)
    tail = [rf"\approx {approx}"] if approx else []
    if value == correction_value():
        return [f"{tex(CORRECTION_SYMBOL)} = {tex(value)}", *tail]
    return latex_terms(display_form(value)) + tail


def derivation_latex(d: Derivation) -> str:
    """A LaTeX section: summary, assumptions, an align* of steps with reasons, results."""
    lines = [rf"\section{{{_latex_text(d.title)}}}\label{{sec:{d.key}}}", "",
             _latex_text(d.summary), ""]
    if d.assumptions:
        lines += [r"\paragraph{Assumptions}", r"\begin{itemize}",
                  *(rf"  \item {_latex_text(a)}" for a in d.assumptions), r"\end{itemize}", ""]
    lines.append(align([(_left_pieces(step, left), "=", latex_terms(step.new), reason)
                        for _, left, step, reason in _equations(d)]))
    if d.results:
        lines += ["", r"\paragraph{Results}",
                  align([([rf"\texttt{{{_latex_text(name)}}}"], ":", _result(value), "")
                         for name, value in d.results.items()])]
    return "\n".join(lines) + "\n"


def _cell(latex: str) -> str:
    return latex.replace("|", r"\vert ")


def _prose_cell(text: str) -> str:
    """Prose for a Markdown table cell: a `|` inside its math written `\\vert`."""
    parts = text.split("$")
    return "$".join(_cell(p) if i % 2 else p for i, p in enumerate(parts))


def derivation_markdown(d: Derivation, number: int | None = None) -> str:
    """GitHub Markdown: summary, assumptions, a table of steps with reasons, results."""
    heading = f"{number}. {d.title}" if number is not None else d.title
    lines = [f"# {heading}", "", d.summary, ""]
    if d.assumptions:
        lines += ["**Assumptions**", "", *(f"- {a}" for a in d.assumptions), ""]
    lines += ["| # | step | because |", "|---|---|---|"]
    for n, left, step, reason in _equations(d):
        equation = _cell(f"{left} = {tex(step.new)}".strip())
        lines.append(f"| {n} | ${equation}$ | {_prose_cell(reason)} |")
    if d.results:
        lines += ["", "**Results**", ""]
        for name, value in d.results.items():
            lines.append(f"- `{name}`: ${' '.join(_result(value))}$")
    return "\n".join(lines) + "\n"


def correction_value() -> sp.Expr:
    """c_2: the standard deviation of N(0, 1) cut at +-2, in closed form (derivation 7)."""
    return truncated_normal().results["correction"]


def correction_definition(latex: bool = True) -> str:
    """`c_2 = <closed form> ≈ 0.8796` in LaTeX, or in sympy's text when `latex` is false."""
    from derive.notation import text

    c = correction_value()
    if latex:
        return rf"{tex(CORRECTION_SYMBOL)} = {tex(c)} \approx {_numeric(c)}"
    return f"c_2 = {text(c)} = {_numeric(c)}..."


def display_form(e: sp.Expr) -> sp.Expr:
    """A scheme expression with the truncation correction 0.8796… written as c_2."""
    return e.subs(correction_value(), CORRECTION_SYMBOL)


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
    lines = ["# The scheme catalogue", "",
             "Variance and bound of every named scheme, computed from the derivations. "
             "The bound is the uniform half-width or the truncation point, and the truncated "
             "normal's variance correction is "
             f"${correction_definition()}$.", "",
             "| scheme | aliases | distribution | variance | bound |", "|---|---|---|---|---|"]
    for name, s, aliases in _distinct(schemes):
        lines.append(f"| `{name}` | {', '.join(f'`{a}`' for a in aliases) or '-'} | "
                     f"{s.distribution} | ${_scheme_display(s.variance)}$ | "
                     f"${_scheme_display(s.bound)}$ |".replace("$-$", "-"))
    return "\n".join(lines) + "\n"


def catalogue_latex(schemes: Mapping[str, Scheme]) -> str:
    """The catalogue as a LaTeX section with one table, the correction c_2 defined above it."""
    lines = [r"\section{The scheme catalogue}", "",
             "Variance and bound of every named scheme, computed from the derivations above. "
             "The bound is the uniform half-width or the truncation point, and the truncated "
             "normal's variance correction is",
             rf"\[ {correction_definition()}. \]", "",
             r"\begin{center}", r"\begin{tabular}{llll}",
             r"scheme & distribution & variance & bound \\ \hline"]
    strut = r"\rule[-2.4ex]{0pt}{6.4ex}"
    for name, s, _ in _distinct(schemes):
        bound = "--" if s.bound is None else rf"$\displaystyle {_scheme_display(s.bound)}$"
        lines.append(rf"{strut}\texttt{{{_latex_text(name)}}} & {_latex_text(s.distribution)} & "
                     rf"$\displaystyle {_scheme_display(s.variance)}$ & {bound} \\")
    lines += [r"\end{tabular}", r"\end{center}"]
    return "\n".join(lines) + "\n"
