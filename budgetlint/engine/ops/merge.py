"""Merges of several tensors, made by the residual and parallel combinators.

add and mul: PyTorch's (NumPy's) broadcasting (a squeeze-excite gate
[N, C, 1, 1] × [N, C, H, W], a bias [1, 1, S, S] + scores [N, H, S, S]);
concat: equal shapes except along the axis; matmul: `torch.matmul`; einsum:
the same product written with `torch.einsum` (ptflops doesn't see it). Work:
(inputs − 1) units per output element for add and mul; concat only moves data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from budgetlint.engine.cost import OpCost, ShapeError, numel
from budgetlint.graph import Shape


def _show(shapes: tuple[Shape, ...]) -> str:
    return ", ".join(str(list(shape)) for shape in shapes)


def add(inputs: tuple[Shape, ...]) -> OpCost:
    output = broadcast(inputs, "add")
    return OpCost(output, work=(("add", numel(output) * (len(inputs) - 1)),))


def broadcast(shapes: tuple[Shape, ...], what: str) -> Shape:
    """PyTorch's rule: align on the right; each size equal, or 1."""
    rank = max(len(shape) for shape in shapes)
    padded = [(1,) * (rank - len(shape)) + shape for shape in shapes]
    result = []
    for sizes in zip(*padded, strict=True):
        distinct = {size for size in sizes if size != 1}
        if len(distinct) > 1:
            raise ShapeError(f"{what} needs shapes that broadcast, got {_show(shapes)}")
        result.append(distinct.pop() if distinct else 1)
    return tuple(result)


def mul(inputs: tuple[Shape, ...]) -> OpCost:
    output = broadcast(inputs, "mul")
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


def matmul(inputs: tuple[Shape, ...], kind: str = "matmul_macs") -> OpCost:
    """a @ b with batch broadcasting: [..., M, K] @ [..., K, N] → [..., M, N]."""
    if len(inputs) != 2 or min(len(shape) for shape in inputs) < 2:
        raise ShapeError(f"matmul needs two inputs of rank 2 or more, got {_show(inputs)}")
    left, right = inputs
    if left[-1] != right[-2]:
        raise ShapeError(f"matmul needs [..., M, K] @ [..., K, N], got {_show(inputs)}")
    batch = broadcast((left[:-2], right[:-2]), "matmul") if left[:-2] or right[:-2] else ()
    output = (*batch, left[-2], right[-1])
    macs = numel(output) * left[-1]
    return OpCost(output, macs=macs, work=((kind, macs),))


def einsum(inputs: tuple[Shape, ...]) -> OpCost:
    """A matmul written as torch.einsum ('bik,bkj->bij'): the same MACs, its own work kind."""
    return matmul(inputs, "einsum_macs")


MergeFn = Callable[[tuple[Shape, ...], int], OpCost]


@dataclass(frozen=True)
class MergeDef:
    """One way of joining branches: calling the row costs the merge (shapes, axis)."""

    fn: MergeFn
    arity: int | None  # the inputs it takes (its function refuses others); None: any number
    shape: str  # the output shape's rule, one line
    cost: str  # its work, one line

    def __call__(self, inputs: tuple[Shape, ...], axis: int) -> OpCost:
        return self.fn(inputs, axis)


def _add(inputs: tuple[Shape, ...], axis: int) -> OpCost:
    return add(inputs)


def _mul(inputs: tuple[Shape, ...], axis: int) -> OpCost:
    return mul(inputs)


def _matmul(inputs: tuple[Shape, ...], axis: int) -> OpCost:
    return matmul(inputs)


def _einsum(inputs: tuple[Shape, ...], axis: int) -> OpCost:
    return einsum(inputs)


# Every merge a parallel may name (a residual adds), one row each: the spec schema's enum,
# the expander's check and the evaluator all read this table, so a name outside it can't
# reach the evaluator. A new merge is a row here and one in engine/saved.py's MERGE_SAVES.
MERGES: dict[str, MergeDef] = {
    "concat": MergeDef(
        concat, None, "equal shapes but along `axis`, where the sizes add up", "none: moves data"
    ),
    "add": MergeDef(_add, None, "broadcast (PyTorch's rule)", "`add`: (inputs − 1) per output"),
    "mul": MergeDef(_mul, None, "broadcast (PyTorch's rule)", "`mul`: (inputs − 1) per output"),
    "matmul": MergeDef(
        _matmul, 2, "[..., M, K] @ [..., K, N] → [..., M, N], batch dims broadcast", "`matmul_macs`"
    ),
    "einsum": MergeDef(
        _einsum, 2, "as matmul, written with torch.einsum ('bik,bkj->bij')", "`einsum_macs`"
    ),
}
RESIDUAL_MERGE = "add"  # body(x) + shortcut(x)
DEFAULT_MERGE = "concat"  # a parallel without `merge:`
