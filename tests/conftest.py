"""Shared paths and settings for the test suite; markers are declared in pyproject.toml."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
os.environ.setdefault("KERAS_BACKEND", "numpy")  # Keras 3 without TensorFlow
