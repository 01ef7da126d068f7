"""Symbols and operators the derivations are written in, and the printer that sets them.

`E(x)` and `Var(x)` are the abstract moments of a random variable; facts such
as independence are stated about them. `GaussianE(f, z, q)` is the concrete
expectation of f(z) for z ~ N(0, q); its `doit()` is the integral
∫ f(z) exp(-z²/2q)/√(2πq) dz over the real line.

`latex(e)` writes e as a textbook would: a sum opens with a positive term
(E[X²Y²] − E[XY]², q − 2q²) and counts indices naturally (x_2 before x_10), a sum over a
common denominator is one fraction, a product puts numbers and letters before sums,
functions and operators, √a·√b is √(ab), multi-letter names are upright (fan_in, z_prev),
brackets are plain where nothing tall is inside, integral limits stand beside the sign,
a fraction in an exponent is written a/b and a float of many digits is cut to a few.
`text(e)` orders sums the same way in sympy's plain text.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

fan_in = sp.Symbol("fan_in", positive=True)
fan_out = sp.Symbol("fan_out", positive=True)

FAN_IN = r"\mathrm{fan}_{\mathrm{in}}"
FAN_OUT = r"\mathrm{fan}_{\mathrm{out}}"
VAR = r"\operatorname{Var}"
EXPECT = r"\mathbb{E}"
"""The names as prose writes them inside `$…$`, exactly as the equations print them."""

SYMBOL_LATEX = {fan_in: FAN_IN, fan_out: FAN_OUT}
FLOAT_DIGITS = 6
"""A float computed to many digits is shown to this many significant ones, then …"""


def natural_order(items: list[sp.Expr]) -> list[sp.Expr]:
    """Items that differ only in the numbers of their symbols' names (x_1, x_10, x_2) in the
    order of those numbers (x_1, x_2, x_10), each such family where its first member stood;
    exponents and coefficients are not such numbers (x^3 + x^2 keeps its order)."""
    def names(item: sp.Expr) -> list[str]:
        return [s.name for s in sorted(item.free_symbols, key=sp.default_sort_key)
                if isinstance(s, sp.Symbol)]

    def shape(item: sp.Expr) -> str:
        renamed = {s: sp.Symbol(re.sub(r"\d+", "#", s.name)) for s in item.free_symbols
                   if isinstance(s, sp.Symbol)}
        return sp.srepr(item.xreplace(renamed))

    def numbers(item: sp.Expr) -> list[int]:
        return [int(n) for name in names(item) for n in re.findall(r"\d+", name)]

    families: dict[str, list[sp.Expr]] = {}
    for item in items:
        families.setdefault(shape(item), []).append(item)
    return [i for family in families.values() for i in sorted(family, key=numbers)]


def human_order(terms: list[sp.Expr]) -> list[sp.Expr]:
    """Terms in sympy's order with indices counted naturally and an O(·) term last, except
    that a sum with a positive term does not open with a minus: a polynomial in one
    variable is then written in rising powers (−2q² + q as q − 2q², −q³ + 2q² + 1 as
    1 + 2q² − q³), any other sum with its leading negative terms moved to the end
    (−E[XY]² + E[X²Y²] as E[X²Y²] − E[XY]², −2kφ(k)/(2Φ(k) − 1) + 1 as 1 − …)."""
    orders = [t for t in terms if isinstance(t, sp.Order)]
    rest = natural_order([t for t in terms if not isinstance(t, sp.Order)])
    negative = [t.could_extract_minus_sign() for t in rest]
    if rest and negative[0] and not all(negative):
        total = sp.Add(*rest)
        if len(total.free_symbols) == 1 and total.is_polynomial():
            rest.reverse()
        else:
            lead = negative.index(False)
            rest = rest[lead:] + rest[:lead]
    return rest + orders


class Root(sp.Expr):
    """ⁿ√(a·b·…) shown as one root where sympy keeps ⁿ√a·ⁿ√b (display only); args: the
    product and n."""

    is_commutative = True

    def _latex(self, printer: LatexPrinter) -> str:
        product, n = self.args
        index = "" if n == 2 else f"[{n}]"
        return rf"\sqrt{index}{{{printer._print(product)}}}"


def _one_root(factors: list[sp.Expr]) -> list[sp.Expr]:
    """ⁿ√a·ⁿ√b as ⁿ√(ab), in the numerator and in the denominator."""
    out = list(factors)
    exponents = {f.exp for f in out if f.is_Pow and f.exp.is_Rational and abs(f.exp.p) == 1
                 and f.exp.q > 1}
    for exponent in sorted(exponents, key=sp.default_sort_key):
        roots = [f for f in out if f.is_Pow and f.exp == exponent]
        if len(roots) > 1:
            root = Root(sp.Mul(*(f.base for f in roots), evaluate=False),
                        sp.Integer(exponent.q))
            out = [f for f in out if f not in roots]
            out.append(root if exponent > 0 else sp.Pow(root, -1, evaluate=False))
    return out


def _rank(factor: sp.Expr) -> int:
    """Where a factor stands in a product: numbers, letters, sums, functions, operators."""
    base = factor.base if factor.is_Pow else factor
    if isinstance(base, Root):
        return max(_rank(f) for f in sp.Mul.make_args(base.args[0]))
    if factor.is_number:
        return 0
    if isinstance(base, sp.Symbol | sp.Indexed):
        return 1
    if isinstance(base, sp.Add):
        return 2
    if isinstance(base, sp.Sum | sp.Product | sp.Integral | sp.Derivative | sp.Limit):
        return 4
    return 3


def _common_denominator(terms: list[sp.Expr]) -> int | None:
    """q > 1 when every term's numeric coefficient is a rational of denominator q."""
    if len(terms) < 2 or any(t.has(sp.Order) for t in terms):
        return None
    coefficients = [t.as_coeff_Mul()[0] for t in terms]
    denominators = {c.q for c in coefficients if c.is_Rational}
    if len(denominators) == 1 and all(c.is_Rational for c in coefficients):
        (q,) = denominators
        return q if q > 1 else None
    return None


