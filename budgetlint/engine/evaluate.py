"""Walk an architecture, infer every shape, cost every layer, and track live tensors."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase

from budgetlint.engine.backward import backward_flops, recompute_flops
from budgetlint.engine.conventions import DEFAULT, Convention
from budgetlint.engine.cost import TENSOR_ROLES, OpCost, ShapeError, numel
from budgetlint.engine.cost import Tensor as StoredTensor
from budgetlint.engine.lora import adapter_params, adapter_saves, adapters, with_adapters
from budgetlint.engine.ops import FREE_OPS, OPS, merge
from budgetlint.engine.ops.attrs import AttrError
from budgetlint.engine.saved import MERGE_SAVES, SAVES, Saved
from budgetlint.graph import Architecture, Group, Layer, Lora, Node, Parallel, Residual, Shape
from budgetlint.problems import Position, fail, short_repr


@dataclass(frozen=True, slots=True)
class Live:
    """The tensors alive while a layer runs, summed in constant space: their elements,
    and how many have each remainder of elements mod 8, which is all that packing them
    at any bit width needs (ceil(e·bits/8) = (e·bits + (−(e mod 8)·bits mod 8)) / 8)."""

    elements: int = 0
    by_remainder: tuple[int, ...] = (0,) * 8

    def bytes(self, bits: int) -> int:
        """Σ ceil(e·bits/8) over the live tensors, each packed on its own."""
        padding = sum(
            count * (-remainder * bits % 8) for remainder, count in enumerate(self.by_remainder)
        )
        return (self.elements * bits + padding) // 8


NOTHING_LIVE = Live()


@dataclass(frozen=True, slots=True)
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
    flops: int  # as the convention counts them
    physical_flops: int  # the default convention's count, for time estimates
    alias: bool = False  # a view of its input (an op of FREE_OPS): no new tensor
    weights_read: int | None = None  # weight elements read, when not all (a gather)
    state_read: int = 0  # persistent state read (a KV cache)
    live: Live = NOTHING_LIVE  # the tensors alive while it runs
    state_held: int = 0  # persistent state kept for the next step (a KV cache)
    tensors: tuple[StoredTensor, ...] = ()  # its params and buffers, named; () in hand-made rows
    groups: tuple[Group, ...] = ()  # the spec's nesting around it, outermost first
    trainable: int = 0  # learnable params that train
    backward_flops: int = 0  # its gradients' FLOPs, at the convention's prices
    recompute_flops: int = 0  # the attention core again, under selective recomputation
    unit: str = ""  # the repeated block it belongs to ("" outside any)

    def weight_tensors(self) -> tuple[StoredTensor, ...]:
        """Its tensors, or for a row made without them one of all its params and buffers."""
        if self.tensors:
            return self.tensors
        stored = self.learnable + self.buffers
        return (StoredTensor("weight", "learned", (stored,), self.weights_read),) if stored else ()


@dataclass(frozen=True, slots=True)
class SavedTensor:
    """A tensor the forward keeps for the backward, counted once."""

    kind: str  # "activation" (at the activation dtype) or another kind of SAVED_BITS
    elements: int
    layer: str  # the first layer that saves it
    unit: str = ""  # that layer's repeated block
    core: bool = False  # recomputed under selective recomputation
    tensor: int = 0  # the graph tensor's identity (0: made inside an op)


@dataclass(frozen=True)
class ModelReport:
    name: str
    source: str
    input: Shape
    convention: str
    layers: tuple[LayerReport, ...]
    saved: tuple[SavedTensor, ...] = ()  # what the forward keeps for a training step
    unit_inputs: tuple[SavedTensor, ...] = ()  # each repeated block's input tensor
    output_tensor: int = 0  # identity of the output, which the loss reads

    @property
    def trainable(self) -> int:
        return sum(layer.trainable for layer in self.layers)

    @property
    def backward_flops(self) -> int:
        return sum(layer.backward_flops for layer in self.layers)

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
        """Storage of params and buffers; sub-byte types pack, rounded up to a byte. Tensors
        of a fixed width (int64 indices) are stored at it, whatever `bits_per_value`."""
        fixed = [
            (tensor.elements, bits)
            for layer in self.layers
            for tensor in layer.tensors
            if (bits := TENSOR_ROLES[tensor.role].bits) is not None
        ]
        elements = self.learnable + self.buffers - sum(count for count, _ in fixed)
        fixed_bytes = -(-sum(count * bits for count, bits in fixed) // 8)
        return -(-elements * bits_per_value // 8) + fixed_bytes


MAX_RANK = 16  # dimensions of a tensor
MAX_FIGURE = 10**30  # elements of a tensor, and params, MACs, FLOPs of one layer


def _bounded(figures: dict[str, int], rank: int, name: str, position: Position) -> None:
    """Beyond any real model (and any budget, which stops at 10^30 too): refused where it
    starts, so that every total stays exact in a float's range and prints in any format."""
    if rank > MAX_RANK:
        raise fail(
            position, "shape.rank", f"{name}: a tensor of {rank} dimensions: at most {MAX_RANK}"
        )
    for what, value in figures.items():
        if value > MAX_FIGURE:
            raise fail(
                position,
                "figure.too_large",
                f"{name}: {short_repr(value)} {what}, more than 10^30: refused",
            )


