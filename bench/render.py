"""What rendering costs beside the run, in-process (for work on the per-layer cost).

    python bench/chain.py chain 100000 > /tmp/chain.yaml
    python bench/render.py /tmp/chain.yaml [--runs 5]

The spec is run once through the pipeline (as `check` runs it), then each output is
made from that one Result, as the command that names it would make it: `check -f json`
(every layer of every model), `report` (the per-layer table, fitted to 100 columns, as
when piped) and `report -f json` (every layer and the table's rows). The figures are the
minimum over `--runs` runs of CPU time (`time.process_time`): what a command adds to
`check` for its output, apart from the processes' noise. The cyclic collector runs as
budgetlint's entry point sets it. The whole-process figures are bench/startup.py's.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

from budgetlint.pipeline import Result, run
from budgetlint.render.formats import FORMATS, RenderOptions

CASES = {
    "check -f json": ("json", RenderOptions()),
    "report": ("text", RenderOptions(layers=True, width=100)),
    "report -f json": ("json", RenderOptions(layers=True)),
}


def rendered(result: Result, output: str, options: RenderOptions) -> int:
    """The output's length: every piece made, as a command writes them."""
    return sum(len(piece) for piece in FORMATS[output].pieces()(result, options))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    gc.set_threshold(100_000, 50, 1000)  # as budgetlint.entry's main sets it
    start = time.process_time()
    result = run([args.spec])
    print(f"{'run (check)':<15} {(time.process_time() - start) * 1000:8.0f} ms")
    for name, (output, options) in CASES.items():
        times = []
        for _ in range(args.runs):
            start = time.process_time()
            size = rendered(result, output, options)
            times.append(time.process_time() - start)
        print(f"{name:<15} {min(times) * 1000:8.0f} ms  ({size:,} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
