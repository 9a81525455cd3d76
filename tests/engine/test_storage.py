"""Weights as a device stores them: dtype, group quantization, overrides; by hand.

int4 packs two weights per byte; a group of G weights along a row carries one scale
(and one zero point when asked) at its own dtype: 4096×4096 at int4 in groups of 32
with float16 scales is 4096·4096·4/8 + 4096·(4096/32)·2 bytes = 4.5 bits per weight.
"""

from __future__ import annotations

import pytest

from budgetlint.device import Override, Quantization, Storage
from budgetlint.engine.conventions import DEFAULT
from budgetlint.engine.evaluate import ModelReport, evaluate
from budgetlint.engine.memory import Precision, layer_traffic, size_bytes
from budgetlint.engine.storage import WeightFormat
from budgetlint.graph import Architecture, Layer
from budgetlint.problems import Position
from budgetlint.spec.binding import bind_attributes

HERE = Position("test.yaml")


def layer(name: str, op: str, **attrs: object) -> Layer:
    return Layer(name, op, bind_attributes(op, **attrs), HERE)


def model(shape: tuple[int, ...], *layers: Layer) -> ModelReport:
    return evaluate(Architecture("m", "test.yaml", shape, layers, HERE), DEFAULT)


def int4(group: int, zero_bits: int = 0, overrides: tuple[Override, ...] = ()) -> Precision:
    weights = WeightFormat(Storage(4, Quantization(group, 16, zero_bits)), Storage(16), overrides)
    return Precision(4, 16, weights)


SQUARE = model((1, 1, 4096), layer("proj", "linear", out=4096, bias=False))


@pytest.mark.parametrize(
    ("precision", "expected"),
    [
        (int4(32), 4096 * 4096 // 2 + 4096 * (4096 // 32) * 2),  # 9,437,184
        (int4(128), 4096 * 4096 // 2 + 4096 * (4096 // 128) * 2),  # 8,650,752
        (int4(32, zero_bits=16), 4096 * 4096 // 2 + 4096 * (4096 // 32) * (2 + 2)),
        (int4(32, zero_bits=4), 4096 * 4096 // 2 + 4096 * (4096 // 32) * 2 + 4096 * 128 // 2),
        (Precision(4, 16), 4096 * 4096 // 2),  # int4 without scales, as before
        (Precision(16, 16), 4096 * 4096 * 2),
    ],
)
def test_size_of_a_square_linear(precision: Precision, expected: int) -> None:
    assert size_bytes(SQUARE, precision) == expected


def test_the_issue_figures() -> None:
    assert size_bytes(SQUARE, int4(32)) == 9_437_184
    assert size_bytes(SQUARE, int4(128)) == 8_650_752


def test_groups_run_along_rows_and_round_up_per_row() -> None:
    # 100 inputs per row in groups of 32: 4 groups per row (the last one short)
    report = model((1, 100), layer("fc", "linear", out=10, bias=False))
    assert size_bytes(report, int4(32)) == 10 * 100 // 2 + 10 * 4 * 2


def test_only_weight_matrices_and_tables_are_quantized_by_default() -> None:
    # Qwen2-like projection with a bias, then an RMSNorm: bias and scale at float16
    report = model(
        (1, 1, 64),
        layer("proj", "linear", out=64),
        layer("norm", "rmsnorm"),
        layer("head", "linear", out=10, bias=False),
    )
    weights = 64 * 64 // 2 + 64 * (64 // 32) * 2 + 10 * 64 // 2 + 10 * (64 // 32) * 2
    assert size_bytes(report, int4(32)) == weights + 2 * 64 + 2 * 64  # bias, norm scale


def test_overrides_by_layer_glob_op_and_role_the_last_match_wins() -> None:
    vocab, dim = 1000, 64
    report = model(
        (1, 4),
        layer("model.embed_tokens", "embedding", vocab=vocab, dim=dim),
        layer("model.layers.0.self_attn", "multihead_attention", heads=4, causal=True),
        layer("model.norm", "rmsnorm"),
    )
    int8 = Storage(8, Quantization(32, 16))
    rules = (
        Override(int8, layers=("model.embed_tokens",)),
        Override(Storage(32), ops=("rmsnorm",)),
        Override(Storage(16), roles=("bias",)),
        Override(Storage(8), layers=("*.v_proj",)),  # one projection, by its module name
        Override(Storage(32), layers=("*.q_proj.bias",)),  # one tensor, by its full name
    )
    table = vocab * dim + vocab * (dim // 32) * 2  # int8 with float16 scales per 32
    q_k_o = 3 * (64 * 64 // 2 + 64 * (64 // 32) * 2)  # int4, group 32: the device's
    v_proj = 64 * 64 + 64  # weight and bias: plain int8, the v_proj rule comes last
    q_bias = 4 * 64  # float32: its own rule, by its full tensor name
    k_o_bias = 2 * (2 * 64)  # float16: the bias role
    norm = 4 * 64  # float32: the rmsnorm op
    assert size_bytes(report, int4(32, overrides=rules)) == (
        table + q_k_o + v_proj + q_bias + k_o_bias + norm
    )


def test_a_gather_reads_its_rows_with_their_scales() -> None:
    report = model((1, 3), layer("embed", "embedding", vocab=1000, dim=64))
    read = layer_traffic(report.layers[0], int4(32)).read
    ids = 3 * 2  # three ids at the activation dtype (float16)
    assert read == ids + 3 * 64 // 2 + 3 * (64 // 32) * 2


def test_a_tied_head_reads_the_shared_matrix_at_its_storage() -> None:
    report = model((1, 1, 64), layer("lm_head", "linear", out=1000, bias=False, tied=True))
    (head,) = report.layers
    assert size_bytes(report, int4(32)) == 0  # stored with the embedding
    matrix = 1000 * 64 // 2 + 1000 * (64 // 32) * 2
    assert layer_traffic(head, int4(32)).read == 64 * 2 + matrix