def evaluate(architecture: Architecture, convention: Convention) -> ModelReport:
    """Cost every layer; raises SpecError at the first layer whose shapes don't fit."""
    batch = architecture.input[0] if convention.per_sample and architecture.input else 1
    walker = _Walker(
        convention,
        architecture.trainable,
        frozenset(architecture.units),
        max(batch, 1),
        architecture.lora,
    )
    shape = architecture.input
    _bounded({"input elements": numel(shape)}, len(shape), "input", architecture.position)
    tensor = walker.new(shape, grad=False)
    output = walker.run(architecture.layers, tensor)
    rows = tuple(walker.rows)
    if convention.last_call_only:
        rows = _last_calls_only(rows, walker.modules)
    return ModelReport(
        architecture.name,
        architecture.source,
        architecture.input,
        convention.name,
        rows,
        tuple(walker.saved.values()),
        tuple(walker.unit_inputs.values()),
        output[0],
    )


def trains(name: str, patterns: tuple[str, ...]) -> bool:
    """A layer trains when a glob matches its name or one of its dotted prefixes."""
    if "*" in patterns:
        return True  # matches every name (the default: everything trains)
    parts = name.split(".")
    prefixes = [".".join(parts[:end]) for end in range(1, len(parts) + 1)]
    return any(fnmatchcase(prefix, pattern) for pattern in patterns for prefix in prefixes)


def unit_of(name: str, units: frozenset[str]) -> str:
    """The outermost repeated block whose name prefixes this one, or ""."""
    if not units:
        return ""
    parts = name.split(".")
    for end in range(1, len(parts) + 1):
        prefix = ".".join(parts[:end])
        if prefix in units:
            return prefix
    return ""


def _last_calls_only(rows: tuple[LayerReport, ...], modules: list[str]) -> tuple[LayerReport, ...]:
    """Rows of a module object called again count nothing but at its last call."""
    last = {module: index for index, module in enumerate(modules) if module}
    return tuple(
        replace(row, flops=0) if modules[index] and last[modules[index]] != index else row
        for index, row in enumerate(rows)
    )


def residual_mismatch(
    node: Residual, given: Shape, body: Shape, shortcut: Shape, error: ShapeError
) -> str:
    """Which side gives which shape, and what to write so that they meet."""
    side = "its shortcut" if node.shortcut else "the shortcut (the identity: the input)"
    fix = f"end the body at {list(shortcut)}, or "
    fix += "change the shortcut" if node.shortcut else "add a `shortcut:` that maps the input"
    fix += f" to {list(body)}"
    spatial = len(given) == 4 == len(body)
    if spatial and not node.shortcut and body[2] and given[2] % body[2] == 0:
        stride = given[2] // body[2]
        fix += f" (e.g. shortcut: [conv2d: {{out: {body[1]}, kernel: 1, stride: {stride}}}])"
    sides = f"the body gives {list(body)} but {side} gives {list(shortcut)}"
    return f"{node.name}: {error}: {sides}; {fix}"


