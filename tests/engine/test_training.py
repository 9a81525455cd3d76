"""Training: backward FLOPs, ZeRO's static memory, Korthikanti's saved activations.

Expected values are formulas written here by hand, or measured: torch's FlopCounterMode
over forward + backward (tests/data/measured_training.json, tools/measure_training.py).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from budgetlint.device import TrainingConfig
from budgetlint.engine.backward import BACKWARD
from budgetlint.engine.conventions import CONVENTIONS, DEFAULT, TORCH
from budgetlint.engine.evaluate import ModelReport, evaluate
from budgetlint.engine.ops import OPS
from budgetlint.engine.ops.merge import MERGES
from budgetlint.engine.saved import MERGE_SAVES, SAVES
from budgetlint.engine.training import OPTIMIZERS, saved_activations, train_flops, train_memory
from budgetlint.spec.expand import read_spec

ROOT = Path(__file__).resolve().parents[2]
MEASURED = json.loads((ROOT / "tests" / "data" / "measured_training.json").read_text())


def model(path: Path, name: str | None = None, convention: str = "default") -> ModelReport:
    spec, problems = read_spec(path)
    assert spec is not None and not problems, problems
    chosen = [m for m in spec.models if name is None or m.architecture.name == name]
    return evaluate(chosen[0].architecture, CONVENTIONS[convention])


def written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


# tools/measure_training.py turns oneDNN off, so nn.LSTM runs as per-step mm and addmm,
# which FlopCounterMode counts at 2 per MAC (with oneDNN it sees one uncounted kernel: the
# torch convention's 0): the LSTM is compared at that price.
UNFUSED_LSTM = replace(
    CONVENTIONS["torch"],
    name="torch-lstm-mm",
    work_flops={**TORCH.work_flops, "lstm_macs": 2},
    free=TORCH.free - {"lstm_macs"},
)


@pytest.mark.parametrize("name", ["resnet18", "gpt_small", "gpt_small_unfused", "lstm"])
def test_forward_and_backward_equal_flop_counter_mode(name: str) -> None:
    spec, problems = read_spec(ROOT / "tests" / "data" / "training" / "models.yaml")
    assert spec is not None and not problems
    chosen = next(m for m in spec.models if m.architecture.name == name)
    convention = UNFUSED_LSTM if name == "lstm" else CONVENTIONS["torch"]
    report = evaluate(chosen.architecture, convention)
    measured = MEASURED["models"][name]
    assert report.trainable == measured["params"]
    assert report.flops == measured["forward_flops"]
    assert train_flops(report, TrainingConfig()) == measured["train_flops"]


def test_resnet18_backward_is_twice_the_forward_but_the_first_conv() -> None:
    """The image needs no gradient: conv1 computes dW only (FlopCounterMode agrees)."""
    report = model(ROOT / "tests" / "data" / "training" / "models.yaml", "resnet18", "torch")
    conv1_macs = 64 * 112 * 112 * 3 * 7 * 7
    assert report.backward_flops == 2 * report.flops - 2 * conv1_macs


N, IN, HIDDEN, OUT = 4, 32, 64, 16
TWO_LINEARS = f"""
version: 1
input: [{N}, {IN}]
layers:
  - {{name: fc1, linear: {{out: {HIDDEN}}}}}
  - {{name: act, relu: }}
  - {{name: fc2, linear: {{out: {OUT}}}}}
