"""initproof, the application: the command line, the report, the documents and figures.

Computation lives in `derive` (exact) and `verify` (numeric); only this level
prints or writes files, through `initproof.files`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("initproof")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"


class UsageError(Exception):
    """Bad input from the command line: reported in one line, exit code 2."""


__all__ = ["UsageError", "__version__"]
