"""Roofline latency: each layer is bound by compute or by memory, whichever is slower.

time = max(FLOPs / (peak compute at the activation dtype · efficiency),
           bytes moved / (bandwidth · efficiency)) + per-layer overhead,
summed over layers. FLOPs here are physical (the default convention) whatever
convention the report counts in; views (flatten, dropout, identity) are free.
Arithmetic intensity is FLOPs per byte moved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from budgetlint.device import Roofline
from budgetlint.engine.evaluate import LayerReport, ModelReport
from budgetlint.engine.memory import Precision, layer_traffic


@dataclass(frozen=True)
class LayerTime:
    seconds: float
    bound: str  # "compute" | "memory" | "-" for a view
    intensity: float  # FLOPs per byte


def layer_time(layer: LayerReport, precision: Precision, roofline: Roofline) -> LayerTime:
    if layer.alias:
        return LayerTime(0.0, "-", 0.0)
    moved = layer_traffic(layer, precision).total
    compute = layer.physical_flops / (roofline.compute * roofline.efficiency)
    memory = moved / (roofline.bandwidth * roofline.efficiency)
    bound = "compute" if compute >= memory else "memory"
    intensity = layer.physical_flops / moved if moved else 0.0
    return LayerTime(max(compute, memory) + roofline.overhead, bound, intensity)


def latency(report: ModelReport, precision: Precision, roofline: Roofline) -> float:
    return sum(layer_time(layer, precision, roofline).seconds for layer in report.layers)


def missing_figures(
    compute: Mapping[str, float], activation_dtype: str, bandwidth: float | None
) -> tuple[str, ...]:
    """The device fields a roofline needs and lacks, as written in a spec."""
    missing = [] if activation_dtype in compute else [f"compute.{activation_dtype}"]
    return (*missing, *([] if bandwidth is not None else ["bandwidth"]))


def roofline_of(
    compute: Mapping[str, float],
    activation_dtype: str,
    bandwidth: float | None,
    efficiency: float,
    overhead: float,
) -> Roofline | None:
    """The device's roofline at its activation dtype, or None if a figure is missing."""
    if missing_figures(compute, activation_dtype, bandwidth) or bandwidth is None:
        return None
    return Roofline(compute[activation_dtype], bandwidth, efficiency, overhead)
