"""Activations: shape-preserving, no params; work = one unit per element (softmax: also
one per row and one per call, for the tools that price it 3n − 1).

How many FLOPs one unit is depends on the convention (see conventions.py);
each activation's work kind is its own name, so a convention can price
relu and gelu differently.
"""

from __future__ import annotations

from budgetlint.engine.cost import Attrs, OpCost, OpFn, ShapeError, numel
from budgetlint.engine.ops.attrs import Attr
from budgetlint.graph import Shape

LEAKY_RELU_ATTRS = (Attr("slope", "number", 0.01, doc="negative slope"),)
GELU_ATTRS = (Attr("approximate", "choice", "none", choices=("none", "tanh")),)
SOFTMAX_ATTRS = (Attr("dim", "integer", -1),)


def elementwise(kind: str) -> OpFn:
    """An op of one unit of `kind` per element, shape unchanged (relu, gelu, …): each
    activation's kind is its own name, so that a convention prices them apart."""

    def op(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
        return OpCost(inputs[0], work=((kind, numel(inputs[0])),))

    op.__name__ = op.__qualname__ = kind
    return op


def softmax(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    shape = inputs[0]
    if not -len(shape) <= attrs["dim"] < len(shape):
        raise ShapeError(f"softmax dim {attrs['dim']} is out of range for {list(shape)}")
    rows = numel(shape) // shape[attrs["dim"]]
    work = (("softmax", numel(shape)), ("softmax_rows", rows), ("softmax_tensor", 1))
    return OpCost(shape, work=work)