Tensor = tuple[int, Shape]  # (identity for liveness, shape); views share the identity


@dataclass(frozen=True, slots=True)
class _Facts:
    """What one op application gives, whatever its name: the same op, attributes and
    input shape give the same facts, so a model's repeated layers cost them once."""

    cost: OpCost
    saves: tuple[Saved, ...]
    tensors: tuple[StoredTensor, ...]
    params: int  # as the convention counts them
    flops: int  # as the convention counts them, per sample when it counts so
    physical_flops: int
    # (backward, recompute) FLOPs by (input grad, weights train, trainable, core)
    backward: dict[tuple[bool, ...], tuple[int, int]] = field(default_factory=dict)


MAX_REMEMBERED = 10_000  # distinct (op, attributes, shape) facts kept per model


def _facts_key(layer: Layer, shape: Shape) -> tuple[object, ...] | None:
    """The key of a layer's facts, or None when an attribute can't be a key (a list)."""
    key = (layer.op, layer.functional, shape, *layer.attrs.items())
    try:
        hash(key)
    except TypeError:
        return None
    return key


class _Walker:
    """Runs the graph in order, keeping each tensor alive until its last reader has run.

    A residual holds its input for the shortcut while the body runs; parallel
    branches hold the shared input until the last branch and every branch
    output until the merge. Merges make a new tensor (no in-place adds assumed).
    """

    def __init__(
        self,
        convention: Convention,
        trainable: tuple[str, ...] = ("*",),
        units: frozenset[str] = frozenset(),
        batch: int = 1,
        lora: Lora | None = None,
    ) -> None:
        self.convention = convention
        self.lora = lora
        self.batch = batch  # what a per-sample convention divides by
        self.trainable = trainable
        self.units = units
        self.rows: list[LayerReport] = []
        self.modules: list[str] = []  # the module object of each row ("" when its own)
        self.live: dict[int, int] = {}  # tensor id → elements
        self.refs: dict[int, int] = {}
        self.grad: dict[int, bool] = {}  # tensor id → requires grad
        self.saved: dict[int, SavedTensor] = {}  # graph tensors by id; internal ones < 0
        self.unit_inputs: dict[str, SavedTensor] = {}
        self.created = 0
        self.live_elements = 0  # the sum of self.live, and its tensors by elements mod 8
        self.live_by_remainder = [0] * 8
        self.internal = 0
        self.facts: dict[tuple[object, ...], _Facts] = {}
        self.last_live = NOTHING_LIVE

    def new(self, shape: Shape, grad: bool) -> Tensor:
        self.created += 1
        elements = numel(shape)
        self.live[self.created] = elements
        self.refs[self.created] = 1
        self.live_elements += elements
        self.live_by_remainder[elements % 8] += 1
        self.grad[self.created] = grad
        return self.created, shape

    def retain(self, tensor: Tensor, times: int = 1) -> None:
        self.refs[tensor[0]] += times

    def release(self, tensor: Tensor) -> None:
        self.refs[tensor[0]] -= 1
        if self.refs[tensor[0]] == 0:
            elements = self.live.pop(tensor[0])
            del self.refs[tensor[0]]
            self.live_elements -= elements
            self.live_by_remainder[elements % 8] -= 1

    def run(self, nodes: tuple[Node, ...], tensor: Tensor) -> Tensor:
        """Consumes one reference to `tensor`; returns one reference to the result."""
        for node in nodes:
            tensor = self.node(node, tensor)
        return tensor

    def node(self, node: Node, tensor: Tensor) -> Tensor:
        if isinstance(node, Layer):
            return self.layer(node, tensor)
        if isinstance(node, Residual):
            self.retain(tensor)  # held for the shortcut while the body runs
            body = self.run(node.body, tensor)
            shortcut = self.run(node.shortcut, tensor)
            try:
                merge.MERGES[merge.RESIDUAL_MERGE]((body[1], shortcut[1]), 1)
            except ShapeError as error:
                message = residual_mismatch(node, tensor[1], body[1], shortcut[1], error)
                raise fail(node.position, "shape", message) from None
            return self.merge(node, merge.RESIDUAL_MERGE, (body, shortcut), 1)
        self.retain(tensor, len(node.branches) - 1)
        outputs = tuple(self.run(branch, tensor) for branch in node.branches)
        return self.merge(node, node.merge, outputs, node.axis)

    def op_facts(self, layer: Layer, shape: Shape) -> _Facts:
        """The op's facts for this input, from the memo when an equal layer had them."""
        key = _facts_key(layer, shape)
        known = self.facts.get(key) if key is not None else None
        if known is not None:
            return known
        try:
            cost = OPS[layer.op].fn((shape,), layer.attrs)
        except (ShapeError, AttrError) as error:
            code = "shape" if isinstance(error, ShapeError) else "layer.attr_value"
            raise fail(
                layer.position, code, f"{layer.name} ({layer.op}) on {list(shape)}: {error}"
            ) from None
        self.bounded(cost, layer.name, layer.position)
        saves = SAVES[layer.op]((shape,), cost.output, layer.attrs)
        made = self.priced(cost, saves, layer.op, layer.functional)
        if key is not None and len(self.facts) < MAX_REMEMBERED:
            self.facts[key] = made
        return made

    def priced(
        self, cost: OpCost, saves: tuple[Saved, ...], op: str, functional: bool = False
    ) -> _Facts:
        return _Facts(
            cost,
            saves,
            cost.stored_tensors(),
            self.convention.params(cost, op, functional),
            self.convention.flops(cost, functional) // self.batch,
            DEFAULT.flops(cost),
        )

    def layer(self, layer: Layer, tensor: Tensor) -> Tensor:
        shape = tensor[1]
        facts = self.op_facts(layer, shape)
        cost, saves = facts.cost, facts.saves
        base_trains = trains(layer.name, self.trainable)
        trainable = cost.params if base_trains else 0
        found = (
            adapters(layer.name, layer.op, shape, layer.attrs, cost, self.lora) if self.lora else ()
        )
        if found and self.lora:
            cost = with_adapters(cost, found, self.lora.rank)
            trainable += adapter_params(found, self.lora.rank)
            saves += adapter_saves(found, self.lora.rank)
            facts = self.priced(cost, saves, layer.op, layer.functional)
        if layer.op in FREE_OPS:
            self.record(layer, layer.op, (tensor,), facts, alias=True)
            return tensor[0], cost.output
        output = self.new(cost.output, self.grad[tensor[0]] or trainable > 0)
        self.record(
            layer,
            layer.op,
            (tensor,),
            facts,
            layer.functional,
            layer.module,
            trainable=trainable,
            output=output,
            base_trains=base_trains,
        )
        self.release(tensor)
        return output

    def merge(
        self, node: Residual | Parallel, how: str, inputs: tuple[Tensor, ...], axis: int
    ) -> Tensor:
        shapes = tuple(shape for _, shape in inputs)
        try:
            cost = merge.MERGES[how](shapes, axis)
        except ShapeError as error:
            raise fail(node.position, "shape", f"{node.name}: {error}") from None
        self.bounded(cost, node.name, node.position)
        output = self.new(cost.output, any(self.grad[tensor[0]] for tensor in inputs))
        saves = tuple(Saved("input") for _ in inputs) if MERGE_SAVES[how] else ()
        self.record(node, how, inputs, self.priced(cost, saves, how), output=output)
        for tensor in inputs:
            self.release(tensor)
        return output

    def bounded(self, cost: OpCost, name: str, position: Position) -> None:
        largest = max(numel(cost.output), cost.params + cost.buffers, cost.macs)
        largest = max(largest, *(count for _, count in cost.work)) if cost.work else largest
        if largest <= MAX_FIGURE and len(cost.output) <= MAX_RANK:
            return  # the usual case, without naming every figure
        figures = {
            "output elements": numel(cost.output),
            "params": cost.params + cost.buffers,
            "MACs": cost.macs,
            **{f"{kind} work": count for kind, count in cost.work},
        }
        _bounded(figures, len(cost.output), name, position)

    def record(
        self,
        node: Node,
        op: str,
        tensors: tuple[Tensor, ...],
        facts: _Facts,
        functional: bool = False,
        module: str = "",
        alias: bool = False,
        trainable: int = 0,
        output: Tensor | None = None,
        base_trains: bool = False,  # its own weights train (not only adapters)
    ) -> None:
        cost, saves = facts.cost, facts.saves
        name = node.name if isinstance(node, Layer) else f"{node.name}.{op}"
        inputs = tuple(shape for _, shape in tensors)
        input_grad = any(self.grad[tensor[0]] for tensor in tensors)
        unit = unit_of(name, self.units)
        if unit and unit not in self.unit_inputs:
            first = tensors[0]
            self.unit_inputs[unit] = SavedTensor(
                "activation", numel(first[1]), name, unit, False, first[0]
            )
        if input_grad or trainable:
            self.save(name, unit, saves, tensors, output, base_trains and trainable > 0)
        core = (input_grad or trainable > 0) and any(item.core for item in saves)
        self.modules.append(module)
        live = NOTHING_LIVE if alias else self.live_now()
        weights_train = base_trains and trainable > 0
        flags = (input_grad, weights_train, trainable > 0, core)
        backward = facts.backward.get(flags)
        if backward is None:
            prices = self.convention.prices(functional)
            backward = (
                backward_flops(cost.work, prices, input_grad, weights_train, trainable > 0)
                // self.batch,
                recompute_flops(cost.work, prices) // self.batch if core else 0,
            )
            facts.backward[flags] = backward
        self.rows.append(  # positional, in the fields' order: it runs for every layer
            LayerReport(
                name,
                op,
                node.position,
                inputs,
                cost.output,
                facts.params,
                cost.params,
                cost.buffers,
                cost.macs,
                facts.flops,
                facts.physical_flops,
                alias,
                cost.weights_read,
                cost.state_read,
                live,
                cost.state_held,
                facts.tensors,
                node.groups,
                trainable,
                backward[0],
                backward[1],
                unit,
            )
        )

    def live_now(self) -> Live:
        """The live tensors' summary; the previous row's object when they add up the same
        (a chain holds the same sizes layer after layer)."""
        last = self.last_live
        if last.elements != self.live_elements or list(last.by_remainder) != self.live_by_remainder:
            self.last_live = Live(self.live_elements, tuple(self.live_by_remainder))
        return self.last_live

    def save(
        self,
        name: str,
        unit: str,
        saves: tuple[Saved, ...],
        tensors: tuple[Tensor, ...],
        output: Tensor | None,
        trains: bool,
    ) -> None:
        """Keeps what the op saves for its backward; graph tensors once, by identity."""
        pending = list(tensors)
        for item in saves:
            if item.for_weights and not trains:
                continue
            if item.what in ("input", "output"):
                tensor = pending.pop(0) if item.what == "input" else output
                if tensor is not None and tensor[0] not in self.saved:
                    self.saved[tensor[0]] = SavedTensor(
                        "activation", numel(tensor[1]), name, unit, item.core, tensor[0]
                    )
                continue
            self.internal -= 1
            self.saved[self.internal] = SavedTensor(item.what, item.elements, name, unit, item.core)
