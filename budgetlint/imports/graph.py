"""What every importer makes: a flat graph of our ops in execution order, with real names.

`structure` turns it into residual/parallel trees and `fold` into a spec with
blocks and repeats; `verify` compares two of them layer by layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from budgetlint.engine.cost import Shape

MERGES = ("add", "mul", "concat", "matmul")  # the parallel combinator's merges
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
