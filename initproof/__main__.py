"""`python -m initproof`: the command line."""

import sys

from initproof.cli import main

sys.exit(main())
