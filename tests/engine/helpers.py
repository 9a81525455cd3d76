"""Call an op from the OPS table the way the expander does: attributes coerced, defaults filled."""

from __future__ import annotations

from typing import Any

from budgetlint.engine.conventions import CONVENTIONS
from budgetlint.engine.cost import OpCost
from budgetlint.engine.ops import OPS
from budgetlint.engine.ops.attrs import coerce


def run_op(op: str, shape: tuple[int, ...], /, **attrs: Any) -> OpCost:
    definition = OPS[op]
    values = {
        a.name: coerce(a, attrs[a.name]) if a.name in attrs else a.default for a in definition.attrs
    }
    unknown = set(attrs) - set(values)
    assert not unknown, f"test passes unknown attributes {unknown}"
    return definition.fn((shape,), values)


def flops(cost: OpCost, convention: str = "default") -> int:
    return CONVENTIONS[convention].flops(cost)
