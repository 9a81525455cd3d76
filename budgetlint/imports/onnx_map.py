"""Map an ONNX graph onto our ops, propagating shapes with our own op functions.

Exporter quirks handled here rather than reported as drift:

- BatchNorm folded into the preceding Conv: the Conv simply has a bias.
- Identical initializers merged behind `Identity` nodes: each user is its own layer
  and counts its weights; one initializer used directly by two layers is tied and
  counts once (the second linear is `tied`).
- A linear on 3-D input exported as MatMul + Add: one linear with a bias.
- Channel splits computed with Shape/Gather/Slice: folded to constants here, so
  they need no ONNX shape inference.
- A view (`as_strided`) exported as a Gather of every element of the flattened
  tensor, with its indices stored (and left unread) like a weight: a reshape.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from budgetlint.engine.cost import ShapeError
from budgetlint.engine.ops import merge
from budgetlint.graph import Shape
from budgetlint.imports.graph import (
    INPUT,
    ImportedGraph,
    Step,
    Unsupported,
    apply_op,
    merge_step,
    op_step,
)
from budgetlint.imports.onnx_read import OnnxGraph, OnnxNode, StaticValue
from budgetlint.imports.onnx_static import STATIC_OPS, shape_of
from budgetlint.problems import Position, Problem, SpecError, fail

INT64_MAX = 2**63 - 1


@dataclass(frozen=True)
class Const:
    """A tensor known without running the model: a weight (shape only) or a small value."""

    shape: Shape
    value: StaticValue | None = None
    weight: str | None = None  # the tensor a layer reads its weights from (tied weights)


@dataclass(frozen=True)
class Act:
    step: int
    shape: Shape


def _nested(segments: list[str]) -> str:
    """Scopes written either as full paths (`layer1`, `layer1.0`) or one level each."""
    path = ""
    for segment in segments:
        if not segment:
            continue
        path = segment if not path or segment.startswith(f"{path}.") else f"{path}.{segment}"
    return path


def module_path(node: OnnxNode) -> str:
    """torch.onnx.export's module path: from its metadata, else from a /scoped/node/Name."""
    if node.scopes:
        return _nested(list(node.scopes[:-1]))
    if node.name.startswith("/"):
        return _nested(node.name.strip("/").split("/")[:-1])
    return ""


def weight_name(tensor: str) -> str:
    """`layer1.0.conv1.weight` names the layer `layer1.0.conv1`; exporter names say nothing."""
    for suffix in (".weight", ".bias", ".scale", "_weight"):
        if tensor.endswith(suffix):
            stem = tensor[: -len(suffix)]
            if stem and ":" not in stem and not stem.startswith(("val_", "onnx")):
                return stem
    return ""


