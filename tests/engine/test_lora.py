"""LoRA adapters: params, MACs, backward FLOPs, saved tensors and memory, by hand.

Hu et al. 2021: a targeted W [out, in] gains A [r, in] and B [out, r]; peft counts
r·(in + out) trainable parameters per adapter and freezes everything else.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from budgetlint.device import TrainingConfig
from budgetlint.engine.conventions import DEFAULT
from budgetlint.engine.evaluate import ModelReport, evaluate
from budgetlint.engine.lora import targeted
from budgetlint.engine.training import saved_activations, train_memory
from budgetlint.spec.expand import read_spec

ROOT = Path(__file__).resolve().parents[2]
QWEN_PROJECTIONS = "[q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]"


def model(tmp_path: Path, text: str) -> ModelReport:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    spec, problems = read_spec(path)
    assert spec is not None and not problems, problems
    return evaluate(spec.models[0].architecture, DEFAULT)


def qwen(tmp_path: Path, lora: str, trainable: str = "") -> ModelReport:
    zoo = "qwen2.5-0.5b.yaml"
    (tmp_path / zoo).write_text((ROOT / "specs" / "zoo" / zoo).read_text())
    extra = f"\n    trainable: {trainable}" if trainable else ""
    return model(
        tmp_path,
        f"version: 1\nmodels:\n  m:\n    arch: {zoo}\n    input: [1, 16]\n"
        f"    lora: {lora}\n    devices: []{extra}\n",
    )


def test_qwen_rank_16_on_its_seven_projections(tmp_path: Path) -> None:
    report = qwen(tmp_path, f"{{rank: 16, alpha: 32, targets: {QWEN_PROJECTIONS}}}")
    hidden, kv, intermediate, layers, rank = 896, 2 * 64, 4864, 24, 16
    per_layer = rank * (
        2 * (hidden + hidden)  # q_proj, o_proj
        + 2 * (hidden + kv)  # k_proj, v_proj (two key/value heads of 64)
        + 3 * (hidden + intermediate)  # gate_proj, up_proj, down_proj
    )
    assert report.trainable == layers * per_layer == 8_798_208  # peft's count
    assert report.learnable == 494_032_768 + 8_798_208  # the base and the adapters


def test_trainable_beside_lora_trains_too(tmp_path: Path) -> None:
    report = qwen(tmp_path, "{rank: 8, targets: [q_proj]}", "[model.norm]")
    assert report.trainable == 24 * 8 * (896 + 896) + 896  # adapters and the final norm


T, IN, OUT, R = 6, 32, 16, 4
ONE_LINEAR = f"""
version: 1
models:
  m:
    input: [{T}, {IN}]
    lora: {{rank: {R}, targets: [fc]}}
    devices: []
    layers:
      - {{name: fc, linear: {{out: {OUT}}}}}
"""


def test_one_adapted_linear_by_hand(tmp_path: Path) -> None:
    report = model(tmp_path, ONE_LINEAR)
    layer = report.layers[0]
    adapter = R * (IN + OUT)
    assert (layer.learnable, layer.trainable) == (IN * OUT + OUT + adapter, adapter)
    assert layer.macs == T * IN * OUT + T * R * IN + T * R * OUT
    # forward: base 2·MACs + bias; adapters 2·MACs, the alpha/r scale and the sum: T·OUT each
    forward = 2 * T * IN * OUT + T * OUT + 2 * T * R * (IN + OUT) + 2 * T * OUT
    assert layer.flops == forward
    # backward, the input needing no grad and W frozen: dA = dhᵀ·x (T·R·IN MACs), dB and
    # dh (T·R·OUT each), the scale's and the sum's gradients (T·OUT each); no dW, no dx
    assert layer.backward_flops == 2 * T * R * IN + 2 * 2 * T * R * OUT + 2 * T * OUT
    # saved at 16 bits: A's input x, B's input h = A·x (R wide), and the output
    assert saved_activations(report, "none", 16) == 2 * (T * IN + T * R + T * OUT)
    mixed = TrainingConfig("adam", 16, 16, 32, 32)
    memory = train_memory(report, mixed)
    assert (memory.weights, memory.grads, memory.master, memory.optimizer) == (
        2 * (IN * OUT + OUT + adapter),
        2 * adapter,
        4 * adapter,
        8 * adapter,
    )


TARGETS = [
    ("model.layers.3.self_attn.q_proj", ("q_proj",), True),
    ("model.layers.3.self_attn.q_proj", ("self_attn.q_proj",), True),
    ("model.layers.3.self_attn.q_proj", ("model.layers.*.self_attn.q_proj",), True),
    ("model.layers.3.self_attn.q_proj", ("proj",), False),  # a whole name part, not a suffix
    ("model.layers.3.mlp.up_proj", ("q_proj", "v_proj"), False),
    ("fc", ("fc",), True),
]


@pytest.mark.parametrize(("module", "targets", "expected"), TARGETS)
def test_targets_match_module_names(module: str, targets: tuple[str, ...], expected: bool) -> None:
    assert targeted(module, targets) is expected
