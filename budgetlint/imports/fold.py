"""Write an imported tree as a readable spec: module paths kept as names, repeated
structure folded into parameterised blocks and `repeat`.

Names: a combinator is named after the longest module path its layers share, and
every name is written relative to its container, so that the expander rebuilds the
exporter's names (`layer1.0.conv1`). Grouping follows the module hierarchy: the
layers of `layer1.0` form one group; groups with the same structure (attribute
values aside) become one block, the values that differ between its uses its
parameters; consecutive uses `0, 1, ...` of a block with equal arguments become a
`repeat`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from budgetlint.engine.ops import COMBINATORS, OPS
from budgetlint.imports.graph import ImportedGraph
from budgetlint.imports.structure import Item, LayerItem


@dataclass(frozen=True)
class Leaf:
    name: str  # absolute
    op: str
    attrs: Mapping[str, Any]
    module: bool = False  # the same module object is called more than once
    functional: bool = False


@dataclass(frozen=True)
class Combinator:
    name: str  # absolute: the module path its layers share
    kind: str  # residual | parallel
    branches: tuple[tuple[Node, ...], ...]  # residual: (body, shortcut)
    merge: str = "add"
    axis: int = 1


@dataclass(frozen=True)
class Group:
    name: str  # absolute module path
    items: tuple[Node, ...]


Node = Leaf | Combinator | Group


def _common(names: list[str]) -> str:
    if not names:
        return ""
    parts = [name.split(".") for name in names]
    shared: list[str] = []
    for segments in zip(*parts, strict=False):
        if len(set(segments)) != 1:
            break
        shared.append(segments[0])
    return ".".join(shared)


def _leaf_names(nodes: tuple[Node, ...]) -> list[str]:
    names: list[str] = []
    for node in nodes:
        if isinstance(node, Leaf):
            names.append(node.name)
        elif isinstance(node, Combinator):
            for branch in node.branches:
                names.extend(_leaf_names(branch))
        else:
            names.extend(_leaf_names(node.items))
    return names


def to_nodes(items: tuple[Item, ...], repeated: frozenset[str]) -> tuple[Node, ...]:
    nodes: list[Node] = []
    for item in items:
        if isinstance(item, LayerItem):
            step = item.step
            nodes.append(
                Leaf(step.name, step.op, step.attrs, step.name in repeated, step.functional)
            )
            continue
        branches = tuple(to_nodes(branch, repeated) for branch in item.branches)
        step = item.step
        if step.op == "add" and len(branches) == 2:
            body, shortcut = branches
            if not body and shortcut:
                body, shortcut = shortcut, body
            kind, branches = "residual", (body, shortcut)
        else:
            kind = "parallel"
        inner = [n for branch in branches for n in _leaf_names(branch)]
        name = _common(inner) if inner else step.name
        nodes.append(Combinator(name, kind, branches, step.op, step.axis))
    return tuple(nodes)


def _repeated_names(items: tuple[Item, ...]) -> frozenset[str]:
    """Names of modules called more than once: the same name, op and attributes (a ReLU)."""
    seen: dict[str, int] = {}
    calls: dict[str, set[tuple[str, str]]] = {}

    def walk(series: tuple[Item, ...]) -> None:
        for item in series:
            if isinstance(item, LayerItem):
                step = item.step
                seen[step.name] = seen.get(step.name, 0) + 1
                calls.setdefault(step.name, set()).add((step.op, repr(dict(step.attrs))))
            else:
                for branch in item.branches:
                    walk(branch)

    walk(items)
    return frozenset(name for name, count in seen.items() if count > 1 and len(calls[name]) == 1)


def _node_name(node: Node) -> str:
    return node.name


def _below(name: str, prefix: str) -> bool:
    return not prefix or name.startswith(f"{prefix}.")


def group(nodes: tuple[Node, ...], prefix: str) -> tuple[Node, ...]:
    """Consecutive nodes under the same next module-path segment form a group."""
    out: list[Node] = []
    index = 0
    while index < len(nodes):
        node = nodes[index]
        key = _segment(_node_name(node), prefix)
        end = index + 1
        while key and end < len(nodes) and _segment(_node_name(nodes[end]), prefix) == key:
            end += 1
        path = f"{prefix}.{key}" if prefix else key
        run = nodes[index:end]
        if key and len(run) > 1 and any(_node_name(n) != path for n in run):
            out.append(Group(path, group(run, path)))
        elif key and len(run) == 1 and isinstance(run[0], Combinator) and run[0].name == path:
            out.append(Group(path, run))  # a module that is one sum or concat (a dense layer)
        else:
            out.extend(run)
        index = end
    return tuple(out)


def _segment(name: str, prefix: str) -> str:
    if not _below(name, prefix) or name == prefix:
        return ""
    rest = name[len(prefix) + 1 :] if prefix else name
    return rest.split(".", 1)[0]


# -- blocks --------------------------------------------------------------------------


def _relative(name: str, prefix: str) -> str | None:
    if name == prefix:
        return ""
    if not prefix:
        return name
    if name.startswith(f"{prefix}."):
        return name[len(prefix) + 1 :]
    return None


def _scalar_param(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def signature(node: Node, prefix: str) -> Any:
    """The structure with parameterisable values left out."""
    relative = _relative(node.name, prefix)
    if isinstance(node, Leaf):
        attrs = tuple(
            (key, None if _scalar_param(value) else repr(value))
            for key, value in node.attrs.items()
        )
        return ("leaf", relative, node.op, attrs, node.module, node.functional)
    if isinstance(node, Combinator):
        return (
            node.kind,
            relative,
            node.merge,
            node.axis,
            tuple(tuple(signature(n, node.name) for n in branch) for branch in node.branches),
        )
    return ("group", relative, tuple(signature(n, node.name) for n in node.items))


def values(node: Node) -> list[Any]:
    """The parameterisable values, in the order `signature` leaves them out."""
    if isinstance(node, Leaf):
        return [value for value in node.attrs.values() if _scalar_param(value)]
    if isinstance(node, Combinator):
        return [v for branch in node.branches for n in branch for v in values(n)]
    return [v for n in node.items for v in values(n)]


def positions(node: Node, path: str = "") -> list[str]:
    """A readable name for each parameterisable value: its attribute, after its layer."""
    if isinstance(node, Leaf):
        label = node.name.rsplit(".", 1)[-1] if node.name else node.op
        return [f"{label}_{key}|{key}" for key, value in node.attrs.items() if _scalar_param(value)]
    if isinstance(node, Combinator):
        return [p for branch in node.branches for n in branch for p in positions(n)]
    return [p for n in node.items for p in positions(n)]


@dataclass(frozen=True)
class Block:
    name: str
    template: Group
    params: tuple[str, ...]  # parameter names
    slots: tuple[int | None, ...]  # for each value: its parameter's index, None when literal
    literals: tuple[Any, ...]  # for each value: the literal used when it is no parameter
    uses: Mapping[str, tuple[Any, ...]]  # group path → its arguments


def _snake(text: str) -> str:
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    return re.sub(r"[^a-z0-9_]", "_", text.lower()).strip("_") or "block"


def _identifier(text: str) -> str:
    """A parameter name the expression evaluator reads: `0.out` → `m0_out`."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", text)
    return name if re.match(r"[A-Za-z_]", name) else f"m{name}"


