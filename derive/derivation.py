"""A derivation is data: a title, its assumptions and ordered steps.

Each step claims `old = new` (or `lim old = new` when it takes a limit) and
says why. `Derivation.check()` re-proves every step: with unevaluated forms
evaluated and the step's facts substituted, old − new must simplify to zero;
when `new` carries an O(·) term, old − new must lie in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sympy as sp


class StepError(AssertionError):
    """A step of a derivation does not follow from the previous form and its facts."""


@dataclass(frozen=True)
class Step:
    """One equation `old = new` with the reason it holds.

    `facts` are the stated premises the reason stands for (independence,
    zero mean, a result derived earlier), as substitutions old → new.
    `limit`, when set, makes the claim lim_{limit → ∞} old = new.
    """

    old: sp.Expr
    new: sp.Expr
    reason: str
    facts: Mapping[sp.Expr, sp.Expr] = field(default_factory=dict)
    limit: sp.Symbol | None = None

    def holds(self) -> bool:
        """True when sympy proves the step."""
        old, new = (
            sp.sympify(e).doit().xreplace(self.facts).subs(self.facts).doit()
            for e in (self.old, self.new)
        )
        if self.limit is not None:
            old = sp.limit(old, self.limit, sp.oo)
        if old == new:
            return True
        order = new.getO() if isinstance(new, sp.Add) else None
        if order is not None:
            return bool(order.contains(sp.expand(old - new.removeO())))
        difference = old - new
        return sp.expand(difference) == 0 or sp.simplify(difference) == 0


def solve_one(equation: sp.Expr, unknown: sp.Expr) -> sp.Expr:
    """The unique solution of equation = 0 for `unknown` (its assumptions applied)."""
    (solution,) = sp.solve(equation, unknown)
    return solution


def chain(start: sp.Expr, *links: tuple) -> list[Step]:
    """Steps start = e₁ = e₂ = …, each link being (eᵢ, reason[, facts])."""
    steps, old = [], start
    for new, reason, *facts in links:
        steps.append(Step(old, new, reason, facts[0] if facts else {}))
        old = new
    return steps


@dataclass(frozen=True)
class Derivation:
    """A titled argument: assumptions, ordered steps, and the results it establishes."""

    key: str
    title: str
    summary: str
    assumptions: tuple[str, ...]
    steps: tuple[Step, ...]
    results: Mapping[str, sp.Expr] = field(default_factory=dict)

    def check(self) -> Derivation:
        """Re-prove every step with sympy; raise `StepError` naming the first that fails."""
        for number, step in enumerate(self.steps, 1):
            if not step.holds():
                raise StepError(
                    f"{self.title}: step {number} ({step.reason}) does not follow: "
                    f"{sp.sstr(step.old)} = {sp.sstr(step.new)}"
                )
        return self
