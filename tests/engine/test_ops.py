"""Per-op formula tables: every expected value is written as its formula.

Columns: op, input shape, attributes, output shape, params, buffers, MACs,
default-convention FLOPs. Each op of the OPS table has at least one row here
(a meta-test in tests/test_meta.py checks it).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from budgetlint.engine.cost import BUFFER_ROLES, TENSOR_ROLES, ShapeError
from budgetlint.engine.ops.attrs import AttrError
from budgetlint.engine.ops.pool import adaptive_window_total
from tests.engine.helpers import flops, run_op


def row(
    op: str,
    shape: tuple[int, ...],
    attrs: dict[str, Any],
    output: tuple[int, ...],
    params: int,
    buffers: int,
    macs: int,
    default_flops: int,
) -> Any:
    return pytest.param(
        op, shape, attrs, output, params, buffers, macs, default_flops, id=f"{op}-{attrs}"
    )


N, C, H, W = 2, 8, 32, 32
E = N * C * H * W  # elements of the [2, 8, 32, 32] input

ROWS = [
    # ---- convolution: MACs = N·Cout·Hout·Wout·(Cin/g)·Kh·Kw; FLOPs = 2·MACs + bias adds
    row(
        "conv2d",
        (N, C, H, W),
        {"out": 16, "kernel": 3, "padding": 1},
        (N, 16, 32, 32),
        16 * 8 * 9 + 16,
        0,
        N * 16 * 32 * 32 * 8 * 9,
        2 * N * 16 * 32 * 32 * 8 * 9 + N * 16 * 32 * 32,
    ),
    row(
        "conv2d",
        (N, C, H, W),
        {"out": 16, "kernel": 3, "bias": False},
        (N, 16, 30, 30),
        16 * 8 * 9,
        0,
        N * 16 * 30 * 30 * 8 * 9,
        2 * N * 16 * 30 * 30 * 8 * 9,
    ),
    row(
        "conv2d",
        (N, C, H, W),
        {"out": 16, "kernel": 3, "stride": 2, "padding": 1, "bias": False},
        (N, 16, 16, 16),
        16 * 8 * 9,
        0,
        N * 16 * 16 * 16 * 8 * 9,
        2 * N * 16 * 16 * 16 * 8 * 9,
    ),
    # depthwise: groups = Cin = Cout, so Cin/g = 1
    row(
        "conv2d",
        (N, C, H, W),
        {"out": 8, "kernel": 3, "padding": 1, "groups": 8, "bias": False},
        (N, 8, 32, 32),
        8 * 1 * 9,
        0,
        N * 8 * 32 * 32 * 1 * 9,
        2 * N * 8 * 32 * 32 * 9,
    ),
    # grouped 1x1 with rectangular kernel list and dilation
    row(
        "conv2d",
        (N, C, H, W),
        {"out": 4, "kernel": [1, 3], "dilation": 2, "groups": 2, "bias": False},
        (N, 4, 32, 28),
        4 * 4 * 3,
        0,
        N * 4 * 32 * 28 * 4 * 3,
        2 * N * 4 * 32 * 28 * 4 * 3,
    ),
    # 'same' (TensorFlow rule): output = ceil(in / stride)
    row(
        "conv2d",
        (1, 3, 15, 15),
        {"out": 4, "kernel": 3, "stride": 2, "padding": "same", "bias": False},
        (1, 4, 8, 8),
        4 * 3 * 9,
        0,
        4 * 8 * 8 * 3 * 9,
        2 * 4 * 8 * 8 * 3 * 9,
    ),
    row(
        "conv2d",
        (1, 3, 15, 15),
        {"out": 4, "kernel": 3, "padding": "valid", "bias": False},
        (1, 4, 13, 13),
        4 * 3 * 9,
        0,
        4 * 13 * 13 * 3 * 9,
        2 * 4 * 13 * 13 * 3 * 9,
    ),
    row(
        "conv1d",
        (1, 8, 50),
        {"out": 16, "kernel": 3},
        (1, 16, 48),
        16 * 8 * 3 + 16,
        0,
        16 * 48 * 8 * 3,
        2 * 16 * 48 * 8 * 3 + 16 * 48,
    ),
    row(
        "conv3d",
        (1, 4, 8, 16, 16),
        {"out": 8, "kernel": 3, "bias": False},
        (1, 8, 6, 14, 14),
        8 * 4 * 27,
        0,
        8 * 6 * 14 * 14 * 4 * 27,
        2 * 8 * 6 * 14 * 14 * 4 * 27,
    ),
    # transposed: out = (in-1)·s - 2p + (k-1) + output_padding + 1 = 15·2 - 2 + 2 + 1 + 1 = 32;
    # MACs = N·Cin·Hin·Win·(Cout/g)·K (every input element scatters a kernel)
    row(
        "conv_transpose2d",
        (1, 8, 16, 16),
        {"out": 4, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1},
        (1, 4, 32, 32),
        8 * 4 * 9 + 4,
        0,
        8 * 16 * 16 * 4 * 9,
        2 * 8 * 16 * 16 * 4 * 9 + 4 * 32 * 32,
    ),
    # ---- linear, on the last dimension
    row("linear", (1, 64), {"out": 32}, (1, 32), 64 * 32 + 32, 0, 64 * 32, 2 * 64 * 32 + 32),
    row("linear", (64,), {"out": 32}, (32,), 64 * 32 + 32, 0, 64 * 32, 2 * 64 * 32 + 32),
    row(
        "linear",
        (1, 10, 64),
        {"out": 32, "bias": False},
        (1, 10, 32),
        64 * 32,
        0,
        10 * 64 * 32,
        2 * 10 * 64 * 32,
    ),
    # ---- normalisation
    row("batchnorm2d", (N, C, H, W), {}, (N, C, H, W), 2 * C, 2 * C, 0, 2 * E),
    row("batchnorm2d", (N, C, H, W), {"affine": False}, (N, C, H, W), 0, 2 * C, 0, 2 * E),
    row("batchnorm1d", (4, 16), {}, (4, 16), 2 * 16, 2 * 16, 0, 2 * 4 * 16),
    row("batchnorm1d", (4, 16, 10), {}, (4, 16, 10), 2 * 16, 2 * 16, 0, 2 * 4 * 16 * 10),
    row("layernorm", (1, 10, 64), {}, (1, 10, 64), 2 * 64, 0, 0, (5 + 2) * 10 * 64),
    row("layernorm", (1, 10, 64), {"bias": False}, (1, 10, 64), 64, 0, 0, (5 + 2) * 10 * 64),
    row("layernorm", (1, 4, 8, 8), {"dims": 3, "affine": False}, (1, 4, 8, 8), 0, 0, 0, 5 * 256),
    row("groupnorm", (1, 16, 8, 8), {"groups": 4}, (1, 16, 8, 8), 2 * 16, 0, 0, 7 * 16 * 64),
    row("groupnorm", (2, 8), {"groups": 2}, (2, 8), 2 * 8, 0, 0, 7 * 16),  # [N, C] as in torch
    # ---- activations: default FLOPs per element from DEFAULT_WORK_FLOPS
    row("relu", (N, C, H, W), {}, (N, C, H, W), 0, 0, 0, 1 * E),
    row("relu6", (N, C, H, W), {}, (N, C, H, W), 0, 0, 0, 2 * E),
    row("leaky_relu", (N, C, H, W), {"slope": 0.2}, (N, C, H, W), 0, 0, 0, 2 * E),
    row("gelu", (N, C, H, W), {}, (N, C, H, W), 0, 0, 0, 8 * E),
    row("silu", (N, C, H, W), {}, (N, C, H, W), 0, 0, 0, 5 * E),
    row("sigmoid", (N, C, H, W), {}, (N, C, H, W), 0, 0, 0, 4 * E),
    row("tanh", (N, C, H, W), {}, (N, C, H, W), 0, 0, 0, 5 * E),
    row("hardswish", (N, C, H, W), {}, (N, C, H, W), 0, 0, 0, 5 * E),
    row("hardsigmoid", (N, C, H, W), {}, (N, C, H, W), 0, 0, 0, 4 * E),
    row("softmax", (1, 10, 64), {"dim": -1}, (1, 10, 64), 0, 0, 0, 5 * 640),
    row("scale", (1, 12, 10, 10), {}, (1, 12, 10, 10), 0, 0, 0, 1 * 12 * 10 * 10),
    # ---- pooling
    row("maxpool2d", (N, C, H, W), {"kernel": 2}, (N, C, 16, 16), 0, 0, 0, N * C * 16 * 16 * 4),
    # ceil_mode lets a window start inside the input and run past it: torch gives 1x1 here
    row(
        "maxpool2d",
        (1, 8, 2, 2),
        {"kernel": 3, "stride": 2, "ceil_mode": True},
        (1, 8, 1, 1),
        0,
        0,
        0,
        8 * 9,
    ),
    row(
        "maxpool2d",
        (1, 64, 112, 112),
        {"kernel": 3, "stride": 2, "padding": 1},
        (1, 64, 56, 56),
        0,
        0,
        0,
        64 * 56 * 56 * 9,
    ),
    row(
        "avgpool2d",
        (N, C, H, W),
        {"kernel": 2, "stride": 2},
        (N, C, 16, 16),
        0,
        0,
        0,
        N * C * 16 * 16 * 4,
    ),
    # ceil_mode: (32 - 3) / 2 = 14.5 → 15 windows, +1 = 16
    row(
        "avgpool2d",
        (1, 16, 32, 32),
        {"kernel": 3, "stride": 2, "ceil_mode": True},
        (1, 16, 16, 16),
        0,
        0,
        0,
        16 * 16 * 16 * 9,
    ),
    row(
        "avgpool2d",
        (1, 16, 32, 32),
        {"kernel": 3, "stride": 2},
        (1, 16, 15, 15),
        0,
        0,
        0,
        16 * 15 * 15 * 9,
    ),
    row("adaptive_avgpool2d", (N, C, 7, 7), {"size": 1}, (N, C, 1, 1), 0, 0, 0, N * C * 49),
    # 32 → 7: windows [⌊32i/7⌋, ⌈32(i+1)/7⌉) are 5,6,5,6,5,6,5 long = 38 per axis
    row("adaptive_avgpool2d", (1, 16, 32, 32), {"size": 7}, (1, 16, 7, 7), 0, 0, 0, 16 * 38 * 38),
    # ---- resizing
    row("upsample", (1, 16, 8, 8), {"scale": 2}, (1, 16, 16, 16), 0, 0, 0, 0),
    row(
        "upsample",
        (1, 16, 8, 8),
        {"scale": 2, "mode": "bilinear"},
        (1, 16, 16, 16),
        0,
        0,
        0,
        7 * 16 * 16 * 16,
    ),
    row("upsample", (1, 16, 8, 8), {"size": [10, 12]}, (1, 16, 10, 12), 0, 0, 0, 0),
    # ---- attention on [N, S, D] = [1, 10, 64], 4 heads of 16: projections 4·S·D², biases,
    # QKᵀ and AV (2·H·S·T·hd), softmax 5 per score, query scaling 1 per query element
    row(
        "multihead_attention",
        (1, 10, 64),
        {"heads": 4},
        (1, 10, 64),
        4 * 64 * 64 + 4 * 64,
        0,
        4 * 10 * 64 * 64 + 2 * 4 * 10 * 10 * 16,
        2 * (4 * 10 * 64 * 64 + 2 * 4 * 10 * 10 * 16) + 4 * 10 * 64 + 5 * 4 * 10 * 10 + 10 * 64,
    ),
    # grouped-query (8 heads, 2 kv heads of 8), causal, 4 new tokens after 12 cached:
    # keys attended = S·context + S(S+1)/2 = 48 + 10; k/v projections only for new tokens
    row(
        "multihead_attention",
        (1, 4, 64),
        {"heads": 8, "kv_heads": 2, "causal": True, "context": 12, "bias": False},
        (1, 4, 64),
        64 * 64 + 2 * 64 * 16 + 64 * 64,
        0,
        4 * 64 * 64 + 2 * 4 * 64 * 16 + 4 * 64 * 64 + 2 * 8 * (4 * 12 + 10) * 8,
        2 * (4 * 64 * 64 + 2 * 4 * 64 * 16 + 4 * 64 * 64 + 2 * 8 * (4 * 12 + 10) * 8)
        + 5 * 8 * (4 * 12 + 10)
        + 4 * 64,
    ),
    # cross-attention on 20 encoder tokens of 32 features
    row(
        "multihead_attention",
        (1, 5, 64),
        {"heads": 4, "kv_len": 20, "kv_dim": 32, "bias": False},
        (1, 5, 64),
        64 * 64 + 2 * 32 * 64 + 64 * 64,
        0,
        5 * 64 * 64 + 2 * 20 * 32 * 64 + 5 * 64 * 64 + 2 * 4 * 5 * 20 * 16,
        2 * (5 * 64 * 64 + 2 * 20 * 32 * 64 + 5 * 64 * 64 + 2 * 4 * 5 * 20 * 16)
        + 5 * 4 * 5 * 20
        + 5 * 64,
    ),
    # Qwen2's projections: biases on q, k, v (4·64 + 2·4·16 adds), none on out;
    # 8 heads of 8, 2 kv heads, causal over 4 new tokens: 1 + 2 + 3 + 4 = 10 keys
    row(
        "multihead_attention",
        (1, 4, 64),
        {"heads": 8, "kv_heads": 2, "causal": True, "qkv_bias": True, "out_bias": False},
        (1, 4, 64),
        64 * 64 + 2 * 64 * 16 + 64 * 64 + (64 + 2 * 16),
        0,
        4 * 64 * 64 + 2 * 4 * 64 * 16 + 4 * 64 * 64 + 2 * 8 * 10 * 8,
        2 * (4 * 64 * 64 + 2 * 4 * 64 * 16 + 4 * 64 * 64 + 2 * 8 * 10 * 8)
        + (4 * 64 + 2 * 4 * 16)
        + 5 * 8 * 10
        + 4 * 64,
    ),
    # out bias only (bias: false beneath, out_bias: true): 64 params, 4·64 adds
    row(
        "multihead_attention",
        (1, 4, 64),
        {"heads": 8, "causal": True, "bias": False, "out_bias": True},
        (1, 4, 64),
        4 * 64 * 64 + 64,
        0,
        4 * 4 * 64 * 64 + 2 * 8 * 10 * 8,
        2 * (4 * 4 * 64 * 64 + 2 * 8 * 10 * 8) + 4 * 64 + 5 * 8 * 10 + 4 * 64,
    ),
    # sliding window of 4 over a 6-token prefill: positions 1..6 see 1, 2, 3, 4, 4, 4 keys
    row(
        "multihead_attention",
        (1, 6, 32),
        {"heads": 2, "causal": True, "window": 4, "bias": False},
        (1, 6, 32),
        4 * 32 * 32,
        0,
        4 * 6 * 32 * 32 + 2 * 2 * (1 + 2 + 3 + 4 + 4 + 4) * 16,
        2 * (4 * 6 * 32 * 32 + 2 * 2 * 18 * 16) + 5 * 2 * 18 + 6 * 32,
    ),
    # the same 6 tokens after 5 cached: positions 6..11 each see the window's 4 keys
    row(
        "multihead_attention",
        (1, 6, 32),
        {"heads": 2, "causal": True, "window": 4, "context": 5, "bias": False},
        (1, 6, 32),
        4 * 32 * 32,
        0,
        4 * 6 * 32 * 32 + 2 * 2 * (6 * 4) * 16,
        2 * (4 * 6 * 32 * 32 + 2 * 2 * 24 * 16) + 5 * 2 * 24 + 6 * 32,
    ),
    # ---- recurrent on [N, T, F] = [2, 5, 16], H = 32: G gate sets of H·(I + H) weights and
    # two biases; MACs N·T·D·G·H·(I + H); FLOPs 2·MACs + per step and direction G·H gate adds,
    # 2·G·H bias adds and the cell update on H elements (LSTM 26, GRU 18, RNN tanh 5 / relu 1)
    row(
        "lstm",
        (2, 5, 16),
        {"hidden": 32},
        (2, 5, 32),
        4 * 32 * (16 + 32) + 2 * 4 * 32,
        0,
        2 * 5 * 4 * 32 * (16 + 32),
        2 * (2 * 5 * 4 * 32 * (16 + 32)) + 2 * 5 * (4 * 32 + 2 * 4 * 32 + 26 * 32),
    ),
    # 2 bidirectional layers: the second reads both directions (I = 2H)
    row(
        "lstm",
        (2, 5, 16),
        {"hidden": 32, "layers": 2, "bidirectional": True},
        (2, 5, 64),
        2 * (4 * 32 * (16 + 32) + 4 * 32 * (64 + 32)) + 2 * 2 * 2 * 4 * 32,
        0,
        2 * 5 * 2 * (4 * 32 * (16 + 32) + 4 * 32 * (64 + 32)),
        2 * (2 * 5 * 2 * (4 * 32 * (16 + 32) + 4 * 32 * (64 + 32)))
        + 2 * 5 * 2 * 2 * (4 * 32 + 2 * 4 * 32 + 26 * 32),
    ),
    row(
        "gru",
        (2, 5, 16),
        {"hidden": 32},
        (2, 5, 32),
        3 * 32 * (16 + 32) + 2 * 3 * 32,
        0,
        2 * 5 * 3 * 32 * (16 + 32),
        2 * (2 * 5 * 3 * 32 * (16 + 32)) + 2 * 5 * (3 * 32 + 2 * 3 * 32 + 18 * 32),
    ),
    row(
        "rnn",
        (2, 5, 16),
        {"hidden": 32},
        (2, 5, 32),
        32 * (16 + 32) + 2 * 32,
        0,
        2 * 5 * 32 * (16 + 32),
        2 * (2 * 5 * 32 * (16 + 32)) + 2 * 5 * (32 + 2 * 32 + 5 * 32),
    ),
    row(
        "rnn",
        (2, 5, 16),
        {"hidden": 32, "nonlinearity": "relu", "bias": False},
        (2, 5, 32),
        32 * (16 + 32),
        0,
        2 * 5 * 32 * (16 + 32),
        2 * (2 * 5 * 32 * (16 + 32)) + 2 * 5 * (32 + 1 * 32),
    ),
    # ---- windowed attention on [N, H, W, C] = [1, 14, 14, 32], 7×7 windows (T = 49), 2 heads:
    # L = 196 tokens; projections 4·L·C², QKᵀ and AV 2·L·T·C; scores L·T·heads; FLOPs:
    # 2·MACs, the biases (4·L·C), the q scale (L·C), the position-bias add and softmax (5)
    # per score; the relative position index (T² int64) is a buffer
    row(
        "window_attention",
        (1, 14, 14, 32),
        {"heads": 2, "window": 7},
        (1, 14, 14, 32),
        4 * 32 * 32 + 4 * 32 + 13 * 13 * 2,
        49 * 49,
        4 * 196 * 32 * 32 + 2 * 196 * 49 * 32,
        2 * (4 * 196 * 32 * 32 + 2 * 196 * 49 * 32) + 4 * 196 * 32 + 196 * 32 + 6 * 196 * 49 * 2,
    ),
    # shifted windows add the mask to every score; a 10×10 map is padded to 14×14
    row(
        "window_attention",
        (1, 10, 10, 32),
        {"heads": 2, "window": 7, "shift": 3, "position_bias": False, "qkv_bias": False},
        (1, 10, 10, 32),
        4 * 32 * 32 + 32,
        0,
        4 * 196 * 32 * 32 + 2 * 196 * 49 * 32,
        2 * (4 * 196 * 32 * 32 + 2 * 196 * 49 * 32) + 196 * 32 + 196 * 32 + 6 * 196 * 49 * 2,
    ),
    # a window covering the whole (padded) map is not shifted, as torchvision decides
    row(
        "window_attention",
        (1, 7, 7, 32),
        {"heads": 2, "window": 7, "shift": 3, "position_bias": False, "einsum": True},
        (1, 7, 7, 32),
        4 * 32 * 32 + 4 * 32,
        0,
        4 * 49 * 32 * 32 + 2 * 49 * 49 * 32,
        2 * (4 * 49 * 32 * 32 + 2 * 49 * 49 * 32) + 4 * 49 * 32 + 49 * 32 + 5 * 49 * 49 * 2,
    ),
    # grid attention (MaxViT): 49 tokens spread over a 14×14 map, the cost of 7×7 windows
    row(
        "window_attention",
        (1, 14, 14, 32),
        {"heads": 2, "window": 7, "grid": True},
        (1, 14, 14, 32),
        4 * 32 * 32 + 4 * 32 + 13 * 13 * 2,
        49 * 49,
        4 * 196 * 32 * 32 + 2 * 196 * 49 * 32,
        2 * (4 * 196 * 32 * 32 + 2 * 196 * 49 * 32) + 4 * 196 * 32 + 196 * 32 + 6 * 196 * 49 * 2,
    ),
    # a learned tensor added by broadcasting (an attention bias on [N, heads, T, T] scores)
    row("learnable", (2, 3, 5, 5), {"shape": [3, 5, 5]}, (2, 3, 5, 5), 3 * 5 * 5, 0, 0, 2 * 75),
    row("learnable", (2, 3, 5, 5), {"shape": [4, 4], "add": False}, (4, 4), 16, 0, 0, 0),
    row("pixel_unshuffle", (1, 4, 16, 16), {"factor": 2}, (1, 16, 8, 8), 0, 0, 0, 0),
    row("embedding", (1, 10), {"vocab": 100, "dim": 32}, (1, 10, 32), 100 * 32, 0, 0, 0),
    row("class_token", (1, 196, 768), {}, (1, 197, 768), 768, 0, 0, 0),
    row("position_embedding", (1, 197, 768), {}, (1, 197, 768), 197 * 768, 0, 0, 197 * 768),
    row("rmsnorm", (1, 10, 64), {}, (1, 10, 64), 64, 0, 0, (4 + 1) * 10 * 64),
    row("layernorm2d", (1, 96, 56, 56), {}, (1, 96, 56, 56), 2 * 96, 0, 0, 7 * 96 * 56 * 56),
    row("layer_scale", (1, 96, 56, 56), {}, (1, 96, 56, 56), 96, 0, 0, 96 * 56 * 56),
    row("segment_embedding", (1, 8, 32), {"vocab": 2}, (1, 8, 32), 2 * 32, 0, 0, 8 * 32),
    row("position_embedding", (1, 8, 32), {"max_len": 512}, (1, 8, 32), 512 * 32, 0, 0, 8 * 32),
    row(
        "linear",
        (1, 4, 64),
        {"out": 100, "bias": False, "tied": True},
        (1, 4, 100),
        0,
        0,
        4 * 64 * 100,
        2 * 4 * 64 * 100,
    ),
    row("pixel_shuffle", (1, 16, 8, 8), {"factor": 2}, (1, 4, 16, 16), 0, 0, 0, 0),
    row("channel_shuffle", (1, 16, 8, 8), {"groups": 4}, (1, 16, 8, 8), 0, 0, 0, 0),
    row("reshape", (1, 16, 8, 8), {"shape": [1, -1, 64]}, (1, 16, 64), 0, 0, 0, 0),
    row("permute", (1, 768, 196), {"dims": [0, 2, 1]}, (1, 196, 768), 0, 0, 0, 0),
    row("select", (1, 197, 768), {"dim": 1, "index": 0}, (1, 768), 0, 0, 0, 0),
    row("slice", (1, 116, 28, 28), {"start": 58, "end": 116}, (1, 58, 28, 28), 0, 0, 0, 0),
    row("mean", (1, 1024, 7, 7), {"dims": [2, 3]}, (1, 1024), 0, 0, 0, 1024 * 49),
    # ---- free by design
    row("flatten", (N, C, H, W), {}, (N, C * H * W), 0, 0, 0, 0),
    row("flatten", (N, C, H, W), {"start_dim": 2}, (N, C, H * W), 0, 0, 0, 0),
    row("dropout", (N, C, H, W), {"p": 0.1}, (N, C, H, W), 0, 0, 0, 0),
    row("identity", (N, C, H, W), {}, (N, C, H, W), 0, 0, 0, 0),
]


@pytest.mark.parametrize(
    ("op", "shape", "attrs", "output", "params", "buffers", "macs", "default_flops"), ROWS
)
def test_op_formula(
    op: str,
    shape: tuple[int, ...],
    attrs: dict[str, Any],
    output: tuple[int, ...],
    params: int,
    buffers: int,
    macs: int,
    default_flops: int,
) -> None:
    cost = run_op(op, shape, **attrs)
    assert (cost.output, cost.params, cost.buffers, cost.macs, flops(cost)) == (
        output,
        params,
        buffers,
        macs,
        default_flops,
    )
    stored = [tensor for tensor in cost.stored_tensors() if tensor.stored]
    assert sum(tensor.elements for tensor in stored) == params + buffers
    assert sum(t.elements for t in stored if t.role in BUFFER_ROLES) == buffers
    names = [tensor.name for tensor in cost.stored_tensors()]
    assert len(names) == len(set(names)) and all(
        tensor.role in TENSOR_ROLES for tensor in cost.stored_tensors()
    )


# Tensors named as transformers and torch name their parameters, [out, in] for a matrix.
TENSOR_ROWS = [
    ("linear", (1, 4, 64), {"out": 100}, {"weight": (100, 64), "bias": (100,)}),
    ("linear", (1, 4, 64), {"out": 100, "bias": False, "tied": True}, {"weight": (100, 64)}),
    (
        "conv2d",
        (1, 8, 9, 9),
        {"out": 16, "kernel": 3, "groups": 2},
        {"weight": (16, 4, 3, 3), "bias": (16,)},
    ),
    ("embedding", (1, 10), {"vocab": 100, "dim": 32}, {"weight": (100, 32)}),
    ("rmsnorm", (1, 10, 64), {}, {"weight": (64,)}),
    ("layernorm", (1, 10, 64), {}, {"weight": (64,), "bias": (64,)}),
    (
        "batchnorm2d",
        (1, 8, 4, 4),
        {},
        {"weight": (8,), "bias": (8,), "running_mean": (8,), "running_var": (8,)},
    ),
    (
        "multihead_attention",
        (1, 4, 896),
        {"heads": 14, "kv_heads": 2, "causal": True, "qkv_bias": True, "out_bias": False},
        {
            "q_proj.weight": (896, 896),
            "q_proj.bias": (896,),
            "k_proj.weight": (128, 896),
            "k_proj.bias": (128,),
            "v_proj.weight": (128, 896),
            "v_proj.bias": (128,),
            "o_proj.weight": (896, 896),
        },
    ),
]


@pytest.mark.parametrize(("op", "shape", "attrs", "tensors"), TENSOR_ROWS)
def test_tensors_are_named_as_the_framework_names_them(
    op: str, shape: tuple[int, ...], attrs: dict[str, Any], tensors: dict[str, tuple[int, ...]]
) -> None:
    cost = run_op(op, shape, **attrs)
    assert {tensor.name: tensor.shape for tensor in cost.stored_tensors()} == tensors


def test_a_tied_weight_is_read_but_not_stored() -> None:
    (weight,) = run_op("linear", (1, 1, 64), out=100, bias=False, tied=True).stored_tensors()
    assert (weight.stored, weight.elements_read) == (False, 100 * 64)


def test_adaptive_window_total_matches_hand_count() -> None:
    # 32 → 7 as listed in the table above; 7 → 1 is the whole axis; 8 → 4 is 2 each
    assert adaptive_window_total(32, 7) == 5 + 6 + 5 + 6 + 5 + 6 + 5
    assert adaptive_window_total(7, 1) == 7
    assert adaptive_window_total(8, 4) == 2 * 4


PADDLE_ROWS = [
    # conv: (Cin·K/g + bias)·out elements; BN 2/elem; linear Cin per output element; others 0
    (
        "conv2d",
        (1, 2, 320, 320),
        {"out": 4, "kernel": 3, "padding": 1},
        (2 * 9 + 1) * 4 * 320 * 320,
    ),
    (
        "conv2d",
        (1, 8, 16, 16),
        {"out": 8, "kernel": 3, "padding": 1, "groups": 8, "bias": False},
        (1 * 9 + 0) * 8 * 16 * 16,
    ),
    ("linear", (1, 400), {"out": 120}, 400 * 120),
    ("batchnorm2d", (1, 16, 8, 8), {}, 2 * 16 * 64),
    ("relu", (1, 16, 8, 8), {}, 0),
    ("maxpool2d", (1, 16, 8, 8), {"kernel": 2}, 0),
    ("avgpool2d", (1, 16, 8, 8), {"kernel": 2}, 1 * 16 * 4 * 4),
    ("adaptive_avgpool2d", (1, 16, 7, 7), {"size": 1}, (7 * 7 + 1) * 16),
    ("sigmoid", (1, 16, 8, 8), {}, 0),
]


@pytest.mark.parametrize(("op", "shape", "attrs", "expected"), PADDLE_ROWS)
def test_paddle_convention(
    op: str, shape: tuple[int, ...], attrs: dict[str, Any], expected: int
) -> None:
    assert flops(run_op(op, shape, **attrs), "paddle") == expected


def test_paddle_counts_batchnorm_running_stats_as_params() -> None:
    from budgetlint.engine.conventions import CONVENTIONS

    cost = run_op("batchnorm2d", (1, 16, 8, 8))
    assert CONVENTIONS["paddle"].params(cost) == 4 * 16
    assert CONVENTIONS["default"].params(cost) == 2 * 16


SHAPE_ERRORS = [
    ("conv2d", (1, 3, 4, 4), {"out": 8, "kernel": 5}, "larger than its input 4"),
    ("conv2d", (1, 3, 4, 4), {"out": 8, "kernel": 3, "dilation": 3}, "dilated to 7"),
    ("conv2d", (1, 3, 32), {"out": 8, "kernel": 3}, "rank-4"),
    ("conv2d", (1, 6, 8, 8), {"out": 8, "kernel": 3, "groups": 4}, "groups=4 must divide"),
    ("conv2d", (1, 6, 8, 8), {"out": 8, "kernel": [3, 3, 3]}, "kernel needs 1 or 2 values"),
    (
        "conv_transpose2d",
        (1, 8, 4, 4),
        {"out": 4, "kernel": 3, "output_padding": 1},
        "output_padding 1 must be smaller",
    ),
    ("maxpool2d", (1, 3, 2, 2), {"kernel": 3}, "larger than its input 2"),
    ("maxpool2d", (1, 3, 8, 8), {"kernel": 2, "padding": 2}, "at most half the kernel"),
    ("batchnorm2d", (1, 16), {}, "rank 4"),
    ("groupnorm", (1, 6, 4, 4), {"groups": 4}, "must divide the 6 channels"),
    ("layernorm", (4,), {"dims": 2}, "rank of at least 2"),
    ("maxpool2d", (1, 3, 2, 2), {"kernel": 2, "dilation": 2}, "kernel 2 (dilated to 3) is larger"),
    ("softmax", (1, 4), {"dim": 2}, "out of range"),
    ("flatten", (1, 4), {"start_dim": 3}, "don't fit"),
    ("upsample", (1, 3, 4, 4), {}, "exactly one of 'scale' and 'size'"),
    ("upsample", (1, 3, 4, 4), {"scale": 0.1}, "leaves no output"),
    ("multihead_attention", (1, 4, 10), {"heads": 3}, "heads=3 must divide the 10 features"),
    ("multihead_attention", (1, 4, 12), {"heads": 4, "kv_heads": 3}, "kv_heads=3 must divide"),
    ("multihead_attention", (1, 4), {"heads": 1}, "expects [N, S, D]"),
    ("multihead_attention", (1, 4, 8), {"heads": 1, "window": 2}, "needs causal: true"),
    ("reshape", (1, 6), {"shape": [4, -1]}, "can't reshape"),
    ("permute", (1, 6), {"dims": [0, 0]}, "not an order"),
    ("select", (1, 6), {"dim": 1, "index": 6}, "out of range"),
    ("pixel_shuffle", (1, 6, 2, 2), {"factor": 2}, "needs [N, C·2², H, W]"),
    ("lstm", (5, 16), {"hidden": 8}, "expects [batch, seq, features]"),
    ("window_attention", (1, 49, 32), {"heads": 2, "window": 7}, "expects [N, H, W, C]"),
    ("window_attention", (1, 7, 7, 30), {"heads": 4, "window": 7}, "heads=4 must divide"),
    ("window_attention", (1, 14, 14, 32), {"heads": 2, "window": 7, "shift": 7}, "smaller"),
    ("window_attention", (1, 10, 10, 32), {"heads": 2, "window": 7, "grid": True}, "multiple"),
    ("learnable", (1, 3, 4), {"shape": [5, 4]}, "learnable needs shapes that broadcast"),
    ("learnable", (1, 3, 4), {"shape": [0, 4]}, "positive sizes"),
    ("pixel_unshuffle", (1, 4, 15, 16), {"factor": 2}, "multiples of 2"),
    ("rnn", (1, 5, 16), {"hidden": 8, "nonlinearity": "gelu"}, "expected one of tanh, relu"),
]


@pytest.mark.parametrize(("op", "shape", "attrs", "message"), SHAPE_ERRORS)
def test_shape_errors(op: str, shape: tuple[int, ...], attrs: dict[str, Any], message: str) -> None:
    with pytest.raises((ShapeError, AttrError), match=re.escape(message)):
        run_op(op, shape, **attrs)


def test_counts_as_people_write_them_in_attributes() -> None:
    # 32k = 32,000 output features; YAML reads 1e3 as the string '1e3'
    assert run_op("linear", (1, 8), out="32k").output == (1, 32_000)
    assert run_op("linear", (1, 8), out="1e3").output == (1, 1_000)
    with pytest.raises(AttrError, match="expected a positive integer"):
        run_op("linear", (1, 8), out="0.5k5")


def test_free_ops_cost_nothing() -> None:
    from budgetlint.engine.ops import FREE_OPS

    needs = {"reshape": {"shape": [-1]}, "permute": {"dims": [3, 2, 1, 0]}, "slice": {"end": 2}}
    for op in FREE_OPS:
        cost = run_op(op, (2, 3, 4, 5), **needs.get(op, {}))
        assert (cost.params, cost.buffers, cost.macs, cost.work) == (0, 0, 0, ())


def test_kv_cache_is_read_and_an_embedding_reads_only_its_rows() -> None:
    from budgetlint.engine.evaluate import LayerReport
    from budgetlint.engine.memory import Precision, layer_traffic
    from budgetlint.problems import Position

    decode = run_op("multihead_attention", (1, 1, 64), heads=8, kv_heads=2, context=100, bias=False)
    assert decode.state_read == 2 * 100 * 2 * 8  # keys and values of 100 cached tokens
    gather = run_op("embedding", (1, 10), vocab=50_000, dim=32)
    row = LayerReport(
        "e",
        "embedding",
        Position("x"),
        ((1, 10),),
        gather.output,
        gather.params,
        gather.params,
        0,
        0,
        0,
        0,
        weights_read=gather.weights_read,
    )
    assert layer_traffic(row, Precision(8, 8)).read == 10 + 10 * 32  # ids, then 10 rows


@pytest.mark.parametrize(
    ("context", "window", "cached"),
    [(100, None, 100), (100, 8, 8), (5, 8, 5), (0, 8, 0), (4096, 4096, 4096)],
)
def test_a_decode_step_reads_at_most_the_window_of_its_cache(
    context: int, window: int | None, cached: int
) -> None:
    attrs = {"heads": 8, "kv_heads": 2, "causal": True, "context": context, "bias": False}
    if window is not None:
        attrs["window"] = window
    decode = run_op("multihead_attention", (1, 1, 64), **attrs)
    assert decode.state_read == 2 * cached * 2 * 8  # keys and values, 2 kv heads of 8
    kept = min(context + 1, window or context + 1)  # the cache after the step
    assert decode.state_held == 2 * kept * 2 * 8
    keys = min(context + 1, window or context + 1)  # the newest token sees itself too
    assert decode.macs == 4 * 64 * 64 - 2 * 64 * 48 + 2 * 8 * keys * 8


@pytest.mark.parametrize("window", [None, 1, 3, 7, 20])
@pytest.mark.parametrize(("context", "length"), [(0, 1), (0, 9), (4, 6), (12, 3), (30, 30)])
def test_causal_keys_sum_the_window_at_every_position(
    context: int, length: int, window: int | None
) -> None:
    from budgetlint.engine.ops.attention import causal_keys

    positions = range(context + 1, context + length + 1)
    assert causal_keys(context, length, window) == sum(
        p if window is None else min(p, window) for p in positions
    )


def test_only_causal_self_attention_keeps_a_kv_cache() -> None:
    assert run_op("multihead_attention", (1, 6, 64), heads=8).state_held == 0  # an encoder
    cross = run_op("multihead_attention", (1, 6, 64), heads=8, kv_len=10)
    assert cross.state_held == 0
    prefill = run_op("multihead_attention", (2, 6, 64), heads=8, kv_heads=4, causal=True)
    assert prefill.state_held == 2 * 2 * 6 * 4 * 8  # keys and values · batch · S · G · hd


def test_matmul_merge() -> None:
    from budgetlint.engine.ops.merge import matmul

    cost = matmul(((1, 4, 10, 16), (1, 4, 16, 12)))
    assert (cost.output, cost.macs) == ((1, 4, 10, 12), 4 * 10 * 12 * 16)
    with pytest.raises(ShapeError):
        matmul(((1, 4, 10, 16), (1, 4, 15, 12)))


def test_einsum_merge_is_a_matmul_of_its_own_kind() -> None:
    from budgetlint.engine.ops.merge import einsum

    cost = einsum(((1, 4, 8), (1, 8, 4)))
    assert (cost.output, cost.macs, cost.work) == ((1, 4, 4), 4 * 4 * 8, (("einsum_macs", 128),))


@pytest.mark.parametrize(
    ("how", "shapes", "output", "work"),
    [
        # PyTorch's broadcasting: align on the right, each size equal or 1
        ("add", ((1, 3, 49, 49), (1, 1, 49, 49)), (1, 3, 49, 49), 3 * 49 * 49),
        ("add", ((2, 8, 4, 4), (8, 1, 1)), (2, 8, 4, 4), 2 * 8 * 4 * 4),
        ("add", ((2, 8), (2, 8), (2, 8)), (2, 8), 2 * 8 * 2),
        ("mul", ((1, 16, 1, 1), (1, 16, 7, 7)), (1, 16, 7, 7), 16 * 7 * 7),
    ],
)
def test_add_and_mul_broadcast_alike(
    how: str, shapes: tuple[tuple[int, ...], ...], output: tuple[int, ...], work: int
) -> None:
    from budgetlint.engine.ops.merge import MERGES

    cost = MERGES[how](shapes, 1)
    assert (cost.output, cost.work) == (output, ((how, work),))


@pytest.mark.parametrize("how", ["add", "mul"])
def test_shapes_that_do_not_broadcast_are_refused(how: str) -> None:
    from budgetlint.engine.ops.merge import MERGES

    with pytest.raises(ShapeError, match=f"{how} needs shapes that broadcast"):
        MERGES[how](((1, 8, 4, 4), (1, 3, 4, 4)), 1)
