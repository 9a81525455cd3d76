"""Devices as a spec declares them: dtypes, budgets and limits, storage, roofline, training.

This is the model side of the pipeline, like graph.py: the spec reader builds these
values and the engine, the verdicts and the renderers read them; it imports none of
them. Dtypes keep their names (a bfloat16 device is shown as bfloat16); the engine
computes with their bit widths.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from budgetlint.problems import Position
from budgetlint.units import (
    format_bytes,
    format_count,
    format_throughput,
    format_time,
    parse_bytes,
    parse_count,
    parse_giga,
    parse_throughput,
    parse_time,
)


@dataclass(frozen=True)
class Dtype:
    name: str
    bits: int
    integer: bool  # an integer type: a device can quantize weights to it, scaled per group
    doc: str


DTYPES: dict[str, Dtype] = {
    "float32": Dtype("float32", 32, False, "IEEE 754 single precision"),
    "float16": Dtype("float16", 16, False, "IEEE 754 half precision"),
    "bfloat16": Dtype("bfloat16", 16, False, "brain float: float32's exponent, 7-bit mantissa"),
    "int8": Dtype("int8", 8, True, "8-bit integer"),
    "int4": Dtype("int4", 4, True, "4-bit integer, two packed per byte"),
}
INTEGER_DTYPES = frozenset(name for name, dtype in DTYPES.items() if dtype.integer)
DEFAULT_DTYPE = "float32"  # of a device that names none, and of a report without a device
DEFAULT_SCALE_DTYPE = "float16"  # of quantization scales and zero points


def _giga(value: float) -> str:
    return f"{value / 1e9:.4g}"


@dataclass(frozen=True)
class BudgetKind:
    """A budget as a device declares it: how its limit is read and its amounts shown.

    What it measures on a model is the verdict stage's (budgets.MEASURES).
    """

    name: str
    parse: Callable[[object], float]
    show: Callable[[float, bool], str]  # (amount, the limit was written in binary units)
    doc: str
    floor: bool = False  # a minimum to reach (throughput), not a maximum
    needs_roofline: bool = False  # the device's compute and bandwidth
    needs_training: bool = False  # the device's `training:` block


BUDGET_KINDS: dict[str, BudgetKind] = {
    "params": BudgetKind(
        "params",
        parse_count,
        lambda amount, binary: format_count(amount),
        "parameters as the convention counts them (default: learnable only), e.g. 5M",
    ),
    "macs": BudgetKind(
        "macs",
        parse_count,
        lambda amount, binary: format_count(amount),
        "multiply-accumulates, e.g. 300M",
    ),
    "gmacs": BudgetKind(
        "gmacs",
        parse_giga,
        lambda amount, binary: _giga(amount),
        "multiply-accumulates in 10^9, e.g. 0.3",
    ),
    "flops": BudgetKind(
        "flops",
        parse_count,
        lambda amount, binary: format_count(amount),
        "FLOPs, e.g. 600M",
    ),
    "gflops": BudgetKind(
        "gflops",
        parse_giga,
        lambda amount, binary: _giga(amount),
        "FLOPs in 10^9, e.g. 0.6",
    ),
    "size": BudgetKind(
        "size",
        parse_bytes,
        format_bytes,
        "params and buffers stored at the device dtype (and quantization), e.g. 8MB or 7.5MiB",
    ),
    "mac_bytes": BudgetKind(
        "mac_bytes",
        parse_bytes,
        format_bytes,
        "memory access cost: bytes read (inputs, weights, buffers) and written, e.g. 150MB",
    ),
    "peak_activations": BudgetKind(
        "peak_activations",
        parse_bytes,
        format_bytes,
        "the most activation memory alive at once, e.g. 4MiB",
    ),
    "latency": BudgetKind(
        "latency",
        parse_time,
        lambda amount, binary: format_time(amount),
        "roofline estimate from the device's compute and bandwidth, e.g. 5ms",
        needs_roofline=True,
    ),
    "kv_cache": BudgetKind(
        "kv_cache",
        parse_bytes,
        format_bytes,
        "the KV cache kept after the step: layers · 2 · kv_heads · head_dim · (context + "
        "tokens) · batch at the KV dtype, e.g. 64MB",
    ),
    "memory": BudgetKind(
        "memory",
        parse_bytes,
        format_bytes,
        "weights as stored + KV cache + peak activations + the device's overhead, e.g. 1.5GB",
    ),
    "throughput": BudgetKind(
        "throughput",
        parse_throughput,
        lambda amount, binary: format_throughput(amount),
        "at least this many tokens per second: tokens per step × batch / roofline latency, "
        "e.g. 50tok/s",
        floor=True,
        needs_roofline=True,
    ),
    "train_memory": BudgetKind(
        "train_memory",
        parse_bytes,
        format_bytes,
        "memory of a training step: weights, gradients, master weights, optimizer states "
        "and saved activations (the device's training block), e.g. 24GB",
        needs_training=True,
    ),
    "train_flops": BudgetKind(
        "train_flops",
        parse_count,
        lambda amount, binary: format_count(amount),
        "FLOPs of a training step: forward, backward and recomputation, e.g. 50T",
        needs_training=True,
    ),
    "train_step_time": BudgetKind(
        "train_step_time",
        parse_time,
        lambda amount, binary: format_time(amount),
        "roofline time of a training step, forward, backward and optimizer update, e.g. 2s",
        needs_training=True,  # and its roofline at the training dtype
    ),
}


@dataclass(frozen=True)
class Limit:
    budget: str  # a key of BUDGET_KINDS
    limit: float  # in the budget's base unit (count, FLOPs, bytes)
    written: str  # as the YAML said it
    position: Position
    warn_fraction: float | None = None  # warn above this fraction of the limit


@dataclass(frozen=True)
class Growth:
    """`max_increase`: how much a budget's value may grow over the base revision."""

    budget: str
    allowed: float  # a fraction of the base value when relative, else base units
    relative: bool
    written: str
    position: Position

    def allowance(self, base: float) -> float:
        return base * self.allowed if self.relative else self.allowed


