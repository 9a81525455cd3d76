"""Read an ONNX model's graph into plain, framework-free records: shapes, never weights.

The file is parsed from its bytes, so external data (the weights of a large
model, beside it or absent) is never opened. Only the values of small
constants (shape arithmetic, reshape targets, slice bounds) are kept.
This is the only module that imports `onnx`.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from budgetlint.graph import Shape
from budgetlint.problems import Position, fail

MAX_NODES = 100_000
MAX_CONSTANT_VALUES = 64  # constants up to this many values are kept (shape arithmetic)
SCOPES_KEY = "pkg.torch.onnx.name_scopes"  # torch.onnx.export's module path of each node
CLASSES_KEY = "pkg.torch.onnx.class_hierarchy"  # and the class at each level of that path


@dataclass(frozen=True)
class StaticValue:
    """A small constant tensor known at import time: its shape and its values, flattened."""

    shape: Shape
    values: tuple[float | int, ...]


@dataclass(frozen=True)
class OnnxNode:
    op_type: str
    name: str
    inputs: tuple[str, ...]  # "" marks an omitted optional input
    outputs: tuple[str, ...]
    attrs: Mapping[str, Any]
    scopes: tuple[str, ...] = ()  # module path segments, from the exporter's metadata
    classes: tuple[str, ...] = ()  # the class at each of those levels


@dataclass(frozen=True)
class OnnxGraph:
    inputs: tuple[tuple[str, tuple[int | str, ...]], ...]  # graph inputs, initializers left out
    outputs: tuple[str, ...]
    initializers: Mapping[str, Shape]  # name → shape (the weights, never their values)
    constants: Mapping[str, StaticValue]  # initializers small enough to read
    nodes: tuple[OnnxNode, ...]
    value_shapes: Mapping[str, Shape] = field(default_factory=dict)  # onnx shape inference


def _require_onnx(where: Position) -> Any:
    try:
        import onnx
    except ImportError:
        raise fail(
            where,
            "import.extra",
            "reading ONNX files needs the onnx package: pip install 'budgetlint[onnx]'",
        ) from None
    return onnx


def _dims(type_proto: Any) -> tuple[int | str, ...]:
    dims: list[int | str] = []
    for dim in type_proto.tensor_type.shape.dim:
        if dim.HasField("dim_value"):
            dims.append(int(dim.dim_value))
        else:
            dims.append(dim.dim_param or "?")
    return tuple(dims)


def _small_value(onnx: Any, tensor: Any) -> StaticValue | None:
    """The values of a small initializer or Constant stored inside the file, else None."""
    shape = tuple(int(d) for d in tensor.dims)
    count = 1
    for size in shape:
        count *= size
    if count > MAX_CONSTANT_VALUES or tensor.data_location == onnx.TensorProto.EXTERNAL:
        return None
    try:
        array = onnx.numpy_helper.to_array(tensor)
    except Exception:  # a malformed or unsupported tensor: its values are simply unknown
        return None
    return StaticValue(shape, tuple(value.item() for value in array.reshape(-1)))


def _attribute(onnx: Any, attr: Any) -> Any:
    kind = onnx.AttributeProto
    if attr.type == kind.INT:
        return int(attr.i)
    if attr.type == kind.FLOAT:
        return float(attr.f)
    if attr.type == kind.STRING:
        return attr.s.decode("utf-8", "replace")
    if attr.type == kind.INTS:
        return tuple(int(v) for v in attr.ints)
    if attr.type == kind.FLOATS:
        return tuple(float(v) for v in attr.floats)
    if attr.type == kind.TENSOR:
        return _small_value(onnx, attr.t)
    return None  # graphs, sparse tensors, type protos: not needed for costs


def _metadata(node: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    props = {prop.key: prop.value for prop in node.metadata_props}
    scopes: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    for key in (SCOPES_KEY, CLASSES_KEY):
        text = props.get(key)
        if not text:
            continue
        try:
            parsed = ast.literal_eval(text)  # a Python list literal of strings, nothing else
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue
        if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
            if key == SCOPES_KEY:
                scopes = tuple(parsed)
            else:
                classes = tuple(parsed)
    return scopes, classes


def read_onnx(raw: bytes, where: Position) -> OnnxGraph:
    """Parse a serialized ModelProto; SpecError when it isn't one."""
    onnx = _require_onnx(where)
    try:
        model = onnx.load_model_from_string(raw)
    except Exception as error:  # protobuf's DecodeError and friends
        raise fail(where, "import.onnx", f"not an ONNX model: {type(error).__name__}") from None
    graph = model.graph
    if len(graph.node) > MAX_NODES:
        raise fail(where, "import.too_large", f"more than {MAX_NODES:,} nodes: refused")
    initializers = {t.name: tuple(int(d) for d in t.dims) for t in graph.initializer}
    constants = {}
    for tensor in graph.initializer:
        value = _small_value(onnx, tensor)
        if value is not None:
            constants[tensor.name] = value
    nodes = []
    for index, node in enumerate(graph.node):
        scopes, classes = _metadata(node)
        nodes.append(
            OnnxNode(
                op_type=node.op_type
                if node.domain in ("", "ai.onnx")
                else f"{node.domain}.{node.op_type}",
                name=node.name or f"node_{index}",
                inputs=tuple(node.input),
                outputs=tuple(node.output),
                attrs=MappingProxyType({a.name: _attribute(onnx, a) for a in node.attribute}),
                scopes=scopes,
                classes=classes,
            )
        )
    return OnnxGraph(
        inputs=tuple(
            (value.name, _dims(value.type))
            for value in graph.input
            if value.name not in initializers
        ),
        outputs=tuple(value.name for value in graph.output),
        initializers=MappingProxyType(initializers),
        constants=MappingProxyType(constants),
        nodes=tuple(nodes),
        value_shapes=MappingProxyType(_inferred_shapes(onnx, model)),
    )


def _inferred_shapes(onnx: Any, model: Any) -> dict[str, Shape]:
    """ONNX's own shape inference, a fallback for ops we let through (--allow-unknown)."""
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # inference is best effort: unknown shapes stay unknown
        return {}
    shapes = {}
    for value in (*inferred.graph.value_info, *inferred.graph.output):
        dims = _dims(value.type)
        if dims and all(isinstance(d, int) and d > 0 for d in dims):
            shapes[value.name] = tuple(int(d) for d in dims)
    return shapes
