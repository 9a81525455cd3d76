"""Budgets: what each one measures, how its limit is written, and the verdicts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from budgetlint.engine.evaluate import ModelReport
from budgetlint.engine.memory import (
    Precision,
    kv_cache_bytes,
    mac_bytes,
    peak_activations,
    size_bytes,
)
from budgetlint.engine.roofline import Roofline, latency
from budgetlint.engine.storage import Override, Quantization, Storage, WeightFormat
from budgetlint.engine.training import TrainingConfig, step_time, train_flops, train_memory
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

DTYPE_BITS: dict[str, int] = {
    "float32": 32,
    "float16": 16,
    "bfloat16": 16,
    "int8": 8,
    "int4": 4,
}
# Integer types: the ones a device can quantize weights to, with scales per group.
INTEGER_DTYPES = frozenset({"int8", "int4"})


@dataclass(frozen=True)
class Limit:
    budget: str
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
class Device:
    name: str
    dtype: str  # weights and buffers
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
    def precision(self) -> Precision:
        """Without quantization every tensor is stored at dtype; with it, only the weight
        matrices and embedding tables are (with their scales), the rest at the activation
        dtype. Overrides come last."""
        activations = self.activation_dtype or self.dtype
        weights = None
        if self.quantization is not None or self.overrides:
            quantized = Storage(DTYPE_BITS[self.dtype], self.quantization)
            other = activations if self.quantization is not None else self.dtype
            weights = WeightFormat(quantized, Storage(DTYPE_BITS[other]), self.overrides)
        kv_bits = DTYPE_BITS[self.kv_cache_dtype] if self.kv_cache_dtype else None
        return Precision(DTYPE_BITS[self.dtype], DTYPE_BITS[activations], weights, kv_bits)


def _giga(value: float) -> str:
    return f"{value / 1e9:.4g}"


@dataclass(frozen=True)
class BudgetKind:
    name: str
    parse: Callable[[object], float]
    measure: Callable[[ModelReport, Device], float]
    show: Callable[[float, bool], str]  # (amount, the limit was written in binary units)
    doc: str
    floor: bool = False  # a minimum to reach (throughput), not a maximum
    needs_roofline: bool = False  # the device's compute and bandwidth


BUDGETS: dict[str, BudgetKind] = {
    "params": BudgetKind(
        "params",
        parse_count,
        lambda report, device: report.params,
        lambda amount, binary: format_count(amount),
        "parameters as the convention counts them (default: learnable only), e.g. 5M",
    ),
    "macs": BudgetKind(
        "macs",
        parse_count,
        lambda r, d: r.macs,
        lambda amount, binary: format_count(amount),
        "multiply-accumulates, e.g. 300M",
    ),
    "gmacs": BudgetKind(
        "gmacs",
        parse_giga,
        lambda r, d: r.macs,
        lambda amount, binary: _giga(amount),
        "multiply-accumulates in 10^9, e.g. 0.3",
    ),
    "flops": BudgetKind(
        "flops",
        parse_count,
        lambda r, d: r.flops,
        lambda amount, binary: format_count(amount),
        "FLOPs, e.g. 600M",
    ),
    "gflops": BudgetKind(
        "gflops",
        parse_giga,
        lambda r, d: r.flops,
        lambda amount, binary: _giga(amount),
        "FLOPs in 10^9, e.g. 0.6",
    ),
    "size": BudgetKind(
        "size",
        parse_bytes,
        lambda report, device: size_bytes(report, device.precision),
        format_bytes,
        "params and buffers stored at the device dtype (and quantization), e.g. 8MB or 7.5MiB",
    ),
    "mac_bytes": BudgetKind(
        "mac_bytes",
        parse_bytes,
        lambda report, device: mac_bytes(report, device.precision),
        format_bytes,
        "memory access cost: bytes read (inputs, weights, buffers) and written, e.g. 150MB",
    ),
    "peak_activations": BudgetKind(
        "peak_activations",
        parse_bytes,
        lambda report, device: peak_activations(report, device.precision.activation_bits).bytes,
        format_bytes,
        "the most activation memory alive at once, e.g. 4MiB",
    ),
    "latency": BudgetKind(
        "latency",
        parse_time,
        lambda report, device: latency(report, device.precision, _roofline(device)),
        lambda amount, binary: format_time(amount),
        "roofline estimate from the device's compute and bandwidth, e.g. 5ms",
        needs_roofline=True,
    ),
    "kv_cache": BudgetKind(
        "kv_cache",
        parse_bytes,
        lambda report, device: kv_cache_bytes(report, device.precision),
        format_bytes,
        "the KV cache kept after the step: layers · 2 · kv_heads · head_dim · (context + "
        "tokens) · batch at the KV dtype, e.g. 64MB",
    ),
    "memory": BudgetKind(
        "memory",
        parse_bytes,
        lambda report, device: memory_bytes(report, device),
        format_bytes,
        "weights as stored + KV cache + peak activations + the device's overhead, e.g. 1.5GB",
    ),
    "throughput": BudgetKind(
        "throughput",
        parse_throughput,
        lambda report, device: tokens_per_second(report, device.precision, _roofline(device)),
        lambda amount, binary: format_throughput(amount),
        "at least this many tokens per second: tokens per step × batch / roofline latency, "
        "e.g. 50tok/s",
        floor=True,
        needs_roofline=True,
    ),
    "train_memory": BudgetKind(
        "train_memory",
        parse_bytes,
        lambda report, device: train_memory(report, _training(device)).total,
        format_bytes,
        "memory of a training step: weights, gradients, master weights, optimizer states "
        "and saved activations (the device's training block), e.g. 24GB",
    ),
    "train_flops": BudgetKind(
        "train_flops",
        parse_count,
        lambda report, device: train_flops(report, _training(device)),
        lambda amount, binary: format_count(amount),
        "FLOPs of a training step: forward, backward and recomputation, e.g. 50T",
    ),
    "train_step_time": BudgetKind(
        "train_step_time",
        parse_time,
        lambda report, device: step_time(report, _training(device), _train_roofline(device)),
        lambda amount, binary: format_time(amount),
        "roofline time of a training step, forward, backward and optimizer update, e.g. 2s",
    ),
}


def memory_bytes(report: ModelReport, device: Device) -> float:
    """What the model holds at once on the device: weights, KV cache, activations, runtime."""
    precision = device.precision
    held = size_bytes(report, precision) + kv_cache_bytes(report, precision)
    return held + peak_activations(report, precision.activation_bits).bytes + device.overhead


def tokens(report: ModelReport) -> int:
    """Tokens one step processes: N·S of token ids [N, S]; otherwise one per sample."""
    shape = report.input
    return shape[0] * shape[1] if len(shape) == 2 else shape[0]


def tokens_per_second(report: ModelReport, precision: Precision, roofline: Roofline) -> float:
    seconds = latency(report, precision, roofline)
    return tokens(report) / seconds if seconds else float("inf")


def _roofline(device: Device) -> Roofline:
    if device.roofline is None:  # the spec reader refuses latency budgets without one
        raise ValueError(f"device {device.name} has no roofline figures")
    return device.roofline


def _training(device: Device) -> TrainingConfig:
    if device.training is None:  # the spec reader refuses train_* budgets without one
        raise ValueError(f"device {device.name} has no training block")
    return device.training


def _train_roofline(device: Device) -> Roofline:
    if device.train_roofline is None:  # refused by the spec reader too
        raise ValueError(f"device {device.name} has no roofline at its training dtype")
    return device.train_roofline


# Budgets that need the device's `training:` block.
TRAINING_BUDGETS = frozenset({"train_memory", "train_flops", "train_step_time"})


@dataclass(frozen=True)
class Verdict:
    """One model × device × budget: a limit (kind "limit") or a growth cap ("increase").

    For a limit, `value` is the measure and `limit` the budget; for a growth
    cap, `value` is the increase over the base and `limit` the allowed increase.
    `base` is the same measure at the base revision, when one was asked for.
    """

    model: str
    device: str
    budget: str
    value: float
    limit: float
    position: Position  # where the limit is written
    kind: str = "limit"
    base: float | None = None
    warn_at: float | None = None
    binary: bool = False  # the limit was written in KiB/MiB/GiB: show amounts that way

    @property
    def floor(self) -> bool:
        """A minimum (throughput): the value must reach the limit."""
        return self.kind == "limit" and BUDGETS[self.budget].floor

    @property
    def ok(self) -> bool:
        return self.value >= self.limit if self.floor else self.value <= self.limit

    @property
    def warning(self) -> bool:
        if not self.ok or self.warn_at is None:
            return False
        return self.value < self.warn_at if self.floor else self.value > self.warn_at

    @property
    def status(self) -> str:
        return "over" if not self.ok else "warn" if self.warning else "ok"

    @property
    def headroom(self) -> float:
        return self.value - self.limit if self.floor else self.limit - self.value

    @property
    def used(self) -> float:
        """Share of the budget taken: value / limit, or limit / value for a minimum."""
        part, whole = (self.limit, self.value) if self.floor else (self.value, self.limit)
        return part / whole if whole else (0.0 if not part else float("inf"))

    @property
    def rule(self) -> str:
        """A stable id per budget kind: budget.params, budget.max_increase.params, …"""
        return (
            f"budget.{self.budget}"
            if self.kind == "limit"
            else f"budget.max_increase.{self.budget}"
        )

    def show(self, amount: float) -> str:
        return BUDGETS[self.budget].show(amount, self.binary)


def _warn_at(limit: Limit) -> float | None:
    """Warn above this share of a maximum; below limit / share of a minimum (90% of the
    budget used means a throughput within 1/0.9 of its floor)."""
    fraction = limit.warn_fraction
    if fraction is None:
        return None
    if not BUDGETS[limit.budget].floor:
        return limit.limit * fraction
    return limit.limit / fraction if fraction else float("inf")


def judge(
    report: ModelReport, device: Device, base: ModelReport | None = None
) -> tuple[Verdict, ...]:
    """The device's verdicts on one model; growth caps only where a base report exists."""
    kind = BUDGETS
    verdicts = [
        Verdict(
            model=report.name,
            device=device.name,
            budget=limit.budget,
            value=kind[limit.budget].measure(report, device),
            limit=limit.limit,
            position=limit.position,
            base=kind[limit.budget].measure(base, device) if base else None,
            warn_at=_warn_at(limit),
            binary="iB" in limit.written,
        )
        for limit in device.limits
    ]
    if base is not None:
        for growth in device.growth:
            before = kind[growth.budget].measure(base, device)
            now = kind[growth.budget].measure(report, device)
            verdicts.append(
                Verdict(
                    model=report.name,
                    device=device.name,
                    budget=growth.budget,
                    value=now - before,
                    limit=growth.allowance(before),
                    position=growth.position,
                    kind="increase",
                    base=before,
                    binary="iB" in growth.written,
                )
            )
    return tuple(verdicts)
