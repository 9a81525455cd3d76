"""Measure what ``paddle.flops`` reports, for budgetlint's golden data.

Companion of ``tools/measure_counters.py``; it runs in its own venv because paddle and
torch are kept apart. Like that script it is never imported by the project's tests.

It runs ``paddle.flops(net, input_size)`` on paddle.vision.models' LeNet (1x1x28x28, and
once more with ``print_detail=True``, whose printed table is kept as text), resnet18,
resnet50 and mobilenet_v2 (1x3x224x224, ``pretrained=False``), and on the paddle
equivalents of the single-layer micro cases of measure_counters.py. ``paddle.flops``
returns only the FLOP total; the params total is the one in the line it prints
("Total Flops: N     Total Params: M").

Install (Python 3.11)
---------------------
    python3.11 -m venv /work/venvs/paddle
    /work/venvs/paddle/bin/pip install paddlepaddle "numpy<2.4"

numpy<2.4 because paddle.flops calls ``int()`` on a 1-element, 1-d array (its
``total_params`` buffer), which numpy 2.4 turned from a DeprecationWarning into a TypeError.

Run
---
Usually through ``measure_counters.py --paddle-python /work/venvs/paddle/bin/python``,
which merges the result into ``tests/data/measured_counters.json`` (as the "paddle" entry of
each model / op). Alone:

    /work/venvs/paddle/bin/python tools/measure_paddle.py --out /tmp/measured_paddle.json
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import io
import json
import platform
import re
import sys
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paddle
import paddle.nn.functional as F
from paddle import nn
from paddle.vision import models

TOTAL_LINE = re.compile(r"Total Flops: (\d+)\s+Total Params: (\d+)")
UNCOUNTED = re.compile(r"Cannot find suitable count function for <class '([\w.]+)'>")


class Wrap(nn.Layer):
    """One layer as a child of a container, as in measure_counters.py."""

    def __init__(self, layer: nn.Layer) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, x):
        return self.layer(x)


class AddSelf(nn.Layer):
    def forward(self, x):
        return x + x


class CatSelf(nn.Layer):
    def forward(self, x):
        return paddle.concat([x, x], axis=1)


class SelfAttention(nn.Layer):
    def __init__(self) -> None:
        super().__init__()
        self.attn = nn.MultiHeadAttention(64, 4)  # batch-first; need_weights=False default

    def forward(self, x):
        return self.attn(x, x, x)


class SDPA(nn.Layer):
    def forward(self, x):
        # paddle's layout is [batch, seq, heads, head_dim]; the torch case is
        # [1, 4 heads, 10 seq, 16] -> the same problem is [1, 10, 4, 16] here.
        return F.scaled_dot_product_attention(x, x, x)


def _w(factory: Callable[[], nn.Layer]) -> Callable[[], nn.Layer]:
    return lambda: Wrap(factory())


ACT_IN = [1, 16, 32, 32]

# name (as in measure_counters.py) -> (description, builder, input size)
MODELS: dict[str, tuple[str, Callable[[], nn.Layer], list[int]]] = {
    "lenet": ("paddle.vision.models.LeNet()", models.LeNet, [1, 1, 28, 28]),
    "resnet18": (
        "paddle.vision.models.resnet18(pretrained=False)",
        lambda: models.resnet18(pretrained=False),
        [1, 3, 224, 224],
    ),
    "resnet50": (
        "paddle.vision.models.resnet50(pretrained=False)",
        lambda: models.resnet50(pretrained=False),
        [1, 3, 224, 224],
    ),
    "mobilenet_v2": (
        "paddle.vision.models.mobilenet_v2(pretrained=False)",
        lambda: models.mobilenet_v2(pretrained=False),
        [1, 3, 224, 224],
    ),
}

OPS: dict[str, tuple[str, Callable[[], nn.Layer] | None, list[int]]] = {
    "conv2d": (
        "Conv2D(8,16,3,padding=1)",
        _w(lambda: nn.Conv2D(8, 16, 3, padding=1)),
        [1, 8, 32, 32],
    ),
    "conv2d_nobias": (
        "Conv2D(8,16,3,padding=1,bias_attr=False)",
        _w(lambda: nn.Conv2D(8, 16, 3, padding=1, bias_attr=False)),
        [1, 8, 32, 32],
    ),
    "conv2d_depthwise": (
        "Conv2D(16,16,3,groups=16,padding=1)",
        _w(lambda: nn.Conv2D(16, 16, 3, groups=16, padding=1)),
        [1, 16, 32, 32],
    ),
    "conv2d_stride2": (
        "Conv2D(8,16,3,stride=2,padding=1)",
        _w(lambda: nn.Conv2D(8, 16, 3, stride=2, padding=1)),
        [1, 8, 32, 32],
    ),
    "conv_transpose2d": (
        "Conv2DTranspose(8,4,3,stride=2,padding=1,output_padding=1)",
        _w(lambda: nn.Conv2DTranspose(8, 4, 3, stride=2, padding=1, output_padding=1)),
        [1, 8, 16, 16],
    ),
    "conv1d": ("Conv1D(8,16,3)", _w(lambda: nn.Conv1D(8, 16, 3)), [1, 8, 50]),
    "conv3d": ("Conv3D(4,8,3)", _w(lambda: nn.Conv3D(4, 8, 3)), [1, 4, 8, 16, 16]),
    "batchnorm2d": ("BatchNorm2D(16)", _w(lambda: nn.BatchNorm2D(16)), [1, 16, 32, 32]),
    "layernorm": ("LayerNorm(64)", _w(lambda: nn.LayerNorm(64)), [1, 10, 64]),
    "groupnorm": ("GroupNorm(4,16)", _w(lambda: nn.GroupNorm(4, 16)), [1, 16, 8, 8]),
    "relu": ("ReLU()", _w(nn.ReLU), ACT_IN),
    "relu6": ("ReLU6()", _w(nn.ReLU6), ACT_IN),
    "leaky_relu": ("LeakyReLU()", _w(nn.LeakyReLU), ACT_IN),
    "gelu": ("GELU()", _w(nn.GELU), ACT_IN),
    "silu": ("Silu()", _w(nn.Silu), ACT_IN),
    "sigmoid": ("Sigmoid()", _w(nn.Sigmoid), ACT_IN),
    "tanh": ("Tanh()", _w(nn.Tanh), ACT_IN),
    "hardswish": ("Hardswish()", _w(nn.Hardswish), ACT_IN),
    "hardsigmoid": ("Hardsigmoid()", _w(nn.Hardsigmoid), ACT_IN),
    "softmax": ("Softmax(axis=-1)", _w(lambda: nn.Softmax(axis=-1)), ACT_IN),
    "maxpool2d": ("MaxPool2D(2,2)", _w(lambda: nn.MaxPool2D(2, 2)), ACT_IN),
    "avgpool2d": ("AvgPool2D(2,2)", _w(lambda: nn.AvgPool2D(2, 2)), ACT_IN),
    "avgpool2d_k3s2_ceil": (
        "AvgPool2D(3,2,ceil_mode=True)",
        _w(lambda: nn.AvgPool2D(3, 2, ceil_mode=True)),
        ACT_IN,
    ),
    "adaptive_avgpool2d_1": ("AdaptiveAvgPool2D(1)", _w(lambda: nn.AdaptiveAvgPool2D(1)), ACT_IN),
    "adaptive_avgpool2d_7": ("AdaptiveAvgPool2D(7)", _w(lambda: nn.AdaptiveAvgPool2D(7)), ACT_IN),
    "upsample_nearest": (
        "Upsample(scale_factor=2, mode='nearest')",
        _w(lambda: nn.Upsample(scale_factor=2, mode="nearest")),
        [1, 16, 8, 8],
    ),
    "upsample_bilinear": (
        "Upsample(scale_factor=2, mode='bilinear')",
        _w(lambda: nn.Upsample(scale_factor=2, mode="bilinear")),
        [1, 16, 8, 8],
    ),
    "linear_2d": ("Linear(64,32) on [1,64]", _w(lambda: nn.Linear(64, 32)), [1, 64]),
    "linear_2d_nobias": (
        "Linear(64,32,bias_attr=False) on [1,64]",
        _w(lambda: nn.Linear(64, 32, bias_attr=False)),
        [1, 64],
    ),
    "linear_3d": ("Linear(64,32) on [1,10,64]", _w(lambda: nn.Linear(64, 32)), [1, 10, 64]),
    "linear_3d_nobias": (
        "Linear(64,32,bias_attr=False) on [1,10,64]",
        _w(lambda: nn.Linear(64, 32, bias_attr=False)),
        [1, 10, 64],
    ),
    "add": ("x + x (operator +, inside a Layer)", AddSelf, [1, 16, 8, 8]),
    "cat": ("paddle.concat([x, x], axis=1)", CatSelf, [1, 16, 8, 8]),
    "matmul": ("not applicable: paddle.flops builds one input, paddle.randn(input_size)", None, []),
    "mha_self_attention_no_weights": (
        "paddle.nn.MultiHeadAttention(64, 4)(x, x, x) (need_weights=False, its default)",
        SelfAttention,
        [1, 10, 64],
    ),
    "sdpa": (
        "F.scaled_dot_product_attention(x, x, x), paddle layout [1, 10 seq, 4 heads, 16]",
        SDPA,
        [1, 10, 4, 16],
    ),
    "embedding": (
        "not applicable: paddle.flops builds a float input, paddle.randn(input_size)",
        None,
        [],
    ),
    "pixel_shuffle": ("PixelShuffle(2)", _w(lambda: nn.PixelShuffle(2)), [1, 16, 8, 8]),
    "flatten": ("Flatten()", _w(nn.Flatten), [1, 16, 8, 8]),
    "dropout": ("Dropout() (paddle.flops sets eval mode)", _w(nn.Dropout), [1, 16, 8, 8]),
    "identity": ("Identity()", _w(nn.Identity), [1, 16, 8, 8]),
}


def error_string(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" ({Path(tb[-1].filename).name}:{tb[-1].lineno})" if tb else ""
    return f"{type(exc).__name__}: {exc}{where}"


def run_flops(
    description: str,
    builder: Callable[[], nn.Layer] | None,
    size: list[int],
    print_detail: bool = False,
) -> dict[str, Any]:
    result: dict[str, Any] = {"description": description, "input_size": size}
    if builder is None:
        result["error"] = description
        return result
    paddle.seed(0)
    net = builder()
    net.eval()
    params_all = sum(int(p.numel()) for p in net.parameters())
    params_trainable = sum(int(p.numel()) for p in net.parameters() if p.trainable)
    sink = io.StringIO()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(sink):
            warnings.simplefilter("ignore")
            flops = paddle.flops(net, size, print_detail=print_detail)
    except Exception as exc:
        result["error"] = error_string(exc)
        return result
    printed = sink.getvalue()
    total = TOTAL_LINE.search(printed)
    result.update(
        {
            "flops": flops,
            "params": int(total.group(2)) if total else None,
            "printed_total_line": total.group(0) if total else None,
            "layer_types_treated_as_zero": sorted(set(UNCOUNTED.findall(printed))),
            "paddle_params_all": params_all,
            "paddle_params_trainable": params_trainable,
        }
    )
    if print_detail:
        table = [line for line in printed.splitlines() if line[:1] in "+|" and line]
        result["detail"] = "\n".join([*table, total.group(0) if total else ""])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    # LeNet with print_detail=True first, in a fresh process, so that paddle's per-process
    # layer names (conv2d_0, re_lu_0, ...) in the detail table are the documented ones.
    lenet_detail = run_flops(*MODELS["lenet"], print_detail=True)
    model_results = {name: run_flops(*spec) for name, spec in MODELS.items()}
    model_results["lenet"]["detail"] = lenet_detail.get("detail", lenet_detail.get("error"))
    op_results = {name: run_flops(*spec) for name, spec in OPS.items()}

    data = {
        "versions": {
            "python": platform.python_version(),
            "paddle": paddle.__version__,
            "numpy": importlib.metadata.version("numpy"),
        },
        "note": "paddle.flops(net, input_size, print_detail=False) on the paddle.vision / "
        "paddle.nn equivalents (a fresh net per call, eval mode); 'flops' is its "
        "return value, 'params' the Total Params it prints; paddle_params_all "
        "includes BatchNorm _mean/_variance, which paddle keeps as (non-trainable) "
        "parameters",
        "models": model_results,
        "ops": op_results,
    }
    args.out.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
