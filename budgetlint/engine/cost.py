"""The value every op returns, and the error it raises on bad shapes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Shape = tuple[int, ...]
Attrs = Mapping[str, Any]


@dataclass(frozen=True)
class OpCost:
    """Output shape and convention-free facts about one op.

    `work` lists element-wise work as (kind, count) pairs; a convention turns
    each kind into FLOPs through its own per-unit cost table.
    """

    output: Shape
    params: int = 0
    buffers: int = 0
    macs: int = 0
    work: tuple[tuple[str, int], ...] = ()
    weights_read: int | None = (
        None  # weight elements actually read; None: all (a gather reads rows)
    )
    state_read: int = 0  # elements of persistent state read, such as a KV cache


OpFn = Callable[[tuple[Shape, ...], Attrs], OpCost]


class ShapeError(ValueError):
    """The inputs or attributes don't fit the op; the evaluator adds the position."""


def numel(shape: Shape) -> int:
    total = 1
    for size in shape:
        total *= size
    return total