_NOT_FUNCTIONS = {"frac", "dfrac", "tfrac", "sqrt", "root", "text", "mathrm", "mathbb", "mathcal",
                  "mathbf", "operatorname", "left", "right", "begin", "end", "substack",
                  "overline", "hat", "tilde", "bar", "vec", "dot", "binom"}
_TALL = re.compile(r"\\(frac|dfrac|int|iint|sum|prod|lim|begin|substack|binom|left)(?![a-zA-Z])")
_DELIMITER = re.compile(r"\\(left|right)(\\[{}]|\\[a-zA-Z]+|.)")
_PLAIN = {"(": "(", ")": ")", "[": "[", "]": "]", r"\{": r"\{", r"\}": r"\}", "|": "|"}


def plain_delimiters(tex: str) -> str:
    """`\\left( x \\right)` as `(x)` where nothing tall is inside, and `\\tanh{(z)}` as
    `\\tanh(z)`, so that a function's name and its argument are set as a person writes."""
    tokens = list(_DELIMITER.finditer(tex))
    stack: list[int] = []
    pairs: list[tuple[int, int]] = []
    for i, token in enumerate(tokens):
        if token.group(1) == "left":
            stack.append(i)
        elif stack:
            pairs.append((stack.pop(), i))
    flat: set[int] = set()
    for opening, closing in pairs:  # inner pairs close first
        inner = tex[tokens[opening].end():tokens[closing].start()]
        nested = [p for p in pairs if opening < p[0] and p[1] < closing]
        tall = bool(_TALL.search(_DELIMITER.sub("", inner))) or any(
            p[0] not in flat for p in nested)
        if not tall and tokens[opening].group(2) in _PLAIN and tokens[closing].group(2) in _PLAIN:
            flat.update((opening, closing))
    out, last = [], 0
    for i in sorted(flat):
        token = tokens[i]
        start = token.start()
        if token.group(1) == "right":
            while out and out[-1].endswith(" ") and start == last:
                out[-1] = out[-1].rstrip()
            segment = tex[last:start].rstrip()
        else:
            segment = tex[last:start]
        out += [segment, _PLAIN[token.group(2)]]
        last = token.end()
        if token.group(1) == "left":
            while last < len(tex) and tex[last] == " ":
                last += 1
    out.append(tex[last:])
    return _unwrap_arguments("".join(out))


_FUNCTION_HEAD = re.compile(
    r"(\\operatorname\{[^{}]*\}|\\([a-zA-Z]+))(\^\{[^{}]*\})?$")


def _unwrap_arguments(tex: str) -> str:
    """`\\tanh^{2}{(z)}` as `\\tanh^{2}(z)`: a function's argument in parentheses, unbraced."""
    i = tex.find("{")
    while i != -1:
        head = _FUNCTION_HEAD.search(tex[:i])
        end = _group_end(tex, i)
        if head and head.group(2) not in _NOT_FUNCTIONS and end is not None \
                and _one_group(tex[i + 1:end - 1]):
            tex = tex[:i] + tex[i + 1:end - 1] + tex[end:]
        i = tex.find("{", i + 1)
    return tex


