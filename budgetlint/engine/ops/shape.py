"""Free ops (engine.ops.FREE_OPS): views of their input, and dropout at inference.
No params, no work, by design."""

from __future__ import annotations

from budgetlint.engine.cost import Attrs, OpCost, ShapeError, numel
from budgetlint.engine.ops.attrs import Attr
from budgetlint.graph import Shape

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


PERMUTE_ATTRS = (Attr("dims", "offsets", doc="the new order of the dimensions"),)
RESHAPE_ATTRS = (Attr("shape", "integer_list", doc="the new shape; one -1 is inferred"),)
SELECT_ATTRS = (Attr("dim", "integer", 1), Attr("index", "integer", 0))


def permute(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    shape = inputs[0]
    order = attrs["dims"] if isinstance(attrs["dims"], tuple) else (attrs["dims"],)
    if sorted(order) != list(range(len(shape))):
        raise ShapeError(f"permute dims {list(order)} are not an order of {len(shape)} dims")
    return OpCost(tuple(shape[axis] for axis in order))


def reshape(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    shape, target = inputs[0], attrs["shape"]
    known = numel(tuple(size for size in target if size != -1))
    if target.count(-1) > 1 or any(size < -1 or size == 0 for size in target):
        raise ShapeError(f"reshape takes positive sizes and at most one -1, got {list(target)}")
    if -1 in target:
        if known == 0 or numel(shape) % known:
            raise ShapeError(f"can't reshape {list(shape)} to {list(target)}")
        target = tuple(numel(shape) // known if size == -1 else size for size in target)
    if numel(target) != numel(shape):
        raise ShapeError(f"can't reshape {list(shape)} ({numel(shape)} elements) to {list(target)}")
    return OpCost(tuple(target))


def select(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    """x[:, index] along `dim` (a ViT's class token): drops that dimension."""
    shape, dim, index = inputs[0], attrs["dim"], attrs["index"]
    if not -len(shape) <= dim < len(shape) or not -shape[dim] <= index < shape[dim]:
        raise ShapeError(f"select dim {dim} index {index} is out of range for {list(shape)}")
    dim %= len(shape)
    return OpCost(shape[:dim] + shape[dim + 1 :])


SLICE_ATTRS = (Attr("dim", "integer", 1), Attr("start", "integer", 0), Attr("end", "integer"))


def slice_(inputs: tuple[Shape, ...], attrs: Attrs) -> OpCost:
    """x[start:end] along `dim` (a channel split): a view."""
    shape, dim = inputs[0], attrs["dim"]
    if not -len(shape) <= dim < len(shape):
        raise ShapeError(f"slice dim {dim} is out of range for {list(shape)}")
    dim %= len(shape)
    start, end = attrs["start"], attrs["end"]
    start, end = start % shape[dim] if start < 0 else start, end + shape[dim] if end < 0 else end
    if not 0 <= start < end <= shape[dim]:
        raise ShapeError(
            f"slice {attrs['start']}:{attrs['end']} doesn't fit {shape[dim]} along dim {dim}"
        )
    return OpCost((*shape[:dim], end - start, *shape[dim + 1 :]))
