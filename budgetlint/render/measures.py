"""What a report's rows can be sorted by (`--sort`) and what its Share column is a share
of: one table that the CLI's choices, the pipeline's checks and the rows read.

It imports nothing of the pipeline, so that `--help` lists the sort keys without
loading the engine; a measure reads one figure of a row (budgetlint.render.rows.Row).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from budgetlint.render.rows import Row


@dataclass(frozen=True)
class Measure:
    """What `--sort` orders by and what the Share column is a share of."""

    name: str  # as --sort takes it
    title: str  # in "% of {title}"
    figure: str  # the Row property it reads
    timed: bool = False  # needs the device's roofline (compute and bandwidth)

    def value(self, row: Row) -> float:
        amount: float | None = getattr(row, self.figure)
        if amount is None:  # the pipeline refuses a timed sort without a roofline
            raise ValueError(f"{row.name} has no {self.title}: the device has no roofline")
        return amount


MEASURES: dict[str, Measure] = {
    measure.name: measure
    for measure in (
        Measure("params", "params", "params"),
        Measure("macs", "MACs", "macs"),
        Measure("flops", "FLOPs", "flops"),
        Measure("mac_bytes", "bytes moved", "moved"),
        Measure("latency", "latency", "seconds", timed=True),
    )
}
ORDER = "order"  # the model's own order: no measure
SORT_KEYS = (ORDER, *MEASURES)


def share_measure(sort: str, timed: bool) -> Measure:
    """Share is a share of what the rows are sorted by, else of latency (on a device) or FLOPs."""
    if sort != ORDER:
        return MEASURES[sort]
    return MEASURES["latency" if timed else "flops"]
