"""The verdict stage: what each budget measures on a model, and the verdicts.

How a budget's limit is read and shown is the device model's (device.BUDGET_KINDS);
this module measures each kind on an evaluated model and judges it against the limits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from budgetlint.device import BUDGET_KINDS, Device, Limit, Roofline, TrainingConfig
from budgetlint.engine import distinct
from budgetlint.engine.distinct import DeviceCosts, device_costs
from budgetlint.engine.evaluate import ModelReport
from budgetlint.engine.memory import (
    device_precision,
)
from budgetlint.engine.training import step_time, train_flops, train_memory
from budgetlint.problems import Position

Measure = Callable[[ModelReport, Device], float]

MEASURES: dict[str, Measure] = {
    "params": lambda report, device: report.params,
    "macs": lambda report, device: report.macs,
    "gmacs": lambda report, device: report.macs,
    "flops": lambda report, device: report.flops,
    "gflops": lambda report, device: report.flops,
    "size": lambda report, device: distinct.size(report, device_precision(device)),
    "mac_bytes": lambda report, device: _costs(report, device).mac_bytes,
    "peak_activations": lambda report, device: (
        distinct.peak(report, device_precision(device).activation_bits).bytes
    ),
    "latency": lambda report, device: _latency(report, device),
    "kv_cache": lambda report, device: distinct.kv_cache(report, device_precision(device)),
    "memory": lambda report, device: memory_bytes(report, device),
    "throughput": lambda report, device: tokens_per_second(report, _latency(report, device)),
    "train_memory": lambda report, device: train_memory(report, _training(device)).total,
    "train_flops": lambda report, device: train_flops(report, _training(device)),
    "train_step_time": lambda report, device: step_time(
        report, _training(device), _train_roofline(device)
    ),
}
if MEASURES.keys() != BUDGET_KINDS.keys():  # a budget kind that cannot be judged, or the reverse
    raise ImportError(f"budget kinds without a measure: {BUDGET_KINDS.keys() ^ MEASURES.keys()}")


def memory_bytes(report: ModelReport, device: Device) -> float:
    """What the model holds at once on the device: weights, KV cache, activations, runtime."""
    precision = device_precision(device)
    held = distinct.size(report, precision) + distinct.kv_cache(report, precision)
    return held + distinct.peak(report, precision.activation_bits).bytes + device.overhead


def tokens(report: ModelReport) -> int:
    """Tokens one step processes: N·S of token ids [N, S]; otherwise one per sample."""
    shape = report.input
    return shape[0] * shape[1] if len(shape) == 2 else shape[0]


def tokens_per_second(report: ModelReport, seconds: float) -> float:
    return tokens(report) / seconds if seconds else float("inf")


def _costs(report: ModelReport, device: Device) -> DeviceCosts:
    """The layers' traffic and time on the device (engine.distinct: once per distinct layer),
    the objects the formats' per-layer figures read too."""
    return device_costs(report, device_precision(device), device.roofline)


def _latency(report: ModelReport, device: Device) -> float:
    """roofline.latency on the device."""
    seconds = _costs(report, device).latency
    if seconds is None:  # the spec reader refuses latency budgets without a roofline
        raise ValueError(f"device {device.name} has no roofline figures")
    return seconds


def _training(device: Device) -> TrainingConfig:
    if device.training is None:  # the spec reader refuses train_* budgets without one
        raise ValueError(f"device {device.name} has no training block")
    return device.training


def _train_roofline(device: Device) -> Roofline:
    if device.train_roofline is None:  # refused by the spec reader too
        raise ValueError(f"device {device.name} has no roofline at its training dtype")
    return device.train_roofline


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
        return self.kind == "limit" and BUDGET_KINDS[self.budget].floor

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
        return BUDGET_KINDS[self.budget].show(amount, self.binary)


def _warn_at(limit: Limit) -> float | None:
    """Warn above this share of a maximum; below limit / share of a minimum (90% of the
    budget used means a throughput within 1/0.9 of its floor)."""
    fraction = limit.warn_fraction
    if fraction is None:
        return None
    if not BUDGET_KINDS[limit.budget].floor:
        return limit.limit * fraction
    return limit.limit / fraction if fraction else float("inf")


def judge(
    report: ModelReport, device: Device, base: ModelReport | None = None
) -> tuple[Verdict, ...]:
    """The device's verdicts on one model; growth caps only where a base report exists."""
    measure = MEASURES
    verdicts = [
        Verdict(
            model=report.name,
            device=device.name,
            budget=limit.budget,
            value=measure[limit.budget](report, device),
            limit=limit.limit,
            position=limit.position,
            base=measure[limit.budget](base, device) if base else None,
            warn_at=_warn_at(limit),
            binary="iB" in limit.written,
        )
        for limit in device.limits
    ]
    if base is not None:
        for growth in device.growth:
            before = measure[growth.budget](base, device)
            now = measure[growth.budget](report, device)
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