"""


def trained(tmp_path: Path, globs: tuple[str, ...]) -> ModelReport:
    spec, problems = read_spec(written(tmp_path, TWO_LINEARS))
    assert spec is not None and not problems
    return evaluate(replace(spec.models[0].architecture, trainable=globs), DEFAULT)


# trainable → backward FLOPs of (fc1, act, fc2) at the default prices: a MAC costs 2, dX
# and dW each as many MACs as the forward; db one add per output; relu 1 per element.
BACKWARD_CASES = {
    "all": (
        2 * N * IN * HIDDEN + N * HIDDEN,  # fc1: dW and db only (the input needs no grad)
        N * HIDDEN,  # relu's gradient
        2 * 2 * N * HIDDEN * OUT + N * OUT,  # fc2: dX, dW, db
    ),
    "fc2": (0, 0, 2 * N * HIDDEN * OUT + N * OUT),  # nothing before it needs a gradient
    "fc1": (2 * N * IN * HIDDEN + N * HIDDEN, N * HIDDEN, 2 * N * HIDDEN * OUT),  # fc2: dX
    "none": (0, 0, 0),
}


@pytest.mark.parametrize("trainable", list(BACKWARD_CASES))
def test_backward_by_hand(tmp_path: Path, trainable: str) -> None:
    report = trained(tmp_path, {"all": ("*",), "none": ()}.get(trainable, (trainable,)))
    assert tuple(layer.backward_flops for layer in report.layers) == BACKWARD_CASES[trainable]


def test_every_product_kind_has_a_backward_rule() -> None:
    kinds = {kind for c in CONVENTIONS.values() for kind in c.work_flops}
    assert {kind for kind in kinds if kind.endswith("_macs")} <= set(BACKWARD)


def test_every_op_and_merge_says_what_it_saves() -> None:
    assert set(SAVES) == set(OPS)
    assert set(MERGE_SAVES) == set(MERGES)


def test_lstm_backward_skips_the_input_and_initial_state_gradients() -> None:
    """dX of layer 0's input projection (the input needs no grad) and of the first step's
    product with the zero initial state are not computed; everything else twice."""
    spec, _ = read_spec(ROOT / "tests" / "data" / "training" / "models.yaml")
    assert spec is not None
    chosen = next(m for m in spec.models if m.architecture.name == "lstm")
    lstm = evaluate(chosen.architecture, UNFUSED_LSTM).layers[0]
    batch, steps, features, hidden, layers = 4, 32, 64, 128, 2
    input_macs = batch * steps * 4 * hidden * features
    initial_macs = batch * layers * 4 * hidden * hidden
    assert lstm.backward_flops == 2 * (2 * lstm.macs - input_macs - initial_macs)


# ZeRO (Rajbhandari et al. 2020): bytes per trainable parameter, term by term.
P = IN * HIDDEN + HIDDEN + HIDDEN * OUT + OUT
MIXED_ADAM = TrainingConfig(
    "adam", params_bits=16, grads_bits=16, master_bits=32, optimizer_bits=32
)
ZERO_CASES = [
    # config, (weights, grads, master, optimizer) per parameter
    (MIXED_ADAM, (2, 2, 4, 8)),  # 16 bytes: ZeRO's mixed-precision Adam
    (TrainingConfig("adamw"), (4, 4, 0, 8)),  # float32 Adam: no separate master
    (TrainingConfig("sgd"), (4, 4, 0, 0)),
    (TrainingConfig("sgd_momentum", 16, 16, 0, 16), (2, 2, 0, 2)),
    (TrainingConfig("adam", params_bits=32, master_bits=32), (4, 4, 0, 8)),
]


@pytest.mark.parametrize(("config", "per_param"), ZERO_CASES)
def test_static_memory_follows_zero(
    tmp_path: Path, config: TrainingConfig, per_param: tuple[int, ...]
) -> None:
    memory = train_memory(model(written(tmp_path, TWO_LINEARS)), config)
    assert (memory.weights, memory.grads, memory.master, memory.optimizer) == tuple(
        P * n for n in per_param
    )
    assert memory.weights + memory.grads + memory.master + memory.optimizer == P * sum(per_param)


def test_frozen_params_cost_only_their_weights(tmp_path: Path) -> None:
    memory = train_memory(trained(tmp_path, ("fc2",)), MIXED_ADAM)
    fc2 = HIDDEN * OUT + OUT
    assert (memory.weights, memory.grads, memory.master, memory.optimizer) == (
        2 * P,
        2 * fc2,
        4 * fc2,
        8 * fc2,
    )


def test_adafactor_factors_each_matrix(tmp_path: Path) -> None:
    report = model(written(tmp_path, TWO_LINEARS))
    states = (HIDDEN + IN) + HIDDEN + (OUT + HIDDEN) + OUT  # rows + columns; biases in full
    assert train_memory(report, TrainingConfig("adafactor")).optimizer == 4 * states
    assert set(OPTIMIZERS) == {"adam", "adamw", "sgd", "sgd_momentum", "adafactor"}


# Korthikanti et al. 2022, a GPT layer at 16 bits: s·b·h·(34 + 5·a·s/h) bytes saved without
# recomputation, s·b·h·34 with selective recomputation. The paper leaves out the layer
# norms' statistics (mean and 1/σ per token, float32, two norms): 2·2·s·b·4 bytes here.
S, B, H, A = 128, 2, 256, 8
GPT_LAYER = """
version: 1
input: [{b}, {s}, {h}]
blocks:
  layer:
    layers:
      - residual:
          body:
            - layernorm
            - multihead_attention: {{heads: {a}, causal: true, fused: false, dropout: 0.1}}
            - dropout: {{p: 0.1}}
      - residual:
          body:
            - layernorm
            - linear: {{out: {h4}}}
            - gelu
            - linear: {{out: {h}}}
            - dropout: {{p: 0.1}}
layers:
  - name: h
    repeat: {{times: {layers}, body: [layer]}}
