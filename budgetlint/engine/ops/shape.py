"""Free ops: flatten, dropout (inference), identity. No params, no work, by design."""

from __future__ import annotations

from budgetlint.engine.cost import Attrs, OpCost, Shape, ShapeError, numel
from budgetlint.engine.ops.attrs import Attr

FLATTEN_ATTRS = (Attr("start_dim", "integer", 1), Attr("end_dim", "integer", -1))
DROPOUT_ATTRS = (Attr("p", "number", 0.5, doc="drop probability; no cost at inference"),)


def flatten(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    shape = inputs[0]
    rank = len(shape)
    start, end = attrs["start_dim"], attrs["end_dim"]
    start, end = start + rank if start < 0 else start, end + rank if end < 0 else end
    if not 0 <= start <= end < rank:
        raise ShapeError(
            f"flatten dims {attrs['start_dim']}..{attrs['end_dim']} don't fit {list(shape)}"
        )
    return OpCost((*shape[:start], numel(shape[start : end + 1]), *shape[end + 1 :]))


def identity(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    return OpCost(inputs[0])
