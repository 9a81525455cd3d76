"""Budgets: what each one measures, how its limit is written, and the verdicts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from budgetlint.engine.evaluate import ModelReport
from budgetlint.problems import Position
from budgetlint.units import format_bytes, format_count, parse_bytes, parse_count, parse_giga

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


@dataclass(frozen=True)
class Device:
    name: str
    dtype: str
    limits: tuple[Limit, ...]
    position: Position


def _giga(value: float) -> str:
    return f"{value / 1e9:.4g}"


@dataclass(frozen=True)
class BudgetKind:
    name: str
    parse: Callable[[object], float]
    measure: Callable[[ModelReport, Device], float]
    show: Callable[[float], str]
    doc: str


BUDGETS: dict[str, BudgetKind] = {
    "params": BudgetKind(
        "params",
        parse_count,
        lambda report, device: report.params,
        format_count,
        "parameters as the convention counts them (default: learnable only), e.g. 5M",
    ),
    "macs": BudgetKind(
        "macs", parse_count, lambda r, d: r.macs, format_count, "multiply-accumulates, e.g. 300M"
    ),
    "gmacs": BudgetKind(
        "gmacs", parse_giga, lambda r, d: r.macs, _giga, "multiply-accumulates in 10^9, e.g. 0.3"
    ),
    "flops": BudgetKind(
        "flops", parse_count, lambda r, d: r.flops, format_count, "FLOPs, e.g. 600M"
    ),
    "gflops": BudgetKind(
        "gflops", parse_giga, lambda r, d: r.flops, _giga, "FLOPs in 10^9, e.g. 0.6"
    ),
    "size": BudgetKind(
        "size",
        parse_bytes,
        lambda report, device: report.size_bytes(DTYPE_BITS[device.dtype]),
        format_bytes,
        "params and buffers stored at the device dtype, e.g. 8MB or 7.5MiB",
    ),
}


@dataclass(frozen=True)
class Verdict:
    model: str
    device: str
    budget: str
    value: float
    limit: float
    position: Position  # where the limit is written

    @property
    def ok(self) -> bool:
        return self.value <= self.limit

    @property
    def headroom(self) -> float:
        return self.limit - self.value

    def show(self, amount: float) -> str:
        return BUDGETS[self.budget].show(amount)


def judge(report: ModelReport, device: Device) -> tuple[Verdict, ...]:
    return tuple(
        Verdict(
            model=report.name,
            device=device.name,
            budget=limit.budget,
            value=BUDGETS[limit.budget].measure(report, device),
            limit=limit.limit,
            position=limit.position,
        )
        for limit in device.limits
    )


def exit_code(verdicts: tuple[Verdict, ...], problems: int) -> int:
    if problems:
        return 2
    return 1 if any(not verdict.ok for verdict in verdicts) else 0