class _Mapper:
    def __init__(self, graph: OnnxGraph, where: Position) -> None:
        self.graph = graph
        self.where = where
        self.steps: list[Step] = []
        self.acts: dict[str, Act] = {}
        self.consts: dict[str, Const] = {}
        self.readers: dict[str, int] = {}  # tensor → how many node inputs read it
        self.weight_users: dict[str, str] = {}  # weight tensor → the first layer using it
        self.unknown: list[tuple[str, str]] = []
        self.classes: dict[str, str] = {}
        self.input_shape: Shape = ()
        self.sequences: dict[str, tuple[Act, int, tuple[int, ...]]] = {}  # a split's parts
        for node in graph.nodes:
            for tensor in node.inputs:
                self.readers[tensor] = self.readers.get(tensor, 0) + 1
        for tensor in graph.outputs:
            self.readers[tensor] = self.readers.get(tensor, 0) + 1
        for name, shape in graph.initializers.items():
            self.consts[name] = Const(shape, graph.constants.get(name), name)

    # -- inputs of a node --------------------------------------------------------------

    def act(self, tensor: str) -> Act:
        if tensor not in self.acts:
            raise Unsupported(f"expects '{tensor}' to be computed from the model's input")
        return self.acts[tensor]

    def const(self, tensor: str) -> Const:
        if tensor not in self.consts:
            raise Unsupported(f"expects '{tensor}' to be a constant or a weight")
        return self.consts[tensor]

    def ints(self, tensor: str, what: str) -> tuple[int, ...]:
        value = self.const(tensor).value
        if value is None or not all(float(v).is_integer() for v in value.values):
            raise Unsupported(f"its {what} ('{tensor}') can't be worked out without running it")
        return tuple(int(v) for v in value.values)

    def number(self, tensor: str) -> float | None:
        value = self.const(tensor).value if tensor in self.consts else None
        return float(value.values[0]) if value is not None and len(value.values) == 1 else None

    # -- outputs -----------------------------------------------------------------------

    def name_of(self, node: OnnxNode, weight: str = "") -> str:
        named = weight_name(weight) if weight else ""
        if node.scopes and node.classes:
            for depth in range(1, min(len(node.scopes), len(node.classes)) - 1):
                path = _nested(list(node.scopes[1 : depth + 1]))
                if path:
                    self.classes.setdefault(path, node.classes[depth].rsplit(".", 1)[-1])
        return named or module_path(node) or node.name

    def layer(
        self,
        node: OnnxNode,
        op: str,
        attrs: Mapping[str, Any],
        source: Act,
        weight: str = "",
        output: int = 0,
    ) -> Step:
        key = len(self.steps) + 1
        step = op_step(
            key, op, attrs, (source.step, source.shape), self.name_of(node, weight), node.name
        )
        self.steps.append(step)
        self.acts[node.outputs[output]] = Act(step.key, step.output)
        return step

    def merge(self, node: OnnxNode, how: str, sources: tuple[Act, ...], axis: int = 1) -> None:
        inputs = tuple((source.step, source.shape) for source in sources)
        key = len(self.steps) + 1
        step = merge_step(key, how, inputs, self.name_of(node), node.name, axis)
        self.steps.append(step)
        self.acts[node.outputs[0]] = Act(step.key, step.output)

    def alias(self, node: OnnxNode, source: Act) -> None:
        self.acts[node.outputs[0]] = source

    def shape(self, key: int) -> Shape:
        return self.input_shape if key == INPUT else self.steps[key - 1].output

    def update(self, key: int, **changes: Any) -> None:
        self.steps[key - 1] = replace(self.steps[key - 1], **changes)

    def use_weight(self, tensor: str, layer: str) -> bool:
        """True when another layer already uses this very tensor: tied weights."""
        const = self.const(tensor)
        key = const.weight or tensor
        if key in self.weight_users:
            return True
        self.weight_users[key] = layer
        return False

    # -- the walk ----------------------------------------------------------------------

    def run(self, input_shape: Shape, input_name: str) -> None:
        self.input_shape = input_shape
        self.acts[input_name] = Act(INPUT, input_shape)
        problems: list[Problem] = []
        for node in self.graph.nodes:
            try:
                self.node(node)
            except Unsupported as error:
                problems.append(
                    Problem(
                        self.where,
                        "import.unsupported",
                        f"{node.op_type} node '{node.name}': {error}",
                    )
                )
                if len(problems) >= 20:
                    break
        if problems:
            raise SpecError(*problems)

    def node(self, node: OnnxNode) -> None:
        present = [tensor for tensor in node.inputs if tensor]
        if node.op_type == "CastLike" and present and present[0] in self.consts:
            self.consts[node.outputs[0]] = self.consts[present[0]]  # the second gives a type
            return
        if node.op_type == "Shape" and present and present[0] in self.consts:
            value = shape_of(self.consts[present[0]].shape, node.attrs)
            self.consts[node.outputs[0]] = Const(value.shape, value)
            return
        if node.op_type == "Shape" and present and present[0] in self.acts:
            self.consts[node.outputs[0]] = Const(
                (), shape_of(self.acts[present[0]].shape, node.attrs)
            )
            self.consts[node.outputs[0]] = replace(
                self.consts[node.outputs[0]],
                shape=self.consts[node.outputs[0]].value.shape,  # type: ignore[union-attr]
            )
            return
        if all(tensor in self.consts for tensor in present):
            self.static(node)
            return
        handler = ONNX_OPS.get(node.op_type)
        if handler is None:
            self.unknown.append((node.op_type, node.name))
            self.let_through(node)
            return
        handler(self, node)

    def static(self, node: OnnxNode) -> None:
        """A node on constants only: shape arithmetic, or a weight routed to its user."""
        inputs = tuple(self.consts[t].value if t else None for t in node.inputs)
        first = self.consts[node.inputs[0]] if node.inputs and node.inputs[0] else None
        evaluate = STATIC_OPS.get(node.op_type)
        value = evaluate(node.attrs, inputs) if evaluate else None
        known = self.graph.value_shapes.get(node.outputs[0]) if node.outputs else None
        if node.op_type == "Identity" and first is not None:
            # an exporter's merged copy: a weight of its own for the layer that reads it
            self.consts[node.outputs[0]] = Const(first.shape, first.value, node.outputs[0])
        elif node.op_type in ("Transpose", "Cast", "Expand") and first is not None:
            perm = node.attrs.get("perm") or tuple(reversed(range(len(first.shape))))
            shape = (
                tuple(first.shape[i] for i in perm) if node.op_type == "Transpose" else first.shape
            )
            if node.op_type == "Expand":
                target = self.consts[node.inputs[1]].value
                target_ints = tuple(int(v) for v in target.values) if target else None
                try:
                    shape = merge.broadcast((first.shape, target_ints or ()), "expand")
                except ShapeError:
                    shape = known or shape
            self.consts[node.outputs[0]] = Const(shape, value, first.weight)
        else:
            shape = value.shape if value is not None else known or ()
            for output in node.outputs:
                self.consts[output] = Const(shape, value if output == node.outputs[0] else None)

    def let_through(self, node: OnnxNode) -> None:
        """An unknown op: free, with ONNX's own inferred shape when it has one."""
        sources = [self.acts[t] for t in node.inputs if t in self.acts]
        if not sources:
            for output in node.outputs:
                self.consts[output] = Const(self.graph.value_shapes.get(output, ()))
            return
        shape = self.graph.value_shapes.get(node.outputs[0], sources[0].shape)
        step = Step(
            key=len(self.steps) + 1,
            op="reshape" if shape != sources[0].shape else "identity",
            attrs=MappingProxyType({"shape": list(shape)} if shape != sources[0].shape else {}),
            inputs=(sources[0].step,),
            output=shape,
            name=self.name_of(node),
            source=f"{node.op_type} {node.name}",
            free=True,
        )
        self.steps.append(step)
        self.acts[node.outputs[0]] = Act(step.key, shape)