def find_blocks(nodes: tuple[Node, ...], classes: Mapping[str, str]) -> list[Block]:
    by_signature: dict[Any, list[Group]] = {}

    def collect(series: tuple[Node, ...]) -> None:
        for node in series:
            if isinstance(node, Group):
                by_signature.setdefault(signature(node, node.name), []).append(node)
                collect(node.items)

    collect(nodes)
    blocks: list[Block] = []
    taken = set(OPS) | set(COMBINATORS) | {"arch", "name", "module", "functional"}
    claimed: set[str] = set()
    for groups in by_signature.values():
        if len(groups) < 2 or any(g.name in claimed for g in groups):
            continue
        # inner groups of a block are part of it, not blocks of their own
        for g in groups:
            claimed.update(_inner_groups(g))
        rows = [values(g) for g in groups]
        labels = positions(groups[0])
        columns = list(zip(*rows, strict=True)) if rows[0] else []
        params: list[str] = []
        param_columns: list[tuple[Any, ...]] = []
        slots: list[int | None] = []
        for label, column in zip(labels, columns, strict=True):
            if len(set(column)) == 1:
                slots.append(None)
                continue
            if column in param_columns:
                slots.append(param_columns.index(column))
                continue
            long_name, short_name = label.split("|")
            name = short_name if short_name not in params else _identifier(long_name)
            while name in params:
                name += "_"
            params.append(name)
            param_columns.append(column)
            slots.append(len(params) - 1)
        base = _snake(classes.get(groups[0].name, "")) if classes.get(groups[0].name) else "block"
        name = base
        number = 2 if base != "block" else 1
        if base == "block":
            name = f"block_{number}"
        while name in taken:
            number += 1
            name = f"{base}_{number}"
        taken.add(name)
        uses = {g.name: tuple(col[i] for col in param_columns) for i, g in enumerate(groups)}
        literals = tuple(column[0] for column in columns)
        blocks.append(Block(name, groups[0], tuple(params), tuple(slots), literals, uses))
    return blocks


def _inner_groups(group: Group) -> set[str]:
    found: set[str] = set()
    for node in group.items:
        if isinstance(node, Group):
            found.add(node.name)
            found.update(_inner_groups(node))
    return found


