"""Call an op from the OPS table the way the expander does: attributes bound (coerced,
defaults filled, unknown ones refused) by the expander's own binding."""

from __future__ import annotations

from typing import Any

from budgetlint.engine.conventions import CONVENTIONS
from budgetlint.engine.cost import OpCost
from budgetlint.engine.ops import OPS
from budgetlint.spec.binding import bind_attributes


def run_op(op: str, shape: tuple[int, ...], /, **attrs: Any) -> OpCost:
    return OPS[op].fn((shape,), bind_attributes(op, **attrs))


def flops(cost: OpCost, convention: str = "default") -> int:
    return CONVENTIONS[convention].flops(cost)
