"""The printer writes as a textbook does; the width estimate reads LaTeX as pdflatex sets it."""

from __future__ import annotations

import pytest
import sympy as sp

import derive
from derive import E, Var
from derive.notation import latex, latex_terms, plain_delimiters, text
from derive.width import math_width, text_width

X, Y, q, k, K, alpha = sp.symbols("X Y q k K alpha", positive=True)

ORDERED = [  # (expression, sympy's own LaTeX, as a person writes it)
    (E(X**2 * Y**2) - E(X * Y) ** 2, None, r"\mathbb{E}[X^{2} Y^{2}] - \mathbb{E}[X Y]^{2}"),
    (q - 2 * q**2, r"- 2 q^{2} + q", r"q - 2 q^{2}"),
    (1 - (K + 1) * sp.exp(-K), None, r"1 - (K + 1) e^{- K}"),
    (-(q**3) + 2 * q**2 + 1, r"- q^{3} + 2 q^{2} + 1", r"1 + 2 q^{2} - q^{3}"),
    (7 * q**2 - 2 * q + 1, None, r"7 q^{2} - 2 q + 1"),  # already in order: kept
    (alpha**2 / 2 + sp.Rational(1, 2), r"\frac{\alpha^{2}}{2} + \frac{1}{2}",
     r"\frac{\alpha^{2} + 1}{2}"),
    (sp.sqrt(3) * sp.sqrt(q), r"\sqrt{3} \sqrt{q}", r"\sqrt{3 q}"),
    (sp.exp(-(q**2) / (2 * k)), r"e^{- \frac{q^{2}}{2 k}}", r"e^{- q^{2}/(2 k)}"),
    (sp.tanh(q) ** 2, r"\tanh^{2}{\left(q \right)}", r"\tanh^{2}(q)"),
    (sp.Symbol("n_l") * Var(X) + sp.Symbol("z_prev"), None,
     r"n_{l} \operatorname{Var}(X) + z_{\mathrm{prev}}"),
    (derive.fan_in * (alpha**2 + 1), None, r"\mathrm{fan}_{\mathrm{in}} (\alpha^{2} + 1)"),
    (sum(sp.symbols("x_1:12")), None, " + ".join(f"x_{{{i}}}" for i in range(1, 12))),
    (sp.Float("0.570047881640764149990", 21), r"0.57004788164076414999", r"0.570047\ldots"),
]


@pytest.mark.parametrize(("expr", "cas", "book"), ORDERED, ids=range(len(ORDERED)))
def test_terms_and_factors_come_in_a_persons_order(expr: sp.Expr, cas: str | None,
                                                   book: str) -> None:
    assert latex(expr) == book
    if cas is not None:  # sympy alone writes it otherwise: the rule is doing the work
        assert sp.latex(expr) == cas != book


def test_plain_brackets_unless_something_tall_is_inside() -> None:
    assert plain_delimiters(r"\operatorname{Var}\left(X \right)") == r"\operatorname{Var}(X)"
    tall = r"\operatorname{Var}\left(\sum_{j=1}^{n} w_{j}\right)"
    assert plain_delimiters(tall) == tall
    assert plain_delimiters(r"\operatorname{erf}{\left(\frac{k}{2} \right)}") == \
        r"\operatorname{erf}\left(\frac{k}{2} \right)"
    assert plain_delimiters(r"\frac{(a)}{b}") == r"\frac{(a)}{b}"  # a fraction keeps its braces


def test_text_orders_sums_as_latex_does() -> None:
    correction = derive.truncated_normal().results["correction"]
    assert text(correction).startswith("sqrt(1 - ")
    assert sp.sstr(correction).startswith("sqrt(-")


def test_every_rendered_sum_opens_with_a_plus_when_it_can() -> None:
    for d in derive.derivations():
        for step in d.steps:
            for side in (step.old, step.new):
                for add in sp.preorder_traversal(side):
                    if isinstance(add, sp.Add) and not all(
                            t.could_extract_minus_sign() for t in add.args):
                        assert not latex(add).startswith("-"), (d.key, latex(add))


def test_terms_join_to_the_whole() -> None:
    for d in derive.derivations():
        for step in d.steps:
            assert " ".join(latex_terms(step.new)) == latex(step.new)


def test_width_reads_the_structure() -> None:
    assert math_width(r"\frac{a}{b c d}") == pytest.approx(math_width("b c d") + 0.35)
    assert math_width(r"\operatorname{Var}(X)") < math_width(r"\operatorname{Var}(X) + 1")
    assert math_width("x^{2}") < math_width("x 2")  # a script is smaller
    assert math_width(r"\sum_{j=1}^{n} x") < math_width(r"\sum j=1 n x")  # limits under it
    assert text_width("a reason") < text_width("a longer reason")
    assert text_width(r"$\operatorname{Var}(w)$") == pytest.approx(
        math_width(r"\operatorname{Var}(w)", display=False))
