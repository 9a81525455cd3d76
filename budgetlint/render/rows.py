"""The rows of a per-layer report, and its columns: one source for every format.

A row is one layer, or one group of the spec's nesting (a block use, a
`residual`, a `parallel`, an `arch:` file, a named `repeat`) folded into the
subtotal of its layers. `--depth N` keeps N levels of nesting; `--tree` shows
every kept level, each group above its members; rows that cost nothing (no
params, no MACs, no FLOPs, no bytes moved) are hidden unless `--all`.
Subtotals are sums over the same layers as the totals, so they add up exactly.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import islice
from operator import attrgetter
from typing import Any, Protocol, TypeVar, overload

from budgetlint.graph import Group, Shape
from budgetlint.problems import Position
from budgetlint.render.layers import LayerFigures, ModelFigures
from budgetlint.render.measures import MEASURES, ORDER, Measure, share_measure
from budgetlint.units import format_bytes, format_time

T = TypeVar("T")


class once(cached_property[T]):
    """functools.cached_property without its lock (Python 3.11 takes one on every first
    access, a tenth of a report's time at 100,000 rows): computed once, then a plain
    attribute of the instance."""

    @overload
    def __get__(self, row: None, owner: type[Any] | None = None) -> once[T]: ...
    @overload
    def __get__(self, row: object, owner: type[Any] | None = None) -> T: ...
    def __get__(self, row: object, owner: type[Any] | None = None) -> once[T] | T:
        if row is None:
            return self
        value = self.func(row)
        row.__dict__[self.attrname or self.func.__name__] = value
        return value


# Each layer's figure that a row sums (attrgetter: read in C, for every layer of a total).
_PARAMS = attrgetter("layer.params")
_MACS = attrgetter("layer.macs")
_FLOPS = attrgetter("layer.flops")
_PHYSICAL_FLOPS = attrgetter("layer.physical_flops")
_READ = attrgetter("traffic.read")
_WRITTEN = attrgetter("traffic.written")


@dataclass(frozen=True)
class Row:
    name: str
    op: str  # the layer's op, or the group's block (`bottleneck`) or combinator (`residual`)
    layers: tuple[LayerFigures, ...]  # the layers it sums: one for a layer row
    group: Group | None = None  # None: a single layer
    level: int = 0  # nesting level (0: the top), for a tree
    branch: str = ""  # the tree's drawing before the name (`│  └─ `); empty in a flat table
    members: int = 0  # rows shown under it in a tree (0: folded, or a layer)

    @once  # the total row sums every layer: once, not once per row
    def params(self) -> int:
        return sum(map(_PARAMS, self.layers))

    @once
    def macs(self) -> int:
        return sum(map(_MACS, self.layers))

    @once
    def flops(self) -> int:
        return sum(map(_FLOPS, self.layers))

    @once
    def physical_flops(self) -> int:
        return sum(map(_PHYSICAL_FLOPS, self.layers))

    @once
    def read(self) -> int:
        return sum(map(_READ, self.layers))

    @once
    def written(self) -> int:
        return sum(map(_WRITTEN, self.layers))

    @property
    def moved(self) -> int:
        return self.read + self.written

    @once
    def seconds(self) -> float | None:
        """Roofline time, summed; None without a device roofline."""
        times = [figures.time for figures in self.layers]
        if any(time is None for time in times):
            return None
        return sum(time.seconds for time in times if time is not None)

    @property
    def bound(self) -> str:
        """A layer's bound (compute, memory, `-` for a view); empty for a group."""
        time = self.layers[0].time
        return time.bound if self.group is None and time is not None else ""

    @property
    def intensity(self) -> float:
        """FLOPs (the default convention's) per byte moved, over the row's layers."""
        moved = self.moved
        return self.physical_flops / moved if moved else 0.0

    @property
    def inputs(self) -> tuple[Shape, ...]:
        return self.layers[0].layer.inputs

    @property
    def output(self) -> Shape:
        return self.layers[-1].layer.output

    @property
    def position(self) -> Position:
        """Where the group's use, or the layer, is written."""
        return self.group.position if self.group else self.layers[0].layer.position

    @property
    def costs_nothing(self) -> bool:
        return not (self.params or self.macs or self.flops or self.moved)


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # says its unit; `{share}` is replaced by what Share is a share of
    numeric: bool  # right-aligned
    timed: bool  # shown only with a device roofline
    cell: Callable[[Row, Table], str]


def _shape(shape: Sequence[int]) -> str:
    return "[" + ", ".join(str(size) for size in shape) + "]"


def _time(row: Row) -> str:
    seconds = row.seconds
    return "" if seconds is None else format_time(seconds)


COLUMNS: tuple[Column, ...] = (
    Column("layer", "Layer", False, False, lambda row, _table: row.branch + row.name),
    Column("op", "Op", False, False, lambda row, _table: row.op),
    Column(
        "input",
        "Input Shape",
        False,
        False,
        lambda row, _table: " ".join(_shape(shape) for shape in row.inputs),
    ),
    Column("output", "Output Shape", False, False, lambda row, _table: _shape(row.output)),
    Column("params", "Params", True, False, lambda row, _table: f"{row.params:,}"),
    Column("macs", "MACs", True, False, lambda row, _table: f"{row.macs:,}"),
    Column("flops", "FLOPs", True, False, lambda row, _table: f"{row.flops:,}"),
    Column("read", "Read (B)", True, False, lambda row, _table: format_bytes(row.read)),
    Column("written", "Written (B)", True, False, lambda row, _table: format_bytes(row.written)),
    Column("time", "Time (s)", True, True, lambda row, _table: _time(row)),
    Column("bound", "Bound", False, True, lambda row, _table: row.bound),
    Column("intensity", "FLOP/byte", True, True, lambda row, _table: f"{row.intensity:.1f}"),
    Column("share", "% of {share}", True, False, lambda row, table: table.percent(row)),
)

# To fit a terminal's width (text.table): columns dropped first, in this order; cells
# then shortened with …; and, when even that can't fit, these dropped last.
FIT_DROP = ("input", "intensity", "read", "written", "bound", "macs", "share")
FIT_SHORTEN = ("output", "op", "layer")
FIT_DROP_LAST = ("output", "op", "params")


@dataclass(frozen=True)
class Table:
    """What a per-layer report shows of one model, in any format."""

    columns: tuple[Column, ...]
    headers: tuple[str, ...]
    rows: tuple[Row, ...]
    total: Row  # every layer
    share: Measure
    hidden: int  # rows left out because they cost nothing
    tree: bool
    cut: int = 0  # rows past MAX_SHOWN_ROWS, left out (said below the table)

    def fraction(self, row: Row) -> float:
        """The row's share of the total of the share measure (0 when the total is 0)."""
        total = self.share.value(self.total)
        return self.share.value(row) / total if total else 0.0

    def percent(self, row: Row) -> str:
        return f"{100 * self.fraction(row):.1f}%" if self.share.value(self.total) else "-"

    def cells(self, row: Row) -> list[str]:
        return [column.cell(row, self) for column in self.columns]

    def total_cells(self) -> list[str]:
        """The totals row: sums over every layer, shown or hidden."""
        blank = ("op", "input", "output", "bound")
        return [
            "total" if column.key == "layer" else "" if column.key in blank else cell
            for column, cell in zip(self.columns, self.cells(self.total), strict=True)
        ]


@dataclass(frozen=True)
class _Node:
    """A group of the spec's nesting and what is kept under it."""

    row: Row
    children: tuple[_Item, ...]  # () when folded

    @property
    def costs_nothing(self) -> bool:
        return self.row.costs_nothing


# A layer stands for its own row until a row is shown: a table of 100,000 layers makes
# rows for the 5,000 it shows, not for every layer.
_Item = LayerFigures | _Node


def _layer_row(figures: LayerFigures, branch: str = "") -> Row:
    """A layer's row. Its level is the number of groups around it: a layer stands alone
    at the first level at which it is in no group (see _nodes)."""
    layer = figures.layer
    return Row(layer.name, layer.op, (figures,), None, len(layer.groups), branch)


def _nodes(layers: Sequence[LayerFigures], level: int, depth: int | None) -> list[_Item]:
    """The layers at `level`: each alone, or in runs of consecutive layers that share
    their group at that level (folded into it at `depth`)."""
    nodes: list[_Item] = []
    folded = depth is not None and level + 1 >= depth
    start, end = 0, len(layers)
    while start < end:
        figures = layers[start]
        groups = figures.layer.groups
        if len(groups) <= level:
            nodes.append(figures)
            start += 1
            continue
        group = groups[level]
        stop = start + 1
        while stop < end:
            around = layers[stop].layer.groups
            if len(around) <= level or around[level].serial != group.serial:
                break
            stop += 1
        members = tuple(layers[start:stop])
        children = () if folded else tuple(_nodes(members, level + 1, depth))
        nodes.append(_Node(Row(group.name, group.kind, members, group, level), children))
        start = stop
    return nodes


def _costing(nodes: Sequence[_Item]) -> list[_Item]:
    """The nodes that cost something, at every level."""
    return [
        node if isinstance(node, LayerFigures) else _Node(node.row, tuple(_costing(node.children)))
        for node in nodes
        if not node.costs_nothing
    ]


# Rows a per-layer table shows at most: a report of 100,000 layers stays readable and
# quick in every format; the rest are counted below it (JSON's `layers` lists them all).
MAX_SHOWN_ROWS = 5_000


def _leaves(nodes: Sequence[_Item]) -> Iterator[LayerFigures | Row]:
    """A flat table's rows: layers, and groups folded; a layer not yet made a row."""
    for node in nodes:
        if isinstance(node, LayerFigures):
            yield node
        elif node.children:
            yield from _leaves(node.children)
        else:
            yield node.row


def _count(nodes: Sequence[_Item], tree: bool) -> int:
    """The rows of a tree (every node) or of a flat table (its leaves)."""
    count = len(nodes)
    for node in nodes:
        if type(node) is _Node and node.children:  # its members' rows, with or without it
            count += _count(node.children, tree) - (not tree)
    return count


def _drawn(nodes: Sequence[_Item], indent: str = "", top: bool = True) -> Iterator[Row]:
    """Pre-order, drawn as torchinfo does: members under their group, `├─ ` and `└─ `."""
    for index, node in enumerate(nodes):
        last = index == len(nodes) - 1
        branch = "" if top else indent + ("└─ " if last else "├─ ")
        if isinstance(node, LayerFigures):
            yield _layer_row(node, branch)
            continue
        row = node.row
        yield Row(row.name, row.op, row.layers, row.group, row.level, branch, len(node.children))
        below = "" if top else indent + ("   " if last else "│  ")
        yield from _drawn(node.children, below, False)


def _shown_count(rows: int, top: int | None) -> int:
    """Rows left by --top (as a slice `[:top]` leaves them), then at most MAX_SHOWN_ROWS."""
    return min(len(range(rows)[:top]), MAX_SHOWN_ROWS)


def table(
    seen: ModelFigures,
    *,
    depth: int | None = None,
    tree: bool = False,
    show_all: bool = False,
    sort: str = ORDER,
    top: int | None = None,
) -> Table:
    """The rows to show: folded to `depth` levels, as a tree or flat, sorted, cut to `top`
    and to MAX_SHOWN_ROWS. Rows are made for the rows shown only: the first ones in the
    model's order, or the smallest by the sort's key (heapq.nsmallest, which is
    sorted()[:n], ties in the model's order as a stable sort leaves them)."""
    timed = seen.roofline is not None
    every = _nodes(seen.layers, 0, depth)
    kept = every if show_all else _costing(every)
    count = _count(kept, tree)
    hidden = 0 if show_all else _count(every, tree) - count
    share = share_measure(sort, timed)
    left = len(range(count)[:top])  # after --top
    shown = _shown_count(count, top)
    rows: list[Row]
    if sort == ORDER:
        first = _drawn(kept) if tree else _leaves(kept)
        rows = [_row(item) for item in islice(first, shown)]
    else:
        measure = MEASURES[sort]
        items: list[LayerFigures | Row] = list(_drawn(kept) if tree else _leaves(kept))
        chosen = heapq.nsmallest(shown, items, key=lambda item: -measure.value(item))
        rows = [_row(item) for item in chosen]
    columns = tuple(column for column in COLUMNS if timed or not column.timed)
    headers = tuple(column.header.format(share=share.title) for column in columns)
    total = Row("total", "", seen.layers)
    return Table(columns, headers, tuple(rows), total, share, hidden, tree, left - shown)


def _row(item: LayerFigures | Row) -> Row:
    return _layer_row(item) if isinstance(item, LayerFigures) else item


class Choices(Protocol):
    """What a run asked of its report tables (render.formats.RenderOptions has these)."""

    @property
    def depth(self) -> int | None: ...
    @property
    def tree(self) -> bool: ...
    @property
    def show_all(self) -> bool: ...
    @property
    def sort(self) -> str: ...
    @property
    def top(self) -> int | None: ...


def chosen(seen: ModelFigures, choices: Choices, *, default_depth: int | None = None) -> Table:
    """table() with the run's choices; `default_depth` where the format folds by default."""
    return table(
        seen,
        depth=choices.depth or default_depth,
        tree=choices.tree,
        show_all=choices.show_all,
        sort=choices.sort,
        top=choices.top,
    )
