"""A PyTorch module (`package.module:factory`) to our graph, through torch.fx on the meta
device: module paths are the layer names (`layer1.0.conv1`), functional calls are marked
`functional`, a module called twice is one module. No weights are allocated.

A few torchvision parts are read whole: functions torch.fx keeps whole (`WRAPPED`:
Swin's attention and patch merging) and modules traced as leaves (`COMPOSITES`:
MaxViT's PartitionAttentionLayer), each written as the layers a spec writes for it.

The factory is imported and called: this runs the named package's code, as
`python -c "from package.module import factory; factory()"` would.
"""

from __future__ import annotations

import importlib
import math
import operator
import re
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from budgetlint.graph import Shape
from budgetlint.imports.graph import (
    INPUT,
    ImportedGraph,
    Step,
    Unsupported,
    merge_step,
    op_step,
)
from budgetlint.problems import Position, Problem, SpecError, fail

TARGET = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*\Z")


class Act:
    """A tensor computed from the input: the step that makes it and its shape."""

    def __init__(self, step: int, shape: Shape) -> None:
        self.step, self.shape = step, shape


class Param:
    """A parameter or buffer read with get_attr (a class token, a position table)."""

    def __init__(self, name: str, shape: Shape) -> None:
        self.name, self.shape = name, shape


class PositionBias:
    """A relative position bias gathered from a learned table (Swin, MaxViT)."""

    def __init__(self, table: Param) -> None:
        self.table = table


