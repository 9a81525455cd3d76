"""Every named convention against what the real tool printed, op by op and model by model.

The measured numbers come from tests/data/measured_counters.json (tools/measure_counters.py
ran thop 0.1.1, fvcore 0.1.5, ptflops 0.7.5, torch 2.14.1's FlopCounterMode, torchstat
0.0.7 and paddle 3.3.1 on 2026-11-23). No tool is imported here.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from budgetlint.engine.conventions import CONVENTIONS
from budgetlint.engine.cost import OpCost
from budgetlint.engine.evaluate import ModelReport, evaluate
from budgetlint.engine.memory import Precision, size_bytes
from budgetlint.graph import Architecture, Layer, Node, Parallel
from budgetlint.problems import Position
from budgetlint.spec.binding import bind_attributes
from budgetlint.spec.expand import read_spec
from tests.conftest import ROOT
from tests.data.measured import FIDELITY, MEASURED, MODELS, TENSORFLOW, TOOLS, VIT, measured

HERE = Position("test.yaml")


def layer(op: str, **attrs: Any) -> Layer:
    return Layer(op, op, bind_attributes(op, **attrs), HERE)


ACTIVATIONS = ("relu", "relu6", "leaky_relu", "gelu", "silu", "sigmoid", "tanh", "hardswish")
ACTIVATIONS += ("hardsigmoid", "softmax")

# The measured single-op cases, as budgetlint layers (names as in the JSON's "ops").
OP_CASES: dict[str, tuple[tuple[int, ...], Node]] = {
    "conv2d": ((1, 8, 32, 32), layer("conv2d", out=16, kernel=3, padding=1)),
    "conv2d_nobias": ((1, 8, 32, 32), layer("conv2d", out=16, kernel=3, padding=1, bias=False)),
    "conv2d_depthwise": ((1, 16, 32, 32), layer("conv2d", out=16, kernel=3, padding=1, groups=16)),
    "conv2d_stride2": ((1, 8, 32, 32), layer("conv2d", out=16, kernel=3, stride=2, padding=1)),
    "conv_transpose2d": (
        (1, 8, 16, 16),
        layer("conv_transpose2d", out=4, kernel=3, stride=2, padding=1, output_padding=1),
    ),
    "conv1d": ((1, 8, 50), layer("conv1d", out=16, kernel=3)),
    "conv3d": ((1, 4, 8, 16, 16), layer("conv3d", out=8, kernel=3)),
    "batchnorm2d": ((1, 16, 32, 32), layer("batchnorm2d")),
    "layernorm": ((1, 10, 64), layer("layernorm")),
    "groupnorm": ((1, 16, 8, 8), layer("groupnorm", groups=4)),
    **{name: ((1, 16, 32, 32), layer(name)) for name in ACTIVATIONS},
    "maxpool2d": ((1, 16, 32, 32), layer("maxpool2d", kernel=2, stride=2)),
    "avgpool2d": ((1, 16, 32, 32), layer("avgpool2d", kernel=2, stride=2)),
    "avgpool2d_k3s2_ceil": (
        (1, 16, 32, 32),
        layer("avgpool2d", kernel=3, stride=2, ceil_mode=True),
    ),
    "adaptive_avgpool2d_1": ((1, 16, 32, 32), layer("adaptive_avgpool2d", size=1)),
    "adaptive_avgpool2d_7": ((1, 16, 32, 32), layer("adaptive_avgpool2d", size=7)),
    "upsample_nearest": ((1, 16, 8, 8), layer("upsample", scale=2.0)),
    "upsample_bilinear": ((1, 16, 8, 8), layer("upsample", scale=2.0, mode="bilinear")),
    "linear_2d": ((1, 64), layer("linear", out=32)),
    "linear_2d_nobias": ((1, 64), layer("linear", out=32, bias=False)),
    "linear_3d": ((1, 10, 64), layer("linear", out=32)),
    "linear_3d_nobias": ((1, 10, 64), layer("linear", out=32, bias=False)),
    "add": ((1, 16, 8, 8), Parallel("add", ((), ()), "add", 1, HERE)),
    "cat": ((1, 16, 8, 8), Parallel("cat", ((), ()), "concat", 1, HERE)),
    # need_weights=True takes the unfused path (bmm, softmax); False the fused kernel
    "mha_self_attention": ((1, 10, 64), layer("multihead_attention", heads=4, fused=False)),
    "mha_self_attention_no_weights": ((1, 10, 64), layer("multihead_attention", heads=4)),
    "embedding": ((1, 10), layer("embedding", vocab=100, dim=32)),
    "pixel_shuffle": ((1, 16, 8, 8), layer("pixel_shuffle", factor=2)),
    "flatten": ((1, 16, 8, 8), layer("flatten")),
    "dropout": ((1, 16, 8, 8), layer("dropout")),
    "identity": ((1, 16, 8, 8), layer("identity")),
}

# Where a tool can't be reproduced from shapes, with the reason; everything else must match.
NOT_REPRODUCED: dict[tuple[str, str], str] = {
    ("thop", "adaptive_avgpool2d_7"): "thop divides sizes as floats (32/7): not an integer count",
    ("torchstat", "upsample_nearest"): "torchstat bug: uses out[0]'s spatial size",
    ("torchstat", "upsample_bilinear"): "torchstat bug: uses out[0]'s spatial size",
}


def one_op(shape: tuple[int, ...], node: Node, convention: str) -> ModelReport:
    architecture = Architecture("case", "test.yaml", shape, (node,), HERE)
    return evaluate(architecture, CONVENTIONS[convention])


OP_ROWS = [
    pytest.param(convention, case, id=f"{convention}-{case}")
    for convention in TOOLS
    for case in OP_CASES
    if measured(MEASURED["ops"][case], convention) is not None
    and (convention, case) not in NOT_REPRODUCED
]


@pytest.mark.parametrize(("convention", "case"), OP_ROWS)
def test_each_op_as_the_tool_counts_it(convention: str, case: str) -> None:
    shape, node = OP_CASES[case]
    expected = measured(MEASURED["ops"][case], convention)
    assert one_op(shape, node, convention).flops == expected


def zoo(name: str, convention: str, text: str | None = None) -> ModelReport:
    spec, problems = read_spec(ROOT / "specs" / "zoo" / f"{name}.yaml")
    assert spec is not None and not problems
    return evaluate(spec.models[0].architecture, CONVENTIONS[convention])


MODEL_ROWS = [
    pytest.param(convention, name, id=f"{convention}-{name}")
    for convention in TOOLS
    for name in MODELS
    if measured(MEASURED["models"][name], convention) is not None
    and not (convention == "paddle" and name == "mobilenet_v2")
]


@pytest.mark.parametrize(("convention", "name"), MODEL_ROWS)
def test_zoo_totals_equal_the_tool(convention: str, name: str) -> None:
    assert zoo(name, convention).flops == measured(MEASURED["models"][name], convention)


def test_paddle_mobilenet_v2_pools_with_a_module(tmp_path: Path) -> None:
    """paddle.vision's MobileNetV2 pools with nn.AdaptiveAvgPool2D where torchvision calls
    the function: with the pool as a module, the paddle convention equals paddle.flops."""
    text = (ROOT / "specs" / "zoo" / "mobilenet_v2.yaml").read_text()
    assert "functional: true" in text
    path = tmp_path / "mobilenet_v2_paddle.yaml"
    path.write_text(text.replace("functional: true", "functional: false"))
    shutil.copytree(ROOT / "specs" / "zoo" / "blocks", tmp_path / "blocks")  # its `use:`
    spec, problems = read_spec(path)
    assert spec is not None and not problems
    report = evaluate(spec.models[0].architecture, CONVENTIONS["paddle"])
    paddle = MEASURED["models"]["mobilenet_v2"]["paddle"]
    assert (report.flops, report.params) == (paddle["flops"], paddle["params"])


@pytest.mark.parametrize("name", MODELS)
def test_torch_family_params(name: str) -> None:
    """fvcore and ptflops count model.parameters(), as budgetlint does; thop only what its
    per-module rules see (not MultiheadAttention, class tokens or position embeddings)."""
    report = zoo(name, "default")
    entry = MEASURED["models"][name]
    assert report.params == entry["torch_params"] == entry["fvcore"]["params"]
    assert report.params == entry["ptflops_pytorch"]["params"]
    assert zoo(name, "thop").params == int(entry["thop"]["params"])


@pytest.mark.parametrize(
    ("name", "gflops"),
    # torchvision 0.29 model docs, "GFLOPS" column
    [
        ("resnet18", "1.814"),
        ("resnet50", "4.089"),
        ("mobilenet_v2", "0.301"),
        ("vgg16", "15.470"),
        ("vit_b_16", "17.564"),
        ("convnext_tiny", "4.456"),
        ("efficientnet_b0", "0.386"),
        ("shufflenet_v2_x1_0", "0.145"),
        ("mobilenet_v3_large", "0.217"),
        ("densenet121", "2.834"),
        ("swin_t", "4.491"),
        ("maxvit_t", "5.558"),
    ],
)
def test_torchvision_published_gflops(name: str, gflops: str) -> None:
    decimals = len(gflops.split(".")[1])
    assert f"{zoo(name, 'torchvision').flops / 1e9:.{decimals}f}" == gflops


def test_flops_cnn_rule_as_published() -> None:
    # (2·Cin·K² − 1)·H·W·Cout without bias; no −1 with a bias (sagartesla/flops-cnn's
    # flops_calculation.py, as the Zhihu answers on counting a CNN's FLOPs quote it)
    no_bias = one_op((1, 3, 5, 5), layer("conv2d", out=1, kernel=3, bias=False), "flops-cnn")
    assert no_bias.flops == (2 * 1 * 3 * 3 * 3 - 1) * 3 * 3 * 1
    with_bias = one_op((1, 3, 5, 5), layer("conv2d", out=1, kernel=3), "flops-cnn")
    assert with_bias.flops == 2 * 3 * 3 * 3 * 3 * 3 * 1
    fc = one_op((1, 10), layer("linear", out=4, bias=False), "flops-cnn")
    assert fc.flops == (2 * 10 - 1) * 4


# The TF1 profiler, measured by tools/measure_tensorflow.py (tensorflow-cpu 2.21.0,
# tf.compat.v1 graphs of the same architectures) into tests/data/measured_tensorflow.json.
TF_OP_CASES: dict[str, tuple[tuple[int, ...], Node]] = {
    "conv2d_bias": OP_CASES["conv2d"],
    "conv2d_nobias": OP_CASES["conv2d_nobias"],
    "conv2d_bias_same": ((1, 8, 32, 32), layer("conv2d", out=16, kernel=3, padding="same")),
    "depthwise_conv2d": (
        (1, 16, 32, 32),
        layer("conv2d", out=16, kernel=3, padding=1, groups=16, bias=False),
    ),
    "dense_bias": OP_CASES["linear_2d"],
    "dense_nobias": OP_CASES["linear_2d_nobias"],
    "batchnorm": OP_CASES["batchnorm2d"],  # FusedBatchNormV3, as Keras 2 layers emit it
    **{name: OP_CASES[name] for name in ("relu", "relu6", "sigmoid", "tanh", "softmax")},
    "maxpool2d": OP_CASES["maxpool2d"],
    "avgpool2d": OP_CASES["avgpool2d"],
    "global_avgpool": ((1, 16, 7, 7), layer("adaptive_avgpool2d", size=1)),
    "add": OP_CASES["add"],
    "concat": OP_CASES["cat"],
}


@pytest.mark.parametrize("case", sorted(TF_OP_CASES))
def test_each_op_as_tensorflow_counts_it(case: str) -> None:
    shape, node = TF_OP_CASES[case]
    measured_case = TENSORFLOW["ops"][case]
    report = one_op(shape, node, "tensorflow")
    assert (report.flops, report.params) == (
        measured_case["total_float_ops"],
        measured_case["trainable_params"],
    )


@pytest.mark.parametrize("name", sorted(TENSORFLOW["models"]))
def test_zoo_totals_equal_tensorflow(name: str) -> None:
    report = zoo(name, "tensorflow")
    entry = TENSORFLOW["models"][name]
    assert (report.flops, report.params) == (entry["total_float_ops"], entry["trainable_params"])
    # its variables (not its params) hold BatchNorm's moving statistics
    assert report.params + report.buffers == entry["all_variable_elements"]


# ViT-B/16 under paddle.flops (paddle 3.3.1) and the TF1 profiler (tensorflow-cpu 2.21.0),
# built layer for layer by tools/measure_vit.py (tests/data/measured_vit.json).
@pytest.mark.parametrize("convention", ["paddle", "tensorflow"])
def test_vit_b_16_equals_paddle_and_tensorflow(convention: str) -> None:
    report = zoo("vit_b_16", convention)
    if convention == "paddle":  # paddle.nn.MultiHeadAttention, as paddle models write it
        entry = VIT["paddle"]["nn_MultiHeadAttention"]
        flops, params = entry["total_flops"], entry["total_params"]
    else:
        entry = VIT["tensorflow"]
        flops, params = entry["total_float_ops"], entry["trainable_params"]
    assert (report.flops, report.params) == (flops, params)


# Recurrent layers, functional calls, matmul against einsum, and the convention traps of
# torchvision models, measured by tools/measure_fidelity.py (thop 0.1.1, fvcore 0.1.5,
# ptflops 0.7.5, torch 2.14.1's FlopCounterMode; 2026-12-01) into
# tests/data/measured_fidelity.json. torchstat fails on all of these single cases.
TRANSPOSE = ((), (layer("permute", dims=[0, 2, 1]),))  # x and xᵀ, for x @ xᵀ
FIDELITY_CASES: dict[str, tuple[tuple[int, ...], Node]] = {
    "functional_linear": ((1, 4, 8), replace(layer("linear", out=16), functional=True)),
    "matmul_transpose": ((1, 4, 8), Parallel("mm", TRANSPOSE, "matmul", 1, HERE)),
    "einsum_transpose": ((1, 4, 8), Parallel("einsum", TRANSPOSE, "einsum", 1, HERE)),
    "lstm": ((2, 5, 16), layer("lstm", hidden=32)),
    "lstm_bidirectional_2layer": (
        (2, 5, 16),
        layer("lstm", hidden=32, layers=2, bidirectional=True),
    ),
    "gru": ((2, 5, 16), layer("gru", hidden=32)),
    "rnn": ((2, 5, 16), layer("rnn", hidden=32)),
    "rnn_relu_nobias": ((2, 5, 16), layer("rnn", hidden=32, nonlinearity="relu", bias=False)),
}
FIDELITY_ROWS = [
    pytest.param(convention, case, id=f"{convention}-{case}")
    for convention in TOOLS
    for case in FIDELITY_CASES
    if measured(FIDELITY["ops"][case], convention) is not None
]


def test_every_fidelity_case_is_checked_by_the_four_torch_tools() -> None:
    assert set(FIDELITY_CASES) == set(FIDELITY["ops"])
    counted = {convention for convention, case in (row.values for row in FIDELITY_ROWS)}
    assert counted == {"thop", "fvcore", "ptflops", "torch"}
    assert len(FIDELITY_ROWS) == 4 * len(FIDELITY_CASES)


@pytest.mark.parametrize(("convention", "case"), FIDELITY_ROWS)
def test_fidelity_op_as_the_tool_counts_it(convention: str, case: str) -> None:
    shape, node = FIDELITY_CASES[case]
    entry = FIDELITY["ops"][case]
    report = one_op(shape, node, convention)
    assert report.flops == measured(entry, convention)
    assert report.output == tuple(entry["output_shape"])
    assert one_op(shape, node, "default").params == entry["torch_params"]


@pytest.mark.parametrize(
    ("case", "ptflops"),
    # ptflops 0.7.5: F.linear's patch is commented out; torch.matmul is patched, einsum not
    [("functional_linear", 0), ("matmul_transpose", 4 * 4 * 8), ("einsum_transpose", 0)],
)
def test_ptflops_functional_linear_matmul_and_einsum(case: str, ptflops: int) -> None:
    shape, node = FIDELITY_CASES[case]
    assert measured(FIDELITY["ops"][case], "ptflops") == ptflops
    assert one_op(shape, node, "ptflops").flops == ptflops


@pytest.mark.parametrize("convention", ["thop", "fvcore", "ptflops", "torch"])
def test_lstm_language_model_equals_the_tool(convention: str) -> None:
    report = zoo("lstm_lm", convention)
    entry = FIDELITY["models"]["lstm_lm"]
    assert report.flops == measured(entry, convention)
    params = int(entry["thop"]["params"]) if convention == "thop" else entry["torch_params"]
    assert report.params == params


def test_resnet18_shared_relu_is_worth_what_torchstat_measured(tmp_path: Path) -> None:
    """docs/conventions.md's trap table: without `module:`, the torchstat conventions count
    ResNet-18 as torchstat counts the variant with one ReLU module per call."""
    text = (ROOT / "specs" / "zoo" / "resnet18.yaml").read_text()
    assert "module: relu" in text
    variant = tmp_path / "resnet18.yaml"
    variant.write_text(text.replace("module: relu, ", ""))
    spec, problems = read_spec(variant)
    assert spec is not None and not problems
    traps = FIDELITY["traps"]
    for convention in ("torchstat", "torchstat-madd"):
        written = zoo("resnet18", convention).flops
        per_call = evaluate(spec.models[0].architecture, CONVENTIONS[convention]).flops
        assert written == measured(traps["resnet18"], convention)
        assert per_call == measured(traps["resnet18_relu_per_call"], convention)


@pytest.mark.parametrize("convention", ["thop", "fvcore", "ptflops", "torch"])
def test_swin_t_equals_the_tool(convention: str) -> None:
    """torchvision's Swin-T: projections by F.linear (thop sees neither them nor the bias
    tables), QKᵀ and AV by Tensor.matmul, the bias and mask adds by the + operator."""
    report = zoo("swin_t", convention)
    entry = FIDELITY["models"]["swin_t"]
    assert report.flops == measured(entry, convention)
    params = int(entry["thop"]["params"]) if convention == "thop" else entry["torch_params"]
    assert report.params == params


@pytest.mark.parametrize("convention", ["thop", "fvcore", "ptflops", "torch"])
def test_maxvit_t_equals_the_tool(convention: str) -> None:
    """torchvision's MaxViT-T: projections by nn.Linear modules (thop sees them, not the
    bias tables), QKᵀ and AV by torch.einsum (ptflops and thop don't count it)."""
    report = zoo("maxvit_t", convention)
    entry = FIDELITY["models"]["maxvit_t"]
    assert report.flops == measured(entry, convention)
    params = int(entry["thop"]["params"]) if convention == "thop" else entry["torch_params"]
    assert report.params == params


def test_maxvit_t_fvcore_rounds_each_einsum_as_numpy_prints_it() -> None:
    """fvcore counts a general einsum by parsing np.einsum_path's printed "Optimized FLOP
    count" (%.3e: 4 significant digits) and halving it, so each einsum's count is rounded;
    with that rounding on the 2 einsums of each of the 22 attentions, ours is fvcore's."""
    report = zoo("maxvit_t", "fvcore")
    einsums = [  # multiply-accumulates of QKᵀ (and of AV): H·W·49·C
        height * width * 49 * channels
        for layer in report.layers
        if layer.op == "window_attention"
        for (_, height, width, channels) in layer.inputs
    ]
    assert len(einsums) == 22
    printed = sum(2 * math.floor(float(f"{2 * macs:.3e}") / 2) for macs in einsums)
    spec, problems = read_spec(ROOT / "specs" / "zoo" / "maxvit_t.yaml")
    assert spec is not None and not problems
    unrounded = replace(CONVENTIONS["fvcore"], occurrence_flops={})  # each einsum exact
    exact = evaluate(spec.models[0].architecture, unrounded).flops
    assert report.flops == exact - 2 * sum(einsums) + printed  # 1 per MAC, 2 per layer
    assert report.flops == measured(FIDELITY["models"]["maxvit_t"], "fvcore")
    assert report.flops - exact == 1_072  # the gap before the rounding was modelled


@pytest.mark.parametrize(
    ("macs", "fvcore"),
    [
        # 2·MACs printed %.3e by numpy, parsed, halved, floored
        (128, 128),  # 2.560e+02: 4 digits or fewer are exact
        (4_999, 4_999),  # 9.998e+03
        (6_172_839, 6_175_000),  # 12,345,678 printed 1.235e+07 → 12,350,000 / 2
        (5_000_025, 5_000_000),  # 10,000,050 printed 1.000e+07
        (5_002_500, 5_000_000),  # 10,005,000 printed 1.000e+07: a tie rounds to even
        (5_007_500, 5_010_000),  # 10,015,000 printed 1.002e+07: a tie rounds to even
        (1_234_567, 1_234_500),  # 2,469,134 printed 2.469e+06 → 2,469,000 / 2
        (5_555, 5_555),  # 11,110 printed 1.111e+04
        (5_556, 5_555),  # 11,112 printed 1.111e+04 → 11,110 / 2
        (56 * 56 * 49 * 64, 9_835_000),  # MaxViT-T's first QKᵀ: 19,668,992 printed 1.967e+07
    ],
)
def test_fvcore_prices_each_einsum_as_numpy_prints_it(macs: int, fvcore: int) -> None:
    cost = OpCost((1,), macs=macs, work=(("einsum_macs", macs),))
    assert CONVENTIONS["fvcore"].flops(cost) == fvcore


def test_swin_t_index_buffers_are_stored_as_int64() -> None:
    report = zoo("swin_t", "default")
    int64 = FIDELITY["models"]["swin_t"]["buffers"]["int64"]
    assert report.buffers == int64["elements"] == 12 * 49 * 49  # one index per block
    params = FIDELITY["models"]["swin_t"]["torch_params"]
    assert report.size_bytes(32) == params * 4 + int64["bytes"]
    assert report.size_bytes(8) == params + int64["bytes"]  # an int8 device keeps them int64
    # as a device's `size` budget counts it (memory.size_bytes, through the storage rules)
    assert size_bytes(report, Precision(8, 8)) == params + int64["bytes"]
    assert size_bytes(report, Precision(4, 8)) == params // 2 + int64["bytes"]


def test_maxvit_t_stores_its_running_stats_at_the_device_dtype_and_indices_as_int64() -> None:
    report = zoo("maxvit_t", "default")
    entry = FIDELITY["models"]["maxvit_t"]
    indices = 22 * 49 * 49  # one relative_position_index per attention
    running = entry["buffers"]["float32"]["elements"]  # BatchNorm means and variances
    assert report.buffers == running + indices
    assert report.size_bytes(32) == (entry["torch_params"] + running) * 4 + indices * 8
