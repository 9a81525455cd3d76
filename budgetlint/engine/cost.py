"""The value every op returns, and the error it raises on bad shapes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from budgetlint.graph import Shape

Attrs = Mapping[str, Any]


@dataclass(frozen=True)
class Role:
    quantized: bool  # quantized by a device's `quantization:` unless an override says
    doc: str
    bits: int | None = None  # stored at this width whatever the device's dtype (indices)


# What a stored tensor is for; a device quantizes the weight matrices and tables only.
TENSOR_ROLES: dict[str, Role] = {
    "weight": Role(True, "weight matrices and kernels of conv, linear and attention projections"),
    "embedding": Role(True, "token embedding tables"),
    "bias": Role(False, "biases of conv, linear and attention projections"),
    "norm": Role(False, "scales and shifts of normalisation layers"),
    "learned": Role(False, "other learned tensors: class tokens, positions, layer scales"),
    "buffer": Role(False, "stored statistics that are not learned (BatchNorm's running stats)"),
    "index": Role(False, "integer index buffers (Swin's relative_position_index): int64", 64),
}
BUFFER_ROLES = frozenset({"buffer", "index"})  # stored but not learned: not params


@dataclass(frozen=True)
class Tensor:
    """One tensor an op keeps, named after the framework's parameter (`q_proj.weight`).

    `read`: elements read per call (a gather reads rows), None: all. `stored`: False for
    a weight shared with another layer (a tied LM head): read here, stored there.
    """

    name: str
    role: str  # a key of TENSOR_ROLES
    shape: Shape
    read: int | None = None
    stored: bool = True

    @property
    def elements(self) -> int:
        return numel(self.shape)

    @property
    def elements_read(self) -> int:
        return self.elements if self.read is None else self.read


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
    state_held: int = 0  # elements of persistent state kept after the call: the KV cache
    tensors: tuple[Tensor, ...] = ()  # its params and buffers, named; () for the fallback
    # params a module holds itself rather than in a child layer (a relative position bias
    # table): counters that collect params from leaf modules (thop) don't see them
    container_params: int = 0

    def stored_tensors(self) -> tuple[Tensor, ...]:
        """The op's tensors; an op that doesn't name them keeps one learned, one buffer."""
        if self.tensors:
            return self.tensors
        found: tuple[Tensor, ...] = ()
        if self.params:
            found += (Tensor("weight", "learned", (self.params,), self.weights_read),)
        if self.buffers:
            found += (Tensor("buffers", "buffer", (self.buffers,)),)
        return found


OpFn = Callable[[tuple[Shape, ...], Attrs], OpCost]


class ShapeError(ValueError):
    """The inputs or attributes don't fit the op; the evaluator adds the position."""


def numel(shape: Shape) -> int:
    total = 1
    for size in shape:
        total *= size
    return total
