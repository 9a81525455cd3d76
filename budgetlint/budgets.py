"""Budgets: what each one measures, how its limit is written, and the verdicts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from budgetlint.engine.evaluate import ModelReport
from budgetlint.engine.memory import Precision, mac_bytes, peak_activations
from budgetlint.engine.roofline import Roofline, latency
from budgetlint.problems import Position
from budgetlint.units import (
    format_bytes,
    format_count,
    format_time,
    parse_bytes,
    parse_count,
    parse_giga,
    parse_time,
)

DTYPE_BITS: dict[str, int] = {
    "float32": 32,
    "float16": 16,
    "bfloat16": 16,
    "int8": 8,
    "int4": 4,
}


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

    @property
    def precision(self) -> Precision:
        activations = self.activation_dtype or self.dtype
        return Precision(DTYPE_BITS[self.dtype], DTYPE_BITS[activations])


def _giga(value: float) -> str:
    return f"{value / 1e9:.4g}"


@dataclass(frozen=True)
class BudgetKind:
    name: str
    parse: Callable[[object], float]
    measure: Callable[[ModelReport, Device], float]
    show: Callable[[float, bool], str]  # (amount, the limit was written in binary units)
    doc: str


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
        lambda report, device: report.size_bytes(DTYPE_BITS[device.dtype]),
        format_bytes,
        "params and buffers stored at the device dtype, e.g. 8MB or 7.5MiB",
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
    ),
}


def _roofline(device: Device) -> Roofline:
    if device.roofline is None:  # the spec reader refuses latency budgets without one
        raise ValueError(f"device {device.name} has no roofline figures")
    return device.roofline


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
    def ok(self) -> bool:
        return self.value <= self.limit

    @property
    def warning(self) -> bool:
        return self.ok and self.warn_at is not None and self.value > self.warn_at

    @property
    def status(self) -> str:
        return "over" if not self.ok else "warn" if self.warning else "ok"

    @property
    def headroom(self) -> float:
        return self.limit - self.value

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
            warn_at=limit.limit * limit.warn_fraction if limit.warn_fraction is not None else None,
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
