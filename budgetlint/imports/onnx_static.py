"""Shape arithmetic evaluated at import time: the small constant tensors exporters compute
from `Shape` (reshape targets, channel splits), folded here so that no runtime is needed.

Each row takes the node's attributes and its inputs' values and returns the output's
value, or None when it can't be known (the consumer that needs it then says so).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

from budgetlint.imports.onnx_read import MAX_CONSTANT_VALUES, StaticValue

Value = StaticValue | None
StaticFn = Callable[[Mapping[str, Any], tuple[Value, ...]], Value]

_INT_TYPES = frozenset({2, 3, 4, 5, 6, 7, 9, 12, 13})  # TensorProto's integer and bool types


def _count(shape: tuple[int, ...]) -> int:
    return math.prod(shape)


def _ints(value: Value) -> tuple[int, ...] | None:
    if value is None or not all(float(v).is_integer() for v in value.values):
        return None
    return tuple(int(v) for v in value.values)


def constant(attrs: Mapping[str, Any], inputs: tuple[Value, ...]) -> Value:
    value = attrs.get("value")
    if isinstance(value, StaticValue):
        return value
    if "value_int" in attrs:
        return StaticValue((), (attrs["value_int"],))
    if "value_float" in attrs:
        return StaticValue((), (attrs["value_float"],))
    for key in ("value_ints", "value_floats"):
        if key in attrs and len(attrs[key]) <= MAX_CONSTANT_VALUES:
            return StaticValue((len(attrs[key]),), tuple(attrs[key]))
    return None


def shape_of(shape: tuple[int, ...], attrs: Mapping[str, Any]) -> StaticValue:
    start, end = attrs.get("start", 0), attrs.get("end", len(shape))
    picked = shape[slice(start, end)]
    return StaticValue((len(picked),), picked)


def identity(attrs: Mapping[str, Any], inputs: tuple[Value, ...]) -> Value:
    return inputs[0]


def cast(attrs: Mapping[str, Any], inputs: tuple[Value, ...]) -> Value:
    value = inputs[0]
    if value is None:
        return None
    if attrs.get("to") in _INT_TYPES:
        return StaticValue(value.shape, tuple(int(v) for v in value.values))
    return StaticValue(value.shape, tuple(float(v) for v in value.values))


def gather(attrs: Mapping[str, Any], inputs: tuple[Value, ...]) -> Value:
    data, indices = inputs[0], _ints(inputs[1]) if len(inputs) > 1 else None
    if data is None or indices is None or len(data.shape) != 1 or attrs.get("axis", 0) != 0:
        return None
    size = data.shape[0]
    if not all(-size <= i < size for i in indices):
        return None
    assert inputs[1] is not None
    return StaticValue(inputs[1].shape, tuple(data.values[i] for i in indices))


def _axes(attrs: Mapping[str, Any], inputs: tuple[Value, ...]) -> tuple[int, ...] | None:
    if len(inputs) > 1:
        return _ints(inputs[1])
    axes = attrs.get("axes")
    return tuple(axes) if axes is not None else None


def unsqueeze(attrs: Mapping[str, Any], inputs: tuple[Value, ...]) -> Value:
    value, axes = inputs[0], _axes(attrs, inputs)
    if value is None or axes is None:
        return None
    rank = len(value.shape) + len(axes)
    shape = list(value.shape)
    for axis in sorted(a % rank for a in axes):
        shape.insert(axis, 1)
    return StaticValue(tuple(shape), value.values)


def squeeze(attrs: Mapping[str, Any], inputs: tuple[Value, ...]) -> Value:
    value = inputs[0]
    if value is None:
        return None
    axes = _axes(attrs, inputs)
    rank = len(value.shape)
    dropped = (
        {a % rank for a in axes}
        if axes is not None
        else {i for i, s in enumerate(value.shape) if s == 1}
    )
    return StaticValue(
        tuple(s for i, s in enumerate(value.shape) if i not in dropped), value.values
    )


def concat(attrs: Mapping[str, Any], inputs: tuple[Value, ...]) -> Value:
    if any(value is None or len(value.shape) > 1 for value in inputs):
        return None
    values = tuple(v for value in inputs if value is not None for v in value.values)
    return StaticValue((len(values),), values)


def slice_(attrs: Mapping[str, Any], inputs: tuple[Value, ...]) -> Value:
    data = inputs[0]
    bounds = [_ints(value) for value in inputs[1:3]]
    if data is None or len(data.shape) != 1 or None in bounds or len(inputs) < 3:
        return None
    steps = _ints(inputs[4]) if len(inputs) > 4 and inputs[4] is not None else (1,)
    if steps is None or len(steps) != 1 or steps[0] == 0:
        return None
    start, end = bounds[0], bounds[1]
    assert start is not None and end is not None
    picked = data.values[slice(start[0], end[0], steps[0])]
    return StaticValue((len(picked),), picked)


def reshape(attrs: Mapping[str, Any], inputs: tuple[Value, ...]) -> Value:
    value, target = inputs[0], _ints(inputs[1]) if len(inputs) > 1 else None
    if value is None or target is None:
        return None
    known = _count(tuple(s for s in target if s > 0)) or 1
    shape = tuple(len(value.values) // known if s == -1 else s for s in target)
    return StaticValue(shape, value.values) if _count(shape) == len(value.values) else None


def constant_of_shape(attrs: Mapping[str, Any], inputs: tuple[Value, ...]) -> Value:
    shape = _ints(inputs[0])
    if shape is None or _count(shape) > MAX_CONSTANT_VALUES:
        return None
    fill = attrs.get("value")
    filler = fill.values[0] if isinstance(fill, StaticValue) and fill.values else 0
    return StaticValue(shape, (filler,) * _count(shape))


def range_(attrs: Mapping[str, Any], inputs: tuple[Value, ...]) -> Value:
    if any(value is None or len(value.values) != 1 for value in inputs):
        return None
    start, limit, delta = (value.values[0] for value in inputs if value is not None)
    if delta == 0:
        return None
    count = max(math.ceil((limit - start) / delta), 0)
    if count > MAX_CONSTANT_VALUES:
        return None
    return StaticValue((count,), tuple(start + i * delta for i in range(count)))


def _elementwise(combine: Callable[[Any, Any], Any]) -> StaticFn:
    def apply(attrs: Mapping[str, Any], inputs: tuple[Value, ...]) -> Value:
        left, right = inputs[0], inputs[1] if len(inputs) > 1 else None
        if left is None or right is None:
            return None
        if len(left.values) == 1 and len(right.values) != 1:
            shape, pairs = right.shape, [(left.values[0], v) for v in right.values]
        elif len(right.values) == 1:
            shape, pairs = left.shape, [(v, right.values[0]) for v in left.values]
        elif left.shape == right.shape:
            shape, pairs = left.shape, list(zip(left.values, right.values, strict=True))
        else:
            return None
        try:
            return StaticValue(shape, tuple(combine(a, b) for a, b in pairs))
        except (ZeroDivisionError, OverflowError, ValueError):
            return None

    return apply


def _divide(left: Any, right: Any) -> Any:
    if isinstance(left, int) and isinstance(right, int):
        return int(left / right)  # ONNX integer division truncates toward zero
    return left / right


def _unary(function: Callable[[Any], Any]) -> StaticFn:
    def apply(attrs: Mapping[str, Any], inputs: tuple[Value, ...]) -> Value:
        value = inputs[0]
        if value is None:
            return None
        try:
            return StaticValue(value.shape, tuple(function(v) for v in value.values))
        except (ZeroDivisionError, OverflowError, ValueError):
            return None

    return apply


STATIC_OPS: dict[str, StaticFn] = {
    "Constant": constant,
    "Identity": identity,
    "Cast": cast,
    "Gather": gather,
    "Unsqueeze": unsqueeze,
    "Squeeze": squeeze,
    "Concat": concat,
    "Slice": slice_,
    "Reshape": reshape,
    "ConstantOfShape": constant_of_shape,
    "Range": range_,
    "Add": _elementwise(operator.add),
    "Sub": _elementwise(operator.sub),
    "Mul": _elementwise(operator.mul),
    "Div": _elementwise(_divide),
    "Max": _elementwise(max),
    "Min": _elementwise(min),
    "Equal": _elementwise(lambda a, b: int(a == b)),
    "Sqrt": _unary(math.sqrt),
    "Reciprocal": _unary(lambda v: 1 / v),
    "Neg": _unary(operator.neg),
}
