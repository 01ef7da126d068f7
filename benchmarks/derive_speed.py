"""Wall time of `initproof derive --out DIR` as a ratio to `python -c "import sympy"`.

Both are measured in the same run, alternately, median of N repetitions:
    python benchmarks/derive_speed.py [N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(repeats: int = 5) -> None:
    initproof = str(Path(sys.executable).with_name("initproof"))
    baseline, derive = [], []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(repeats):
            baseline.append(wall([sys.executable, "-c", "import sympy"]))
            derive.append(wall([initproof, "derive", "--out", out]))
    b, d = statistics.median(baseline), statistics.median(derive)
    print(f"import sympy            {b:6.2f} s (median of {repeats})")
    print(f"initproof derive --out  {d:6.2f} s (median of {repeats})")
    print(f"ratio                   {d / b:6.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
