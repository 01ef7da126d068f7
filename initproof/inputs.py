"""Command-line values checked before any work starts: numbers, output paths, memory.

Each argparse type raises `argparse.ArgumentTypeError` with a sentence naming the value
and what is valid; the path and memory checks raise `UsageError`.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

from initproof import UsageError

FIGURE_FORMATS = ("png", "pdf", "svg", "svgz", "jpg", "jpeg", "eps", "ps", "tif", "tiff",
                  "webp")
"""The image formats matplotlib's Agg backend writes, by file extension."""


def _number(text: str, kind: type) -> float:
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, "
                                         f"got {text!r}") from None


def seed(text: str) -> int:
    value = int(_number(text, int))
    if value < 0:
        raise argparse.ArgumentTypeError(f"a seed is a non-negative integer, got {text}")
    return value


def positive_int(text: str) -> int:
    value = int(_number(text, int))
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def batch_shape(text: str) -> tuple[int, ...]:
    """A shape like 64,256 or 8x16x128: positive integers, and small enough to allocate."""
    try:
        shape = tuple(int(d) for d in text.replace("x", ",").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"shape must look like 64,256 or 8x16x128, got {text!r}") from None
    if any(d <= 0 for d in shape):
        raise argparse.ArgumentTypeError(f"every dimension must be positive, got {text!r}")
    if math.prod(shape) * 4 > 0.8 * available_memory():
        raise argparse.ArgumentTypeError(f"a batch of shape {text} would not fit in memory")
    return shape


def alpha(text: str) -> float:
    value = _number(text, float)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"alpha is a probability in (0, 1), got {text}")
    return value


def finite(text: str) -> float:
    value = _number(text, float)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text}")
    return value


def standard_deviation(text: str) -> float:
    value = finite(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"a standard deviation is >= 0, got {text}")
    return value


def figure(text: str) -> Path:
    path = Path(text)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FIGURE_FORMATS:
        raise argparse.ArgumentTypeError(
            f"{text!r} needs an image extension: one of {', '.join(FIGURE_FORMATS)}")
    return path


def writable_folder(folder: Path) -> None:
    """`folder` exists as a writable folder, or could be made: its nearest existing
    ancestor is a writable folder."""
    existing = Path(folder)
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"cannot write to {folder}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write to {folder}: {existing} is not writable")


def writable_file(path: Path) -> None:
    """`path` can be written: not a folder, in a folder that can be written."""
    if Path(path).is_dir():
        raise UsageError(f"cannot write {path}: it is a folder")
    writable_folder(Path(path).parent)


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable), or the physical memory."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def fits_in_memory(needed: float, what: str) -> None:
    """Refuse work whose arrays would take more than 80% of the memory available."""
    free = available_memory()
    if needed > 0.8 * free:
        raise UsageError(f"{what} needs about {needed / 2**30:.1f} GiB of arrays, more than the "
                         f"{free / 2**30:.1f} GiB available: make it smaller")
