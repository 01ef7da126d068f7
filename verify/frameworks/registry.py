"""Finding adapters: the built-in ones and any registered under the `initproof.adapters`
entry-point group (`name = "package.module"`), so other packages can add frameworks."""

from __future__ import annotations

import importlib
import sys
from functools import cache
from importlib.metadata import EntryPoint, entry_points

from verify.frameworks.protocol import Adapter

GROUP = "initproof.adapters"
BUILTIN = {name: f"verify.frameworks.adapters.{name}"
           for name in ("torch", "jax", "keras", "haiku", "equinox", "tinygrad", "timm", "mlx",
                        "paddle")}


def _registered() -> dict[str, EntryPoint]:
    return _scan(tuple(sys.path))


@cache
def _scan(path: tuple[str, ...]) -> dict[str, EntryPoint]:
    """The group's entry points, read once per `sys.path` (a package installed since shows
    up when the path changes, or after `importlib.invalidate_caches` and `_scan.cache_clear`)."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def names() -> list[str]:
    """Every framework with an adapter: the built-ins first, then the registered ones."""
    return list(dict.fromkeys([*BUILTIN, *sorted(_registered())]))


def adapter(framework: str) -> Adapter:
    """The adapter of `framework`; ImportError when the framework is not installed."""
    registered = _registered()
    if framework in registered:
        return registered[framework].load()
    if framework in BUILTIN:
        return importlib.import_module(BUILTIN[framework])  # type: ignore[return-value]
    raise ValueError(f"unknown framework {framework!r}; choose from: {', '.join(names())}, all")


def installed() -> list[str]:
    """The frameworks whose adapters import here."""
    found = []
    for fw in names():
        try:
            adapter(fw)
        except ImportError:
            continue
        found.append(fw)
    return found


def versions(framework: str) -> str:
    """'name version' of the framework's packages."""
    return adapter(framework).version()
