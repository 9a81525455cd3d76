"""Activations: shape-preserving, no params; work = one unit per element.

How many FLOPs one unit is depends on the convention (see conventions.py);
each activation's work kind is its own name, so a convention can price
relu and gelu differently.
"""

from __future__ import annotations

from budgetlint.engine.cost import Attrs, OpCost, ShapeError, numel
from budgetlint.engine.ops.attrs import Attr
from budgetlint.graph import Shape

LEAKY_RELU_ATTRS = (Attr("slope", "number", 0.01, doc="negative slope"),)
GELU_ATTRS = (Attr("approximate", "choice", "none", choices=("none", "tanh")),)
SOFTMAX_ATTRS = (Attr("dim", "integer", -1),)


def _elementwise(kind: str, shape: Shape) -> OpCost:
    return OpCost(shape, work=((kind, numel(shape)),))


def relu(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    return _elementwise("relu", inputs[0])


def relu6(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    return _elementwise("relu6", inputs[0])


def leaky_relu(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    return _elementwise("leaky_relu", inputs[0])


def gelu(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    return _elementwise("gelu", inputs[0])


def scale(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    """x·c, x/c, x + c or x − c with a constant c (an attention's 1/√d): one unit per element."""
    return _elementwise("scale", inputs[0])


def silu(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    return _elementwise("silu", inputs[0])


def sigmoid(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    return _elementwise("sigmoid", inputs[0])


def tanh(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    return _elementwise("tanh", inputs[0])


def hardswish(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    return _elementwise("hardswish", inputs[0])


def hardsigmoid(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    return _elementwise("hardsigmoid", inputs[0])


def softmax(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    shape = inputs[0]
    if not -len(shape) <= attrs["dim"] < len(shape):
        raise ShapeError(f"softmax dim {attrs['dim']} is out of range for {list(shape)}")
    rows = numel(shape) // shape[attrs["dim"]]
    work = (("softmax", numel(shape)), ("softmax_rows", rows), ("softmax_tensor", 1))
    return OpCost(shape, work=work)
