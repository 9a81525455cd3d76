"""Walk an architecture, infer every shape, cost every layer, and track live tensors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from operator import attrgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from budgetlint.collector import collector_paused
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
    """The tensors alive while a layer runs (or a sum of saved ones), summed in constant
    space: their elements, and how many have each remainder of elements mod 8, which is all
    that packing them at any bit width needs (ceil(e·bits/8) = (e·bits + (−(e mod 8)·bits
    mod 8)) / 8)."""

    elements: int = 0
    by_remainder: tuple[int, ...] = (0,) * 8

    def bytes(self, bits: int) -> int:
        """Σ ceil(e·bits/8) over the live tensors, each packed on its own."""
        padding = sum(
            count * (-remainder * bits % 8) for remainder, count in enumerate(self.by_remainder)
        )
        return (self.elements * bits + padding) // 8


NOTHING_LIVE = Live()


class RowFigures(NamedTuple):
    """What a row says that depends only on its op's facts and the training flags, not on
    its name or place: the layers of a chain that repeat one op share one."""

    op: str
    inputs: tuple[Shape, ...]
    output: Shape
    params: int  # as the convention counts them
    learnable: int
    buffers: int
    macs: int
    flops: int  # as the convention counts them
    physical_flops: int  # the default convention's count, for time estimates
    alias: bool  # a view of its input (an op of FREE_OPS): no new tensor
    weights_read: int | None  # weight elements read, when not all (a gather)
    state_read: int  # persistent state read (a KV cache)
    state_held: int  # persistent state kept for the next step (a KV cache)
    tensors: tuple[StoredTensor, ...]  # its params and buffers, named; () in hand-made rows
    trainable: int  # learnable params that train
    backward_flops: int  # its gradients' FLOPs, at the convention's prices
    recompute_flops: int  # the attention core again, under selective recomputation


class _Row(NamedTuple):
    name: str
    position: Position
    groups: tuple[Group, ...]  # the spec's nesting around it, outermost first
    live: Live  # the tensors alive while it runs
    unit: str  # the repeated block it belongs to ("" outside any)
    figures: RowFigures


class LayerReport(_Row):
    """One layer's row: its name and place, and its figures (shared with equal layers),
    each readable as an attribute (`row.macs`). Made with every figure named, as before;
    the evaluator builds rows from shared figures with `LayerReport.of`."""

    __slots__ = ()

    if TYPE_CHECKING:  # the figures' attributes, set below from RowFigures' fields
        op: str
        inputs: tuple[Shape, ...]
        output: Shape
        params: int
        learnable: int
        buffers: int
        macs: int
        flops: int
        physical_flops: int
        alias: bool
        weights_read: int | None
        state_read: int
        state_held: int
        tensors: tuple[StoredTensor, ...]
        trainable: int
        backward_flops: int
        recompute_flops: int

    def __new__(
        cls,
        name: str,
        op: str,
        position: Position,
        inputs: tuple[Shape, ...],
        output: Shape,
        params: int,
        learnable: int,
        buffers: int,
        macs: int,
        flops: int,
        physical_flops: int,
        alias: bool = False,
        weights_read: int | None = None,
        state_read: int = 0,
        live: Live = NOTHING_LIVE,
        state_held: int = 0,
        tensors: tuple[StoredTensor, ...] = (),
        groups: tuple[Group, ...] = (),
        trainable: int = 0,
        backward_flops: int = 0,
        recompute_flops: int = 0,
        unit: str = "",
    ) -> LayerReport:
        figures = RowFigures(
            op,
            inputs,
            output,
            params,
            learnable,
            buffers,
            macs,
            flops,
            physical_flops,
            alias,
            weights_read,
            state_read,
            state_held,
            tensors,
            trainable,
            backward_flops,
            recompute_flops,
        )
        return cls.of(name, position, groups, live, unit, figures)

    @classmethod
    def of(
        cls,
        name: str,
        position: Position,
        groups: tuple[Group, ...],
        live: Live,
        unit: str,
        figures: RowFigures,
    ) -> LayerReport:
        return tuple.__new__(cls, (name, position, groups, live, unit, figures))

    def weight_tensors(self) -> tuple[StoredTensor, ...]:
        """Its tensors, or for a row made without them one of all its params and buffers."""
        figures = self.figures
        if figures.tensors:
            return figures.tensors
        stored = figures.learnable + figures.buffers
        return (
            (StoredTensor("weight", "learned", (stored,), figures.weights_read),) if stored else ()
        )

    def without_flops(self) -> LayerReport:
        """The same row counting no FLOPs (a module called again, under last_call_only)."""
        return self.of(
            self.name,
            self.position,
            self.groups,
            self.live,
            self.unit,
            self.figures._replace(flops=0),
        )


for _figure in RowFigures._fields:  # C-level getters: rows are read once per layer and measure
    setattr(LayerReport, _figure, property(attrgetter(f"figures.{_figure}")))


_new_row = tuple.__new__


class SavedTensor(NamedTuple):
    """A tensor the forward keeps for the backward, counted once (a block's input, the
    model's output)."""

    kind: str  # "activation" (at the activation dtype) or another kind of SAVED_BITS
    elements: int
    layer: str  # the first layer that saves it
    unit: str = ""  # that layer's repeated block
    core: bool = False  # recomputed under selective recomputation
    tensor: int = 0  # the graph tensor's identity (0: made inside an op)


def _figure_of_rows(figure: str) -> Callable[[LayerReport], int]:
    return attrgetter(f"figures.{figure}")  # read without a Python call per row


_TRAINABLE, _BACKWARD_FLOPS = _figure_of_rows("trainable"), _figure_of_rows("backward_flops")
_PARAMS, _LEARNABLE = _figure_of_rows("params"), _figure_of_rows("learnable")
_BUFFERS, _MACS, _FLOPS = (
    _figure_of_rows("buffers"),
    _figure_of_rows("macs"),
    _figure_of_rows("flops"),
)
_TENSORS: Callable[[LayerReport], tuple[StoredTensor, ...]] = attrgetter("figures.tensors")


class SavedTotal(NamedTuple):
    """The tensors the forward keeps for the backward, each counted once, summed by what a
    training step's memory tells apart. A chain's 100,000 saved tensors are a few sums."""

    kind: str  # "activation" (at the activation dtype) or another kind of SAVED_BITS
    unit: str  # the repeated block of the layer that saves them first ("" outside any)
    core: bool  # recomputed under selective recomputation
    checkpoint: bool  # a repeated block's input (kept anyway under per_block)
    output: bool  # the model's output, which the loss reads
    tensors: Live  # their elements and their count by elements mod 8: bytes at any width


@dataclass(frozen=True)
class ModelReport:
    name: str
    source: str
    input: Shape
    convention: str
    layers: tuple[LayerReport, ...]
    saved: tuple[SavedTotal, ...] = ()  # what the forward keeps for a training step
    unit_inputs: tuple[SavedTensor, ...] = ()  # each repeated block's input tensor
    output_tensor: int = 0  # identity of the output, which the loss reads

    @property
    def trainable(self) -> int:
        return sum(map(_TRAINABLE, self.layers))

    @property
    def backward_flops(self) -> int:
        return sum(map(_BACKWARD_FLOPS, self.layers))

    @property
    def params(self) -> int:
        return sum(map(_PARAMS, self.layers))

    @property
    def learnable(self) -> int:
        return sum(map(_LEARNABLE, self.layers))

    @property
    def buffers(self) -> int:
        return sum(map(_BUFFERS, self.layers))

    @property
    def macs(self) -> int:
        return sum(map(_MACS, self.layers))

    @property
    def flops(self) -> int:
        return sum(map(_FLOPS, self.layers))

    @property
    def output(self) -> Shape:
        return self.layers[-1].output if self.layers else self.input

    def size_bytes(self, bits_per_value: int) -> int:
        """Storage of params and buffers; sub-byte types pack, rounded up to a byte. Tensors
        of a fixed width (int64 indices) are stored at it, whatever `bits_per_value`."""
        fixed_elements = fixed_bits = 0
        known: dict[int, tuple[int, int]] = {}  # rows share their tensors' tuple: sum it once
        for tensors in map(_TENSORS, self.layers):
            if not tensors:
                continue
            found = known.get(id(tensors))
            if found is None:
                found = known[id(tensors)] = _fixed_width(tensors)
            fixed_elements += found[0]
            fixed_bits += found[1]
        elements = self.learnable + self.buffers - fixed_elements
        return -(-elements * bits_per_value // 8) + -(-fixed_bits // 8)


def _fixed_width(tensors: tuple[StoredTensor, ...]) -> tuple[int, int]:
    """Elements and bits of the tensors stored at a fixed width (int64 indices)."""
    fixed = [
        (tensor.elements, bits)
        for tensor in tensors
        if (bits := TENSOR_ROLES[tensor.role].bits) is not None
    ]
    return sum(count for count, _ in fixed), sum(count * bits for count, bits in fixed)


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
    with collector_paused():  # the walk makes rows and figures, no cycles
        return _evaluate(architecture, convention)


def _evaluate(architecture: Architecture, convention: Convention) -> ModelReport:
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
    walker.finish(output)
    rows = tuple(walker.rows)
    if convention.last_call_only:
        rows = _last_calls_only(rows, walker.modules)
    return ModelReport(
        architecture.name,
        architecture.source,
        architecture.input,
        convention.name,
        rows,
        tuple(
            SavedTotal(*key, Live(total[0], tuple(total[1:])))
            for key, total in walker.saved.items()
        ),
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
        row.without_flops() if modules[index] and last[modules[index]] != index else row
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

# What the walker keeps of a live tensor, by identity: [references, elements, requires grad,
# and once an op saves it: the elements saved (-1 until then), the saver's unit, core]
_REFS, _ELEMENTS, _GRAD, _SAVED, _SAVED_UNIT, _SAVED_CORE = range(6)


class _Facts:
    """What one op application gives, whatever its name: the same op, attributes and
    input shape give the same facts, so a model's repeated layers cost them once, and
    share one RowFigures for each set of training flags."""

    __slots__ = (
        "alias",
        "core",
        "cost",
        "flops",
        "input_elements",
        "inputs",
        "op",
        "output_elements",
        "params",
        "physical_flops",
        "rows",
        "saves",
        "tensors",
    )

    def __init__(
        self,
        op: str,
        cost: OpCost,
        saves: tuple[Saved, ...],
        tensors: tuple[StoredTensor, ...],
        params: int,  # as the convention counts them
        flops: int,  # as the convention counts them, per sample when it counts so
        physical_flops: int,
        inputs: tuple[Shape, ...],
        alias: bool,  # a view (FREE_OPS): no new tensor, no backward of its own prices
    ) -> None:
        self.op = op  # the layer's op, or how a merge merges
        self.cost = cost
        self.saves = saves
        self.tensors = tensors
        self.params = params
        self.flops = flops
        self.physical_flops = physical_flops
        self.inputs = inputs
        self.alias = alias
        self.core = any(item.core for item in saves)  # saves a tensor of the attention core
        self.input_elements = tuple(numel(shape) for shape in inputs)
        self.output_elements = numel(cost.output)
        # the row's figures by (input grad, weights train, trainable, core)
        self.rows: dict[tuple[bool, bool, int, bool], RowFigures] = {}


MAX_REMEMBERED = 10_000  # distinct (op, attributes, shape) facts kept per model, and merges


def _facts_key(layer: Layer, shape: Shape) -> tuple[object, ...]:
    """The key of a layer's facts; unhashable when an attribute can't be a key (a list)."""
    return (layer.op, layer.functional, shape, *layer.attrs.items())


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
        self.everything_trains = "*" in trainable  # trains() without a call per layer
        self.units = units
        self.rows: list[LayerReport] = []
        self.modules: list[str] = []  # under last_call_only: each row's module object
        self.keep_modules = convention.last_call_only
        self.live: dict[int, list[Any]] = {}  # live tensors by id (_REFS, ... _SAVED_CORE)
        # saved tensors' sums by SavedTotal's key: [elements, count by elements mod 8]
        self.saved: dict[tuple[str, str, bool, bool, bool], list[int]] = {}
        self.checkpoints: set[int] = set()  # the tensors that are a repeated block's input
        self.unit_inputs: dict[str, SavedTensor] = {}
        self.created = 0
        self.live_elements = 0  # the live tensors' elements, and their count by elements mod 8
        self.live_by_remainder = [0] * 8
        self.facts: dict[tuple[object, ...], _Facts] = {}
        self.merges: dict[tuple[str, int, tuple[Shape, ...]], _Facts] = {}
        self.last_live = NOTHING_LIVE
        self.last_remainders = list(NOTHING_LIVE.by_remainder)

    def new(self, shape: Shape, grad: bool, elements: int = -1) -> Tensor:
        """A new live tensor, with one reference (`elements`: numel(shape), when known)."""
        self.created += 1
        if elements < 0:
            elements = numel(shape)
        self.live[self.created] = [1, elements, grad, -1, "", False]
        self.live_elements += elements
        self.live_by_remainder[elements % 8] += 1
        return self.created, shape

    def retain(self, tensor: Tensor, times: int = 1) -> None:
        self.live[tensor[0]][_REFS] += times

    def release(self, tensor: Tensor) -> None:
        state = self.live[tensor[0]]
        state[_REFS] -= 1
        if state[_REFS] == 0:
            del self.live[tensor[0]]
            elements = state[_ELEMENTS]
            self.live_elements -= elements
            self.live_by_remainder[elements % 8] -= 1
            if state[_SAVED] >= 0:  # no op can save it any more: into the sums
                self.add_saved(tensor[0], state, output=False)

    def add_saved(self, identity: int, state: list[Any], output: bool) -> None:
        """A saved graph tensor's share of the sums, once it is final: when it dies (it can
        become a block's input only while alive), or for the output, at the end."""
        checkpoint = identity in self.checkpoints
        key = ("activation", state[_SAVED_UNIT], state[_SAVED_CORE], checkpoint, output)
        self.add_to_sums(key, state[_SAVED])

    def add_to_sums(self, key: tuple[str, str, bool, bool, bool], elements: int) -> None:
        total = self.saved.get(key)
        if total is None:
            total = self.saved[key] = [0] * 9
        total[0] += elements
        total[1 + elements % 8] += 1

    def finish(self, output: Tensor) -> None:
        """The tensors alive at the end (the output) into the saved sums."""
        for identity, state in self.live.items():
            if state[_SAVED] >= 0:
                self.add_saved(identity, state, identity == output[0])

    def requires_grad(self, tensor: Tensor) -> bool:
        return bool(self.live[tensor[0]][_GRAD])

    def run(self, nodes: tuple[Node, ...], tensor: Tensor) -> Tensor:
        """Consumes one reference to `tensor`; returns one reference to the result."""
        for node in nodes:
            tensor = (
                self.layer(node, tensor) if isinstance(node, Layer) else self.node(node, tensor)
            )
        return tensor

    def node(self, node: Node, tensor: Tensor) -> Tensor:
        if isinstance(node, Layer):
            return self.layer(node, tensor)
        if isinstance(node, Residual):
            self.retain(tensor)  # held for the shortcut while the body runs
            body = self.run(node.body, tensor)
            shortcut = self.run(node.shortcut, tensor)
            return self.merge(node, merge.RESIDUAL_MERGE, (body, shortcut), 1, tensor[1])
        self.retain(tensor, len(node.branches) - 1)
        outputs = tuple(self.run(branch, tensor) for branch in node.branches)
        return self.merge(node, node.merge, outputs, node.axis)

    def op_facts(self, layer: Layer, shape: Shape) -> _Facts:
        """The op's facts for this input, from the memo when an equal layer had them."""
        key: tuple[object, ...] | None = _facts_key(layer, shape)
        try:
            known = self.facts.get(key)  # type: ignore[arg-type]
        except TypeError:  # an attribute that can't be a key: its facts aren't remembered
            key = known = None
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
        made = self.priced(cost, saves, layer.op, (shape,), layer.functional)
        if key is not None and len(self.facts) < MAX_REMEMBERED:
            self.facts[key] = made
        return made

    def priced(
        self,
        cost: OpCost,
        saves: tuple[Saved, ...],
        op: str,
        inputs: tuple[Shape, ...],
        functional: bool = False,
    ) -> _Facts:
        return _Facts(
            op,
            cost,
            saves,
            cost.stored_tensors(),
            self.convention.params(cost, op, functional),
            self.convention.flops(cost, functional) // self.batch,
            DEFAULT.flops(cost),
            inputs,
            op in FREE_OPS,
        )

    def layer(self, layer: Layer, tensor: Tensor) -> Tensor:
        shape = tensor[1]
        facts = self.op_facts(layer, shape)
        cost = facts.cost
        base_trains = self.everything_trains or trains(layer.name, self.trainable)
        trainable = cost.params if base_trains else 0
        if self.lora is not None:
            found = adapters(layer.name, layer.op, shape, layer.attrs, cost, self.lora)
            if found:
                cost = with_adapters(cost, found, self.lora.rank)
                trainable += adapter_params(found, self.lora.rank)
                saves = facts.saves + adapter_saves(found, self.lora.rank)
                facts = self.priced(cost, saves, layer.op, facts.inputs, layer.functional)
        input_grad = self.requires_grad(tensor)
        if facts.alias:  # a view: its output is its input, under another shape
            self.record(layer, layer.name, (tensor,), input_grad, facts, False, "", 0, None, False)
            return tensor[0], cost.output
        output = self.new(cost.output, input_grad or trainable > 0, facts.output_elements)
        self.record(
            layer,
            layer.name,
            (tensor,),
            input_grad,
            facts,
            layer.functional,
            layer.module,
            trainable,
            output,
            base_trains,
        )
        self.release(tensor)
        return output

    def merge(
        self,
        node: Residual | Parallel,
        how: str,
        inputs: tuple[Tensor, ...],
        axis: int,
        given: Shape = (),  # a residual's input, which its message names
    ) -> Tensor:
        facts = self.merge_facts(node, how, tuple(shape for _, shape in inputs), axis, given)
        grad = any(self.requires_grad(tensor) for tensor in inputs)
        output = self.new(facts.cost.output, grad, facts.output_elements)
        name = f"{node.name}.{how}"
        self.record(node, name, inputs, grad, facts, False, "", 0, output, False)
        for tensor in inputs:
            self.release(tensor)
        return output

    def merge_facts(
        self,
        node: Residual | Parallel,
        how: str,
        shapes: tuple[Shape, ...],
        axis: int,
        given: Shape,
    ) -> _Facts:
        """The merge's facts, from the memo when an equal merge had them (a model's
        residuals add equal shapes)."""
        key = (how, axis, shapes)
        known = self.merges.get(key)
        if known is not None:
            return known
        try:
            cost = merge.MERGES[how](shapes, axis)
        except ShapeError as error:
            if isinstance(node, Residual):
                message = residual_mismatch(node, given, shapes[0], shapes[1], error)
            else:
                message = f"{node.name}: {error}"
            raise fail(node.position, "shape", message) from None
        self.bounded(cost, node.name, node.position)
        saves = tuple(Saved("input") for _ in shapes) if MERGE_SAVES[how] else ()
        made = self.priced(cost, saves, how, shapes)
        if len(self.merges) < MAX_REMEMBERED:
            self.merges[key] = made
        return made

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
        name: str,
        tensors: tuple[Tensor, ...],
        input_grad: bool,  # one of them requires grad
        facts: _Facts,
        functional: bool,
        module: str,
        trainable: int,
        output: Tensor | None,
        base_trains: bool,  # its own weights train (not only adapters)
    ) -> None:
        unit = unit_of(name, self.units) if self.units else ""
        if unit and unit not in self.unit_inputs:
            first = tensors[0]
            self.unit_inputs[unit] = SavedTensor(
                "activation", facts.input_elements[0], name, unit, False, first[0]
            )
            self.checkpoints.add(first[0])
        weights_train = base_trains and trainable > 0
        if input_grad or trainable:
            self.save(unit, facts, tensors, output, weights_train)
        if self.keep_modules:
            self.modules.append(module)
        flags = (input_grad, weights_train, trainable, (input_grad or trainable > 0) and facts.core)
        figures = facts.rows.get(flags)
        if figures is None:
            figures = facts.rows[flags] = self.figures(facts, functional, flags)
        if facts.alias:
            live = NOTHING_LIVE
        elif (
            self.last_live.elements == self.live_elements
            and self.last_remainders == self.live_by_remainder
        ):
            live = self.last_live  # the same sizes as the row before (a chain): one object
        else:
            live = self.last_live = Live(self.live_elements, tuple(self.live_by_remainder))
            self.last_remainders = self.live_by_remainder.copy()
        row = (name, node.position, node.groups, live, unit, figures)
        self.rows.append(_new_row(LayerReport, row))  # LayerReport.of, without its call

    def figures(
        self, facts: _Facts, functional: bool, flags: tuple[bool, bool, int, bool]
    ) -> RowFigures:
        """A row's figures, for the facts under these training flags."""
        input_grad, weights_train, trainable, core = flags
        cost = facts.cost
        prices = self.convention.prices(functional)
        backward = backward_flops(cost.work, prices, input_grad, weights_train, trainable > 0)
        recompute = recompute_flops(cost.work, prices) if core else 0
        return RowFigures(
            facts.op,
            facts.inputs,
            cost.output,
            facts.params,
            cost.params,
            cost.buffers,
            cost.macs,
            facts.flops,
            facts.physical_flops,
            facts.alias,
            cost.weights_read,
            cost.state_read,
            cost.state_held,
            facts.tensors,
            trainable,
            backward // self.batch,
            recompute // self.batch,
        )

    def save(
        self,
        unit: str,
        facts: _Facts,
        tensors: tuple[Tensor, ...],
        output: Tensor | None,
        trains: bool,
    ) -> None:
        """Keeps what the op saves for its backward; graph tensors once, by identity. The
        op's "input" items take its inputs in order; a layer's (its own and its adapters')
        all name its one input."""
        taken = 0
        for item in facts.saves:
            if item.for_weights and not trains:
                continue
            if item.what == "input":
                tensor: Tensor | None = tensors[taken]
                elements = facts.input_elements[taken]
                taken = min(taken + 1, len(tensors) - 1)
            elif item.what == "output":
                tensor, elements = output, facts.output_elements
            else:  # made inside the op: its own, never a block's input or the output
                self.add_to_sums((item.what, unit, item.core, False, False), item.elements)
                continue
            state = self.live[tensor[0]] if tensor is not None else None
            if state is not None and state[_SAVED] < 0:  # once, whichever op saves it first
                state[_SAVED:] = (elements, unit, item.core)
