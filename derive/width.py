"""How wide LaTeX comes out, in em of the 10 pt Computer Modern page, read from its source.

`math_width(tex)` measures display math, `text_width(prose)` a line of prose with
inline `$…$` math. A macro counts as the glyph it sets (\\operatorname{Var} as three
upright letters, \\alpha as one), a fraction as its wider part, a script at 75 %, a
sum's limits under it. Against pdflatex's own measure the estimate is within about
10 % either way; the renderer's budget (a 16 cm line, where the document's is wider)
leaves room for that, and the document test compiles the result and fails on any
overfull line.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\\[a-zA-Z]+|\\.|[{}^_&]|\s+|.", re.S)
SCRIPT = 0.75
"""Scripts and the parts of an inline fraction are set at 70 %, in fonts drawn wider."""
SCRIPT_SPACE = 0.05
"""em TeX adds after every script."""
_RELATIONS = {"=", "<", ">", r"\le", r"\leq", r"\ge", r"\geq", r"\sim", r"\approx", r"\to",
              r"\neq", r"\ne", r"\in", r"\equiv", r"\propto", r"\mapsto", r"\rightarrow"}
_BINARY = {"+", "-", r"\pm", r"\mp", r"\cdot", r"\times"}
_SPACES = {r"\,": 0.17, r"\:": 0.22, r"\;": 0.28, r"\!": -0.17, r"\ ": 0.33, r"\quad": 1.0,
           r"\qquad": 2.0, "~": 0.33}
_WIDE = {r"\infty": 1.0, r"\sum": 1.45, r"\prod": 1.3, r"\int": 0.9, r"\partial": 0.57,
         r"\ell": 0.42, r"\lim": 1.3, r"\mathbb": 0.75, r"\mathcal": 0.85, r"\vert": 0.28,
         r"\{": 0.5, r"\}": 0.5, r"\|": 0.5, r"\lvert": 0.28, r"\rvert": 0.28, r"\ldots": 1.2,
         r"\cdots": 1.2, r"\prime": 0.3}
_LIMITS = {r"\sum", r"\prod", r"\lim", r"\max", r"\min", r"\sup", r"\inf"}
_UPRIGHT = {r"\operatorname", r"\mathrm", r"\text", r"\textrm", r"\texttt", r"\textit",
            r"\mathbf", r"\textbf", r"\mathit"}
_IGNORED = {r"\left", r"\right", r"\displaystyle", r"\limits", r"\nolimits", r"\raggedright",
            r"\bigl", r"\bigr", r"\Bigl", r"\Bigr", r"\big", r"\Big"}
_DELIMITER = 0.75
_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
          "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "varpi", "rho",
          "varrho", "sigma", "varsigma", "tau", "upsilon", "phi", "varphi", "chi", "psi",
          "omega", "nabla", "emptyset", "hbar", "imath", "jmath", "aleph", "wp", "re", "im",
          "star", "ast", "circ", "bullet", "prime", "forall", "exists", "neg", "top", "bot"}


def _tree(source: str) -> list:
    """The source as nested lists, one per brace group."""
    stack: list[list] = [[]]
    for token in _TOKEN.findall(source):
        if token == "{":
            stack.append([])
        elif token == "}" and len(stack) > 1:
            group = stack.pop()
            stack[-1].append(group)
        elif not token.isspace():
            stack[-1].append(token)
    while len(stack) > 1:
        group = stack.pop()
        stack[-1].append(group)
    return stack[0]


def _flat(item: object) -> str:
    """A group's tokens as text (for upright names and \\text)."""
    if isinstance(item, list):
        return "".join(_flat(i) for i in item)
    return str(item)


_ITALIC = dict(zip("abcdefghijklmnopqrstuvwxyz", (
    .53, .43, .44, .52, .47, .49, .48, .58, .35, .42, .53, .30, .88, .60, .49, .50, .45, .46,
    .47, .37, .58, .49, .72, .58, .49, .47), strict=True))
"""Computer Modern math italic, em: m and w are wide, i and l narrow."""
_ROMAN = dict(zip("abcdefghijklmnopqrstuvwxyz", (
    .50, .56, .44, .56, .44, .31, .50, .56, .28, .31, .53, .28, .83, .56, .50, .56, .53, .39,
    .39, .39, .56, .53, .72, .53, .53, .44), strict=True))
"""Computer Modern roman, em."""


def _roman(text: str) -> float:
    """Upright letters as Computer Modern roman sets them (capitals 0.74 em, a space 0.33)."""
    return sum(_ROMAN.get(c, 0.74 if c.isupper() else 0.33 if c == " " else
                          0.5 if c.isdigit() else 0.28) for c in text)


def _text(prose: str, scale: float) -> float:
    """Prose set in roman, with its inline math measured as math."""
    width, math = 0.0, False
    for part in re.split(r"(?<!\\)\$", prose):
        if math:
            width += _measure(_tree(part), scale, display=False)
        else:
            plain = re.sub(r"\\([_%&#$])", r"\1", part)
            plain = re.sub(r"\\[a-zA-Z]+", "x", plain).replace("{", "").replace("}", "")
            width += scale * _roman(plain)
        math = not math
    return width


