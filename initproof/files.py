"""The one file writer: every file initproof writes lands whole or not at all.

Each file is written under a temporary name beside its target, then renamed
into place, so a failure (a full disk, Ctrl-C) leaves the old file as it was
and no half-written one. Files get the permissions the umask gives.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path


def write_atomic(path: Path, write: Callable[[Path], object]) -> Path:
    """Call `write(temporary)` for a temporary path beside `path`, then rename it to `path`.

    The temporary name keeps the suffix, so writers that read the format from it work.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text with Unix line ends, atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8", newline="\n"))


def write_files(files: Mapping[str, str], out: Path) -> list[Path]:
    """Write each name -> text into the folder `out`, each file atomically."""
    return [write_text(Path(out) / name, text) for name, text in files.items()]
