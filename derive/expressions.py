"""A scheme written as text, as rule files give them:
`parse_scheme("normal(std=0.02/sqrt(2*n_layer))", {"n_layer": 12})`.

A scheme's text is a name from `SCHEMES` (or `zeros`, `ones`), or a call of one of
`CONSTRUCTORS` whose numeric arguments are sympy expressions in the named constants:

    normal(std, mean=0)                     N(mean, std²)
    uniform(a, b)                           U(a, b)
    trunc_normal(std, mean=0, a=-2, b=2)    N(mean, std²) cut at [a, b] (PyTorch's bounds)
    variance_scaling(scale, mode, distribution, truncation=2, corrected=True)
    constant(value)                         every value equal to value
    orthogonal(gain=1)                      gain times a Haar matrix with orthonormal rows
                                            or columns
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

import sympy as sp

from derive.schemes import (
    SCHEMES,
    Scheme,
    constant,
    exact_number,
    fixed_normal,
    fixed_truncated_normal,
    fixed_uniform,
    orthogonal,
    variance_scaling,
)


def _trunc_normal(std: float, mean: float = 0.0, a: float = -2.0, b: float = 2.0) -> Scheme:
    return fixed_truncated_normal(std, bounds=(a, b), mean=mean)


CONSTRUCTORS: dict[str, Callable[..., Scheme]] = {
    "normal": lambda std, mean=0.0: fixed_normal(std, mean=mean),
    "uniform": fixed_uniform,
    "trunc_normal": _trunc_normal,
    "variance_scaling": variance_scaling,
    "constant": constant,
    "orthogonal": orthogonal,
}


def _value(node: ast.expr, constants: Mapping[str, float], text: str) -> object:
    """A string or bool literal as it is; anything else a sympy expression in the constants,
    returned as a float."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str | bool):
        return node.value
    source = ast.unparse(node)
    names = {"sqrt": sp.sqrt, "pi": sp.pi, "exp": sp.exp, "log": sp.log}
    names.update({k: exact_number(v) for k, v in constants.items()})
    try:
        expr = sp.sympify(source, locals=names)
    except (sp.SympifyError, SyntaxError, TypeError) as err:
        raise ValueError(f"cannot read {source!r} in {text!r}: {err}") from None
    if expr.free_symbols:
        unknown = ", ".join(sorted(str(s) for s in expr.free_symbols))
        raise ValueError(f"unknown name {unknown} in {text!r}; define it as a constant "
                         f"(known: {', '.join(sorted(constants)) or 'none'})")
    return float(expr)


def parse_scheme(text: str, constants: Mapping[str, float] | None = None) -> Scheme:
    """The `Scheme` that `text` writes, its numbers read with `constants` bound.

    >>> parse_scheme("normal(std=0.02/sqrt(2*n_layer))", {"n_layer": 12}).name
    'N(0, 0.00408248^2)'
    >>> parse_scheme("he_uniform").bound
    sqrt(6)/sqrt(fan_in)
    """
    constants = dict(constants or {})
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise ValueError(f"cannot parse scheme {text!r}; write {_valid()}") from None
    if isinstance(node, ast.Name):
        if node.id == "ones":
            return constant(1)
        if node.id in SCHEMES:
            return SCHEMES[node.id]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in CONSTRUCTORS:
        args = [_value(a, constants, text) for a in node.args]
        kwargs = {k.arg: _value(k.value, constants, text) for k in node.keywords if k.arg}
        try:
            return CONSTRUCTORS[node.func.id](*args, **kwargs)
        except TypeError as err:
            raise ValueError(f"bad arguments in {text!r}: {err}") from None
    raise ValueError(f"unknown scheme {text!r}; write {_valid()}")


def _valid() -> str:
    """What a scheme may be written as (naming the catalogue builds it: errors only)."""
    return f"a scheme name ({', '.join(SCHEMES)}, ones) or a call of {', '.join(CONSTRUCTORS)}"
