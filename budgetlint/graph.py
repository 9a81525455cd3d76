"""The expanded architecture: what the expander makes and the evaluator walks.

Blocks and `repeat` are gone by now; what is left is a tree of ops whose
structure is series (tuples), residual sums and parallel branches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from budgetlint.problems import Position

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Lora:
    """LoRA adapters as the spec declares them (engine/lora.py prices them)."""

    rank: int
    alpha: float
    targets: tuple[str, ...]  # module names or globs, as peft's target_modules


@dataclass(frozen=True)
class Group:
    """One level of the spec's nesting that a report can fold into a subtotal.

    A block use, a `residual`, a `parallel`, an `arch:` file, a named `repeat` and
    each turn of a repeat of several layers. `serial` tells apart groups that share
    a name.
    """

    name: str
    kind: str  # the block's name, or residual | parallel | arch | repeat
    position: Position
    serial: int


@dataclass(frozen=True, slots=True)  # slots: a spec may unroll to 100,000 of them
class Layer:
    name: str
    op: str
    attrs: Mapping[str, Any]
    position: Position
    functional: bool = False  # called as a function, not a module: module hooks miss it
    module: str = ""  # layers with the same module (within a block use) are one module object
    groups: tuple[Group, ...] = ()  # the groups it sits in, outermost first


@dataclass(frozen=True)
class Residual:
    """body(x) + shortcut(x); an empty shortcut is the identity."""

    name: str
    body: tuple[Node, ...]
    shortcut: tuple[Node, ...]
    position: Position
    groups: tuple[Group, ...] = ()  # outermost first, ending with its own


@dataclass(frozen=True)
class Parallel:
    """Each branch sees the same input; an empty branch is the identity. The outputs are
    joined by `merge` (concat along `axis`, add, mul, matmul, einsum: see MERGES)."""

    name: str
    branches: tuple[tuple[Node, ...], ...]
    merge: str  # a key of engine.ops.merge.MERGES, which the expander checked
    axis: int
    position: Position
    groups: tuple[Group, ...] = ()  # outermost first, ending with its own


Node = Layer | Residual | Parallel


@dataclass(frozen=True)
class Architecture:
    name: str
    source: str
    input: Shape
    layers: tuple[Node, ...]
    position: Position
    trainable: tuple[str, ...] = ("*",)  # globs on layer names (or their dotted prefixes)
    units: tuple[str, ...] = ()  # names of the repeated blocks: per_block checkpointing's units
    lora: Lora | None = None  # adapters on named linear layers and attention projections
