"""Per-layer figures beyond the op's own (bytes moved, time, bound), shared by formats."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from budgetlint.budgets import tokens
from budgetlint.device import DEFAULT_DTYPE, DTYPES, Device, Roofline, TrainingConfig
from budgetlint.engine import distinct
from budgetlint.engine.distinct import DeviceCosts, device_costs
from budgetlint.engine.evaluate import LayerReport, ModelReport
from budgetlint.engine.memory import (
    Peak,
    Precision,
    Traffic,
    device_precision,
)
from budgetlint.engine.roofline import LayerTime
from budgetlint.engine.training import DEFAULT_TRAINING, TrainMemory, train_flops, train_memory
from budgetlint.units import format_bytes, format_count

# A report without a device: every value stored and moved at the default dtype. The one
# place that chooses it; device.DEFAULT_DTYPE names it.
WITHOUT_DEVICE = Precision(DTYPES[DEFAULT_DTYPE].bits, DTYPES[DEFAULT_DTYPE].bits)


def precision_of(device: Device | None) -> Precision:
    """How the device stores and moves values; without one, WITHOUT_DEVICE."""
    return device_precision(device) if device else WITHOUT_DEVICE


class LayerFigures(NamedTuple):
    """A layer and its figures beyond the op's own. A named tuple, not a frozen dataclass:
    one is made for each layer of every report, and a dataclass's frozen __init__ costs
    twice as much."""

    layer: LayerReport
    traffic: Traffic
    time: LayerTime | None  # None without a device roofline
    # Layers of one model with the same `same` (≥ 0) are equal in every figure a format
    # shows of a layer (all the fields of LayerReport but name, position, live tensors,
    # nesting and training), so a format may show them alike but for their names and
    # positions; -1: not known to equal another (formats compute it on its own).
    same: int = -1

    # The figures of a row of this layer alone, under the names of render.rows.Row's:
    # what a sort reads (render.measures), without making a row for every layer.
    @property
    def name(self) -> str:
        return self.layer.name

    @property
    def params(self) -> int:
        return self.layer.params

    @property
    def macs(self) -> int:
        return self.layer.macs

    @property
    def flops(self) -> int:
        return self.layer.flops

    @property
    def moved(self) -> int:
        return self.traffic.read + self.traffic.written

    @property
    def seconds(self) -> float | None:
        return None if self.time is None else self.time.seconds

    @property
    def costs_nothing(self) -> bool:
        layer, traffic = self.layer, self.traffic
        return not (layer.params or layer.macs or layer.flops or traffic.read or traffic.written)


@dataclass(frozen=True)
class ModelFigures:
    precision: Precision
    roofline: Roofline | None
    peak: Peak
    naive_activation_bytes: int
    size_bytes: int  # params and buffers as stored
    kv_cache_bytes: int
    overhead: float  # the runtime's own memory, from the device
    tokens: int  # processed per step
    mac_bytes: int  # bytes moved by every layer
    latency: float | None  # roofline time of every layer; None without a roofline
    report: ModelReport = field(repr=False, compare=False)
    costs: DeviceCosts = field(repr=False, compare=False)

    @cached_property
    def layers(self) -> tuple[LayerFigures, ...]:
        """Each layer's figures, made when a format first reads them (a device's totals
        need none)."""
        return tuple(_layer_figures(self.report, self.costs))

    @property
    def memory_bytes(self) -> float:
        return self.size_bytes + self.kv_cache_bytes + self.peak.bytes + self.overhead

    @property
    def tokens_per_second(self) -> float | None:
        seconds = self.latency
        return self.tokens / seconds if seconds else None


MAX_SAME = 10_000  # distinct layers numbered per model (past them, each on its own)
# A named tuple made from its fields without the Python-level __new__ that its class
# adds (a quarter of its cost, for every layer of a report): the same tuple.
_made = tuple.__new__


def _layer_figures(report: ModelReport, costs: DeviceCosts) -> Iterator[LayerFigures]:
    """Each layer's figures, read from the device's costs (engine.distinct: computed once
    per distinct layer, shared with the budgets); equal layers share their `same` number,
    unless an override may pick a layer by name."""
    traffic, times = costs.traffic, costs.times
    numbered = costs.shared
    for layer, slot in zip(report.layers, costs.of, strict=True):
        same = slot if numbered and slot < MAX_SAME else -1
        yield _made(LayerFigures, (layer, traffic[slot], times[slot] if times else None, same))


def figures(report: ModelReport, device: Device | None) -> ModelFigures:
    precision = precision_of(device)
    roofline = device.roofline if device else None
    costs = device_costs(report, precision, roofline)
    bits = precision.activation_bits
    return ModelFigures(
        precision=precision,
        roofline=roofline,
        peak=distinct.peak(report, bits),
        naive_activation_bytes=distinct.naive(report, bits),
        size_bytes=distinct.size(report, precision),
        kv_cache_bytes=distinct.kv_cache(report, precision),
        overhead=device.overhead if device else 0.0,
        tokens=tokens(report),
        mac_bytes=costs.mac_bytes,
        latency=costs.latency,
        report=report,
        costs=costs,
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
