"""python -m initproof.theory [OUT]: write docs/experiments/beyond.md and its figures."""

import sys

from initproof.experiments import generate
from initproof.theory.document import write

if __name__ == "__main__":
    sys.exit(generate("initproof.theory", "Run the experiments beyond Glorot and He and write "
                      "their document and figures.", write, sweeps=True))
