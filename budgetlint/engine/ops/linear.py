"""Linear (fully connected) layers, applied to the last dimension.

params = Cin · Cout (+ Cout); MACs = (elements of the input / Cin) · Cin · Cout.
"""

from __future__ import annotations

from budgetlint.engine.cost import Attrs, OpCost, Shape, ShapeError, numel
from budgetlint.engine.ops.attrs import Attr

LINEAR_ATTRS = (
    Attr("out", "positive", doc="output features"),
    Attr("bias", "bool", True),
    Attr("tied", "bool", False, doc="weights shared with an embedding: not counted again"),
)


def linear(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    shape = inputs[0]
    if not shape:
        raise ShapeError("linear needs at least one dimension of features")
    features_in, features_out = shape[-1], attrs["out"]
    output = (*shape[:-1], features_out)
    bias = features_out if attrs["bias"] else 0
    macs = numel(output) * features_in
    work: tuple[tuple[str, int], ...] = (("linear_macs", macs), ("linear_output", numel(output)))
    if attrs["bias"]:
        work += (("linear_bias", numel(output)),)
    weights = 0 if attrs["tied"] else features_in * features_out
    return OpCost(output, params=weights + bias, macs=macs, work=work)
