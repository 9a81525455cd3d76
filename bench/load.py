"""The load stage beside its floor: reading a YAML file into data and positions
(`load_document`) against merely iterating libyaml's parser events over the same file.

    python bench/chain.py chain 100000 > /tmp/chain.yaml
    python bench/load.py /tmp/chain.yaml [--runs 9]

Both run in this process, paired (floor, load, floor, load, …), timed in CPU
(`time.process_time`): it prints the number of events, each one's median and the median
of the paired ratios. The floor is what any reader of the events pays (libyaml's parsing
and PyYAML's event objects); the load's own work is the difference.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from yaml.cyaml import CParser  # type: ignore[attr-defined]
from yaml.events import StreamEndEvent

from budgetlint.spec.load import load_document


def floor(path: Path) -> int:
    """Every parser event of the file, read and dropped; how many."""
    parser = CParser(path.read_bytes().decode("utf-8-sig"))
    events = 1
    while not isinstance(parser.get_event(), StreamEndEvent):
        events += 1
    parser.dispose()
    return events


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    floors: list[float] = []
    loads: list[float] = []
    events = 0
    for _ in range(args.runs):
        start = time.process_time()
        events = floor(args.spec)
        floors.append(time.process_time() - start)
        start = time.process_time()
        load_document(args.spec)
        loads.append(time.process_time() - start)
    ratio = statistics.median(load / bottom for load, bottom in zip(loads, floors, strict=True))
    print(f"events    {events:8d}")
    print(f"floor     {statistics.median(floors) * 1000:8.0f} ms (libyaml's events, iterated)")
    print(f"load      {statistics.median(loads) * 1000:8.0f} ms (load_document)")
    print(f"ratio     {ratio:8.2f} (median of {args.runs} paired runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