def _numbered(node: Group) -> tuple[str, int] | None:
    """The stem and first number of children named `<stem><n>, <stem><n+1>, ...`
    (`0, 1, ...`: no stem; `denselayer1, denselayer2, ...`)."""
    names = []
    for child in node.items:
        if not isinstance(child, Group) or not child.name.startswith(f"{node.name}."):
            return None
        names.append(child.name[len(node.name) + 1 :])
    found = re.fullmatch(r"([A-Za-z_]*)(\d+)", names[0]) if names else None
    if found is None:
        return None
    stem, start = found.group(1), int(found.group(2))
    expected = [f"{stem}{start + turn}" for turn in range(len(names))]
    return (stem, start) if names == expected and str(start) == found.group(2) else None


# -- the spec --------------------------------------------------------------------------


class _Writer:
    def __init__(self, blocks: list[Block]) -> None:
        self.blocks = {name: block for block in blocks for name in block.uses}
        self.slots: list[int | None] | None = None  # while writing a block's template
        self.params: tuple[str, ...] = ()
        self.cursor = 0

    def leaf(self, node: Leaf, prefix: str) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        for key, value in node.attrs.items():
            if self.slots is not None and _scalar_param(value):
                slot = self.slots[self.cursor]
                self.cursor += 1
                attrs[key] = f"${{{self.params[slot]}}}" if slot is not None else value
            else:
                attrs[key] = value
        item: dict[str, Any] = {}
        relative = _relative(node.name, prefix)
        if relative:  # an op's name can't be empty: one named like its group keeps a path
            item["name"] = relative
        if node.module and relative:
            item["module"] = relative
        if node.functional:
            item["functional"] = True
        item[node.op] = attrs or None
        return item

    def series(self, nodes: tuple[Node, ...], prefix: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for node in nodes:
            out.extend(self.node(node, prefix))
        return out

    def node(self, node: Node, prefix: str) -> list[dict[str, Any]]:
        if isinstance(node, Leaf):
            return [self.leaf(node, prefix)]
        relative = _relative(node.name, prefix)
        named: dict[str, Any] = {"name": relative} if relative is not None else {}
        if isinstance(node, Combinator):
            inner = node.name if relative is not None else prefix
            if node.kind == "residual":
                body: dict[str, Any] = {"body": self.series(node.branches[0], inner)}
                if node.branches[1]:
                    body["shortcut"] = self.series(node.branches[1], inner)
                return [{**named, "residual": body}]
            spec: dict[str, Any] = {"merge": node.merge}
            if node.merge == "concat" and node.axis != 1:
                spec["axis"] = node.axis
            spec["branches"] = [self.series(branch, inner) for branch in node.branches]
            return [{**named, "parallel": spec}]
        block = self.blocks.get(node.name)
        if block is not None and self.slots is None and relative is not None:
            return [self.use(block, node, relative)]
        repeat = self.repeat(node, relative)
        if repeat is not None:
            return [repeat]
        return self.series(node.items, prefix)

    def use(self, block: Block, node: Group, relative: str) -> dict[str, Any]:
        arguments = dict(zip(block.params, block.uses[node.name], strict=True))
        return {"name": relative, block.name: arguments or None}

    def repeat(self, node: Group, relative: str | None) -> dict[str, Any] | None:
        """`layer1` of identical block uses `layer1.0`, `layer1.1`, ...: a repeat; uses
        named `denselayer1`, `denselayer2`, ... a repeat whose turns are named so."""
        if relative is None or self.slots is not None:
            return None
        numbered = _numbered(node)
        if numbered is None:
            return None
        stem, start = numbered
        uses = []
        for child in node.items:
            block = self.blocks.get(child.name)
            if block is None:
                return None
            uses.append((block.name, block.uses[child.name]))
        if len(uses) < 2 or len(set(uses)) != 1:
            return None
        block = self.blocks[node.items[0].name]
        arguments = dict(zip(block.params, uses[0][1], strict=True))
        body: dict[str, Any] = {block.name: arguments or None}
        repeat: dict[str, Any] = {"times": len(uses)}
        if start:
            repeat["start"] = start
        if stem:
            body = {"name": f"{stem}${{turn}}", **body}
        repeat["body"] = [body]
        return {"name": relative, "repeat": repeat}

    def template(self, block: Block) -> dict[str, Any]:
        self.slots, self.params, self.cursor = list(block.slots), block.params, 0
        layers = self.series(block.template.items, block.template.name)
        self.slots = None
        definition: dict[str, Any] = {}
        cls = block.template.name
        if block.params:
            definition["params"] = {name: None for name in block.params}
        definition["layers"] = layers
        del cls
        return definition


def to_spec(graph: ImportedGraph, items: tuple[Item, ...], source: str) -> dict[str, Any]:
    nodes = group(to_nodes(items, _repeated_names(items)), "")
    blocks = find_blocks(nodes, graph.classes)
    writer = _Writer(blocks)
    spec: dict[str, Any] = {"version": 1, "name": graph.name, "source": source}
    spec["input"] = list(graph.input)
    if blocks:
        spec["blocks"] = {block.name: writer.template(block) for block in blocks}
    spec["layers"] = writer.series(nodes, "")
    return spec
