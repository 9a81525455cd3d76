"""Linear (fully connected) layers, applied to the last dimension.

params = Cin · Cout (+ Cout); MACs = (elements of the input / Cin) · Cin · Cout.
A tied linear (`tied: true`, GPT-2's LM head) shares its weight with an embedding:
stored once (not counted in its params), but read in full wherever it is used.
"""

from __future__ import annotations

from budgetlint.engine.cost import Attrs, OpCost, ShapeError, Tensor, numel
from budgetlint.engine.ops.attrs import Attr
from budgetlint.graph import Shape

LINEAR_ATTRS = (
    Attr("out", "positive", doc="output features"),
    Attr("bias", "bool", True),
    Attr(
        "tied",
        "bool",
        False,
        doc="weights shared with an embedding: stored (counted) once, read here too",
    ),
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
    matrix = features_in * features_out
    tensors: tuple[Tensor, ...] = (
        Tensor("weight", "weight", (features_out, features_in), stored=not attrs["tied"]),
    )
    if attrs["bias"]:
        tensors += (Tensor("bias", "bias", (features_out,)),)
    if attrs["tied"]:  # stored with the embedding, but this layer reads all of it
        return OpCost(
            output, params=bias, macs=macs, work=work, weights_read=matrix + bias, tensors=tensors
        )
    return OpCost(output, params=matrix + bias, macs=macs, work=work, tensors=tensors)
