"""Doctest collection over the packages: the examples in public docstrings run as tests.

Adapters whose framework is not installed, and `python -m initproof`'s entry
module, are not imported for doctests.
"""

from importlib.util import find_spec

collect_ignore = ["initproof/__main__.py", "benchmarks"]
collect_ignore += [f"verify/frameworks/adapters/{name}.py"
                   for name in ("torch", "jax", "keras", "haiku", "equinox", "tinygrad", "timm",
                                "mlx", "paddle")
                   if find_spec(name) is None]
collect_ignore += [f"verify/auditing/{name}.py"
                   for name in ("torch", "keras", "flax", "equinox", "haiku")
                   if find_spec(name) is None]
collect_ignore += ["verify/auditing/linen.py"] if find_spec("jax") is None else []
collect_ignore += ["initproof/audits.py"] if find_spec("torch") is None \
    or find_spec("transformers") is None else []
