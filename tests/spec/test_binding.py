"""Binding: one function fills op attributes and block/architecture parameters."""

from __future__ import annotations

from typing import Any

import pytest

from budgetlint.engine.ops import COMBINATORS, OPS
from budgetlint.engine.ops.attrs import AttrError
from budgetlint.spec.binding import (
    BindingError,
    Unbound,
    attribute_slots,
    bind,
    bind_attributes,
    parameter_slots,
)
from budgetlint.spec.expander import _COMBINATORS

# (op, given, expected): every attribute the op declares, given ones coerced
ATTRIBUTES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("relu", {}, {}),
    ("linear", {"out": 8}, {"out": 8, "bias": True, "tied": False}),
    ("linear", {"out": "32k", "bias": False}, {"out": 32_000, "bias": False, "tied": False}),
    ("linear", {"out": "1e3", "bias": None}, {"out": 1_000, "bias": True, "tied": False}),
    ("permute", {"dims": [0, 2, 1]}, {"dims": (0, 2, 1)}),
]


@pytest.mark.parametrize(("op", "given", "expected"), ATTRIBUTES)
def test_attributes_are_coerced_and_defaults_filled(
    op: str, given: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert bind_attributes(op, **given) == expected


def test_every_declared_attribute_is_bound() -> None:
    for op, definition in OPS.items():
        required = {a.name: 1 for a in definition.attrs if a.required}
        slots = attribute_slots(op)
        assert list(slots) == [a.name for a in definition.attrs]
        if all(a.kind in ("positive", "size") for a in definition.attrs if a.required):
            assert set(bind(slots, required)) == set(slots)


# (slots' defaults, given, why, name): the first problem in the order written
REFUSALS: list[tuple[dict[str, Any], dict[str, Any], Unbound, str]] = [
    ({"a": 1}, {"b": 2, "a": 3}, Unbound.UNKNOWN, "b"),
    ({"a": None, "b": None}, {"b": 2}, Unbound.MISSING, "a"),
    ({"a": None}, {"a": None}, Unbound.MISSING, "a"),  # null: the default, here none
]


@pytest.mark.parametrize(("defaults", "given", "why", "name"), REFUSALS)
def test_parameters_refused(
    defaults: dict[str, Any], given: dict[str, Any], why: Unbound, name: str
) -> None:
    with pytest.raises(BindingError) as raised:
        bind(parameter_slots(defaults), given)
    assert (raised.value.why, raised.value.name) == (why, name)


def test_parameters_take_defaults_and_given_values_as_written() -> None:
    slots = parameter_slots({"width": 64, "depth": None, "kind": "a"})
    assert bind(slots, {"depth": 3, "kind": None}) == {"depth": 3, "width": 64, "kind": "a"}


def test_a_bad_value_is_an_attr_error_with_the_coercions_message() -> None:
    with pytest.raises(AttrError, match="expected a positive integer") as raised:
        bind_attributes("linear", out=0)
    assert isinstance(raised.value, BindingError)
    assert (raised.value.why, raised.value.name) == (Unbound.INVALID, "out")


def test_values_are_resolved_in_the_order_written_before_coercion() -> None:
    seen: list[str] = []

    def resolve(name: str, value: Any) -> Any:
        seen.append(name)
        return value * 2

    assert bind(attribute_slots("linear"), {"out": 4}, resolve)["out"] == 8
    with pytest.raises(BindingError):  # the unknown key is refused before it is resolved
        bind(attribute_slots("linear"), {"out": 4, "outt": 5, "bias": True}, resolve)
    assert seen == ["out", "out"]


def test_every_combinator_has_an_expansion() -> None:
    assert set(_COMBINATORS) == {*COMBINATORS, "arch"}
