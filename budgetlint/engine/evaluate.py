"""Walk an architecture, infer every shape and cost every layer."""

from __future__ import annotations

from dataclasses import dataclass

from budgetlint.engine.conventions import Convention
from budgetlint.engine.cost import OpCost, Shape, ShapeError
from budgetlint.engine.ops import OPS, merge
from budgetlint.engine.ops.attrs import AttrError
from budgetlint.graph import Architecture, Layer, Node, Residual
from budgetlint.problems import Position, fail


@dataclass(frozen=True)
class LayerReport:
    name: str
    op: str
    position: Position
    inputs: tuple[Shape, ...]
    output: Shape
    params: int  # as the convention counts them
    learnable: int
    buffers: int
    macs: int
    flops: int


@dataclass(frozen=True)
class ModelReport:
    name: str
    source: str
    input: Shape
    convention: str
    layers: tuple[LayerReport, ...]

    @property
    def params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def learnable(self) -> int:
        return sum(layer.learnable for layer in self.layers)

    @property
    def buffers(self) -> int:
        return sum(layer.buffers for layer in self.layers)

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def flops(self) -> int:
        return sum(layer.flops for layer in self.layers)

    @property
    def output(self) -> Shape:
        return self.layers[-1].output if self.layers else self.input

    def size_bytes(self, bits_per_value: int) -> int:
        """Storage of params and buffers; sub-byte types pack, rounded up to a byte."""
        return -(-(self.learnable + self.buffers) * bits_per_value // 8)


def evaluate(architecture: Architecture, convention: Convention) -> ModelReport:
    """Cost every layer; raises SpecError at the first layer whose shapes don't fit."""
    walker = _Walker(convention)
    walker.run(architecture.layers, architecture.input)
    return ModelReport(
        architecture.name,
        architecture.source,
        architecture.input,
        convention.name,
        tuple(walker.rows),
    )


class _Walker:
    def __init__(self, convention: Convention) -> None:
        self.convention = convention
        self.rows: list[LayerReport] = []

    def run(self, nodes: tuple[Node, ...], shape: Shape) -> Shape:
        for node in nodes:
            shape = self.node(node, shape)
        return shape

    def node(self, node: Node, shape: Shape) -> Shape:
        if isinstance(node, Layer):
            return self.layer(node, shape)
        if isinstance(node, Residual):
            body = self.run(node.body, shape)
            shortcut = self.run(node.shortcut, shape)
            return self.merge(node.name, node.position, "add", (body, shortcut), 1)
        outputs = tuple(self.run(branch, shape) for branch in node.branches)
        return self.merge(node.name, node.position, node.merge, outputs, node.axis)

    def layer(self, layer: Layer, shape: Shape) -> Shape:
        try:
            cost = OPS[layer.op].fn((shape,), layer.attrs)
        except (ShapeError, AttrError) as error:
            code = "shape" if isinstance(error, ShapeError) else "layer.attr_value"
            raise fail(
                layer.position, code, f"{layer.name} ({layer.op}) on {list(shape)}: {error}"
            ) from None
        self.record(layer.name, layer.op, layer.position, (shape,), cost)
        return cost.output

    def merge(
        self, name: str, position: Position, how: str, inputs: tuple[Shape, ...], axis: int
    ) -> Shape:
        try:
            if how == "add":
                cost = merge.add(inputs)
            elif how == "mul":
                cost = merge.mul(inputs)
            else:
                cost = merge.concat(inputs, axis)
        except ShapeError as error:
            raise fail(position, "shape", f"{name}: {error}") from None
        self.record(f"{name}.{how}", how, position, inputs, cost)
        return cost.output

    def record(
        self, name: str, op: str, position: Position, inputs: tuple[Shape, ...], cost: OpCost
    ) -> None:
        self.rows.append(
            LayerReport(
                name=name,
                op=op,
                position=position,
                inputs=inputs,
                output=cost.output,
                params=self.convention.params(cost),
                learnable=cost.params,
                buffers=cost.buffers,
                macs=cost.macs,
                flops=self.convention.flops(cost),
            )
        )
