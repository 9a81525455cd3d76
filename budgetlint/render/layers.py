"""Per-layer figures beyond the op's own (bytes moved, time, bound), shared by formats."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from budgetlint.budgets import Device
from budgetlint.engine.evaluate import LayerReport, ModelReport
from budgetlint.engine.memory import (
    FLOAT32,
    Peak,
    Precision,
    Traffic,
    layer_traffic,
    naive_activations,
    peak_activations,
)
from budgetlint.engine.roofline import LayerTime, Roofline, layer_time

SORT_KEYS = ("order", "params", "macs", "flops", "mac_bytes", "latency")


@dataclass(frozen=True)
class LayerFigures:
    layer: LayerReport
    traffic: Traffic
    time: LayerTime | None  # None without a device roofline


@dataclass(frozen=True)
class ModelFigures:
    precision: Precision
    roofline: Roofline | None
    layers: tuple[LayerFigures, ...]
    peak: Peak
    naive_activation_bytes: int

    @property
    def mac_bytes(self) -> int:
        return sum(figures.traffic.total for figures in self.layers)

    @property
    def latency(self) -> float | None:
        if self.roofline is None:
            return None
        return sum(figures.time.seconds for figures in self.layers if figures.time)


def figures(report: ModelReport, device: Device | None) -> ModelFigures:
    precision = device.precision if device else FLOAT32
    roofline = device.roofline if device else None
    rows = tuple(
        LayerFigures(
            layer,
            layer_traffic(layer, precision),
            layer_time(layer, precision, roofline) if roofline else None,
        )
        for layer in report.layers
    )
    bits = precision.activation_bits
    return ModelFigures(
        precision, roofline, rows, peak_activations(report, bits), naive_activations(report, bits)
    )


def layer_metric(row: LayerFigures, key: str) -> float:
    if key == "mac_bytes":
        return row.traffic.total
    if key == "latency":
        return row.time.seconds if row.time else 0.0
    value: int = getattr(row.layer, key)
    return value


def ordered(rows: Sequence[LayerFigures], key: str, top: int | None) -> list[LayerFigures]:
    """Layers by `key`, largest first (or in model order), the first `top` of them."""
    chosen = list(rows) if key == "order" else sorted(rows, key=lambda r: -layer_metric(r, key))
    return chosen if top is None else chosen[:top]
