"""Op attributes: their kinds, defaults, checks, and JSON Schema fragments.

One table describes each op's attributes; the expander checks values against
it (after `${...}` substitution) and the schema builder turns it into the
JSON Schema that editors use, so the two can't drift apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from budgetlint.problems import figure, short_repr
from budgetlint.units import QUANTITIES, UnitError, parse_count

REQUIRED: Any = object()

# Argument names of PyTorch (and Keras) layers as people copy them into a spec: the
# attribute each is here. Unknown keys are checked against this before "did you mean".
FRAMEWORK_NAMES: dict[str, str] = {
    "out_channels": "out",
    "out_features": "out",
    "filters": "out",  # Keras
    "units": "out",  # Keras
    "kernel_size": "kernel",
    "pool_size": "kernel",  # Keras
    "strides": "stride",  # Keras
    "output_size": "size",
    "scale_factor": "scale",
    "upscale_factor": "factor",
    "num_heads": "heads",
    "num_key_value_heads": "kv_heads",
    "kdim": "kv_dim",
    "num_embeddings": "vocab",
    "embedding_dim": "dim",
    "normalized_shape": "dims",
    "num_groups": "groups",
    "negative_slope": "slope",
    "hidden_size": "hidden",
    "num_layers": "layers",
    "use_bias": "bias",  # Keras
    "elementwise_affine": "affine",
    "track_running_stats": "running_stats",
}
# Framework arguments that a spec never writes: the input shape gives them...
INFERRED_NAMES = frozenset(
    {"in_channels", "in_features", "num_features", "embed_dim", "input_size", "num_channels"}
)
# ...or they change no count.
NO_COST_NAMES = frozenset({"eps", "momentum", "inplace", "padding_mode", "device", "dtype"})


class AttrError(ValueError):
    """A bad attribute value; the expander adds the position."""


@dataclass(frozen=True)
class Attr:
    name: str
    kind: str  # a key of _KINDS
    default: Any = REQUIRED
    choices: tuple[str, ...] = ()
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


def _integral(value: Any) -> int | None:
    """An int, an integral float, or a count as people write it ('32k', '1e3')."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = parse_count(value)
        except UnitError:
            return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


MAX_INT = 2**31 - 1  # beyond any real channel count or kernel; keeps shapes sane


def _int_at_least(value: Any, least: int, what: str) -> int:
    number = _integral(value)
    if number is None or number < least:
        raise AttrError(f"expected {what}, got {short_repr(value)}")
    if number > MAX_INT:
        raise AttrError(f"{figure(number)} is larger than {MAX_INT:,}")
    return number


def _positive(value: Any, attr: Attr) -> int:
    return _int_at_least(value, 1, "a positive integer")


def _nonnegative(value: Any, attr: Attr) -> int:
    return _int_at_least(value, 0, "a non-negative integer")


def _integer(value: Any, attr: Attr) -> int:
    number = _integral(value)
    if number is None:
        raise AttrError(f"expected an integer, got {short_repr(value)}")
    return number


def _sizes(value: Any, least: int) -> int | tuple[int, ...]:
    what = "a positive integer" if least else "a non-negative integer"
    if isinstance(value, list):
        if not value:
            raise AttrError(f"expected {what} or a list of them, got []")
        return tuple(_int_at_least(item, least, what) for item in value)
    return _int_at_least(value, least, f"{what} or a list of them")


def _size(value: Any, attr: Attr) -> int | tuple[int, ...]:
    return _sizes(value, 1)


def _integer_list(value: Any, attr: Attr) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise AttrError(f"expected a list of integers, got {short_repr(value)}")
    numbers = [_integral(item) for item in value]
    if any(number is None or abs(number) > MAX_INT for number in numbers):
        raise AttrError(f"expected a list of integers, got {short_repr(value)}")
    return tuple(number for number in numbers if number is not None)


def _offsets(value: Any, attr: Attr) -> int | tuple[int, ...]:
    return _sizes(value, 0)


def _padding(value: Any, attr: Attr) -> int | tuple[int, ...] | str:
    if isinstance(value, str):
        if value in ("same", "valid"):
            return value
        raise AttrError(f"expected a size, 'same' or 'valid', got {short_repr(value)}")
    return _sizes(value, 0)


