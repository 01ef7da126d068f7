"""Optional dependencies: which are missing, and refusing work that needs them.

    python -m initproof.extras PURPOSE MODULE ...   exits 1 naming the missing ones
"""

from __future__ import annotations

import sys
from importlib.util import find_spec

INSTALL = {"torch": "make frameworks (torch==2.13.0 first)", "jax": "make frameworks",
           "flax": "make frameworks", "keras": "make frameworks", "transformers": "make frameworks",
           "haiku": "make frameworks", "equinox": "make frameworks", "tinygrad": "make frameworks",
           "timm": "make frameworks", "mlx": "make frameworks", "paddle": "make frameworks",
           "matplotlib": "pip install 'initproof[plot]'",
           "distributed": "pip install 'initproof[sweep]'"}


def missing(*modules: str) -> list[str]:
    """The modules of `modules` that cannot be imported here."""
    return [m for m in modules if find_spec(m) is None]


def require(purpose: str, *modules: str) -> None:
    """Raise ImportError naming what `purpose` needs and how to install it, if any is missing."""
    absent = missing(*modules)
    if absent:
        how = "; ".join(dict.fromkeys(INSTALL.get(m, f"pip install {m}") for m in absent))
        raise ImportError(f"{purpose} needs {', '.join(absent)}, not installed: {how}")


if __name__ == "__main__":
    try:
        require(sys.argv[1], *sys.argv[2:])
    except ImportError as e:
        print(f"initproof: {e}; nothing was written", file=sys.stderr)
        sys.exit(1)
