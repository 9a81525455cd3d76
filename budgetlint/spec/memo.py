"""Block expansions remembered by what decides them, and replayed under another use's names.

A block used again with the same arguments (same definition, same blocks in reach,
same nesting) unrolls to the same nodes but for names: each use keeps its own
(`layers.7.mlp.fc1`), its own groups (with their serial numbers) and its own repeat
units. A replay renames the remembered nodes from the first use's name to this one's
and shares everything else (attributes, positions), so its cost is a walk over the
nodes, not an expansion. A replay whose names would reach MAX_NAME (and so be cut)
is refused and the caller expands for real, as it does when it is the first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from budgetlint.graph import Group, Layer, Node, Parallel, Residual


@dataclass(frozen=True)
class Expansion:
    """One block use's nodes, and all it did to the expander's state on the way."""

    prefix: str  # the use's name: every name made inside starts with it
    nodes: tuple[Node, ...]
    outer: int  # groups around the use (they differ from use to use)
    serial: int  # the serial number before the use
    serials: int  # groups it made (each takes the next serial number)
    units: tuple[str, ...]  # repeat turns it made, for per_block checkpointing
    steps: int  # the work it counted (a replay counts it too)
    longest: int  # characters of its longest name beyond the prefix

    def fits(self, prefix: str, limit: int) -> bool:
        """Renamed to start with `prefix`, would every name stay whole (below `limit`)?"""
        return bool(prefix) and len(prefix) + self.longest < limit


def remembered(
    prefix: str,
    nodes: tuple[Node, ...],
    outer: int,
    serials: range,
    units: tuple[str, ...],
    steps: int,
    longest: int,
    limit: int,
) -> Expansion | None:
    """The expansion, when a prefix swap can rename it: every name made inside it starts
    with its prefix (they are all made below it), so it can unless one was cut at `limit`
    characters (a cut name has exactly `limit`); `longest` is the longest name made."""
    if not prefix or longest >= limit:
        return None
    beyond = max(longest - len(prefix), 0)
    return Expansion(prefix, nodes, outer, serials.start, len(serials), units, steps, beyond)


class Replay:
    """Renames an expansion for another use: its prefix, outer groups and serial numbers."""

    def __init__(
        self, expansion: Expansion, prefix: str, outer: Sequence[Group], serial: int
    ) -> None:
        self.old = expansion.prefix
        self.new = prefix
        self.outer = tuple(outer)
        self.depth = expansion.outer
        self.shift = serial - expansion.serial
        self.groups: dict[Group, Group] = {}
        self.nodes = tuple(self.node(node) for node in expansion.nodes)
        self.units = tuple(self.name(unit) for unit in expansion.units)

    def name(self, name: str) -> str:
        return self.new + name[len(self.old) :]

    def group(self, group: Group) -> Group:
        renamed = self.groups.get(group)
        if renamed is None:
            name, serial = self.name(group.name), group.serial + self.shift
            renamed = self.groups[group] = Group(name, group.kind, group.position, serial)
        return renamed

    def grouped(self, groups: tuple[Group, ...]) -> tuple[Group, ...]:
        return self.outer + tuple(self.group(group) for group in groups[self.depth :])

    def node(self, node: Node) -> Node:
        if isinstance(node, Layer):
            return Layer(
                self.name(node.name),
                node.op,
                node.attrs,
                node.position,
                node.functional,
                self.name(node.module) if node.module else "",
                self.grouped(node.groups),
            )
        if isinstance(node, Residual):
            return Residual(
                self.name(node.name),
                tuple(self.node(item) for item in node.body),
                tuple(self.node(item) for item in node.shortcut),
                node.position,
                self.grouped(node.groups),
            )
        return Parallel(
            self.name(node.name),
            tuple(tuple(self.node(item) for item in branch) for branch in node.branches),
            node.merge,
            node.axis,
            node.position,
            self.grouped(node.groups),
        )
