"""What rendering costs beside the run, in-process (for work on the per-layer cost).

    python bench/chain.py chain 100000 > /tmp/chain.yaml
    python bench/render.py /tmp/chain.yaml [--runs 5]

The spec is run through the pipeline (as `check` runs it), then an output is made from
that Result as the command that names it would make it: `check -f json` (every layer of
every model), `report` (the per-layer table, fitted to 100 columns, as when piped) and
`report -f json` (every layer and the table's rows). Each run of each output renders a
Result of its own, fresh from the pipeline, so that nothing a render computed (and the
engine remembers for a report alive) is found made by the next. The figures are the
median, over `--runs` runs, of the render's CPU time (`time.process_time`): what a
command adds to `check` for its output, apart from the imports of its renderer's modules
(made before timing: a constant of the process, bench/startup.py's). The cyclic
collector runs as budgetlint's entry point sets it.
"""

from __future__ import annotations

import argparse
import gc
import statistics
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
    for output, _ in CASES.values():
        FORMATS[output].pieces()  # the renderer's modules imported
    runs = []
    for name, (output, options) in CASES.items():
        times = []
        for _ in range(args.runs):
            start = time.process_time()
            result = run([args.spec])
            runs.append(time.process_time() - start)
            start = time.process_time()
            size = rendered(result, output, options)
            times.append(time.process_time() - start)
            del result
        if name == next(iter(CASES)):
            print(f"{'run (check)':<15} {statistics.median(runs) * 1000:8.0f} ms")
        print(f"{name:<15} {statistics.median(times) * 1000:8.0f} ms  ({size:,} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
