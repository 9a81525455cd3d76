"""Measure the counting tools on recurrent layers, functional calls, matmul vs einsum, and
the "convention traps" of torchvision models, for budgetlint's golden data.

A standalone measurement script, like tools/measure_counters.py (whose tools, helpers and
recording format it reuses): NOT part of the package, never imported by the tests. The
tests read the JSON it writes, ``tests/data/measured_fidelity.json``.

What it measures (batch as given, eval mode, random init, weights=None, no downloads):

* ``ops``: single cases whose spec equivalent is one budgetlint layer or merge:
  a functional ``F.linear`` on [1, 4, 8] (16 outputs), ``torch.matmul(x, x.transpose(1, 2))``
  and ``torch.einsum("bik,bjk->bij", x, x)`` on [1, 4, 8], and ``nn.LSTM``, a 2-layer
  bidirectional ``nn.LSTM``, ``nn.GRU``, ``nn.RNN`` (tanh) and a bias-free ReLU ``nn.RNN``,
  all ``batch_first=True`` (the module's first output is returned);
* ``models``: a small LSTM language model (embedding 1000×128 → 2-layer LSTM 256 → linear
  1000, on 35 int64 tokens), the spec ``specs/zoo/lstm_lm.yaml``; torchvision's swin_t and
  maxvit_t, with their buffers (``buffers``: name → dtype and elements);
* ``traps``: a torchvision model as shipped and a variant that differs only in how it calls
  the same layers: GoogLeNet (``F.relu`` in BasicConv2d) against one ``nn.ReLU`` module
  per BasicConv2d, and ResNet-18 (one ``nn.ReLU`` module called twice per BasicBlock)
  against a fresh module per call. Same arithmetic; the tools that hook modules or patch
  functions count them differently.

Each tool is run as in tools/measure_counters.py (thop.profile, fvcore FlopCountAnalysis,
ptflops get_model_complexity_info with both backends, torch FlopCounterMode with and
without grad, torchstat on single-input float cases).

Run (from the repository root, with the torch venv of tools/measure_counters.py):

    /work/venvs/torch/bin/python tools/measure_fidelity.py \\
        --out tests/data/measured_fidelity.json --date 2026-12-01

Takes a minute or two on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure_counters import F4, I64, dump_json, measure, tool_notes, versions
from zoo_models import LstmLanguageModel  # the zoo's lstm_lm, one definition


class FirstOutput(nn.Module):
    """Holds a recurrent layer as a child and returns its output sequence (not the state)."""

    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer(x)[0]


class FunctionalLinear(nn.Module):
    def __init__(self, features_in: int, features_out: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(features_out, features_in))
        self.bias = nn.Parameter(torch.randn(features_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight, self.bias)


class MatMulTranspose(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.matmul(x, x.transpose(1, 2))


class EinsumTranspose(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.einsum("bik,bjk->bij", x, x)


def _recurrent(factory: Callable[[], nn.Module]) -> Callable[[], nn.Module]:
    return lambda: FirstOutput(factory())


SEQUENCE = {"x": (2, 5, 16)}

OPS: dict[str, tuple[str, Callable[[], nn.Module], dict[str, tuple[int, ...]], str]] = {
    "functional_linear": (
        "F.linear(x, weight[16, 8], bias[16]) inside a Module",
        lambda: FunctionalLinear(8, 16),
        {"x": (1, 4, 8)},
        F4,
    ),
    "matmul_transpose": (
        "torch.matmul(x, x.transpose(1, 2))",
        MatMulTranspose,
        {"x": (1, 4, 8)},
        F4,
    ),
    "einsum_transpose": (
        "torch.einsum('bik,bjk->bij', x, x)",
        EinsumTranspose,
        {"x": (1, 4, 8)},
        F4,
    ),
    "lstm": (
        "nn.LSTM(16, 32, batch_first=True)(x)[0]",
        _recurrent(lambda: nn.LSTM(16, 32, batch_first=True)),
        SEQUENCE,
        F4,
    ),
    "lstm_bidirectional_2layer": (
        "nn.LSTM(16, 32, num_layers=2, bidirectional=True, batch_first=True)(x)[0]",
        _recurrent(lambda: nn.LSTM(16, 32, num_layers=2, bidirectional=True, batch_first=True)),
        SEQUENCE,
        F4,
    ),
    "gru": (
        "nn.GRU(16, 32, batch_first=True)(x)[0]",
        _recurrent(lambda: nn.GRU(16, 32, batch_first=True)),
        SEQUENCE,
        F4,
    ),
    "rnn": (
        "nn.RNN(16, 32, batch_first=True)(x)[0] (tanh)",
        _recurrent(lambda: nn.RNN(16, 32, batch_first=True)),
        SEQUENCE,
        F4,
    ),
    "rnn_relu_nobias": (
        "nn.RNN(16, 32, nonlinearity='relu', bias=False, batch_first=True)(x)[0]",
        _recurrent(lambda: nn.RNN(16, 32, nonlinearity="relu", bias=False, batch_first=True)),
        SEQUENCE,
        F4,
    ),
}

MODELS: dict[str, tuple[str, Callable[[], nn.Module], dict[str, tuple[int, ...]], str]] = {
    "swin_t": (
        "torchvision.models.swin_t(weights=None)",
        lambda: torchvision.models.swin_t(weights=None),
        {"x": (1, 3, 224, 224)},
        F4,
    ),
    "maxvit_t": (
        "torchvision.models.maxvit_t(weights=None)",
        lambda: torchvision.models.maxvit_t(weights=None),
        {"x": (1, 3, 224, 224)},
        F4,
    ),
    "lstm_lm": (
        "Embedding(1000,128) -> LSTM(128,256,num_layers=2,batch_first=True) -> Linear(256,1000)",
        LstmLanguageModel,
        {"x": (1, 35)},
        I64,
    ),
}


def googlenet() -> nn.Module:
    return torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=False)


def _relu_module_forward(self: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return self.relu(self.bn(self.conv(x)))


def googlenet_relu_modules() -> nn.Module:
    """GoogLeNet with each BasicConv2d's F.relu replaced by an nn.ReLU module of its own."""
    model = googlenet()
    for module in model.modules():
        if type(module).__name__ == "BasicConv2d":
            module.relu = nn.ReLU(inplace=True)
            module.forward = types.MethodType(_relu_module_forward, module)
    return model