def _char(token: str, scale: float, display: bool) -> float:
    spaced = scale >= 1
    if token in _RELATIONS:
        return scale * 0.78 + (0.56 if spaced else 0)
    if token in _BINARY:
        return scale * 0.78 + (0.44 if spaced else 0)
    if token in _SPACES:
        return _SPACES[token] * (1 if spaced else SCRIPT)
    if token in _WIDE:
        return scale * _WIDE[token]
    if token.startswith("\\") and len(token) > 2:
        return scale * (0.62 if token[1:].lower() in _GREEK else _roman(token[1:]))
    if token in "()[]|/":
        return scale * 0.4
    if token in ",;":
        return scale * 0.28 + (0.17 if spaced else 0)
    if token in ".'!":
        return scale * 0.28
    if token.isdigit():
        return scale * 0.5
    if token.isupper():
        return scale * 0.8
    return scale * (_ITALIC.get(token, 0.55) + 0.03)


def _measure(items: list, scale: float, display: bool) -> float:
    """The width of a list of tokens and groups."""
    width, i, last, previous = 0.0, 0, 0.0, ""
    while i < len(items):
        item = items[i]
        step = 1
        if isinstance(item, list):
            last = _measure(item, scale, display)
        elif item in ("^", "_"):
            scripts = [items[i + 1] if i + 1 < len(items) else ""]
            if i + 3 < len(items) and items[i + 2] in ("^", "_"):
                scripts.append(items[i + 3])
                step = 4
            else:
                step = 2
            scripts_width = max(_measure(s if isinstance(s, list) else [s],
                                         scale * SCRIPT, False) for s in scripts)
            if previous in _LIMITS and display:
                width += max(0.0, scripts_width - last)
            else:
                width += scripts_width + SCRIPT_SPACE
            i += step
            continue
        elif item == r"\frac" or item == r"\dfrac":
            inner = scale if display or item == r"\dfrac" else scale * SCRIPT
            parts = [p if isinstance(p, list) else [p] for p in items[i + 1:i + 3]]
            last = max((_measure(p, inner, False) for p in parts), default=0.0) + 0.35 * scale
            step = 3
        elif item == r"\sqrt":
            argument = items[i + 1] if i + 1 < len(items) else []
            last = _measure(argument if isinstance(argument, list) else [argument],
                            scale, display) + 0.9 * scale
            step = 2
        elif item in (r"\left", r"\right"):
            last = 0.12 * scale if i + 1 < len(items) and items[i + 1] == "." else \
                _DELIMITER * scale
            step = 2
        elif item in _UPRIGHT:
            argument = _flat(items[i + 1]) if i + 1 < len(items) else ""
            last = _text(argument, scale) if item.startswith(r"\text") else \
                scale * _roman(argument) + (0.17 if item == r"\operatorname" else 0)
            step = 2
        elif item in (r"\mathbb", r"\mathcal"):
            last = _char(item, scale, display)
            step = 2
        elif item == r"\substack":
            argument = items[i + 1] if i + 1 < len(items) else []
            last = _environment(argument if isinstance(argument, list) else [argument], scale,
                                delimiters=False)
            step = 2
        elif item == r"\parbox":
            last = _parbox(items[i + 1:i + 4])
            step = 4
        elif item == r"\begin":
            end = next((j for j in range(i + 1, len(items)) if items[j] == r"\end"), len(items))
            last = _environment(items[i + 2:end], scale)
            step = end + 2 - i
        elif item in _IGNORED or item == "&":
            last = 0.0
        else:
            last = _char(item, scale, display)
        width += last
        previous = item if not isinstance(item, list) else ""
        i += step
    return width


def _parbox(arguments: list) -> float:
    """\\parbox[t]{W}{…}: its stated width W (pt or cm)."""
    for argument in arguments:
        text = _flat(argument)
        match = re.fullmatch(r"([\d.]+)(pt|cm|em)", text)
        if match:
            return float(match.group(1)) * {"pt": 0.1, "cm": 2.845, "em": 1.0}[match.group(2)]
    return 0.0


def _environment(items: list, scale: float, delimiters: bool = True) -> float:
    """A matrix (or a \\substack): its widest cells, column by column, with a quad between
    columns."""
    rows: list[list[list]] = [[[]]]
    for item in items:
        if item == r"\\":
            rows.append([[]])
        elif item == "&":
            rows[-1].append([])
        else:
            rows[-1][-1].append(item)
    columns = max(len(r) for r in rows)
    widths = [max((_measure(r[c], scale, False) for r in rows if c < len(r)), default=0.0)
              for c in range(columns)]
    return sum(widths) + (columns - 1) * scale + (2 * _DELIMITER * scale if delimiters else 0)


def math_width(tex: str, display: bool = True) -> float:
    """The width in em of display (or inline) math `tex`."""
    return _measure(_tree(tex), 1.0, display)


def text_width(prose: str) -> float:
    """The width in em of one line of prose with inline `$…$` math."""
    return _text(prose, 1.0)