def _one_group(inner: str) -> bool:
    """True when `inner` is one parenthesised group: `(…)` or `\\left(…\\right)`."""
    if inner.startswith("("):
        return _group_end(inner, 0, "()") == len(inner)
    tokens = list(_DELIMITER.finditer(inner))
    if not (inner.startswith(r"\left(") and inner.rstrip().endswith(r"\right)")):
        return False
    depth = 0
    for n, token in enumerate(tokens):
        depth += 1 if token.group(1) == "left" else -1
        if depth == 0:
            return n == len(tokens) - 1
    return False


def _group_end(tex: str, start: int, pair: str = "{}") -> int | None:
    """The index after the bracket that closes the one at `start`."""
    depth = 0
    for j in range(start, len(tex)):
        if tex[j] == pair[0] and (pair == "()" or tex[j - 1] != "\\"):
            depth += 1
        elif tex[j] == pair[1] and (pair == "()" or tex[j - 1] != "\\"):
            depth -= 1
            if depth == 0:
                return j + 1
    return None


class Printer(LatexPrinter):
    """sympy's LaTeX printer with a textbook's order of terms and factors."""

    def __init__(self) -> None:
        super().__init__({"symbol_names": SYMBOL_LATEX, "order": "none",
                          "fold_frac_powers": True})
        self._exponent = 0

    def doprint(self, expr: sp.Basic) -> str:
        return plain_delimiters(super().doprint(expr))

    def _as_ordered_terms(self, expr: sp.Expr, order: str | None = None) -> list[sp.Expr]:
        return human_order(list(expr.as_ordered_terms()))

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        q = _common_denominator(list(expr.args))
        if q is None:
            return super()._print_Add(expr, order)
        numerator = self._print(sp.Add(*(t * q for t in expr.args)))
        return rf"\frac{{{numerator}}}{{{q}}}"

    def _print_Mul(self, expr: sp.Mul) -> str:
        if expr.could_extract_minus_sign():
            inner = self._print(-expr)
            return f"- \\left({inner}\\right)" if (-expr).is_Add else f"- {inner}"
        if self._exponent:
            numer, denom = sp.fraction(expr, exact=True)
            if denom != 1 and not numer.is_Add:
                shown = self._print(denom)
                if denom.is_Mul or denom.is_Add:
                    shown = f"({shown})"
                return f"{self._print(numer)}/{shown}"
        factors = sorted(natural_order(_one_root(expr.as_ordered_factors())), key=_rank)
        if factors[0] is not sp.S.One and not any(
                isinstance(f, sp.Number) for f in factors[1:]):
            expr = sp.Mul(*factors, evaluate=False)
        return super()._print_Mul(expr)

    def _print_Float(self, expr: sp.Float) -> str:
        """A float of many digits cut to `FLOAT_DIGITS` significant ones, then …"""
        tex = super()._print_Float(expr)
        match = re.fullmatch(r"(-?)(\d+)\.(\d+)(.*)", tex)
        if match is None:
            return tex
        sign, whole, fraction, rest = match.groups()
        if len((whole + fraction).lstrip("0")) <= FLOAT_DIGITS + 2:
            return tex
        lead = len(whole.lstrip("0"))
        keep = FLOAT_DIGITS - lead if lead else \
            FLOAT_DIGITS + len(fraction) - len(fraction.lstrip("0"))
        return f"{sign}{whole}.{fraction[:max(keep, 1)]}\\ldots{rest}"

    def _print_Pow(self, expr: sp.Pow) -> str:
        """A letter or number to a symbolic power holding a fraction: the fraction a/b."""
        if expr.exp.is_Rational or not isinstance(expr.base, sp.Symbol | sp.Number) \
                or sp.fraction(sp.together(expr.exp))[1] == 1:
            return super()._print_Pow(expr)
        self._exponent += 1
        try:
            exponent = self._print(expr.exp)
        finally:
            self._exponent -= 1
        return f"{self._print(expr.base)}^{{{exponent}}}"

    def _print_ExpBase(self, expr: sp.Expr, exp: str | None = None) -> str:
        self._exponent += 1
        try:
            tex = rf"e^{{{self._print(expr.args[0])}}}"
        finally:
            self._exponent -= 1
        return self._do_exponent(tex, exp)

    def _print_Integral(self, expr: sp.Integral) -> str:
        return super()._print_Integral(expr).replace(r"\limits", "")

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        if expr in self._settings["symbol_names"]:
            return self._settings["symbol_names"][expr]
        base, supers, subs = self._split_super_sub(expr.name)
        base, supers, subs = _upright(base), list(map(_upright, supers)), list(map(_upright, subs))
        return base + (f"^{{{' '.join(supers)}}}" if supers else "") + (
            f"_{{{' '.join(subs)}}}" if subs else "")


