"""Binding written values to what they fill: an op's attributes, a block's or an
architecture file's parameters. Unknown names are refused, values coerced, defaults
filled and required ones demanded, in one place for the expander and the tests."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from budgetlint.engine.ops import OPS
from budgetlint.engine.ops.attrs import AttrError, coerce


@dataclass(frozen=True)
class Slot:
    """What one written value can fill."""

    name: str
    default: Any
    required: bool
    coerce: Callable[[Any], Any] | None = None  # raises AttrError; None: taken as written


class Unbound(enum.Enum):
    """Why a binding failed; each caller says it with its own code and position."""

    UNKNOWN = "unknown"  # a name the definition does not have (the key's position)
    INVALID = "invalid"  # a value coercion refuses (the value's position)
    MISSING = "missing"  # a required name not given (the use's position)


class BindingError(AttrError):
    """A value that can't be bound (an AttrError, as a bad value always was); the caller
    adds the position."""

    def __init__(self, why: Unbound, name: str, detail: str = "") -> None:
        super().__init__(f"{why.value} {name}: {detail}")
        self.why = why
        self.name = name
        self.detail = detail  # the coercion's message, for INVALID


Resolve = Callable[[str, Any], Any]  # (name, written value) → the value (`${}` substituted)


def _as_written(name: str, value: Any) -> Any:
    return value


def bind(
    slots: Mapping[str, Slot], given: Mapping[str, Any], resolve: Resolve = _as_written
) -> dict[str, Any]:
    """Every slot's value: the given one (resolved, then coerced) or the default. A given
    null means the default (missing when required). The given names are checked in the
    order written, so the first problem reported is the first one in the file."""
    bound: dict[str, Any] = {}
    for name, written in given.items():
        slot = slots.get(name)
        if slot is None:
            raise BindingError(Unbound.UNKNOWN, name)
        value = resolve(name, written)
        if value is None:
            continue
        if slot.coerce is not None:
            try:
                value = slot.coerce(value)
            except AttrError as error:
                raise BindingError(Unbound.INVALID, name, str(error)) from None
        bound[name] = value
    for name, slot in slots.items():
        if name not in bound:
            if slot.required:
                raise BindingError(Unbound.MISSING, name)
            bound[name] = slot.default
    return bound


@cache
def attribute_slots(op: str) -> Mapping[str, Slot]:
    """An op's attributes as slots, in the order the op declares them."""
    return {
        attr.name: Slot(attr.name, attr.default, attr.required, _coercer(attr))
        for attr in OPS[op].attrs
    }


def _coercer(attr: Any) -> Callable[[Any], Any]:
    return lambda value: coerce(attr, value)


def parameter_slots(declared: Mapping[str, Any]) -> dict[str, Slot]:
    """A block's or an architecture file's `params`: name → default, null if required."""
    return {name: Slot(name, default, default is None) for name, default in declared.items()}


def bind_attributes(op: str, /, **given: Any) -> dict[str, Any]:
    """An op's attributes from Python values, as the expander binds them from a spec."""
    return bind(attribute_slots(op), given)