# -- the op handlers ---------------------------------------------------------------------

Handler = Callable[[_Mapper, OnnxNode], None]


def _sizes(values: tuple[int, ...]) -> int | list[int]:
    return values[0] if len(set(values)) == 1 else list(values)


def _symmetric_pads(node: OnnxNode, rank: int) -> int | list[int] | str:
    auto = node.attrs.get("auto_pad", "NOTSET")
    if auto == "VALID":
        return 0
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        return "same"
    pads = node.attrs.get("pads") or (0,) * (2 * rank)
    begin, end = pads[:rank], pads[rank:]
    if begin != end:
        raise Unsupported(f"asymmetric padding {list(pads)} has no equivalent in a spec")
    return _sizes(tuple(begin))


def _has_weight(m: _Mapper, node: OnnxNode, index: int) -> bool:
    """An optional input given by a stored tensor; a constant computed in the graph (the
    zero bias an unoptimised export builds with Expand) is no parameter."""
    if len(node.inputs) <= index or not node.inputs[index]:
        return False
    const = m.consts.get(node.inputs[index])
    return const is not None and const.weight is not None


def conv(m: _Mapper, node: OnnxNode) -> None:
    x = m.act(node.inputs[0])
    weight = m.const(node.inputs[1])
    rank = len(weight.shape) - 2
    if rank not in (1, 2, 3):
        raise Unsupported(f"a {rank}-D convolution")
    groups = node.attrs.get("group", 1)
    attrs: dict[str, Any] = {
        "out": weight.shape[0],
        "kernel": _sizes(weight.shape[2:]),
        "stride": _sizes(node.attrs.get("strides") or (1,) * rank),
        "padding": _symmetric_pads(node, rank),
        "dilation": _sizes(node.attrs.get("dilations") or (1,) * rank),
        "groups": groups,
        "bias": _has_weight(m, node, 2),
    }
    if x.shape[1] != weight.shape[1] * groups:
        raise Unsupported(f"weights {list(weight.shape)} don't fit input {list(x.shape)}")
    name = m.name_of(node, node.inputs[1])
    if m.use_weight(node.inputs[1], name):
        raise Unsupported("a convolution sharing its weights with another layer")
    m.layer(node, f"conv{rank}d", attrs, x, node.inputs[1])


def conv_transpose(m: _Mapper, node: OnnxNode) -> None:
    x = m.act(node.inputs[0])
    weight = m.const(node.inputs[1])
    if len(weight.shape) != 4:
        raise Unsupported("only 2-D transposed convolutions")
    groups = node.attrs.get("group", 1)
    pads = _symmetric_pads(node, 2)
    if pads == "same" or "output_shape" in node.attrs:
        raise Unsupported("auto_pad or output_shape on a transposed convolution")
    attrs = {
        "out": weight.shape[1] * groups,
        "kernel": _sizes(weight.shape[2:]),
        "stride": _sizes(node.attrs.get("strides") or (1, 1)),
        "padding": pads,
        "output_padding": _sizes(node.attrs.get("output_padding") or (0, 0)),
        "dilation": _sizes(node.attrs.get("dilations") or (1, 1)),
        "groups": groups,
        "bias": _has_weight(m, node, 2),
    }
    m.use_weight(node.inputs[1], node.name)
    m.layer(node, "conv_transpose2d", attrs, x, node.inputs[1])


def _linear(m: _Mapper, node: OnnxNode, x: Act, weight_tensor: str, out: int, bias: bool) -> None:
    name = m.name_of(node, weight_tensor)
    tied = m.use_weight(weight_tensor, name)
    attrs: dict[str, Any] = {"out": out, "bias": bias}
    if tied:
        attrs["tied"] = True
    m.layer(node, "linear", attrs, x, weight_tensor)


def gemm(m: _Mapper, node: OnnxNode) -> None:
    x = m.act(node.inputs[0])
    weight = m.const(node.inputs[1])
    if node.attrs.get("transA", 0) or len(weight.shape) != 2:
        raise Unsupported("Gemm with a transposed input")
    features = weight.shape[0] if node.attrs.get("transB", 0) else weight.shape[1]
    inner = weight.shape[1] if node.attrs.get("transB", 0) else weight.shape[0]
    if x.shape[-1] != inner:
        raise Unsupported(f"weights {list(weight.shape)} don't fit input {list(x.shape)}")
    _linear(m, node, x, node.inputs[1], features, _has_weight(m, node, 2))


