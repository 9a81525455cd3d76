"""Sentences about verdicts and changes, shared by every output format."""

from __future__ import annotations

from budgetlint.budgets import Verdict


def exact(amount: float) -> str:
    """A count as its exact digits: an int never goes through float (which would print
    4,611,686,020,574,871,552 for 4,611,686,020,574,871,550)."""
    if isinstance(amount, int):
        return f"{amount:,}"
    return f"{amount:,.0f}"


def percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def used(verdict: Verdict) -> str:
    """The share of the budget taken (limit / value for a minimum such as throughput)."""
    return f"{100 * verdict.used:.0f}%" if verdict.limit else "-"


def signed_percent(change: float, base: float) -> str:
    if not base:
        return "new" if change else "0%"
    return f"{100 * change / base:+.1f}%"


def title(verdict: Verdict) -> str:
    if verdict.kind == "increase":
        return f"{verdict.model}: {verdict.budget} grew too much for {verdict.device}"
    state = "over" if not verdict.ok else "near"
    return f"{verdict.model}: {verdict.budget} {state} budget of {verdict.device}"


def sentence(verdict: Verdict, base_ref: str | None = None) -> str:
    """One line saying which model, device, budget, the value, the limit and by how much."""
    show = verdict.show
    if verdict.kind == "increase":
        base = verdict.base or 0.0
        return (
            f"{verdict.model}'s {verdict.budget} grew by {show(verdict.value)} "
            f"({signed_percent(verdict.value, base)}) over {base_ref or 'the base'}: "
            f"{show(base)} → {show(base + verdict.value)}, more than the "
            f"{show(verdict.limit)} that max_increase allows on {verdict.device}"
        )
    if not verdict.ok and verdict.floor:
        short = verdict.limit - verdict.value
        return (
            f"{verdict.model} misses the {verdict.budget} budget of {verdict.device}: "
            f"{show(verdict.value)} < {show(verdict.limit)} (short by {show(short)}, "
            f"-{percent(short, verdict.limit)})"
        )
    if verdict.floor:
        return (
            f"{verdict.model} uses {used(verdict)} of the {verdict.budget} budget of "
            f"{verdict.device}: {show(verdict.value)} for at least {show(verdict.limit)} "
            f"(warns below {show(verdict.warn_at or 0)})"
        )
    if not verdict.ok:
        over = verdict.value - verdict.limit
        if verdict.budget == "latency":  # seconds: the shown figures are the exact ones
            return (
                f"{verdict.model} breaks the latency budget of {verdict.device}: "
                f"{show(verdict.value)} > {show(verdict.limit)} (over by {show(over)}, "
                f"+{percent(over, verdict.limit)})"
            )
        return (
            f"{verdict.model} breaks the {verdict.budget} budget of {verdict.device}: "
            f"{show(verdict.value)} > {show(verdict.limit)} (value {exact(verdict.value)}, "
            f"limit {exact(verdict.limit)}, over by {exact(over)}"
            + (f", +{percent(over, verdict.limit)})" if verdict.limit else ")")
        )
    return (
        f"{verdict.model} uses {used(verdict)} of the "
        f"{verdict.budget} budget of {verdict.device}: {show(verdict.value)} of "
        f"{show(verdict.limit)} (warns above {show(verdict.warn_at or 0)})"
    )
