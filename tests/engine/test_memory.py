"""Memory access cost, peak activations and roofline time, against hand computations.

Memory access cost as ShuffleNet V2 defines it (Ma et al. 2018, section 2,
guideline G1): a 1x1 conv with c1 inputs and c2 outputs on h x w moves
hw(c1 + c2) + c1·c2 values, which for a fixed FLOP count hw·c1·c2 is lowest
when c1 = c2.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from budgetlint.device import Roofline
from budgetlint.engine.conventions import DEFAULT
from budgetlint.engine.evaluate import ModelReport, evaluate
from budgetlint.engine.memory import (
    Precision,
    layer_traffic,
    mac_bytes,
    naive_activations,
    peak_activations,
)
from budgetlint.engine.roofline import latency, layer_time
from budgetlint.graph import Architecture, Layer, Node, Parallel, Residual
from budgetlint.problems import Position
from budgetlint.spec.binding import bind_attributes
from budgetlint.spec.expand import read_spec
from tests.engine.helpers import run_op

HERE = Position("test.yaml")
F32 = Precision(32, 32)


def layer(name: str, op: str, **attrs: object) -> Layer:
    return Layer(name, op, bind_attributes(op, **attrs), HERE)


def model(shape: tuple[int, ...], *nodes: Node) -> ModelReport:
    return evaluate(Architecture("m", "test.yaml", shape, nodes, HERE), DEFAULT)


def conv1x1(c1: int, c2: int, hw: int) -> ModelReport:
    return model((1, c1, hw, hw), layer("conv", "conv2d", out=c2, kernel=1, bias=False))


def test_g1_equal_channels_move_the_least_at_equal_flops() -> None:
    h = w = 28
    equal, unequal = conv1x1(64, 64, h), conv1x1(32, 128, h)
    assert equal.flops == unequal.flops == 2 * h * w * 64 * 64
    assert mac_bytes(equal, F32) == 4 * (h * w * 64 + 64 * 64 + h * w * 64)
    assert mac_bytes(unequal, F32) == 4 * (h * w * 32 + 32 * 128 + h * w * 128)
    assert mac_bytes(equal, F32) < mac_bytes(unequal, F32)


def test_depthwise_conv_traffic() -> None:
    c, hw = 32, 56
    report = model((1, c, hw, hw), layer("dw", "conv2d", out=c, kernel=3, padding=1, groups=c))
    traffic = layer_traffic(report.layers[0], F32)
    assert traffic.read == 4 * (c * hw * hw + (c * 9 + c))  # input, weights and bias
    assert traffic.written == 4 * c * hw * hw


def test_add_reads_two_tensors_and_writes_one() -> None:
    # 参数量、计算量、访存量 (the article): Elementwise Sum of two (N, C, H, W) tensors
    # moves (2 + 1)·NCHW·sizeof
    n, c, h, w = 1, 16, 8, 8
    report = model((n, c, h, w), Parallel("sum", ((), ()), "add", 1, HERE))
    assert mac_bytes(report, F32) == (2 + 1) * n * c * h * w * 4


def test_int8_weights_with_float16_activations_and_int4_packing() -> None:
    report = model((1, 3, 5, 5), layer("c", "conv2d", out=5, kernel=1))  # 15 + 5 weights
    traffic = layer_traffic(report.layers[0], Precision(8, 16))
    assert traffic == type(traffic)(2 * 75 + 1 * 20, 2 * 125)
    int4 = layer_traffic(report.layers[0], Precision(4, 4))
    assert int4.read == -(-75 * 4 // 8) + 20 * 4 // 8  # 38 + 10: packed two per byte
    assert int4.written == -(-125 * 4 // 8)


def test_views_move_nothing() -> None:
    report = model((1, 4, 2, 2), layer("f", "flatten"), layer("d", "dropout"))
    assert mac_bytes(report, F32) == 0


E = 4 * 8 * 8  # elements of the [1, 4, 8, 8] input and of every same-shape tensor


def test_peak_of_a_plain_chain() -> None:
    report = model((1, 4, 8, 8), layer("a", "relu"), layer("b", "relu"), layer("c", "relu"))
    # each layer holds its input and its output: 2E, the input freed after
    assert peak_activations(report, 32).bytes == 4 * 2 * E
    assert naive_activations(report, 32) == 4 * 4 * E  # input + three outputs


def test_peak_of_a_residual_block() -> None:
    body = (layer("r.0", "relu"), layer("r.1", "relu"))
    report = model((1, 4, 8, 8), Residual("r", body, (), HERE))
    # the skip keeps x alive across the body: at r.1, x + r.0's output + r.1's output = 3E;
    # at the add, x + r.1's output + the sum = 3E
    peak = peak_activations(report, 32)
    assert (peak.bytes, peak.layer) == (4 * 3 * E, "r.1")


def test_peak_of_a_two_branch_concat() -> None:
    branches = (
        (layer("p.a", "conv2d", out=4, kernel=1),),
        (layer("p.b", "conv2d", out=4, kernel=1),),
    )
    report = model((1, 4, 8, 8), Parallel("p", branches, "concat", 1, HERE))
    # branch a: x + a = 2E; branch b: x + a + b = 3E; concat: a + b + the 2E result = 4E
    peak = peak_activations(report, 32)
    assert (peak.bytes, peak.layer) == (4 * 4 * E, "p.concat")


def test_peak_counts_the_input_of_an_empty_model() -> None:
    peak = peak_activations(model((1, 4, 8, 8)), 8)
    assert (peak.bytes, peak.layer) == (E, "input")


C, HW = 64, 56
CONV_FLOPS = 2 * C * HW * HW * C * 9  # 2 per multiply-accumulate, no bias
CONV_BYTES = 4 * (C * HW * HW + C * C * 9 + C * HW * HW)  # input, weights, output at fp32


def single_conv() -> ModelReport:
    return model((1, C, HW, HW), layer("c", "conv2d", out=C, kernel=3, padding=1, bias=False))


def test_roofline_compute_bound() -> None:
    device = Roofline(compute=1e12, bandwidth=1000e9)
    timing = layer_time(single_conv().layers[0], F32, device)
    assert timing.bound == "compute"
    assert timing.seconds == pytest.approx(CONV_FLOPS / 1e12)
    assert timing.intensity == pytest.approx(CONV_FLOPS / CONV_BYTES)


def test_roofline_memory_bound() -> None:
    device = Roofline(compute=1e12, bandwidth=1e9)
    timing = layer_time(single_conv().layers[0], F32, device)
    assert timing.bound == "memory"
    assert timing.seconds == pytest.approx(CONV_BYTES / 1e9)


def test_roofline_efficiency_and_overhead() -> None:
    device = Roofline(compute=1e12, bandwidth=1000e9, efficiency=0.5, overhead=1e-5)
    assert latency(single_conv(), F32, device) == pytest.approx(CONV_FLOPS / 0.5e12 + 1e-5)


def test_size_of_batchnorm_buffers_at_float32() -> None:
    cost = run_op("batchnorm2d", (1, 16, 4, 4))
    assert (cost.params, cost.buffers) == (2 * 16, 2 * 16)


DECODE_STEPS = Path(__file__).resolve().parents[1] / "data" / "decode_steps.yaml"


def decode_step(name: str) -> ModelReport:
    spec, problems = read_spec(DECODE_STEPS)
    assert spec is not None and not problems
    (chosen,) = (m for m in spec.models if m.architecture.name == name)
    return evaluate(chosen.architecture, DEFAULT)


def test_gpt2_decode_step_reads_its_tied_head_and_every_weight_once() -> None:
    """GPT-2 small, one token after 1023 cached, every tensor at float16 (2 bytes).

    Each row: elements read (input, weights, KV cache) + written (output).
    """
    d, ff, vocab, context, blocks = 768, 3072, 50257, 1023, 12
    wte = (1 + d) + d  # the token id, its one row; the row out
    wpe = (d + d) + d  # input, the one position's row; the sum out
    layernorm = (d + 2 * d) + d  # input, γ and β
    attention = (d + 4 * d * d + 4 * d + 2 * context * d) + d  # projections, biases, K and V
    add = 2 * d + d
    mlp = (d + d * ff + ff) + ff + (ff + ff) + (ff + ff * d + d) + d  # fc, gelu, proj
    block = layernorm + attention + add + layernorm + mlp + add
    lm_head = (d + d * vocab) + vocab  # the tied matrix is read: 38,597,376 weights
    assert d * vocab == 38_597_376
    elements = wte + wpe + blocks * block + layernorm + lm_head
    report = decode_step("gpt2-decode")
    assert mac_bytes(report, Precision(16, 16)) == 2 * elements
    head = report.layers[-1]
    assert head.name == "lm_head" and head.params == 0  # stored once, with wte
    assert layer_traffic(head, Precision(16, 16)).read == 2 * (d + d * vocab)


def test_llama_decode_step_reads_every_weight_once_and_the_kv_cache() -> None:
    """Llama 2 7B, one token after a 4096-token cache, every tensor at float16."""
    d, ff, vocab, context, layers = 4096, 11008, 32000, 4096, 32
    embed = (1 + d) + d
    rmsnorm = (d + d) + d
    attention = (d + 4 * d * d + 2 * context * d) + d  # no biases; 32 heads of 128
    add = 2 * d + d
    gate = (d + d * ff) + ff
    silu = ff + ff
    up = (d + d * ff) + ff
    mul = 2 * ff + ff
    down = (ff + ff * d) + d
    layer = rmsnorm + attention + add + rmsnorm + gate + silu + up + mul + down + add
    lm_head = (d + d * vocab) + vocab
    elements = embed + layers * layer + rmsnorm + lm_head
    assert mac_bytes(decode_step("llama-2-7b-decode"), Precision(16, 16)) == 2 * elements


def test_mistral_decode_step_reads_and_keeps_only_its_window() -> None:
    """Mistral 7B, one token after 8,192: its 4,096-token sliding window bounds the cache."""
    from budgetlint.engine.memory import kv_cache_bytes

    report = decode_step("mistral-7b-decode")
    layers, kv_heads, head_dim, window = 32, 8, 128, 4096
    assert (
        kv_cache_bytes(report, Precision(16, 16)) == layers * 2 * kv_heads * head_dim * window * 2
    )
    attention = next(layer for layer in report.layers if layer.op == "multihead_attention")
    assert attention.state_read == 2 * kv_heads * head_dim * window  # not the 8,192 cached
    assert attention.macs == (
        4096 * 4096 * 2 + 2 * 4096 * kv_heads * head_dim + 2 * 32 * window * head_dim
    )  # q and o, k and v of the new token, QKᵀ and AV over the window's 4,096 keys
