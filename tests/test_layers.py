"""The three levels: data flows one way, packages meet at their faces, no import circles.

Every import is read from the source with `ast`, those inside functions too, so a
circle closed by a deferred import is found as well.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

LEVELS = {"derive": 1, "verify": 2, "initproof": 3}
NUMERIC = {"numpy", "scipy", "matplotlib", "torch", "jax", "flax", "keras", "equinox", "haiku",
           "transformers"}
OPTIONAL = {"torch": ("verify.frameworks.adapters.torch", "verify.auditing.torch",
                      "verify.frameworks.adapters.timm", "initproof.audits"),
            "transformers": ("initproof.audits",),
            "jax": ("verify.frameworks.adapters.jax", "verify.auditing.equinox",
                    "verify.auditing.haiku", "verify.auditing.linen", "initproof.audits",
                    "verify.frameworks.adapters.haiku", "verify.frameworks.adapters.equinox"),
            "flax": ("verify.frameworks.adapters.jax", "verify.auditing.flax",
                     "initproof.audits"),
            "keras": ("verify.frameworks.adapters.keras", "verify.auditing.keras",
                      "initproof.audits"),
            "equinox": ("verify.auditing.equinox", "verify.frameworks.adapters.equinox",
                        "initproof.audits"),
            "haiku": ("verify.auditing.haiku", "verify.frameworks.adapters.haiku",
                      "initproof.audits"),
            "tinygrad": ("verify.frameworks.adapters.tinygrad",),
            "timm": ("verify.frameworks.adapters.timm",),
            "mlx": ("verify.frameworks.adapters.mlx",),
            "paddle": ("verify.frameworks.adapters.paddle",),
            "matplotlib": ("initproof.figures",), "hypothesis": ("verify.testing.strategies",)}
"""Each optional dependency is imported only by the modules named after it."""


def _modules() -> dict[str, Path]:
    found = {}
    for package in LEVELS:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _imports(name: str) -> set[str]:
    """The modules `name` imports: `from a import b` counts as a.b where that is a module."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1],
                                 *([base] if base else [])])
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.add(child if child in MODULES else base)
    return found


GRAPH = {name: _imports(name) for name in MODULES}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_import_from_a_higher_level(name: str) -> None:
    level = LEVELS[name.split(".")[0]]
    for imported in GRAPH[name]:
        top = imported.split(".")[0]
        assert LEVELS.get(top, 0) <= level, f"{name} imports {imported} from a higher level"
        if level == 1:
            assert top not in NUMERIC, f"derive imports nothing numeric; {name} imports {imported}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_other_packages_are_met_at_their_faces(name: str) -> None:
    """Outside derive, derive is imported as `derive`; outside verify, verify by its
    capability packages (or its shared modules), never their inner modules."""
    top = name.split(".")[0]
    for imported in GRAPH[name]:
        other = imported.split(".")[0]
        if other == top or other not in LEVELS:
            continue
        if other == "derive":
            assert imported == "derive", f"{name} imports derive's inner module {imported}"
        else:
            assert imported.count(".") <= 1, f"{name} imports verify's inner module {imported}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_optional_dependencies_live_in_the_module_named_after_them(name: str) -> None:
    for imported in GRAPH[name]:
        top = imported.split(".")[0]
        if top in OPTIONAL:
            assert name in OPTIONAL[top], f"{name} imports {top}, which belongs in {OPTIONAL[top]}"


def find_circle(graph: dict[str, set[str]]) -> list[str]:
    """A circle of imports in `graph`, or []: depth-first, a module met again while open."""
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> list[str]:
        state[name] = "open"
        for imported in sorted(graph[name] & graph.keys()):
            if state.get(imported) == "open":
                return [*path[path.index(imported):], imported]
            if imported not in state and (circle := visit(imported, [*path, imported])):
                return circle
        state[name] = "done"
        return []

    for name in sorted(graph):
        if name not in state and (circle := visit(name, [name])):
            return circle
    return []


def test_no_import_circles() -> None:
    assert "derive.proofs.conditions" in GRAPH["derive.schemes"]  # the reader sees imports
    assert not find_circle(GRAPH), " -> ".join(find_circle(GRAPH))


def test_a_deferred_circle_is_found() -> None:
    """The circle the house issue found: derivation -> render -> derivation, by a deferred
    import inside a method."""
    planted = {**GRAPH, "derive.derivation": GRAPH["derive.derivation"] | {"derive.render"}}
    assert find_circle(planted)[0] in {"derive.derivation", "derive.render"}
