"""Cold start-up of `budgetlint check`, beside Python's own, measured in one run.

    python bench/startup.py [--runs 7] [SPEC ...]

Each command runs as a fresh process; the table shows the median wall time of
`--runs` runs, and the ratio to `python -c pass` measured in the same run, so
figures from different machines compare. Default spec: specs/mobile.yaml.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("specs", nargs="*", default=["specs/mobile.yaml"])
    args = parser.parse_args()
    python = sys.executable
    commands = {
        "python -c pass": [python, "-c", "pass"],
        "import yaml, jsonschema, typer": [python, "-c", "import yaml, jsonschema, typer"],
        "budgetlint --help": [python, "-m", "budgetlint", "--help"],
        f"budgetlint check {' '.join(args.specs)}": [
            python,
            "-m",
            "budgetlint",
            "check",
            *args.specs,
        ],
    }
    baseline = None
    print(f"{'command':<48} {'median ms':>10} {'× python':>9}")
    for label, command in commands.items():
        seconds = median_seconds(command, args.runs)
        baseline = baseline or seconds
        print(f"{label:<48} {seconds * 1000:>10.0f} {seconds / baseline:>9.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
