"""Where one spec's CPU goes, stage by stage, in-process (for work on the per-layer cost).

    python bench/chain.py chain 100000 > /tmp/chain.yaml
    python bench/stages.py /tmp/chain.yaml [--runs 3]

Each stage runs on the previous stage's output: load (YAML events to data and marks),
validate (the schema), expand (read_spec's work beyond load and validate), evaluate
(the default convention, every model), judge (every budget of every model's devices).
The figures are the medians of `--runs` runs of CPU time (`time.process_time`), and the
peak RSS of this process. The whole-process figures that issue 11 states are
bench/startup.py's; this script says which stage to work on.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from budgetlint.budgets import judge
from budgetlint.engine.conventions import CONVENTIONS
from budgetlint.engine.evaluate import evaluate
from budgetlint.spec.expand import read_spec
from budgetlint.spec.load import load_document
from budgetlint.spec.validate import validate


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.process_time()
    result = work()
    return time.process_time() - start, result


def stages(path: Path) -> dict[str, float]:
    load, document = timed(lambda: load_document(path))
    check, problems = timed(lambda: validate(document))
    whole, (spec, spec_problems) = timed(lambda: read_spec(path))
    if problems or spec_problems or spec is None:
        raise SystemExit(f"{path}: the spec has problems: {(problems or spec_problems)[0]}")
    convention = CONVENTIONS[spec.convention]
    evaluation, reports = timed(
        lambda: [evaluate(model.architecture, convention) for model in spec.models]
    )

    def judged() -> None:
        for model, report in zip(spec.models, reports, strict=True):
            for device in model.devices:
                judge(report, spec.devices[device], None)

    judging, _ = timed(judged)
    return {
        "load": load,
        "validate": check,
        "expand": max(whole - load - check, 0.0),
        "evaluate": evaluation,
        "judge": judging,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    runs = [stages(args.spec) for _ in range(args.runs)]
    total = 0.0
    for name in runs[0]:
        median = statistics.median(run[name] for run in runs)
        total += median
        print(f"{name:<9} {median * 1000:8.0f} ms")
    print(f"{'total':<9} {total * 1000:8.0f} ms")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS  {peak:8.0f} MiB (of this process, after {args.runs} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
