"""The expanded architecture: what the expander makes and the evaluator walks.

Blocks and `repeat` are gone by now; what is left is a tree of ops whose
structure is series (tuples), residual sums and parallel branches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from budgetlint.engine.cost import Shape
from budgetlint.problems import Position


@dataclass(frozen=True)
class Layer:
    name: str
    op: str
    attrs: Mapping[str, Any]
    position: Position
    functional: bool = False  # called as a function, not a module: module hooks miss it
    module: str = ""  # layers with the same module (within a block use) are one module object


@dataclass(frozen=True)
class Residual:
    """body(x) + shortcut(x); an empty shortcut is the identity."""

    name: str
    body: tuple[Node, ...]
    shortcut: tuple[Node, ...]
    position: Position


@dataclass(frozen=True)
class Parallel:
    """Each branch sees the same input; an empty branch is the identity."""

    name: str
    branches: tuple[tuple[Node, ...], ...]
    merge: str  # a key of engine.ops.merge.MERGES
    axis: int
    position: Position


Node = Layer | Residual | Parallel


@dataclass(frozen=True)
class Architecture:
    name: str
    source: str
    input: Shape
    layers: tuple[Node, ...]
    position: Position
