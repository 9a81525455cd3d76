"""Recover series, residual and parallel structure from an imported graph.

Each merge (add, mul, concat, matmul) joins branches that fork at its immediate
dominator: the nearest step that every path from the input to the merge goes
through. Walking back from the output, a single-input step extends the series;
a merge becomes a combinator whose branches are the series from that dominator to
each of its inputs. A graph in which some step would be needed by two branches
(a DenseNet's concatenations of all earlier features) can't be written as a spec
without computing it twice, and is refused by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from budgetlint.engine.ops.merge import MERGES
from budgetlint.imports.graph import INPUT, ImportedGraph, Step
from budgetlint.problems import Position, fail

MAX_NESTING = 64


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


def build_tree(graph: ImportedGraph, where: Position) -> tuple[Item, ...]:
    """The model as a series of items; SpecError when it isn't series-parallel."""
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