def matmul(m: _Mapper, node: OnnxNode) -> None:
    left, right = node.inputs[0], node.inputs[1]
    if left in m.acts and right in m.acts:
        m.merge(node, "matmul", (m.acts[left], m.acts[right]))
        return
    x, weight = m.act(left), m.const(right)
    if len(weight.shape) != 2 or x.shape[-1] != weight.shape[0]:
        raise Unsupported(f"weights {list(weight.shape)} don't fit input {list(x.shape)}")
    _linear(m, node, x, right, weight.shape[1], False)


def _bias_target(m: _Mapper, x: Act, tensor: str, const: Const) -> Step | None:
    """The layer whose bias this Add is, when the exporter split a linear (MatMul + Add)."""
    if x.step == 0:
        return None
    step = m.steps[x.step - 1]
    if step.op not in ("linear", "conv1d", "conv2d", "conv3d") or step.attrs.get("bias", True):
        return None
    channels = step.output[-1] if step.op == "linear" else step.output[1]
    size = math.prod(const.shape)
    trailing = [s for s in const.shape if s != 1]
    if size != channels or trailing != [channels]:
        return None
    return step


def _elementwise(how: str) -> Handler:
    def handle(m: _Mapper, node: OnnxNode) -> None:
        first, second = node.inputs[0], node.inputs[1]
        if first in m.acts and second in m.acts:
            if how in ("add", "mul"):
                if how == "mul" and _silu(m, node):
                    return
                m.merge(node, how, (m.acts[first], m.acts[second]))
                return
            raise Unsupported(f"{node.op_type} of two computed tensors")
        tensor = second if first in m.acts else first
        x = m.act(first if first in m.acts else second)
        const = m.const(tensor)
        number = m.number(tensor)
        if math.prod(const.shape) == 1 or number is not None:
            m.layer(node, "scale", {}, x)
            return
        if how == "add" and first in m.acts and m.readers.get(first, 0) == 1:
            target = _bias_target(m, x, tensor, const)
            if target is not None:
                m.update(target.key, attrs=MappingProxyType({**target.attrs, "bias": True}))
                m.alias(node, x)
                return
        if how == "add" and len(x.shape) == 3 and const.shape == (1, *x.shape[1:]):
            m.layer(node, "position_embedding", {}, x, tensor)
            return
        if how == "mul" and len(x.shape) >= 2:
            channels = [s for s in const.shape if s != 1]
            if channels == [x.shape[1]] and len(const.shape) in (len(x.shape) - 1, len(x.shape)):
                m.layer(node, "layer_scale", {}, x, tensor)
                return
        raise Unsupported(f"{node.op_type} with a constant of shape {list(const.shape)}")

    return handle


def _silu(m: _Mapper, node: OnnxNode) -> bool:
    """x · sigmoid(x), as exporters write SiLU: one silu layer."""
    for this, other in ((node.inputs[0], node.inputs[1]), (node.inputs[1], node.inputs[0])):
        gate = m.acts[this]
        if gate.step == 0 or m.readers.get(this, 0) != 1:
            continue
        step = m.steps[gate.step - 1]
        if (
            step.op == "sigmoid"
            and step.inputs == (m.acts[other].step,)
            and step.key == len(m.steps)
        ):
            m.update(step.key, op="silu", name=m.name_of(node) or step.name)
            m.alias(node, gate)
            return True
    return False


def _simple(op: str, attrs: Callable[[OnnxNode], dict[str, Any]] | None = None) -> Handler:
    def handle(m: _Mapper, node: OnnxNode) -> None:
        m.layer(node, op, attrs(node) if attrs else {}, m.act(node.inputs[0]))

    return handle


def clip(m: _Mapper, node: OnnxNode) -> None:
    x = m.act(node.inputs[0])
    low = (
        m.number(node.inputs[1])
        if len(node.inputs) > 1 and node.inputs[1]
        else node.attrs.get("min")
    )
    high = (
        m.number(node.inputs[2])
        if len(node.inputs) > 2 and node.inputs[2]
        else node.attrs.get("max")
    )
    if low == 0 and high == 6:
        m.layer(node, "relu6", {}, x)
    elif low == 0 and high is None:
        m.layer(node, "relu", {}, x)
    else:
        raise Unsupported(f"Clip to [{low}, {high}]")