"""
STATISTICS = 2 * 2 * S * B * 4
KORTHIKANTI = {
    "none": S * B * H * 34 + 5 * A * S * S * B + STATISTICS,
    "selective": S * B * H * 34 + STATISTICS,
    "per_block": S * B * H * 2,  # one more block keeps only its 16-bit input
}


def gpt(tmp_path: Path, layers: int) -> ModelReport:
    text = GPT_LAYER.format(b=B, s=S, h=H, a=A, h4=4 * H, layers=layers)
    folder = tmp_path / str(layers)
    folder.mkdir()
    return model(written(folder, text))


@pytest.mark.parametrize("checkpointing", list(KORTHIKANTI))
def test_gpt_layer_saves_what_korthikanti_counts(tmp_path: Path, checkpointing: str) -> None:
    one, two, three = (gpt(tmp_path, layers) for layers in (1, 2, 3))
    per_layer = saved_activations(two, checkpointing, 16) - saved_activations(
        one, checkpointing, 16
    )
    assert per_layer == KORTHIKANTI[checkpointing]
    assert (
        saved_activations(three, checkpointing, 16) - saved_activations(two, checkpointing, 16)
        == per_layer
    )


def test_per_block_keeps_block_inputs_and_one_block(tmp_path: Path) -> None:
    three = gpt(tmp_path, 3)
    block = KORTHIKANTI["none"] - S * B * H * 2  # a block's saved tensors but its input
    inputs = 3 * S * B * H * 2
    output = S * B * H * 2  # the loss reads the last block's output
    assert saved_activations(three, "per_block", 16) == inputs + block + output


def test_recomputation_flops(tmp_path: Path) -> None:
    report = gpt(tmp_path, 2)
    plain = train_flops(report, TrainingConfig())
    assert train_flops(report, TrainingConfig(checkpointing="per_block")) == plain + report.flops
    causal = 2 * 2 * B * A * (S * (S + 1) // 2) * (H // A)
    softmax = 5 * B * A * S * (S + 1) // 2
    scale = B * S * H
    extra = train_flops(report, TrainingConfig(checkpointing="selective")) - plain
    assert extra == 2 * (causal + softmax + scale)  # two layers' attention core again


TRAIN_SPEC = f"""
version: 1
devices:
  gpu:
    dtype: bfloat16
    compute: {{bfloat16: 100TFLOPS}}
    bandwidth: 1000GB/s
    training: {{optimizer: adam, params_dtype: bfloat16, master_dtype: float32}}
    budgets: {{train_memory: {{memory}}, train_flops: 1G, train_step_time: 1s}}
models:
  m:
    input: [{N}, {IN}]
    devices: [gpu]
    layers:
      - {{name: fc1, linear: {{out: {HIDDEN}}}}}
      - relu
      - {{name: fc2, linear: {{out: {OUT}}}}}
"""


def check(tmp_path: Path, memory: str, fmt: str = "json") -> tuple[int, str]:
    from budgetlint.pipeline import run
    from budgetlint.render.formats import RenderOptions, render_as

    result = run([written(tmp_path, TRAIN_SPEC.replace("{memory}", memory))])
    return result.exit_code, render_as(fmt, result, RenderOptions())


def test_device_training_block_defaults_down_the_chain(tmp_path: Path) -> None:
    spec, problems = read_spec(written(tmp_path, TRAIN_SPEC.replace("{memory}", "1MB")))
    assert spec is not None and not problems
    # grads default to params_dtype, optimizer states to master_dtype
    assert spec.devices["gpu"].training == MIXED_ADAM


def test_train_budgets_judge_the_step(tmp_path: Path) -> None:
    # 16 bytes per parameter, plus activations: fc1 saves nothing (its input needs no grad,
    # but dW needs it: the [N, IN] input), relu its output, fc2 its input (the same tensor),
    # and the loss reads fc2's output, all at 16 bits.
    activations = 2 * (N * IN + N * HIDDEN + N * OUT)
    total = 16 * P + activations
    code, text = check(tmp_path, f"{total}B")
    verdicts = {v["budget"]: v for v in json.loads(text)["verdicts"]}
    assert code == 0 and verdicts["train_memory"]["value"] == total
    forward = 2 * (N * IN * HIDDEN + N * HIDDEN * OUT) + N * HIDDEN + N * OUT + N * HIDDEN
    assert verdicts["train_flops"]["value"] == forward + sum(BACKWARD_CASES["all"])
    code, _ = check(tmp_path, f"{total - 1}B")
    assert code == 1


def test_train_budget_without_a_training_block_is_refused(tmp_path: Path) -> None:
    from budgetlint.pipeline import run

    plain = "\n  plain:\n    budgets: {train_memory: 1GB}\nmodels:"
    text = TRAIN_SPEC.replace("{memory}", "1MB").replace("\nmodels:", plain)
    problems = run([written(tmp_path, text)]).problems
    assert [p.code for p in problems] == ["budget.training"]
    assert (problems[0].position.line, problems[0].position.column) == (11, 29)


def test_json_totals_carry_the_training_step(tmp_path: Path) -> None:
    from budgetlint.pipeline import run
    from budgetlint.render.formats import RenderOptions, render_as

    path = written(tmp_path, TRAIN_SPEC.replace("{memory}", "1MB"))
    document = render_as("json", run([path], device="gpu"), RenderOptions(layers=True))
    totals = json.loads(document)["models"][0]["totals"]
    assert totals["trainable_params"] == P
    parts = totals["train_memory"]
    assert parts == {
        "weights": 2 * P,
        "grads": 2 * P,
        "master": 4 * P,
        "optimizer": 8 * P,
        "activations": 2 * (N * IN + N * HIDDEN + N * OUT),
    }
    assert totals["train_memory_bytes"] == sum(parts.values())
    text = render_as("text", run([path], device="gpu"), RenderOptions(layers=True))
    assert f"{P:,} trainable params" in text
