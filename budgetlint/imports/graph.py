"""What every importer makes: a flat graph of our ops in execution order, with real names.

`structure` turns it into residual/parallel trees and `fold` into a spec with
blocks and repeats; `verify` compares two of them layer by layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from budgetlint.engine.cost import OpCost, ShapeError
from budgetlint.engine.ops import OPS
from budgetlint.engine.ops.attrs import AttrError, coerce
from budgetlint.engine.ops.merge import MERGES
from budgetlint.graph import Shape

INPUT = 0  # the key of the model's input in Step.inputs


@dataclass(frozen=True)
class Step:
    key: int  # 1, 2, ... in execution order
    op: str  # an op of OPS, or one of MERGES
    attrs: Mapping[str, Any]  # as a spec writes them: attributes at their default left out
    inputs: tuple[int, ...]  # the steps whose outputs it reads (INPUT: the model's input)
    output: Shape
    name: str  # the module path when the exporter kept it, else the node's name
    axis: int = 1  # concat's axis
    source: str = ""  # the node(s) of the original graph it comes from
    free: bool = False  # an unknown op let through by --allow-unknown, counted as free
    functional: bool = False  # called as a function, not a module (torch.nn.functional.relu)


@dataclass(frozen=True)
class ImportedGraph:
    name: str
    input: Shape
    steps: tuple[Step, ...]
    output: int  # the key of the step that makes the model's output
    classes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    notices: tuple[str, ...] = ()  # said to the user: a symbolic batch taken as 1, ...
    input_name: str = "input"


class Unsupported(Exception):
    """A node or call that our ops can't express; the message says why."""


def apply_op(op: str, attrs: Mapping[str, Any], shape: Shape) -> tuple[OpCost, dict[str, Any]]:
    """Run `op` on one input: its cost, and the attributes worth writing (not defaults)."""
    definition = OPS[op]
    full: dict[str, Any] = {}
    for attr in definition.attrs:
        try:
            full[attr.name] = coerce(attr, attrs[attr.name]) if attr.name in attrs else attr.default
        except AttrError as error:
            raise Unsupported(f"{op}.{attr.name}: {error}") from None
    try:
        cost = definition.fn((shape,), MappingProxyType(full))
    except (ShapeError, AttrError) as error:
        raise Unsupported(f"as {op} on {list(shape)}: {error}") from None
    kept = {}
    for key, value in attrs.items():
        known = definition.attr(key)
        if known is not None and (known.required or full[key] != known.default):
            kept[key] = value
    return cost, kept


def op_step(
    key: int,
    op: str,
    attrs: Mapping[str, Any],
    source: tuple[int, Shape],
    name: str,
    origin: str,
    functional: bool = False,
) -> Step:
    """Step `key`: `op` of OPS on the (step, shape) of its one input (apply_op's cost)."""
    step, shape = source
    cost, kept = apply_op(op, attrs, shape)
    return Step(
        key=key,
        op=op,
        attrs=MappingProxyType(kept),
        inputs=(step,),
        output=cost.output,
        name=name,
        source=origin,
        functional=functional,
    )


def merge_step(
    key: int,
    how: str,
    sources: tuple[tuple[int, Shape], ...],
    name: str,
    source: str,
    axis: int = 1,
) -> Step:
    """Step `key`: one of MERGES over the (step, shape) of its inputs."""
    try:
        cost = MERGES[how](tuple(shape for _, shape in sources), axis)
    except ShapeError as error:
        raise Unsupported(str(error)) from None
    rank = len(cost.output)
    return Step(
        key=key,
        op=how,
        attrs=MappingProxyType({}),
        inputs=tuple(step for step, _ in sources),
        output=cost.output,
        name=name,
        axis=axis % rank if rank else axis,
        source=source,
    )