def _bool(value: Any, attr: Attr) -> bool:
    if not isinstance(value, bool):
        raise AttrError(f"expected true or false, got {short_repr(value)}")
    return value


def _number(value: Any, attr: Attr) -> float:
    if isinstance(value, str):  # YAML 1.1 reads 1e-2 as text
        try:
            return float(value) if math.isfinite(float(value)) else _not_a_number(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        _not_a_number(value)
    return float(value)


def _not_a_number(value: Any) -> float:
    raise AttrError(f"expected a finite number, got {short_repr(value)}")


def _positive_numbers(value: Any, attr: Attr) -> float | tuple[float, ...]:
    items = value if isinstance(value, list) else [value]
    numbers = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | float) or item <= 0:
            raise AttrError(
                f"expected a positive number or a list of them, got {short_repr(value)}"
            )
        numbers.append(float(item))
    return tuple(numbers) if isinstance(value, list) else numbers[0]


def _choice(value: Any, attr: Attr) -> str:
    if value not in attr.choices:
        raise AttrError(f"expected one of {', '.join(attr.choices)}, got {short_repr(value)}")
    return str(value)


_KINDS = {
    "positive": _positive,
    "nonnegative": _nonnegative,
    "integer": _integer,
    "size": _size,
    "offsets": _offsets,
    "integer_list": _integer_list,
    "padding": _padding,
    "bool": _bool,
    "number": _number,
    "scale": _positive_numbers,
    "choice": _choice,
}

EXPRESSION_SCHEMA = {"type": "string", "pattern": "\\$\\{"}
# A count as parse_count reads it: the pattern comes from the same table (linear-time).
COUNT_SCHEMA = {"type": "string", "pattern": QUANTITIES["count"].pattern}


def _item(schema: dict[str, Any]) -> dict[str, Any]:
    """A list item: the value itself or a `${...}` expression (`kernel: [1, "${k}"]`)."""
    return {"anyOf": [schema, EXPRESSION_SCHEMA]}


_SCHEMAS: dict[str, dict[str, Any]] = {
    "positive": {"type": "integer", "minimum": 1},
    "nonnegative": {"type": "integer", "minimum": 0},
    "integer": {"type": "integer"},
    "size": {
        "anyOf": [
            {"type": "integer", "minimum": 1},
            {"type": "array", "minItems": 1, "items": _item({"type": "integer", "minimum": 1})},
        ]
    },
    "integer_list": {"type": "array", "minItems": 1, "items": _item({"type": "integer"})},
    "offsets": {
        "anyOf": [
            {"type": "integer", "minimum": 0},
            {"type": "array", "minItems": 1, "items": _item({"type": "integer", "minimum": 0})},
        ]
    },
    "padding": {
        "anyOf": [
            {"type": "integer", "minimum": 0},
            {"type": "array", "minItems": 1, "items": _item({"type": "integer", "minimum": 0})},
            {"enum": ["same", "valid"]},
        ]
    },
    "bool": {"type": "boolean"},
    "number": {"type": "number"},
    "scale": {
        "anyOf": [
            {"type": "number", "exclusiveMinimum": 0},
            {
                "type": "array",
                "minItems": 1,
                "items": _item({"type": "number", "exclusiveMinimum": 0}),
            },
        ]
    },
}


def coerce(attr: Attr, value: Any) -> Any:
    return _KINDS[attr.kind](value, attr)


def schema_of(attr: Attr) -> dict[str, Any]:
    """The attribute's JSON Schema; any attribute may also be a `${...}` expression."""
    base = {"enum": list(attr.choices)} if attr.kind == "choice" else dict(_SCHEMAS[attr.kind])
    branches = [base, EXPRESSION_SCHEMA]
    if attr.kind in ("positive", "nonnegative", "integer", "size", "offsets", "number"):
        branches.append(COUNT_SCHEMA)
    schema: dict[str, Any] = {"anyOf": branches}
    if attr.doc:
        schema["description"] = attr.doc
    if not attr.required:
        schema["default"] = attr.default
    return schema


def expand(value: int | tuple[int, ...], rank: int, what: str) -> tuple[int, ...]:
    """An int or a list of `rank` ints, as a tuple of `rank` ints."""
    if isinstance(value, int):
        return (value,) * rank
    if len(value) != rank:
        raise AttrError(f"{what} needs 1 or {rank} values, got {len(value)}")
    return value