def _basic_block_forward(self: nn.Module, x: torch.Tensor) -> torch.Tensor:
    identity = x if self.downsample is None else self.downsample(x)
    out = self.relu(self.bn1(self.conv1(x)))
    out = self.bn2(self.conv2(out))
    return self.relu2(out + identity)


def resnet18_relu_per_call() -> nn.Module:
    """ResNet-18 with a second nn.ReLU per BasicBlock, so no module is called twice."""
    model = torchvision.models.resnet18(weights=None)
    for module in model.modules():
        if type(module).__name__ == "BasicBlock":
            module.relu2 = nn.ReLU(inplace=True)
            module.forward = types.MethodType(_basic_block_forward, module)
    return model


IMAGENET = {"x": (1, 3, 224, 224)}
TRAPS: dict[str, tuple[str, Callable[[], nn.Module], dict[str, tuple[int, ...]], str]] = {
    "googlenet": (
        "torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=False)",
        googlenet,
        IMAGENET,
        F4,
    ),
    "googlenet_relu_modules": (
        "the same, each BasicConv2d calling an nn.ReLU module instead of F.relu",
        googlenet_relu_modules,
        IMAGENET,
        F4,
    ),
    "resnet18": (
        "torchvision.models.resnet18(weights=None)",
        lambda: torchvision.models.resnet18(weights=None),
        IMAGENET,
        F4,
    ),
    "resnet18_relu_per_call": (
        "the same, each BasicBlock calling a second nn.ReLU module for its last ReLU",
        resnet18_relu_per_call,
        IMAGENET,
        F4,
    ),
}


def buffers_by_dtype(builder: Callable[[], nn.Module]) -> dict[str, dict[str, int]]:
    """Elements and bytes of every registered buffer, by dtype (relative_position_index is
    int64; BatchNorm's num_batches_tracked is int64 too)."""
    found: dict[str, dict[str, int]] = {}
    for _, buffer in builder().named_buffers():
        row = found.setdefault(
            str(buffer.dtype).removeprefix("torch."), {"elements": 0, "bytes": 0}
        )
        row["elements"] += buffer.numel()
        row["bytes"] += buffer.numel() * buffer.element_size()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("tests/data/measured_fidelity.json"))
    parser.add_argument("--date", default=datetime.date.today().isoformat())
    parser.add_argument("--only", nargs="*", default=[], help="measure only these names")
    args = parser.parse_args(argv)

    torch.set_num_threads(2)
    logging.getLogger("fvcore").setLevel(logging.ERROR)
    only = set(args.only)
    data: dict[str, Any] = {
        "measured_on": args.date,
        "generated_by": "tools/measure_fidelity.py",
        "versions": {k: v for k, v in versions().items() if k != "paddle"},
        "tool_notes": {
            **tool_notes(),
            "recurrent": "batch_first=True; the wrapper returns the layer's output sequence",
        },
    }
    for section, cases in (("ops", OPS), ("models", MODELS), ("traps", TRAPS)):
        print(f"{section}:", file=sys.stderr)
        data[section] = measure(cases, only)
    for name, entry in data["models"].items():
        entry["buffers"] = buffers_by_dtype(MODELS[name][1])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dump_json(data))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