def _pool(op: str) -> Handler:
    def handle(m: _Mapper, node: OnnxNode) -> None:
        x = m.act(node.inputs[0])
        kernel = tuple(node.attrs.get("kernel_shape", ()))
        if len(kernel) != 2:
            raise Unsupported("only 2-D pooling")
        pads = _symmetric_pads(node, 2)
        if pads == "same":
            raise Unsupported("auto_pad on pooling")
        attrs: dict[str, Any] = {
            "kernel": _sizes(kernel),
            "stride": _sizes(node.attrs.get("strides") or kernel),
            "padding": pads,
            "ceil_mode": bool(node.attrs.get("ceil_mode", 0)),
        }
        if op == "maxpool2d":
            attrs["dilation"] = _sizes(node.attrs.get("dilations") or (1, 1))
        m.layer(node, op, attrs, x)

    return handle


def global_average_pool(m: _Mapper, node: OnnxNode) -> None:
    m.layer(node, "adaptive_avgpool2d", {"size": 1}, m.act(node.inputs[0]))


def reduce_mean(m: _Mapper, node: OnnxNode) -> None:
    x = m.act(node.inputs[0])
    if len(node.inputs) > 1 and node.inputs[1]:
        axes = m.ints(node.inputs[1], "axes")
    else:
        axes = tuple(node.attrs.get("axes", range(len(x.shape))))
    rank = len(x.shape)
    dims = sorted(axis % rank for axis in axes)
    attrs: dict[str, Any] = {"dims": dims[0] if len(dims) == 1 else dims}
    if node.attrs.get("keepdims", 1):
        attrs["keepdim"] = True
    m.layer(node, "mean", attrs, x)


def batch_normalization(m: _Mapper, node: OnnxNode) -> None:
    x = m.act(node.inputs[0])
    op = "batchnorm2d" if len(x.shape) == 4 else "batchnorm1d"
    m.layer(node, op, {}, x, node.inputs[1])


def layer_normalization(m: _Mapper, node: OnnxNode) -> None:
    x = m.act(node.inputs[0])
    axis = node.attrs.get("axis", -1) % len(x.shape)
    attrs: dict[str, Any] = {"dims": len(x.shape) - axis}
    if not (len(node.inputs) > 2 and node.inputs[2]):
        attrs["bias"] = False
    m.layer(node, "layernorm", attrs, x, node.inputs[1])


