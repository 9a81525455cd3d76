"""Recover series, residual and parallel structure from an imported graph.

Each merge (add, mul, concat, matmul) joins branches that fork at its immediate
dominator: the nearest step that every path from the input to the merge goes
through. Walking back from the output, a single-input step extends the series;
a merge becomes a combinator whose branches are the series from that dominator to
each of its inputs. A graph in which some step would be needed by two branches
can't be written as a spec without computing it twice, and is refused by name.

A DenseNet's layers each concatenate all earlier features, `cat(x0, n1, ..., nk)`:
the same tensor as `cat(cat(x0, ..., nk-1), nk)`, the running feature map that the
layer before concatenated. Rewritten so, before anything else, every dense layer is
one parallel of the running map and the layer's new features.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from budgetlint.engine.ops.merge import MERGES
from budgetlint.imports.graph import INPUT, ImportedGraph, Step
from budgetlint.problems import Position, fail

MAX_NESTING = 64
CONCAT = "concat"  # the merge whose inputs can be regrouped


@dataclass(frozen=True)
class LayerItem:
    step: Step


@dataclass(frozen=True)
class MergeItem:
    step: Step  # the merge itself: its op is one of MERGES
    branches: tuple[tuple[Item, ...], ...]  # one per input, in the merge's input order


Item = LayerItem | MergeItem


def _dominators(steps: dict[int, Step], order: list[int]) -> dict[int, int]:
    idom: dict[int, int] = {}
    depth = {INPUT: 0}
    for key in order:
        inputs = steps[key].inputs
        common = inputs[0]
        for other in inputs[1:]:
            left, right = common, other
            while left != right:
                while depth[left] > depth[right]:
                    left = idom[left]
                while depth[right] > depth[left]:
                    right = idom[right]
                if left != right:
                    left, right = idom[left], idom[right]
            common = left
        idom[key] = common
        depth[key] = depth[common] + 1
    return idom


def _live(graph: ImportedGraph) -> list[int]:
    steps = {step.key: step for step in graph.steps}
    seen = {graph.output} if graph.output != INPUT else set()
    stack = [graph.output] if graph.output != INPUT else []
    while stack:
        for source in steps[stack.pop()].inputs:
            if source != INPUT and source not in seen:
                seen.add(source)
                stack.append(source)
    return sorted(seen)


def running_concats(graph: ImportedGraph) -> ImportedGraph:
    """Each concat whose inputs begin with all the inputs of an earlier concat (along the
    same axis) reads that concat instead; a concat of one tensor is that tensor."""
    alias: dict[int, int] = {}
    seen: dict[tuple[int, tuple[int, ...]], int] = {}  # (axis, inputs) → the concat's key
    steps: list[Step] = []
    for step in graph.steps:
        inputs = tuple(alias.get(source, source) for source in step.inputs)
        if step.op == CONCAT and len(inputs) == 1:
            alias[step.key] = inputs[0]
            continue
        if step.op == CONCAT:
            seen.setdefault((step.axis, inputs), step.key)
            for cut in range(len(inputs) - 1, 1, -1):
                earlier = seen.get((step.axis, inputs[:cut]))
                if earlier is not None:
                    inputs = (earlier, *inputs[cut:])
                    break
        steps.append(replace(step, inputs=inputs) if inputs != step.inputs else step)
    if not alias and all(a is b for a, b in zip(steps, graph.steps, strict=False)):
        return graph
    output = alias.get(graph.output, graph.output)
    return replace(graph, steps=tuple(steps), output=output)


def build_tree(graph: ImportedGraph, where: Position) -> tuple[Item, ...]:
    """The model as a series of items; SpecError when it isn't series-parallel."""
    graph = running_concats(graph)
    steps = {step.key: step for step in graph.steps}
    order = _live(graph)
    idom = _dominators(steps, order)
    emitted: set[int] = set()

    def series(stop: int, end: int, nesting: int) -> tuple[Item, ...]:
        if nesting > MAX_NESTING:
            raise fail(where, "import.structure", f"branches nested more than {MAX_NESTING} deep")
        items: list[Item] = []
        current = end
        while current != stop:
            if current == INPUT:
                raise fail(where, "import.structure", "a branch doesn't start where it forks")
            step = steps[current]
            if current in emitted:
                raise fail(
                    where,
                    "import.structure",
                    f"'{step.name}' ({step.source}) feeds branches that don't rejoin in series; "
                    "a spec would compute it twice",
                )
            emitted.add(current)
            if step.op in MERGES and len(step.inputs) > 1:
                fork = idom[current]
                branches = tuple(series(fork, source, nesting + 1) for source in step.inputs)
                items.append(MergeItem(step, branches))
                current = fork
            else:
                items.append(LayerItem(step))
                current = step.inputs[0]
        items.reverse()
        return tuple(items)

    return series(INPUT, graph.output, 0)
