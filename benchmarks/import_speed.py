"""Import cost of `from verify import check` as a ratio to `import scipy.stats, sympy`.

Both are measured in fresh interpreters in the same run, alternately, median of N
repetitions (the target is a ratio of at most 1.5):
    python benchmarks/import_speed.py [N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

COMMANDS = {"import scipy.stats, sympy": "import scipy.stats, sympy",
            "from verify import check": "from verify import check; check.__name__"}


def wall(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def main(repeats: int = 15) -> None:
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(repeats):
        for name, code in COMMANDS.items():
            times[name].append(wall(code))
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, m in medians.items():
        print(f"{name:28s} {m:6.3f} s (median of {repeats})")
    baseline, ours = medians.values()
    print(f"{'ratio':28s} {ours / baseline:6.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