def flatten(m: _Mapper, node: OnnxNode) -> None:
    x = m.act(node.inputs[0])
    axis = node.attrs.get("axis", 1) % (len(x.shape) or 1)
    if axis == 1 and len(x.shape) > 1:
        m.layer(node, "flatten", {}, x)
    else:
        outer = math.prod(x.shape[:axis])
        m.layer(node, "reshape", {"shape": [outer, math.prod(x.shape) // outer]}, x)


def reshape(m: _Mapper, node: OnnxNode) -> None:
    x = m.act(node.inputs[0])
    target = list(m.ints(node.inputs[1], "target shape"))
    if not node.attrs.get("allowzero", 0):
        target = [
            x.shape[i] if size == 0 and i < len(x.shape) else size for i, size in enumerate(target)
        ]
    if -1 in target:
        known = math.prod(size for size in target if size != -1)
        if known <= 0:
            raise Unsupported(f"target shape {target}")
        target = [math.prod(x.shape) // known if size == -1 else size for size in target]
    m.layer(node, "reshape", {"shape": target}, x)


def _reshape_to(m: _Mapper, node: OnnxNode, x: Act, shape: Shape) -> None:
    m.layer(node, "reshape", {"shape": list(shape)}, x)


def squeeze(m: _Mapper, node: OnnxNode) -> None:
    x = m.act(node.inputs[0])
    rank = len(x.shape)
    if len(node.inputs) > 1 and node.inputs[1]:
        axes = {a % rank for a in m.ints(node.inputs[1], "axes")}
    elif "axes" in node.attrs:
        axes = {a % rank for a in node.attrs["axes"]}
    else:
        axes = {i for i, size in enumerate(x.shape) if size == 1}
    _reshape_to(m, node, x, tuple(s for i, s in enumerate(x.shape) if i not in axes))


def unsqueeze(m: _Mapper, node: OnnxNode) -> None:
    x = m.act(node.inputs[0])
    axes = m.ints(node.inputs[1], "axes") if len(node.inputs) > 1 else tuple(node.attrs["axes"])
    rank = len(x.shape) + len(axes)
    shape = list(x.shape)
    for axis in sorted(a % rank for a in axes):
        shape.insert(axis, 1)
    _reshape_to(m, node, x, tuple(shape))


def transpose(m: _Mapper, node: OnnxNode) -> None:
    x = m.act(node.inputs[0])
    perm = node.attrs.get("perm") or tuple(reversed(range(len(x.shape))))
    m.layer(node, "permute", {"dims": list(perm)}, x)


def alias(m: _Mapper, node: OnnxNode) -> None:
    m.alias(node, m.act(node.inputs[0]))


def concat(m: _Mapper, node: OnnxNode) -> None:
    present = [t for t in node.inputs if t]
    axis = node.attrs.get("axis", 1)
    computed = [t for t in present if t in m.acts]
    if len(computed) == len(present):
        m.merge(node, "concat", tuple(m.acts[t] for t in present), axis)
        return
    x = m.acts[computed[0]]
    constants = [m.const(t) for t in present if t not in m.acts]
    if (
        len(computed) == 1
        and len(constants) == 1
        and present[0] not in m.acts
        and len(x.shape) == 3
        and axis % 3 == 1
        and constants[0].shape[1:] == (1, x.shape[2])
    ):
        m.layer(node, "class_token", {}, x, present[0])
        return
    raise Unsupported("Concat of computed tensors with constants")


def split(m: _Mapper, node: OnnxNode) -> None:
    x = m.act(node.inputs[0])
    axis = node.attrs.get("axis", 0) % len(x.shape)
    if len(node.inputs) > 1 and node.inputs[1]:
        sizes = m.ints(node.inputs[1], "split sizes")
    elif "split" in node.attrs:
        sizes = tuple(node.attrs["split"])
    else:
        parts = node.attrs.get("num_outputs", len(node.outputs))
        each = -(-x.shape[axis] // parts)
        sizes = tuple(min(each, x.shape[axis] - i * each) for i in range(parts))
    start = 0
    for index, size in enumerate(sizes):
        m.layer(node, "slice", {"dim": axis, "start": start, "end": start + size}, x, output=index)
        start += size


def split_to_sequence(m: _Mapper, node: OnnxNode) -> None:
    """A split kept as a sequence (an unoptimised export's chunk): its parts are read
    one by one with SequenceAt."""
    x = m.act(node.inputs[0])
    axis = node.attrs.get("axis", 0) % len(x.shape)
    if len(node.inputs) > 1 and node.inputs[1]:
        sizes = m.ints(node.inputs[1], "split sizes")
        if len(sizes) == 1 and m.const(node.inputs[1]).shape == ():  # parts of this size
            sizes = tuple(
                min(sizes[0], x.shape[axis] - start) for start in range(0, x.shape[axis], sizes[0])
            )
    elif node.attrs.get("keepdims", 1):
        sizes = (1,) * x.shape[axis]
    else:
        raise Unsupported("a split into parts without their axis")
    if sum(sizes) != x.shape[axis]:
        raise Unsupported(f"parts {list(sizes)} of an axis of {x.shape[axis]}")
    m.sequences[node.outputs[0]] = (x, axis, tuple(sizes))


def sequence_at(m: _Mapper, node: OnnxNode) -> None:
    if node.inputs[0] not in m.sequences:
        raise Unsupported(f"expects '{node.inputs[0]}' to be a split of a computed tensor")
    x, axis, sizes = m.sequences[node.inputs[0]]
    index = m.ints(node.inputs[1], "position")
    if len(index) != 1 or not -len(sizes) <= index[0] < len(sizes):
        raise Unsupported(f"position {list(index)} of {len(sizes)} parts")
    part = index[0] % len(sizes)
    start = sum(sizes[:part])
    m.layer(node, "slice", {"dim": axis, "start": start, "end": start + sizes[part]}, x)


def slice_(m: _Mapper, node: OnnxNode) -> None:
    x = m.act(node.inputs[0])
    starts, ends = m.ints(node.inputs[1], "starts"), m.ints(node.inputs[2], "ends")
    axes = (
        m.ints(node.inputs[3], "axes")
        if len(node.inputs) > 3 and node.inputs[3]
        else tuple(range(len(starts)))
    )
    steps = (
        m.ints(node.inputs[4], "steps")
        if len(node.inputs) > 4 and node.inputs[4]
        else (1,) * len(starts)
    )
    cuts = []
    for start, end, axis, step in zip(starts, ends, axes, steps, strict=True):
        size = x.shape[axis % len(x.shape)]
        begin = max(start + size, 0) if start < 0 else min(start, size)
        stop = max(end + size, 0) if end < 0 else min(end, size)
        if begin == 0 and stop == size and step == 1:
            continue
        if step != 1:
            raise Unsupported("a strided slice")
        cuts.append((axis % len(x.shape), begin, stop))
    if not cuts:
        m.alias(node, x)
        return
    if len(cuts) > 1:
        raise Unsupported("a slice along more than one axis")
    axis, begin, stop = cuts[0]
    m.layer(node, "slice", {"dim": axis, "start": begin, "end": stop}, x)


def gather(m: _Mapper, node: OnnxNode) -> None:
    data, indices = node.inputs[0], node.inputs[1]
    if data in m.consts and indices in m.acts:
        table = m.const(data)
        if len(table.shape) != 2:
            raise Unsupported(f"an embedding table of shape {list(table.shape)}")
        m.use_weight(data, node.name)
        m.layer(
            node,
            "embedding",
            {"vocab": table.shape[0], "dim": table.shape[1]},
            m.acts[indices],
            data,
        )
        return
    x = m.act(data)
    table = m.const(indices)
    if len(x.shape) == 1 and math.prod(table.shape) == x.shape[0] and table.shape != ():
        # as_strided exported as a Gather over the flattened tensor (ConvNeXt's pooled
        # features): every element once, reshaped; its indices are often stored like
        # weights, and then unread
        every = tuple(range(x.shape[0]))
        if table.value is None or tuple(sorted(int(v) for v in table.value.values)) == every:
            _reshape_to(m, node, x, table.shape)
            return
    index = m.ints(indices, "index")
    if len(index) != 1 or m.const(indices).shape != ():
        raise Unsupported("a gather of several indices")
    m.layer(node, "select", {"dim": node.attrs.get("axis", 0), "index": index[0]}, x)


def softmax(m: _Mapper, node: OnnxNode) -> None:
    x = m.act(node.inputs[0])
    axis = node.attrs.get("axis", -1)
    m.layer(node, "softmax", {"dim": axis} if axis != -1 else {}, x)


def gelu(m: _Mapper, node: OnnxNode) -> None:
    approximate = node.attrs.get("approximate", "none")
    m.layer(
        node,
        "gelu",
        {"approximate": approximate} if approximate != "none" else {},
        m.act(node.inputs[0]),
    )


def leaky_relu(m: _Mapper, node: OnnxNode) -> None:
    m.layer(node, "leaky_relu", {"slope": node.attrs.get("alpha", 0.01)}, m.act(node.inputs[0]))


VIEWS = frozenset({"permute", "reshape"})  # steps that only move data: no work of their own
DIRECTIONS = {"forward": False, "reverse": False, "bidirectional": True}


def _stacked_below(m: _Mapper, x: Act, op: str, name: str, attrs: Mapping[str, Any]) -> Step | None:
    """The recurrent layer of the same module whose output, through views only, is `x`:
    torch.onnx.export writes a 2-layer nn.LSTM as two LSTM nodes."""
    key = x.step
    while key:
        step = m.steps[key - 1]
        if step.op == op:
            same = {k: v for k, v in step.attrs.items() if k != "layers"} == dict(attrs)
            return step if step.name == name and same else None
        if step.op not in VIEWS or len(step.inputs) != 1:
            return None
        key = step.inputs[0]
    return None


def _recurrent(op: str) -> Handler:
    """ONNX LSTM, GRU, RNN: [seq, batch, features] (layout 0) or batch first (layout 1);
    Y is [seq, directions, batch, hidden] (or [batch, seq, directions, hidden])."""

    def handle(m: _Mapper, node: OnnxNode) -> None:
        x = m.act(node.inputs[0])
        if len(x.shape) != 3 or (len(node.inputs) > 7 and node.inputs[7]):
            raise Unsupported("a recurrent layer on other than 3-D input, or with peepholes")
        direction = node.attrs.get("direction", "forward")
        if direction not in DIRECTIONS or "hidden_size" not in node.attrs:
            raise Unsupported(f"direction '{direction}' or no hidden_size")
        hidden, both = int(node.attrs["hidden_size"]), DIRECTIONS[direction]
        attrs: dict[str, Any] = {"hidden": hidden, "bidirectional": both}
        attrs["bias"] = len(node.inputs) > 3 and bool(node.inputs[3])
        if op == "rnn":
            activations = [str(a).lower() for a in node.attrs.get("activations", ["Tanh"])]
            if activations[0] not in ("tanh", "relu"):
                raise Unsupported(f"an RNN with {activations[0]}")
            attrs["nonlinearity"] = activations[0]
        first = node.attrs.get("layout", 0) == 0
        directions = 2 if both else 1
        name = m.name_of(node)
        if first:
            x = _step(m, node, "permute", {"dims": [1, 0, 2]}, x)  # batch first, as ours
        _, written = apply_op(op, attrs, x.shape)  # as a step keeps them: defaults left out
        below = _stacked_below(m, m.act(node.inputs[0]), op, name, written)
        if below is not None and x.shape[2] == directions * hidden:
            # one more layer of the layer below: its output, and so x, keep their shape
            stacked = {**below.attrs, "layers": below.attrs.get("layers", 1) + 1}
            _, kept = apply_op(op, stacked, m.shape(below.inputs[0]))
            m.update(below.key, attrs=MappingProxyType(kept))
        else:
            x = _step(m, node, op, attrs, x)
        batch, steps = x.shape[0], x.shape[1]
        x = _step(m, node, "reshape", {"shape": [batch, steps, directions, hidden]}, x)
        if first:
            x = _step(m, node, "permute", {"dims": [1, 2, 0, 3]}, x)
        m.acts[node.outputs[0]] = x

    return handle


def _step(m: _Mapper, node: OnnxNode, op: str, attrs: dict[str, Any], x: Act) -> Act:
    step = m.layer(node, op, attrs, x)
    return Act(step.key, step.output)


def resize(m: _Mapper, node: OnnxNode) -> None:
    x = m.act(node.inputs[0])
    mode = node.attrs.get("mode", "nearest")
    if mode not in ("nearest", "linear"):
        raise Unsupported(f"resize mode {mode}")
    attrs: dict[str, Any] = {"mode": "bilinear" if mode == "linear" else "nearest"}
    if len(node.inputs) > 3 and node.inputs[3]:
        attrs["size"] = list(m.ints(node.inputs[3], "sizes")[2:])
    elif len(node.inputs) > 2 and node.inputs[2]:
        scales = m.const(node.inputs[2]).value
        if scales is None:
            raise Unsupported("its scales can't be worked out without running it")
        attrs["scale"] = [float(s) for s in scales.values[2:]]
    else:
        raise Unsupported("a resize with neither scales nor sizes")
    m.layer(node, "upsample", attrs, x)


ONNX_OPS: dict[str, Handler] = {
    # convolution and linear
    "Conv": conv,
    "ConvTranspose": conv_transpose,
    "Gemm": gemm,
    "MatMul": matmul,
    # normalisation
    "BatchNormalization": batch_normalization,
    "LayerNormalization": layer_normalization,
    # activation
    "Relu": _simple("relu"),
    "Clip": clip,
    "LeakyRelu": leaky_relu,
    "Gelu": gelu,
    "Sigmoid": _simple("sigmoid"),
    "Tanh": _simple("tanh"),
    "HardSwish": _simple("hardswish"),
    "HardSigmoid": _simple("hardsigmoid"),
    "Softmax": softmax,
    # recurrent
    "LSTM": _recurrent("lstm"),
    "GRU": _recurrent("gru"),
    "RNN": _recurrent("rnn"),
    # pooling and resizing
    "MaxPool": _pool("maxpool2d"),
    "AveragePool": _pool("avgpool2d"),
    "GlobalAveragePool": global_average_pool,
    "ReduceMean": reduce_mean,
    "Resize": resize,
    # element-wise: merges of two computed tensors, biases and scales with constants
    "Add": _elementwise("add"),
    "Mul": _elementwise("mul"),
    "Sub": _elementwise("sub"),
    "Div": _elementwise("div"),
    "Concat": concat,
    # views and data movement
    "Flatten": flatten,
    "Reshape": reshape,
    "Squeeze": squeeze,
    "Unsqueeze": unsqueeze,
    "Transpose": transpose,
    "Split": split,
    "SplitToSequence": split_to_sequence,
    "SequenceAt": sequence_at,
    "Slice": slice_,
    "Gather": gather,
    "Identity": alias,
    "Dropout": alias,  # inference: nothing
    "Cast": alias,
}


def _input_shape(
    graph: OnnxGraph, given: Shape | None, where: Position
) -> tuple[str, Shape, list[str]]:
    if not graph.inputs:
        raise fail(where, "import.input", "the graph has no input")
    name, dims = graph.inputs[0]
    notices = []
    if len(graph.inputs) > 1:
        others = ", ".join(n for n, _ in graph.inputs[1:])
        notices.append(
            f"the graph has several inputs; the first, '{name}', is the model's input "
            f"({others} must be unused)"
        )
    if given is not None:
        if len(given) != len(dims):
            raise fail(
                where, "import.input", f"--input has {len(given)} dims, '{name}' has {len(dims)}"
            )
        return name, given, notices
    shape = []
    for axis, dim in enumerate(dims):
        if isinstance(dim, int) and dim > 0:
            shape.append(dim)
        elif axis == 0:
            shape.append(1)
            notices.append(f"the symbolic batch '{dim}' of '{name}' is taken as 1")
        else:
            raise fail(
                where,
                "import.input",
                f"dimension {axis} of '{name}' is symbolic ('{dim}'): give the shape with --input",
            )
    return name, tuple(shape), notices


def map_onnx(
    graph: OnnxGraph,
    name: str,
    where: Position,
    input_shape: Shape | None = None,
    allow_unknown: bool = False,
) -> ImportedGraph:
    """The graph in our ops; SpecError listing every unsupported node (by op and name)."""
    input_name, shape, notices = _input_shape(graph, input_shape, where)
    mapper = _Mapper(graph, where)
    mapper.run(shape, input_name)
    if mapper.unknown and not allow_unknown:
        raise SpecError(
            *(
                Problem(
                    where,
                    "import.unknown_op",
                    f"unsupported ONNX op {op} (node '{node}'); --allow-unknown counts it as free",
                )
                for op, node in mapper.unknown[:20]
            )
        )
    for op, node in mapper.unknown:
        notices.append(f"unsupported ONNX op {op} (node '{node}') counted as free")
    output = graph.outputs[0] if graph.outputs else ""
    if output not in mapper.acts:
        raise fail(
            where, "import.output", f"the graph's output '{output}' isn't computed from its input"
        )
    if len(graph.outputs) > 1:
        notices.append(
            f"the graph has {len(graph.outputs)} outputs; the first, '{output}', is costed"
        )
    return ImportedGraph(
        name=name,
        input=shape,
        steps=tuple(mapper.steps),
        output=mapper.acts[output].step,
        classes=MappingProxyType(dict(mapper.classes)),
        notices=tuple(notices),
        input_name=input_name,
    )