@dataclass(frozen=True)
class Roofline:
    compute: float  # operations per second at the activation dtype
    bandwidth: float  # bytes per second
    efficiency: float = 1.0  # share of both peaks reached in practice
    overhead: float = 0.0  # seconds added per layer (launch, sync)


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


@dataclass(frozen=True)
class Quantization:
    group: int  # weights per scale, along a row
    scale_bits: int
    zero_bits: int = 0  # 0: symmetric, no zero points


@dataclass(frozen=True)
class Storage:
    bits: int
    quantization: Quantization | None = None


@dataclass(frozen=True)
class Override:
    """Tensors matching every selector given get `storage` (engine/storage.py matches)."""

    storage: Storage
    layers: tuple[str, ...] = ()  # globs on layer, module or tensor names
    ops: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrainingConfig:
    optimizer: str = "adam"
    params_bits: int = 32
    grads_bits: int = 32
    master_bits: int = 0  # 0: no master copy (the weights are the master)
    optimizer_bits: int = 32
    checkpointing: str = "none"


@dataclass(frozen=True)
class Device:
    name: str
    dtype: str  # weights and buffers; a key of DTYPES
    limits: tuple[Limit, ...]
    position: Position
    growth: tuple[Growth, ...] = ()
    activation_dtype: str = ""  # activations; empty: the same as dtype
    roofline: Roofline | None = None
    # budgets written but unreadable (already reported): not checked, and said so;
    # growth caps as `max_increase.<budget>`
    unreadable: tuple[str, ...] = ()
    roofline_missing: tuple[str, ...] = ()  # what it lacks for one: compute.float16, bandwidth
    quantization: Quantization | None = None  # of the weight matrices and tables at dtype
    overrides: tuple[Override, ...] = ()  # tensors stored otherwise, by name, op or role
    kv_cache_dtype: str = ""  # empty: the activation dtype
    overhead: float = 0.0  # bytes the runtime holds besides weights, KV cache, activations
    training: TrainingConfig | None = None  # its `training:` block
    train_roofline: Roofline | None = None  # compute at the training params_dtype

    @property
    def activations(self) -> str:
        """The activations' dtype."""
        return self.activation_dtype or self.dtype
