"""Measure what the real FLOP/parameter counting tools report, for budgetlint's golden data.

This is a standalone measurement script. It is NOT part of the budgetlint package and must
never be imported by the project's tests: the tests only read the JSON file it writes
(``tests/data/measured_counters.json``), so they need neither torch nor any of the counters.

What it does
------------
It builds a fixed set of models (batch 1, eval mode, random init, ``weights=None``, no
downloads) and a set of single-layer "micro cases", runs every counting tool on each one
and stores each tool's own totals exactly as the tool returns them (thop returns floats,
so they stay floats; nothing is rounded):

* thop        ``thop.profile(model, inputs=...)`` -> (macs, params)
* fvcore      ``FlopCountAnalysis(model, inputs)``: ``.total()``, ``.by_operator()``,
              ``.unsupported_ops()``, and ``parameter_count(model)[""]``
* ptflops     ``get_model_complexity_info(..., as_strings=False,
              print_per_layer_stat=False, backend=...)`` for both backends
              ("pytorch", the one the brief asks for, and "aten"); the version's default
              backend is recorded under ``tool_notes``
* torch       ``torch.utils.flop_counter.FlopCounterMode(display=False)``: total and the
              per-operator breakdown of ``get_flop_counts()["Global"]``
* torchstat   ``torchstat.stat(model, (C, H, W))`` as shipped, and, because its reporter
              calls ``DataFrame.append`` (gone since pandas 2.0), once more with a
              ``DataFrame.append`` shim so its own report code can print its Total lines;
              the exact (unrounded) totals are summed from its own stat nodes the way its
              reporter sums them
* paddle      ``paddle.flops`` on the paddle.vision equivalents, measured by
              ``tools/measure_paddle.py`` in a separate venv and merged in here when
              ``--paddle-python`` is given

plus, per model, ``torch_params = sum(p.numel() for p in model.parameters())`` and
``bn_running_stats`` = elements of BatchNorm ``running_mean`` + ``running_var``
(``num_batches_tracked`` excluded).

Every tool runs on a freshly built copy of the model (the tools attach hooks, buffers and,
for torchstat, even patch ``Module.__call__`` on classes), and every failure is recorded as
``{"error": "..."}`` instead of stopping the run.

Install (Python 3.11; no network needed beyond the package registry)
--------------------------------------------------------------------
    python3.11 -m venv /work/venvs/counters
    /work/venvs/counters/bin/pip install torch==2.14.1 torchvision==0.29.1
    /work/venvs/counters/bin/pip install thop fvcore ptflops torchstat
    # optional, paddle in its own venv (numpy<2.4: paddle.flops calls int() on a
    # 1-element array, which numpy 2.4 turned into a TypeError)
    python3.11 -m venv /work/venvs/paddle
    /work/venvs/paddle/bin/pip install paddlepaddle "numpy<2.4"

Run (from the repository root)
------------------------------
    /work/venvs/counters/bin/python tools/measure_counters.py \\
        --out tests/data/measured_counters.json \\
        --paddle-python /work/venvs/paddle/bin/python

Takes about a minute on 2 CPU cores; two runs give byte-identical JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.metadata
import inspect
import io
import json
import logging
import math
import platform
import re
import subprocess
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------


class LeNet(nn.Module):
    """paddle.vision.models.LeNet re-built in torch, layer for layer.

    Like paddle's, it has no activation between the three Linear layers.
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 3, stride=1, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2, 2),
            nn.Conv2d(6, 16, 5, stride=1, padding=0),
            nn.ReLU(),
            nn.MaxPool2d(2, 2),
        )
        self.fc = nn.Sequential(
            nn.Linear(400, 120),
            nn.Linear(120, 84),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = torch.flatten(x, 1)
        return self.fc(x)


def _tv(name: str) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        return getattr(torchvision.models, name)(weights=None)

    return build


IMAGENET = (1, 3, 224, 224)

# name -> (description, builder, input shape)
MODELS: dict[str, tuple[str, Callable[[], nn.Module], tuple[int, ...]]] = {
    "lenet": ("paddle.vision.models.LeNet re-built in torch", LeNet, (1, 1, 28, 28)),
    "resnet18": ("torchvision.models.resnet18(weights=None)", _tv("resnet18"), IMAGENET),
    "resnet50": ("torchvision.models.resnet50(weights=None)", _tv("resnet50"), IMAGENET),
    "mobilenet_v2": (
        "torchvision.models.mobilenet_v2(weights=None)",
        _tv("mobilenet_v2"),
        IMAGENET,
    ),
    "vit_b_16": ("torchvision.models.vit_b_16(weights=None)", _tv("vit_b_16"), IMAGENET),
    "vgg16": ("torchvision.models.vgg16(weights=None)", _tv("vgg16"), IMAGENET),
    "convnext_tiny": (
        "torchvision.models.convnext_tiny(weights=None)",
        _tv("convnext_tiny"),
        IMAGENET,
    ),
    "efficientnet_b0": (
        "torchvision.models.efficientnet_b0(weights=None)",
        _tv("efficientnet_b0"),
        IMAGENET,
    ),
    "shufflenet_v2_x1_0": (
        "torchvision.models.shufflenet_v2_x1_0(weights=None)",
        _tv("shufflenet_v2_x1_0"),
        IMAGENET,
    ),
    "mobilenet_v3_large": (
        "torchvision.models.mobilenet_v3_large(weights=None)",
        _tv("mobilenet_v3_large"),
        IMAGENET,
    ),
    "densenet121": (
        "torchvision.models.densenet121(weights=None)",
        _tv("densenet121"),
        IMAGENET,
    ),
}

# --------------------------------------------------------------------------------------
# Per-op micro cases
# --------------------------------------------------------------------------------------


class Wrap(nn.Module):
    """Holds one layer as a child, so hook-based tools see an ordinary container root.

    (thop, for one, reports 0 params when the profiled root is itself a leaf layer.)
    """

    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer(x)


class AddSelf(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + x


class CatSelf(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, x], dim=1)


class MatMul(nn.Module):
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.matmul(a, b)


class SelfAttention(nn.Module):
    def __init__(self, need_weights: bool) -> None:
        super().__init__()
        self.need_weights = need_weights
        self.attn = nn.MultiheadAttention(64, 4, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.attn(x, x, x, need_weights=self.need_weights)
        return out


class SDPA(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.scaled_dot_product_attention(x, x, x)


def _w(factory: Callable[[], nn.Module]) -> Callable[[], nn.Module]:
    return lambda: Wrap(factory())


F4 = "float"  # input kind markers
I64 = "int64"
ACT_IN = {"x": (1, 16, 32, 32)}

# name -> (description, builder, {arg name: shape}, dtype kind)
OPS: dict[str, tuple[str, Callable[[], nn.Module], dict[str, tuple[int, ...]], str]] = {
    "conv2d": (
        "Conv2d(8,16,3,padding=1)",
        _w(lambda: nn.Conv2d(8, 16, 3, padding=1)),
        {"x": (1, 8, 32, 32)},
        F4,
    ),
    "conv2d_nobias": (
        "Conv2d(8,16,3,padding=1,bias=False)",
        _w(lambda: nn.Conv2d(8, 16, 3, padding=1, bias=False)),
        {"x": (1, 8, 32, 32)},
        F4,
    ),
    "conv2d_depthwise": (
        "Conv2d(16,16,3,groups=16,padding=1)",
        _w(lambda: nn.Conv2d(16, 16, 3, groups=16, padding=1)),
        {"x": (1, 16, 32, 32)},
        F4,
    ),
    "conv2d_stride2": (
        "Conv2d(8,16,3,stride=2,padding=1)",
        _w(lambda: nn.Conv2d(8, 16, 3, stride=2, padding=1)),
        {"x": (1, 8, 32, 32)},
        F4,
    ),
    "conv_transpose2d": (
        "ConvTranspose2d(8,4,3,stride=2,padding=1,output_padding=1)",
        _w(lambda: nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1)),
        {"x": (1, 8, 16, 16)},
        F4,
    ),
    "conv1d": ("Conv1d(8,16,3)", _w(lambda: nn.Conv1d(8, 16, 3)), {"x": (1, 8, 50)}, F4),
    "conv3d": ("Conv3d(4,8,3)", _w(lambda: nn.Conv3d(4, 8, 3)), {"x": (1, 4, 8, 16, 16)}, F4),
    "batchnorm2d": (
        "BatchNorm2d(16), eval mode",
        _w(lambda: nn.BatchNorm2d(16)),
        {"x": (1, 16, 32, 32)},
        F4,
    ),
    "layernorm": ("LayerNorm(64)", _w(lambda: nn.LayerNorm(64)), {"x": (1, 10, 64)}, F4),
    "groupnorm": ("GroupNorm(4,16)", _w(lambda: nn.GroupNorm(4, 16)), {"x": (1, 16, 8, 8)}, F4),
    "relu": ("ReLU()", _w(nn.ReLU), ACT_IN, F4),
    "relu6": ("ReLU6()", _w(nn.ReLU6), ACT_IN, F4),
    "leaky_relu": ("LeakyReLU()", _w(nn.LeakyReLU), ACT_IN, F4),
    "gelu": ("GELU()", _w(nn.GELU), ACT_IN, F4),
    "silu": ("SiLU()", _w(nn.SiLU), ACT_IN, F4),
    "sigmoid": ("Sigmoid()", _w(nn.Sigmoid), ACT_IN, F4),
    "tanh": ("Tanh()", _w(nn.Tanh), ACT_IN, F4),
    "hardswish": ("Hardswish()", _w(nn.Hardswish), ACT_IN, F4),
    "hardsigmoid": ("Hardsigmoid()", _w(nn.Hardsigmoid), ACT_IN, F4),
    "softmax": ("Softmax(dim=-1)", _w(lambda: nn.Softmax(dim=-1)), ACT_IN, F4),
    "maxpool2d": ("MaxPool2d(2,2)", _w(lambda: nn.MaxPool2d(2, 2)), ACT_IN, F4),
    "avgpool2d": ("AvgPool2d(2,2)", _w(lambda: nn.AvgPool2d(2, 2)), ACT_IN, F4),
    "avgpool2d_k3s2_ceil": (
        "AvgPool2d(3,2,ceil_mode=True)",
        _w(lambda: nn.AvgPool2d(3, 2, ceil_mode=True)),
        ACT_IN,
        F4,
    ),
    "adaptive_avgpool2d_1": (
        "AdaptiveAvgPool2d(1)",
        _w(lambda: nn.AdaptiveAvgPool2d(1)),
        ACT_IN,
        F4,
    ),
    "adaptive_avgpool2d_7": (
        "AdaptiveAvgPool2d(7)",
        _w(lambda: nn.AdaptiveAvgPool2d(7)),
        ACT_IN,
        F4,
    ),
    "upsample_nearest": (
        "Upsample(scale_factor=2, mode='nearest')",
        _w(lambda: nn.Upsample(scale_factor=2, mode="nearest")),
        {"x": (1, 16, 8, 8)},
        F4,
    ),
    "upsample_bilinear": (
        "Upsample(scale_factor=2, mode='bilinear')",
        _w(lambda: nn.Upsample(scale_factor=2, mode="bilinear")),
        {"x": (1, 16, 8, 8)},
        F4,
    ),
    "linear_2d": ("Linear(64,32) on [1,64]", _w(lambda: nn.Linear(64, 32)), {"x": (1, 64)}, F4),
    "linear_2d_nobias": (
        "Linear(64,32,bias=False) on [1,64]",
        _w(lambda: nn.Linear(64, 32, bias=False)),
        {"x": (1, 64)},
        F4,
    ),
    "linear_3d": (
        "Linear(64,32) on [1,10,64]",
        _w(lambda: nn.Linear(64, 32)),
        {"x": (1, 10, 64)},
        F4,
    ),
    "linear_3d_nobias": (
        "Linear(64,32,bias=False) on [1,10,64]",
        _w(lambda: nn.Linear(64, 32, bias=False)),
        {"x": (1, 10, 64)},
        F4,
    ),
    "add": ("x + x (operator +, inside a Module)", AddSelf, {"x": (1, 16, 8, 8)}, F4),
    "cat": ("torch.cat([x, x], dim=1)", CatSelf, {"x": (1, 16, 8, 8)}, F4),
    "matmul": ("torch.matmul(a, b)", MatMul, {"a": (1, 4, 10, 16), "b": (1, 4, 16, 12)}, F4),
    "mha_self_attention": (
        "nn.MultiheadAttention(64, 4, batch_first=True)(x, x, x) (need_weights=True, default)",
        lambda: SelfAttention(need_weights=True),
        {"x": (1, 10, 64)},
        F4,
    ),
    "mha_self_attention_no_weights": (
        "nn.MultiheadAttention(64, 4, batch_first=True)(x, x, x, need_weights=False)",
        lambda: SelfAttention(need_weights=False),
        {"x": (1, 10, 64)},
        F4,
    ),
    "sdpa": ("F.scaled_dot_product_attention(x, x, x)", SDPA, {"x": (1, 4, 10, 16)}, F4),
    "embedding": (
        "Embedding(100,32) on int64 indices",
        _w(lambda: nn.Embedding(100, 32)),
        {"x": (1, 10)},
        I64,
    ),
    "pixel_shuffle": ("PixelShuffle(2)", _w(lambda: nn.PixelShuffle(2)), {"x": (1, 16, 8, 8)}, F4),
    "flatten": ("Flatten()", _w(nn.Flatten), {"x": (1, 16, 8, 8)}, F4),
    "dropout": ("Dropout() in eval mode", _w(nn.Dropout), {"x": (1, 16, 8, 8)}, F4),
    "identity": ("Identity()", _w(nn.Identity), {"x": (1, 16, 8, 8)}, F4),
}

# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """Turn numpy/torch scalars into plain ints/floats, keeping int-vs-float as the tool had it."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, torch.Tensor):
        return jsonable(value.tolist())
    if hasattr(value, "item") and hasattr(value, "dtype"):  # numpy scalar / 0-d array
        return jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def error_string(exc: BaseException) -> str:
    """'Type: message (file:line of the raise)' -- assert statements often have no message."""
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" ({Path(tb[-1].filename).name}:{tb[-1].lineno})" if tb else ""
    message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return f"{message}{where}"


def make_inputs(shapes: dict[str, tuple[int, ...]], kind: str) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    if kind == I64:
        return {k: torch.randint(0, 100, s, generator=gen) for k, s in shapes.items()}
    return {k: torch.randn(s, generator=gen) for k, s in shapes.items()}


def fresh(builder: Callable[[], nn.Module]) -> nn.Module:
    torch.manual_seed(0)
    return builder().eval()


def leaf_types(model: nn.Module) -> set[type]:
    return {type(m) for m in model.modules() if not list(m.children())}


def run_quietly(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run one tool, swallowing its printing and warnings; an exception becomes {"error"}."""
    sink = io.StringIO()
    try:
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(sink),
            contextlib.redirect_stderr(sink),
        ):
            warnings.simplefilter("ignore")
            return jsonable(fn())
    except Exception as exc:
        return {"error": error_string(exc)}


def static_facts(model: nn.Module, inputs: dict[str, torch.Tensor]) -> dict[str, Any]:
    with torch.no_grad():
        out = model(**inputs)
    bn_stats = 0
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats:
            bn_stats += m.running_mean.numel() + m.running_var.numel()
    return {
        "torch_params": sum(p.numel() for p in model.parameters()),
        "bn_running_stats": bn_stats,
        "output_shape": list(out.shape),
    }


# --------------------------------------------------------------------------------------
# The tools
# --------------------------------------------------------------------------------------


def tool_thop(builder: Callable[[], nn.Module], inputs: dict[str, torch.Tensor]) -> dict:
    import thop
    from thop.profile import register_hooks

    model = fresh(builder)
    macs, params = thop.profile(model, inputs=tuple(inputs.values()), verbose=False)
    unhandled = sorted(t.__name__ for t in leaf_types(model) if t not in register_hooks)
    return {"macs": macs, "params": params, "derived_leaf_types_without_rule": unhandled}


def tool_fvcore(builder: Callable[[], nn.Module], inputs: dict[str, torch.Tensor]) -> dict:
    from fvcore.nn import FlopCountAnalysis, parameter_count

    model = fresh(builder)
    analysis = FlopCountAnalysis(model, tuple(inputs.values()))
    analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    return {
        "total": analysis.total(),
        "by_operator": dict(analysis.by_operator()),
        "unsupported_ops": dict(analysis.unsupported_ops()),
        "params": parameter_count(model)[""],
    }


def tool_ptflops(backend: str) -> Callable[..., dict]:
    def run(builder: Callable[[], nn.Module], inputs: dict[str, torch.Tensor]) -> dict:
        from ptflops import get_model_complexity_info
        from ptflops.pytorch_ops import MODULES_MAPPING

        model = fresh(builder)
        single_float = len(inputs) == 1 and next(iter(inputs.values())).is_floating_point()
        first = next(iter(inputs.values()))
        kwargs: dict[str, Any] = {
            "as_strings": False,
            "print_per_layer_stat": False,
            "backend": backend,
        }
        if single_float:
            call = "input_res"
        else:  # int or several inputs: the documented input_constructor route
            call = "input_constructor"
            kwargs["input_constructor"] = lambda _res: dict(inputs)
        macs, params = get_model_complexity_info(model, tuple(first.shape[1:]), **kwargs)
        result: dict[str, Any] = {"macs": macs, "params": params, "called_with": call}
        if macs is None:
            result["error"] = "ptflops returned (None, None): it caught an exception"
        if backend == "pytorch":
            result["derived_leaf_types_without_rule"] = sorted(
                t.__name__ for t in leaf_types(model) if t not in MODULES_MAPPING
            )
        return result

    return run


def tool_torch_flop_counter(grad: bool) -> Callable[..., dict]:
    """FlopCounterMode sees aten ops, so its count depends on the path torch takes: under
    no_grad, eval-mode nn.MultiheadAttention / TransformerEncoderLayer take the fused
    "fast path" (one aten op without a FLOP formula), so both variants are recorded."""

    def run(builder: Callable[[], nn.Module], inputs: dict[str, torch.Tensor]) -> dict:
        from torch.utils.flop_counter import FlopCounterMode

        model = fresh(builder)
        counter = FlopCounterMode(display=False)
        with torch.set_grad_enabled(grad), counter:
            model(**inputs)
        per_op = counter.get_flop_counts().get("Global", {})
        return {
            "total": counter.get_total_flops(),
            "by_operator": {str(op): n for op, n in per_op.items()},
        }

    return run


@contextlib.contextmanager
def restore_module_calls(model: nn.Module):
    """torchstat replaces ``__call__`` on every leaf module *class* and never puts it back."""
    classes = {type(m) for m in model.modules()}
    saved = {cls: cls.__dict__.get("__call__") for cls in classes}
    try:
        yield
    finally:
        for cls, original in saved.items():
            if original is None:
                if "__call__" in cls.__dict__:
                    delattr(cls, "__call__")
            else:
                cls.__call__ = original


@contextlib.contextmanager
def pandas_append_shim():
    """Give pandas>=2 back the DataFrame.append(Series) that torchstat's reporter calls."""
    import pandas as pd

    had = hasattr(pd.DataFrame, "append")

    def append(self, other):
        return pd.concat([self, other.to_frame().T])

    if not had:
        pd.DataFrame.append = append
    try:
        yield
    finally:
        if not had:
            del pd.DataFrame.append


def tool_torchstat(builder: Callable[[], nn.Module], inputs: dict[str, torch.Tensor]) -> dict:
    import torchstat
    from torchstat.reporter import report_format
    from torchstat.statistics import ModelStat

    if len(inputs) != 1:
        return {
            "error": "not applicable: torchstat.stat takes one input size and makes "
            "the input itself with torch.rand(1, *input_size)"
        }
    size = tuple(next(iter(inputs.values())).shape[1:])
    result: dict[str, Any] = {"input_size": list(size)}

    # 1. exactly as shipped
    model = fresh(builder)
    with restore_module_calls(model):
        try:
            torchstat.stat(model, size)
            result["stock"] = "ran"
        except Exception as exc:
            result["stock_error"] = error_string(exc)

    # 2. its own analysis + report, with the DataFrame.append shim
    model = fresh(builder)
    with restore_module_calls(model):
        try:
            nodes = ModelStat(model, size)._analyze_model()
        except Exception as exc:
            result["error"] = error_string(exc)
            return result
    # The exact totals its reporter computes (it then prints MAdd/Flops/MemR+W rounded).
    result["totals"] = {
        "params": sum(n.parameter_quantity for n in nodes),
        "memory_MB": sum(float(n.inference_memory) for n in nodes),
        "MAdd": sum(n.MAdd for n in nodes),
        "Flops": sum(n.Flops for n in nodes),
        "MemRead_B": sum(n.Memory[0] for n in nodes),
        "MemWrite_B": sum(n.Memory[1] for n in nodes),
        "MemRW_B": sum(n.Memory[0] + n.Memory[1] for n in nodes),
    }
    try:
        with pandas_append_shim():
            report = report_format(nodes)
        result["printed_totals"] = [
            line for line in report.splitlines() if line.startswith("Total ")
        ]
    except Exception as exc:
        result["report_error"] = error_string(exc)
    return result


TOOLS: dict[str, Callable[..., dict]] = {
    "thop": tool_thop,
    "fvcore": tool_fvcore,
    "ptflops_pytorch": tool_ptflops("pytorch"),
    "ptflops_aten": tool_ptflops("aten"),
    "torch_flop_counter": tool_torch_flop_counter(grad=True),
    "torch_flop_counter_no_grad": tool_torch_flop_counter(grad=False),
    "torchstat": tool_torchstat,
}

# --------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for dist in (
        "torch",
        "torchvision",
        "thop",
        "fvcore",
        "ptflops",
        "torchstat",
        "numpy",
        "pandas",
    ):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = None
    out["paddle"] = None  # filled from the paddle venv, if measured
    return out


def tool_notes() -> dict[str, Any]:
    from ptflops import get_model_complexity_info

    default = inspect.signature(get_model_complexity_info).parameters["backend"].default
    return {
        "thop": "thop.profile(model, inputs=tuple(inputs), verbose=False) -> (macs, params); "
        "floats as returned",
        "fvcore": "FlopCountAnalysis(model, tuple(inputs)); params = parameter_count(model)['']",
        "ptflops_default_backend": getattr(default, "value", str(default)),
        "ptflops": "get_model_complexity_info(model, tuple(x.shape[1:]), as_strings=False, "
        "print_per_layer_stat=False, backend=B) for B in ('pytorch', 'aten'); "
        "int or multi-input cases pass input_constructor=lambda _: inputs (kwargs)",
        "torch_flop_counter": "with FlopCounterMode(display=False): model(**inputs), grad "
        "mode on (as in the docs); by_operator is "
        "get_flop_counts()['Global']",
        "torch_flop_counter_no_grad": "the same inside torch.no_grad(): eval-mode "
        "MultiheadAttention then takes its fused fast path",
        "torchstat": "stock = torchstat.stat(model, (C,H,W)) as shipped; totals = sums over "
        "ModelStat(model, size)._analyze_model() nodes, as its report_format "
        "sums them; printed_totals = its report's Total lines, produced with a "
        "DataFrame.append shim",
        "derived_leaf_types_without_rule": "computed by this script: leaf module types that "
        "have no entry in the tool's type->rule table",
        "models": "batch 1, eval mode, weights=None, torch.manual_seed(0), a fresh model per tool",
    }


def measure(
    cases: dict[str, tuple[str, Callable[[], nn.Module], dict, str]], only: set[str]
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, (description, builder, shapes, kind) in cases.items():
        if only and name not in only:
            continue
        inputs = make_inputs(shapes, kind)
        entry: dict[str, Any] = {
            "description": description,
            "inputs": {k: list(s) for k, s in shapes.items()},
            "input_dtype": "float32" if kind == F4 else kind,
        }
        entry.update(jsonable(static_facts(fresh(builder), inputs)))
        for tool, run in TOOLS.items():
            entry[tool] = run_quietly(
                lambda run=run, builder=builder, inputs=inputs: run(builder, inputs)
            )
        results[name] = entry
        print(f"  {name}", file=sys.stderr, flush=True)
    return results


def dump_json(data: Any) -> str:
    """Indented JSON, but with flat lists (shapes, report lines) kept on one line."""
    text = json.dumps(data, indent=1)
    flat_list = re.compile(r"\[\s*([^\[\]{}]*?)\s*\]", re.S)
    compact = flat_list.sub(lambda m: "[" + re.sub(r",\s*\n\s*", ", ", m.group(1)) + "]", text)
    if json.loads(compact) != json.loads(text):  # never trade correctness for looks
        compact = text
    return compact + "\n"


def measure_paddle(paddle_python: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "paddle.json"
        proc = subprocess.run(
            [paddle_python, str(HERE / "measure_paddle.py"), "--out", str(out)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            return {
                "error": f"measure_paddle.py exited {proc.returncode}: "
                f"{proc.stderr.strip()[-2000:]}"
            }
        return json.loads(out.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("tests/data/measured_counters.json"))
    parser.add_argument(
        "--paddle-python",
        default=None,
        help="python of a venv with paddlepaddle; runs tools/measure_paddle.py",
    )
    parser.add_argument("--date", default=datetime.date.today().isoformat())
    parser.add_argument(
        "--only", nargs="*", default=[], help="measure only these model/op names (for debugging)"
    )
    args = parser.parse_args(argv)

    torch.set_num_threads(2)
    logging.getLogger("fvcore").setLevel(logging.ERROR)
    only = set(args.only)

    print("models:", file=sys.stderr)
    models = measure({k: (d, b, {"x": s}, F4) for k, (d, b, s) in MODELS.items()}, only)
    print("ops:", file=sys.stderr)
    ops = measure(OPS, only)

    data: dict[str, Any] = {
        "measured_on": args.date,
        "generated_by": "tools/measure_counters.py",
        "versions": versions(),
        "tool_notes": tool_notes(),
        "models": models,
        "ops": ops,
    }
    if args.paddle_python:
        print("paddle:", file=sys.stderr)
        paddle = measure_paddle(args.paddle_python)
        if "error" in paddle:
            data["paddle_error"] = paddle["error"]
        else:
            data["versions"]["paddle"] = paddle["versions"]["paddle"]
            data["versions"]["paddle_numpy"] = paddle["versions"]["numpy"]
            data["tool_notes"]["paddle"] = paddle["note"]
            for section in ("models", "ops"):
                for name, result in paddle[section].items():
                    data[section].setdefault(name, {})["paddle"] = result

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dump_json(data))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
