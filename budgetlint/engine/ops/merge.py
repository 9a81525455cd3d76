"""Merges of several tensors, made by the residual and parallel combinators.

add: equal shapes only (a residual over mismatched shapes is a spec bug);
mul: NumPy broadcasting (squeeze-excite gates [N, C, 1, 1] × [N, C, H, W]);
concat: equal shapes except along the axis. Work: (inputs − 1) units per
output element for add and mul; concat only moves data.
"""

from __future__ import annotations

from budgetlint.engine.cost import OpCost, Shape, ShapeError, numel


def _show(shapes: tuple[Shape, ...]) -> str:
    return ", ".join(str(list(shape)) for shape in shapes)


def add(inputs: tuple[Shape, ...]) -> OpCost:
    if any(shape != inputs[0] for shape in inputs):
        raise ShapeError(f"add needs equal shapes, got {_show(inputs)}")
    return OpCost(inputs[0], work=(("add", numel(inputs[0]) * (len(inputs) - 1)),))


def broadcast(shapes: tuple[Shape, ...]) -> Shape:
    rank = max(len(shape) for shape in shapes)
    padded = [(1,) * (rank - len(shape)) + shape for shape in shapes]
    result = []
    for sizes in zip(*padded, strict=True):
        distinct = {size for size in sizes if size != 1}
        if len(distinct) > 1:
            raise ShapeError(f"shapes don't broadcast: {_show(shapes)}")
        result.append(distinct.pop() if distinct else 1)
    return tuple(result)


def mul(inputs: tuple[Shape, ...]) -> OpCost:
    output = broadcast(inputs)
    return OpCost(output, work=(("mul", numel(output) * (len(inputs) - 1)),))


def concat(inputs: tuple[Shape, ...], axis: int) -> OpCost:
    rank = len(inputs[0])
    if not -rank <= axis < rank:
        raise ShapeError(f"concat axis {axis} is out of range for rank {rank}")
    axis %= rank
    for shape in inputs:
        if len(shape) != rank or shape[:axis] + shape[axis + 1 :] != (
            inputs[0][:axis] + inputs[0][axis + 1 :]
        ):
            raise ShapeError(f"concat along axis {axis} needs matching shapes, got {_show(inputs)}")
    output = (*inputs[0][:axis], sum(shape[axis] for shape in inputs), *inputs[0][axis + 1 :])
    return OpCost(output)


def matmul(inputs: tuple[Shape, ...]) -> OpCost:
    """a @ b with batch broadcasting: [..., M, K] @ [..., K, N] → [..., M, N]."""
    if len(inputs) != 2 or min(len(shape) for shape in inputs) < 2:
        raise ShapeError(f"matmul needs two inputs of rank 2 or more, got {_show(inputs)}")
    left, right = inputs
    if left[-1] != right[-2]:
        raise ShapeError(f"matmul needs [..., M, K] @ [..., K, N], got {_show(inputs)}")
    batch = broadcast((left[:-2], right[:-2])) if left[:-2] or right[:-2] else ()
    output = (*batch, left[-2], right[-1])
    macs = numel(output) * left[-1]
    return OpCost(output, macs=macs, work=(("matmul_macs", macs),))
