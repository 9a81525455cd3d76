"""Per-layer figures beyond the op's own (bytes moved, time, bound), shared by formats."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from budgetlint.budgets import tokens
from budgetlint.device import DEFAULT_DTYPE, DTYPES, Device, Roofline, TrainingConfig
from budgetlint.engine.evaluate import LayerReport, ModelReport
from budgetlint.engine.memory import (
    Peak,
    Precision,
    Traffic,
    device_precision,
    kv_cache_bytes,
    layer_traffic,
    naive_activations,
    peak_activations,
    size_bytes,
    traffic_key,
)
from budgetlint.engine.roofline import LayerTime, layer_time
from budgetlint.engine.training import DEFAULT_TRAINING, TrainMemory, train_flops, train_memory
from budgetlint.units import format_bytes, format_count

# A report without a device: every value stored and moved at the default dtype. The one
# place that chooses it; device.DEFAULT_DTYPE names it.
WITHOUT_DEVICE = Precision(DTYPES[DEFAULT_DTYPE].bits, DTYPES[DEFAULT_DTYPE].bits)


def precision_of(device: Device | None) -> Precision:
    """How the device stores and moves values; without one, WITHOUT_DEVICE."""
    return device_precision(device) if device else WITHOUT_DEVICE


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
    size_bytes: int  # params and buffers as stored
    kv_cache_bytes: int
    overhead: float  # the runtime's own memory, from the device
    tokens: int  # processed per step

    @property
    def memory_bytes(self) -> float:
        return self.size_bytes + self.kv_cache_bytes + self.peak.bytes + self.overhead

    @property
    def tokens_per_second(self) -> float | None:
        seconds = self.latency
        return self.tokens / seconds if seconds else None

    @property
    def mac_bytes(self) -> int:
        return sum(figures.traffic.total for figures in self.layers)

    @property
    def latency(self) -> float | None:
        if self.roofline is None:
            return None
        return sum(figures.time.seconds for figures in self.layers if figures.time)


def _traffic(layers: tuple[LayerReport, ...], precision: Precision) -> Iterator[Traffic]:
    """layer_traffic of each layer, once for equal layers (a model repeats its layers)."""
    known: dict[tuple[object, ...], Traffic] = {}
    for layer in layers:
        key = traffic_key(layer, precision)
        found = known.get(key) if key is not None else None
        if found is None:
            found = layer_traffic(layer, precision)
            if key is not None and len(known) < 10_000:
                known[key] = found
        yield found


def figures(report: ModelReport, device: Device | None) -> ModelFigures:
    precision = precision_of(device)
    roofline = device.roofline if device else None
    rows = tuple(
        LayerFigures(layer, traffic, layer_time(layer, precision, roofline) if roofline else None)
        for layer, traffic in zip(report.layers, _traffic(report.layers, precision), strict=True)
    )
    bits = precision.activation_bits
    return ModelFigures(
        precision,
        roofline,
        rows,
        peak_activations(report, bits),
        naive_activations(report, bits),
        size_bytes(report, precision),
        kv_cache_bytes(report, precision),
        device.overhead if device else 0.0,
        tokens(report),
    )


@dataclass(frozen=True)
class TrainingFigures:
    config: TrainingConfig  # the device's training block, or float32 Adam without one
    trainable: int
    flops: int
    memory: TrainMemory


def training_figures(report: ModelReport, device: Device | None) -> TrainingFigures:
    config = device.training if device and device.training else DEFAULT_TRAINING
    return TrainingFigures(
        config, report.trainable, train_flops(report, config), train_memory(report, config)
    )


def training_line(report: ModelReport, device: Device | None) -> str:
    """One sentence: what trains, the step's FLOPs and its memory term by term."""
    seen = training_figures(report, device)
    memory = seen.memory
    parts = (
        f"weights {format_bytes(memory.weights)} + grads {format_bytes(memory.grads)} + "
        f"master {format_bytes(memory.master)} + optimizer {format_bytes(memory.optimizer)} + "
        f"activations {format_bytes(memory.activations)}"
    )
    return (
        f"training ({seen.config.optimizer}, checkpointing {seen.config.checkpointing}): "
        f"{seen.trainable:,} trainable params; {format_count(seen.flops)} FLOPs per step; "
        f"memory {format_bytes(memory.total)} = {parts}"
    )