def _swin_position_bias(b: _Builder, node: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
    table = args[0] if args else kwargs.get("relative_position_bias_table")
    if not isinstance(table, Param):
        raise Unsupported("a relative position bias not gathered from a parameter")
    return PositionBias(table)


def _square(value: Any, what: str) -> int:
    sizes = list(value) if isinstance(value, (tuple, list)) else [value]
    if len(set(sizes)) != 1 or not isinstance(sizes[0], int):
        raise Unsupported(f"a {what} of {sizes}: only square ones")
    return sizes[0]


def _swin_attention(b: _Builder, node: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """torchvision's shifted_window_attention (Swin): one window_attention, its
    projections' weights passed in by the ShiftedWindowAttention module that calls it."""
    names = ("input", "qkv_weight", "proj_weight", "relative_position_bias", "window_size")
    given = {**dict(zip((*names, "num_heads", "shift_size"), args, strict=False)), **kwargs}
    x, qkv = given["input"], given["qkv_weight"]
    if not isinstance(x, Act) or not isinstance(qkv, Param) or len(x.shape) != 4:
        raise Unsupported("shifted_window_attention on other than [N, H, W, C]")
    if qkv.shape != (3 * x.shape[-1], x.shape[-1]) or given.get("logit_scale") is not None:
        raise Unsupported("shifted_window_attention with other q, k, v sizes or a logit scale")
    bias = given.get("relative_position_bias")
    attrs: dict[str, Any] = {
        "heads": given["num_heads"],
        "window": _square(given["window_size"], "window"),
        "shift": _square(given.get("shift_size", 0), "shift"),
        "position_bias": isinstance(bias, PositionBias),
        "qkv_bias": given.get("qkv_bias") is not None,
        "proj_bias": given.get("proj_bias") is not None,
    }
    return b.layer("window_attention", attrs, x, _scope(node) or node.name, functional=True)


def _swin_patch_merging(b: _Builder, node: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """torchvision's _patch_merging_pad: the 2×2 neighbours of [N, H, W, C] concatenated
    into [N, H/2, W/2, 4C], as a pixel unshuffle between permutes (even H and W)."""
    x = args[0]
    if not isinstance(x, Act) or len(x.shape) != 4 or x.shape[1] % 2 or x.shape[2] % 2:
        raise Unsupported("patch merging of other than [N, H, W, C] with even H and W")
    x = b.layer("permute", {"dims": [0, 3, 1, 2]}, x, node.name, functional=True)
    x = b.layer("pixel_unshuffle", {"factor": 2}, x, node.name, functional=True)
    return b.layer("permute", {"dims": [0, 2, 3, 1]}, x, node.name, functional=True)


# torchvision functions that torch.fx keeps whole (torch.fx.wrap): module, name → handler
WRAPPED = {
    ("torchvision.models.swin_transformer", "_get_relative_position_bias"): _swin_position_bias,
    ("torchvision.models.swin_transformer", "shifted_window_attention"): _swin_attention,
    ("torchvision.models.swin_transformer", "_patch_merging_pad"): _swin_patch_merging,
}


def _require_torch(where: Position) -> Any:
    try:
        import torch
        import torch.fx
    except ImportError:
        raise fail(
            where, "import.extra", "importing a PyTorch module needs torch: pip install torch"
        ) from None
    return torch


def _pair(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return value[0] if len(set(value)) == 1 else list(value)
    return value


def _module_layer(module: Any, torch: Any) -> tuple[str, dict[str, Any]] | None:
    """Our op and attributes for a leaf module, or None when we have no mapping."""
    nn = torch.nn
    kind = type(module)
    if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        rank = {nn.Conv1d: 1, nn.Conv2d: 2, nn.Conv3d: 3}[
            next(k for k in (nn.Conv1d, nn.Conv2d, nn.Conv3d) if isinstance(module, k))
        ]
        padding = module.padding if isinstance(module.padding, str) else _pair(module.padding)
        return f"conv{rank}d", {
            "out": module.out_channels,
            "kernel": _pair(module.kernel_size),
            "stride": _pair(module.stride),
            "padding": padding,
            "dilation": _pair(module.dilation),
            "groups": module.groups,
            "bias": module.bias is not None,
        }
    if isinstance(module, nn.ConvTranspose2d):
        return "conv_transpose2d", {
            "out": module.out_channels,
            "kernel": _pair(module.kernel_size),
            "stride": _pair(module.stride),
            "padding": _pair(module.padding),
            "output_padding": _pair(module.output_padding),
            "dilation": _pair(module.dilation),
            "groups": module.groups,
            "bias": module.bias is not None,
        }
    if isinstance(module, nn.Linear):
        return "linear", {"out": module.out_features, "bias": module.bias is not None}
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        op = "batchnorm2d" if isinstance(module, nn.BatchNorm2d) else "batchnorm1d"
        return op, {"affine": module.affine, "running_stats": module.track_running_stats}
    if isinstance(module, nn.LayerNorm):
        return "layernorm", {
            "dims": len(module.normalized_shape),
            "affine": module.elementwise_affine,
            "bias": getattr(module, "bias", None) is not None,
        }
    if isinstance(module, nn.GroupNorm):
        return "groupnorm", {"groups": module.num_groups, "affine": module.affine}
    if isinstance(module, nn.MaxPool2d):
        return "maxpool2d", {
            "kernel": _pair(module.kernel_size),
            "stride": _pair(module.stride),
            "padding": _pair(module.padding),
            "dilation": _pair(module.dilation),
            "ceil_mode": module.ceil_mode,
        }
    if isinstance(module, nn.AvgPool2d):
        return "avgpool2d", {
            "kernel": _pair(module.kernel_size),
            "stride": _pair(module.stride),
            "padding": _pair(module.padding),
            "ceil_mode": module.ceil_mode,
        }
    if isinstance(module, nn.AdaptiveAvgPool2d):
        return "adaptive_avgpool2d", {"size": _pair(module.output_size)}
    if isinstance(module, nn.Flatten):
        return "flatten", {"start_dim": module.start_dim, "end_dim": module.end_dim}
    if isinstance(module, nn.Dropout):
        return "dropout", {"p": module.p}
    if isinstance(module, nn.LeakyReLU):
        return "leaky_relu", {"slope": module.negative_slope}
    if isinstance(module, nn.GELU):
        return "gelu", {"approximate": module.approximate}
    if isinstance(module, nn.Softmax):
        return "softmax", {"dim": -1 if module.dim is None else module.dim}
    if isinstance(module, nn.Embedding):
        return "embedding", {"vocab": module.num_embeddings, "dim": module.embedding_dim}
    simple = {
        nn.ReLU: "relu",
        nn.ReLU6: "relu6",
        nn.SiLU: "silu",
        nn.Sigmoid: "sigmoid",
        nn.Tanh: "tanh",
        nn.Hardswish: "hardswish",
        nn.Hardsigmoid: "hardsigmoid",
        nn.Identity: "identity",
    }
    for cls, op in simple.items():
        if kind is cls:
            return op, {}
    return None


class _Builder:
    def __init__(self, torch: Any, model: Any, original: Any, where: Position) -> None:
        self.torch = torch
        self.model = model  # the traced GraphModule: its leaf modules are the originals
        self.original = original  # whose containers keep their classes (for block names)
        self.where = where
        self.steps: list[Step] = []
        self.classes: dict[str, str] = {}

    def layer(
        self, op: str, attrs: dict[str, Any], source: Act, name: str, functional: bool = False
    ) -> Act:
        key = len(self.steps) + 1
        step = op_step(key, op, attrs, (source.step, source.shape), name, name, functional)
        self.steps.append(step)
        if "." in name or not functional:
            self.remember(name)
        return Act(step.key, step.output)

    def remember(self, path: str) -> None:
        parts = path.split(".")
        for depth in range(1, len(parts)):
            prefix = ".".join(parts[:depth])
            if prefix not in self.classes:
                try:
                    self.classes[prefix] = type(self.original.get_submodule(prefix)).__name__
                except AttributeError:
                    return

    def merge(self, how: str, sources: tuple[Act, ...], name: str, axis: int = 1) -> Act:
        inputs = tuple((source.step, source.shape) for source in sources)
        step = merge_step(len(self.steps) + 1, how, inputs, name, name, axis)
        self.steps.append(step)
        return Act(step.key, step.output)


def _scope(node: Any) -> str:
    """The module path whose forward made a functional call (torch.fx records it)."""
    stack = node.meta.get("nn_module_stack") if hasattr(node, "meta") else None
    if stack:
        return str(list(stack.values())[-1][0])
    return ""


def _reshape(shape: Shape, target: tuple[int, ...]) -> list[int]:
    known = math.prod(size for size in target if size != -1)
    return [math.prod(shape) // known if size == -1 else int(size) for size in target]


def _call(b: _Builder, node: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
    torch = b.torch
    F = torch.nn.functional
    target = node.target
    name = node.name
    wrapped = WRAPPED.get((getattr(target, "__module__", ""), getattr(target, "__name__", "")))
    if wrapped is not None:
        return wrapped(b, node, args, kwargs)
    acts = [a for a in args if isinstance(a, Act)]
    if not acts and not any(isinstance(a, (Param, list, tuple)) for a in args):
        if target is torch._assert:
            return None
        try:
            return target(*args, **kwargs)  # arithmetic on sizes
        except Exception as error:
            raise Unsupported(
                f"{getattr(target, '__name__', target)} on constants: {error}"
            ) from None
    if target is F.layer_norm and isinstance(args[0], Act):
        shape = args[1] if len(args) > 1 else kwargs["normalized_shape"]
        weight = args[2] if len(args) > 2 else kwargs.get("weight")
        bias = args[3] if len(args) > 3 else kwargs.get("bias")
        attrs = {"dims": len(shape), "affine": weight is not None, "bias": bias is not None}
        return b.layer("layernorm", attrs, args[0], _scope(node) or name, functional=True)
    if target in (operator.mul, torch.mul) and any(isinstance(a, Param) for a in args[:2]):
        act = next((a for a in args[:2] if isinstance(a, Act)), None)
        scale = next(a for a in args[:2] if isinstance(a, Param))
        channels = [size for size in scale.shape if size != 1]
        if act is not None and len(act.shape) >= 2 and channels == [act.shape[1]]:
            return b.layer("layer_scale", {}, act, scale.name)
    if target in (operator.add, operator.iadd, torch.add):
        left, right = args[0], args[1]
        if isinstance(left, Act) and isinstance(right, Act):
            return b.merge("add", (left, right), name)
        act, other = (left, right) if isinstance(left, Act) else (right, left)
        if isinstance(other, Param) and other.shape == (1, *act.shape[1:]):
            return b.layer("position_embedding", {}, act, other.name)
        if isinstance(other, (int, float)):
            return b.layer("scale", {}, act, name, functional=True)
    if target in (operator.mul, torch.mul, operator.truediv, operator.sub):
        left, right = args[0], args[1]
        if isinstance(left, Act) and isinstance(right, Act) and target in (operator.mul, torch.mul):
            return b.merge("mul", (left, right), name)
        act = left if isinstance(left, Act) else right
        if isinstance(left if act is right else right, (int, float)):
            return b.layer("scale", {}, act, name, functional=True)
    if target in (torch.flatten,):
        start = args[1] if len(args) > 1 else kwargs.get("start_dim", 0)
        end = args[2] if len(args) > 2 else kwargs.get("end_dim", -1)
        return b.layer("flatten", {"start_dim": start, "end_dim": end}, args[0], name, True)
    if target in (torch.cat, torch.concat):
        parts = args[0]
        dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
        if all(isinstance(p, Act) for p in parts):
            return b.merge("concat", tuple(parts), name, dim)
        if len(parts) == 2 and isinstance(parts[0], Param) and isinstance(parts[1], Act):
            return b.layer("class_token", {}, parts[1], parts[0].name)
    simple: dict[Any, str] = {
        F.relu: "relu",
        torch.relu: "relu",
        F.relu6: "relu6",
        F.silu: "silu",
        F.gelu: "gelu",
        torch.sigmoid: "sigmoid",
        F.sigmoid: "sigmoid",
        torch.tanh: "tanh",
        F.hardswish: "hardswish",
        F.hardsigmoid: "hardsigmoid",
    }
    if target in simple and isinstance(args[0], Act):
        return b.layer(simple[target], {}, args[0], _scope(node) or name, functional=True)
    if target is F.adaptive_avg_pool2d:
        return b.layer("adaptive_avgpool2d", {"size": _pair(args[1])}, args[0], name, True)
    if target is F.dropout or getattr(target, "__name__", "") == "stochastic_depth":
        return args[0]  # inference: nothing
    if target is torch.permute and isinstance(args[0], Act):
        dims = args[1] if len(args) > 1 else kwargs["dims"]
        rank = len(args[0].shape)
        return b.layer("permute", {"dims": [d % rank for d in dims]}, args[0], name, True)
    if target is torch.transpose:
        dims = list(range(len(args[0].shape)))
        a, c = args[1] % len(dims), args[2] % len(dims)
        dims[a], dims[c] = dims[c], dims[a]
        return b.layer("permute", {"dims": dims}, args[0], name, True)
    if target is operator.getitem:
        return _getitem(b, node, args[0], args[1])
    if target is getattr and isinstance(args[0], Act) and args[1] == "shape":
        return tuple(args[0].shape)
    raise Unsupported(f"the call {getattr(target, '__name__', target)}")


def _getitem(b: _Builder, node: Any, value: Any, index: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return value[index]
    if isinstance(value, Act):
        if isinstance(index, tuple) and all(i == slice(None) for i in index[:-1]):
            last = index[-1]
            if isinstance(last, int):
                return b.layer(
                    "select", {"dim": len(index) - 1, "index": last}, value, node.name, True
                )
        raise Unsupported(f"indexing with {index!r}")
    raise Unsupported(f"indexing a {type(value).__name__}")


def _method(b: _Builder, node: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
    self, rest = args[0], args[1:]
    method = node.target
    if isinstance(self, Param):
        if method == "expand":
            sizes = rest[0] if len(rest) == 1 and isinstance(rest[0], (tuple, list)) else rest
            shape = tuple(s if s != -1 else self.shape[i] for i, s in enumerate(sizes))
            return Param(self.name, shape)
        raise Unsupported(f"{method} on the parameter '{self.name}'")
    if not isinstance(self, Act):
        return getattr(self, method)(*rest, **kwargs)
    shape = self.shape
    if method == "size":
        return shape[rest[0]] if rest else tuple(shape)
    if method == "dim":
        return len(shape)
    if method in ("contiguous", "clone"):
        return self
    if method in ("view", "reshape"):
        sizes = rest[0] if len(rest) == 1 and isinstance(rest[0], (tuple, list)) else rest
        return b.layer("reshape", {"shape": _reshape(shape, tuple(sizes))}, self, node.name, True)
    if method == "permute":
        dims = rest[0] if len(rest) == 1 and isinstance(rest[0], (tuple, list)) else rest
        return b.layer("permute", {"dims": [d % len(shape) for d in dims]}, self, node.name, True)
    if method == "transpose":
        dims = list(range(len(shape)))
        a, c = rest[0] % len(dims), rest[1] % len(dims)
        dims[a], dims[c] = dims[c], dims[a]
        return b.layer("permute", {"dims": dims}, self, node.name, True)
    if method == "flatten":
        start = rest[0] if rest else kwargs.get("start_dim", 0)
        end = rest[1] if len(rest) > 1 else kwargs.get("end_dim", -1)
        return b.layer("flatten", {"start_dim": start, "end_dim": end}, self, node.name, True)
    if method == "mean":
        given = rest[0] if rest else kwargs.get("dim")
        axes: list[Any] = list(given) if isinstance(given, (tuple, list)) else [given]
        attrs: dict[str, Any] = {"dims": [d % len(shape) for d in axes]}
        if kwargs.get("keepdim") or (len(rest) > 1 and rest[1]):
            attrs["keepdim"] = True
        return b.layer("mean", attrs, self, node.name, True)
    if method == "chunk":
        parts = rest[0]
        dim = (rest[1] if len(rest) > 1 else kwargs.get("dim", 0)) % len(shape)
        each = -(-shape[dim] // parts)
        pieces = []
        for start in range(0, shape[dim], each):
            end = min(start + each, shape[dim])
            pieces.append(
                b.layer("slice", {"dim": dim, "start": start, "end": end}, self, node.name, True)
            )
        return tuple(pieces)
    raise Unsupported(f"the method .{method}()")


def _recurrent(b: _Builder, module: Any, source: Act, name: str) -> Act:
    """nn.LSTM, nn.GRU, nn.RNN on [batch, seq, features]: all its layers, one layer of ours."""
    nn = b.torch.nn
    ops = {nn.LSTM: "lstm", nn.GRU: "gru", nn.RNN: "rnn"}
    projected: int = getattr(module, "proj_size", 0)
    if type(module) not in ops or not module.batch_first or projected:
        raise Unsupported(f"{type(module).__name__} unless batch_first, without projections")
    attrs: dict[str, Any] = {
        "hidden": module.hidden_size,
        "layers": module.num_layers,
        "bidirectional": module.bidirectional,
        "bias": module.bias,
    }
    if type(module) is nn.RNN:
        attrs["nonlinearity"] = module.nonlinearity
    return b.layer(ops[type(module)], attrs, source, name)


def _child(b: _Builder, module: Any, source: Act, name: str) -> Act:
    mapped = _module_layer(module, b.torch)
    if mapped is None:
        raise Unsupported(f"the module {type(module).__name__}")
    return b.layer(*mapped, source, name)


def _maxvit_partition_attention(b: _Builder, module: Any, source: Act, name: str) -> Act:
    """torchvision's PartitionAttentionLayer (MaxViT), on [B, C, H, W]: channels last,
    attention on 7×7 windows or a 7×7 grid (window_attention partitions the map itself,
    as torchvision's reshapes do) and an MLP, each pre-norm around a sum."""
    attention, grid = module.attn_layer[1], module.partition_type == "grid"
    if len(source.shape) != 4 or type(attention).__name__ != "RelativePositionalMultiHeadAttention":
        raise Unsupported("a PartitionAttentionLayer on other than [B, C, H, W]")
    x = b.layer("permute", {"dims": [0, 2, 3, 1]}, source, name, functional=True)
    normed = _child(b, module.attn_layer[0], x, f"{name}.attn_layer.0")
    attrs = {
        "heads": attention.n_heads,
        "window": attention.size,
        "qkv_bias": attention.to_qkv.bias is not None,
        "proj_bias": attention.merge.bias is not None,
        "einsum": True,  # torchvision multiplies QKᵀ and AV with torch.einsum
        "grid": grid,
    }
    attended = b.layer("window_attention", attrs, normed, f"{name}.attn_layer.1")
    x = b.merge("add", (x, attended), name)
    y = x
    for index, child in enumerate(module.mlp_layer):
        y = _child(b, child, y, f"{name}.mlp_layer.{index}")
    x = b.merge("add", (x, y), name)
    return b.layer("permute", {"dims": [0, 3, 1, 2]}, x, name, functional=True)


# torchvision modules traced whole, each written as the layers a spec writes for it:
# class → the layers
COMPOSITES = {
    "torchvision.models.maxvit.PartitionAttentionLayer": _maxvit_partition_attention,
}


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _module(b: _Builder, node: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
    torch = b.torch
    module = b.model.get_submodule(node.target)
    source = args[0]
    if not isinstance(source, Act):
        raise Unsupported("a module called on something not computed from the input")
    composite = COMPOSITES.get(_qualified(type(module)))
    if composite is not None:
        return composite(b, module, source, node.target)
    if isinstance(module, torch.nn.MultiheadAttention):
        if not module.batch_first or module._qkv_same_embed_dim is False:
            raise Unsupported("MultiheadAttention with batch_first=False or other k/v sizes")
        if any(a is not source for a in args[1:3] if a is not None):
            raise Unsupported("cross-attention")
        attrs: dict[str, Any] = {"heads": module.num_heads, "bias": module.in_proj_bias is not None}
        if kwargs.get("need_weights", True):
            attrs["fused"] = False
        out = b.layer("multihead_attention", attrs, source, node.target)
        return (out, None)
    if isinstance(module, torch.nn.RNNBase):
        return (_recurrent(b, module, source, node.target), None)  # (output, final state)
    if type(module).__name__ == "Permute" and isinstance(getattr(module, "dims", None), list):
        return b.layer("permute", {"dims": list(module.dims)}, source, node.target)
    mapped = _module_layer(module, torch)
    if mapped is None:
        raise Unsupported(f"the module {type(module).__name__}")
    op, attrs = mapped
    return b.layer(op, attrs, source, node.target)


def _trace(torch: Any, model: Any) -> Any:
    """torch.fx's trace, with the COMPOSITES kept whole (leaves)."""

    class Tracer(torch.fx.Tracer):  # type: ignore[misc]
        def is_leaf_module(self, module: Any, qualified_name: str) -> bool:
            if _qualified(type(module)) in COMPOSITES:
                return True
            return bool(super().is_leaf_module(module, qualified_name))

    graph = Tracer().trace(model)
    return torch.fx.GraphModule(model, graph)


def torch_graph(
    target: str, input_shape: Shape | None, where: Position, allow_unknown: bool = False
) -> ImportedGraph:
    if not TARGET.match(target):
        raise fail(where, "import.torch", f"expected package.module:factory, got '{target}'")
    if input_shape is None:
        raise fail(where, "import.input", "a PyTorch module needs --input (its input shape)")
    torch = _require_torch(where)
    module_name, factory_name = target.split(":")
    try:
        factory: Callable[[], Any] = getattr(importlib.import_module(module_name), factory_name)
        with torch.device("meta"):
            model = factory()
        model.eval()
        traced = _trace(torch, model)
    except Exception as error:  # the user's code: whatever it raises is one line of ours
        raise fail(
            where,
            "import.torch",
            f"can't build and trace {target}: {type(error).__name__}: {error}",
        ) from None
    builder = _Builder(torch, traced, model, where)
    env: dict[Any, Any] = {}
    problems: list[Problem] = []
    output: Any = None
    placeholders = 0
    for node in traced.graph.nodes:

        def load(value: Any) -> Any:
            return torch.fx.node.map_arg(value, lambda n: env[n])

        args, kwargs = list(load(tuple(node.args))), dict(load(dict(node.kwargs)))
        try:
            if node.op == "placeholder":
                placeholders += 1
                env[node] = (
                    Act(INPUT, input_shape) if placeholders == 1 else node.kwargs.get("default")
                )
            elif node.op == "get_attr":
                tensor: Any = traced
                for part in node.target.split("."):
                    tensor = getattr(tensor, part)
                env[node] = Param(node.target, tuple(tensor.shape))
            elif node.op == "call_module":
                env[node] = _module(builder, node, args, kwargs)
            elif node.op == "call_function":
                env[node] = _call(builder, node, args, kwargs)
            elif node.op == "call_method":
                env[node] = _method(builder, node, args, kwargs)
            elif node.op == "output":
                output = args[0]
        except Unsupported as error:
            problems.append(
                Problem(where, "import.unsupported", f"{node.op} '{node.name}': {error}")
            )
            break
    if problems:
        raise SpecError(*problems)
    if isinstance(output, (tuple, list)):
        output = output[0]
    if not isinstance(output, Act):
        raise fail(where, "import.output", "the module's output isn't computed from its input")
    return ImportedGraph(
        name=factory_name,
        input=input_shape,
        steps=tuple(builder.steps),
        output=output.step,
        classes=MappingProxyType(dict(builder.classes)),
    )
