"""Roofline latency: each layer is bound by compute or by memory, whichever is slower.

time = max(FLOPs / (peak compute at the activation dtype · efficiency),
           bytes moved / (bandwidth · efficiency)) + per-layer overhead,
summed over layers. FLOPs here are physical (the default convention) whatever
convention the report counts in; views (the free ops, engine.ops.FREE_OPS) are free.
Arithmetic intensity is FLOPs per byte moved.
"""

from __future__ import annotations

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
    return time_of(layer, layer_traffic(layer, precision).total, roofline)


def time_of(layer: LayerReport, moved: int, roofline: Roofline) -> LayerTime:
    """The layer's time when it moves `moved` bytes (its traffic on the device)."""
    if layer.alias:
        return LayerTime(0.0, "-", 0.0)
    compute = layer.physical_flops / (roofline.compute * roofline.efficiency)
    memory = moved / (roofline.bandwidth * roofline.efficiency)
    bound = "compute" if compute >= memory else "memory"
    intensity = layer.physical_flops / moved if moved else 0.0
    return LayerTime(max(compute, memory) + roofline.overhead, bound, intensity)


def latency(report: ModelReport, precision: Precision, roofline: Roofline) -> float:
    return sum(layer_time(layer, precision, roofline).seconds for layer in report.layers)