def _upright(word: str) -> str:
    """A name of two or more plain letters (fan, prev, fwd) set upright."""
    return rf"\mathrm{{{word}}}" if len(word) > 1 and word.isalpha() else word


class TextPrinter(StrPrinter):
    """sympy's text form with the terms of a sum in `human_order`."""

    def _as_ordered_terms(self, expr: sp.Expr, order: str | None = None) -> list[sp.Expr]:
        return human_order(list(expr.as_ordered_terms()))


def latex(e: sp.Basic) -> str:
    """e in LaTeX as a textbook writes it (see the module's docstring)."""
    return Printer().doprint(e)


def text(e: sp.Basic) -> str:
    """e as sympy text, its sums ordered as `latex` orders them: 1 - x rather than -x + 1."""
    return TextPrinter().doprint(e)


class Notation:
    """Mixin: LaTeX from `latex_form`, with the exponent sympy asks for appended."""

    def latex_form(self, printer: LatexPrinter) -> str:
        raise NotImplementedError

    def _latex(self, printer: LatexPrinter, exp: str | None = None) -> str:
        form = self.latex_form(printer)
        return form if exp is None else f"{form}^{{{exp}}}"


class E(Notation, sp.Function):
    """The expectation E[x] of a random variable x (kept unevaluated)."""

    def latex_form(self, printer: LatexPrinter) -> str:
        return rf"{EXPECT}\left[{printer._print(self.args[0])}\right]"


class Var(Notation, sp.Function):
    """The variance Var(x) = E[x²] − E[x]² of a random variable x (kept unevaluated)."""

    def latex_form(self, printer: LatexPrinter) -> str:
        return rf"{VAR}\left({printer._print(self.args[0])}\right)"


def gaussian_density(z: sp.Symbol, q: sp.Expr) -> sp.Expr:
    """φ_q(z) = exp(−z²/(2q)) / √(2πq), the N(0, q) density."""
    return sp.exp(-(z**2) / (2 * q)) / sp.sqrt(2 * sp.pi * q)


class GaussianE(Notation, sp.Expr):
    """E_{z~N(0,q)}[f(z)], shown unevaluated; `doit()` integrates f·φ_q over ℝ."""

    is_commutative = True

    def __new__(cls, f: sp.Expr, z: sp.Symbol, q: sp.Expr) -> GaussianE:
        return sp.Expr.__new__(cls, sp.sympify(f), z, sp.sympify(q))

    @property
    def free_symbols(self) -> set[sp.Basic]:
        f, z, q = self.args
        return (f.free_symbols - {z}) | q.free_symbols

    def doit(self, **hints: object) -> sp.Expr:
        f, z, q = self.args
        f = f.doit(**hints).rewrite(sp.Heaviside)
        return sp.integrate(f * gaussian_density(z, q), (z, -sp.oo, sp.oo))

    def latex_form(self, printer: LatexPrinter) -> str:
        f, z, q = (printer._print(a) for a in self.args)
        return rf"\mathbb{{E}}_{{{z} \sim \mathcal{{N}}(0,\, {q})}}\left[{f}\right]"


def latex_terms(e: sp.Basic) -> list[str]:
    """The LaTeX of e cut where a long line may break: the terms of its sum, each after
    the first with its sign; joined by spaces they are `latex(e)`."""
    if not isinstance(e, sp.Add) or _common_denominator(list(e.args)) is not None:
        return [latex(e)]
    printer, pieces = Printer(), []
    for i, term in enumerate(human_order(list(e.as_ordered_terms()))):
        sign = ""
        if i and term.could_extract_minus_sign():
            sign, term = "- ", -term
        elif i:
            sign = "+ "
        tex = printer._print(term)
        if printer._needs_add_brackets(term):
            tex = rf"\left({tex}\right)"
        pieces.append(plain_delimiters(sign + tex))
    return pieces


class NumericGaussianE(GaussianE):
    """E_{z~N(0,q)}[f(z)] at a numeric q, written as `GaussianE`; `doit()` integrates by
    mpmath's quadrature (at `digits` + 15) and rounds to `digits` significant digits, where
    sympy has no closed form."""

    digits = 30

    def doit(self, **hints: object) -> sp.Expr:
        import mpmath

        f, var, variance = self.args
        fn = sp.lambdify(var, f, "mpmath")
        with mpmath.workdps(self.digits + 15):
            sd = mpmath.sqrt(mpmath.mpf(str(sp.N(variance, self.digits + 15))))
            value = mpmath.quad(lambda y: fn(y) * mpmath.npdf(y, 0, sd),
                                [-mpmath.inf, -4 * sd, -sd, 0, sd, 4 * sd, mpmath.inf])
            return sp.Float(mpmath.nstr(value, self.digits), self.digits)
