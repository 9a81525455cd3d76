"""What a report's rows can be sorted by (`--sort`) and what its Share column is a share
of: one table that the CLI's choices, report's check of its device and the rows read.

It imports nothing of the pipeline, so that `--help` lists the sort keys without
loading the engine; a measure reads one figure of a row (budgetlint.render.rows.Row), or
of a layer not yet made a row (budgetlint.render.layers.LayerFigures).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from budgetlint.device import Device
    from budgetlint.problems import Problem
    from budgetlint.render.layers import LayerFigures
    from budgetlint.render.rows import Row


@dataclass(frozen=True)
class Measure:
    """What `--sort` orders by and what the Share column is a share of."""

    name: str  # as --sort takes it
    title: str  # in "% of {title}"
    figure: str  # the Row property it reads (a layer's LayerFigures has it too)
    timed: bool = False  # needs the device's roofline (compute and bandwidth)

    def value(self, row: Row | LayerFigures) -> float:
        amount: float | None = getattr(row, self.figure)
        if amount is None:  # unsortable() refuses a timed sort without a roofline
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


def unsortable(sort: str, device: Device) -> Problem | None:
    """A sort by time on a device that lacks the figures to estimate it (report --device)."""
    from budgetlint.problems import Problem

    if device.roofline is not None or sort not in MEASURES or not MEASURES[sort].timed:
        return None
    untimed = [name for name, measure in MEASURES.items() if not measure.timed]
    return Problem(
        device.position,
        "cli.sort",
        f"--sort {sort} needs the roofline of device '{device.name}', which has no "
        + " and no ".join(device.roofline_missing)
        + f" (add them to the device, or sort by {', '.join(untimed)})",
    )


def share_measure(sort: str, timed: bool) -> Measure:
    """Share is a share of what the rows are sorted by, else of latency (on a device) or FLOPs."""
    if sort != ORDER:
        return MEASURES[sort]
    return MEASURES["latency" if timed else "flops"]
