"""The evaluator's shortcuts give the reports of its general path, and rows share figures.

The walker remembers an op's facts by (op, attributes, shape) and shares one row's figures
among layers with equal facts and training flags; a model where everything trains skips
the glob match, one without repeated blocks the block lookup. Each shortcut is checked
against the same model evaluated without it: no memo (MAX_REMEMBERED = 0), a trainable
glob that matches every name without being "*", and a unit list holding a name no layer
has. The reports must be equal, figure for figure.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from budgetlint.engine import evaluate as evaluate_module
from budgetlint.engine.conventions import CONVENTIONS, DEFAULT
from budgetlint.engine.evaluate import LayerReport, ModelReport, RowFigures, evaluate
from budgetlint.engine.training import saved_activations
from budgetlint.graph import Architecture
from budgetlint.problems import Position
from budgetlint.spec.expand import read_spec

HEAD = "version: 1\nblocks:\n  unit:\n    layers: [linear: {out: 8}, gelu, layernorm]\nmodels:\n"

# name → (model lines under `m:`), each model small and each exercising one shortcut's case
MODELS: dict[str, str] = {
    "chain of repeated ops": """
    input: [2, 8]
    layers: [linear: {out: 8}, relu, linear: {out: 8}, relu, linear: {out: 8}, relu]
""",
    "trainable globs": """
    input: [2, 8]
    trainable: [b*, "c.?"]
    layers:
      - {name: a, linear: {out: 8}}
      - {name: b, linear: {out: 8}}
      - {name: c, repeat: {times: 2, body: [linear: {out: 8}, relu]}}
      - {name: d, linear: {out: 8}}
""",
    "nothing trains": """
    input: [2, 8]
    trainable: none
    layers: [linear: {out: 8}, dropout: {p: 0.1}, linear: {out: 8}]
""",
    "lora": """
    input: [2, 4, 16]
    lora: {rank: 4, targets: [q_proj, v_proj, fc]}
    layers:
      - multihead_attention: {heads: 2}
      - {name: fc, linear: {out: 16}}
      - {name: fc2, linear: {out: 16}}
""",
    "lora beside trained weights": """
    input: [2, 16]
    lora: {rank: 4, targets: [fc]}
    trainable: [fc, head]
    layers:
      - {name: fc, linear: {out: 16}}
      - {name: head, linear: {out: 16}}
""",
    "units for per_block": """
    input: [2, 8]
    layers:
      - linear: {out: 8}
      - {name: blocks, repeat: {times: 3, body: [unit]}}
      - unit
      - linear: {out: 4}
""",
    "residual and parallel": """
    input: [1, 4, 8, 8]
    layers:
      - residual: {body: [conv2d: {out: 4, kernel: 3, padding: 1}, batchnorm2d, relu]}
      - parallel: {merge: concat, branches: [[conv2d: {out: 2, kernel: 1}], [], [relu]]}
      - parallel: {merge: mul, branches: [[], [adaptive_avgpool2d: {size: 1}, sigmoid]]}
      - parallel: {merge: add, branches: [[], []]}
      - flatten
      - linear: {out: 3}
""",
    "functional ops and modules": """
    input: [2, 8]
    layers:
      - {name: fc, linear: {out: 8}, module: shared}
      - {relu: {}, functional: true}
      - {name: fc_again, linear: {out: 8}, module: shared}
      - {softmax: {}, functional: true}
""",
    "free ops": """
    input: [2, 3, 4, 4]
    layers:
      - flatten
      - reshape: {shape: [2, 3, 16]}
      - slice: {end: 2}
      - permute: {dims: [0, 2, 1]}
      - linear: {out: 5}
      - dropout: {p: 0.5}
      - identity
      - select: {dim: 1, index: 0}
""",
    "attention (selective recomputation)": """
    input: [2, 6, 16]
    layers:
      - name: blocks
        repeat:
          times: 2
          body: [multihead_attention: {heads: 4, fused: false, dropout: 0.1}, layernorm]
""",
}


def architecture(tmp_path: Path, case: str) -> Architecture:
    path = tmp_path / "spec.yaml"
    path.write_text(f"{HEAD}  m:\n    devices: []{MODELS[case]}")
    spec, problems = read_spec(path)
    assert spec is not None and not problems, problems
    return spec.models[0].architecture


def general(architecture: Architecture) -> Architecture:
    """The same model, routed around the trains() and unit_of() shortcuts."""
    trainable = tuple("**" if glob == "*" else glob for glob in architecture.trainable)
    return replace(architecture, trainable=trainable, units=(*architecture.units, "no.such"))


@pytest.mark.parametrize("convention", sorted(CONVENTIONS))
@pytest.mark.parametrize("case", sorted(MODELS))
def test_the_shortcuts_give_the_general_paths_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, convention: str
) -> None:
    model = architecture(tmp_path, case)
    fast = evaluate(model, CONVENTIONS[convention])
    monkeypatch.setattr(evaluate_module, "MAX_REMEMBERED", 0)
    slow = evaluate(general(model), CONVENTIONS[convention])
    assert fast == slow
    for fast_row, slow_row in zip(fast.layers, slow.layers, strict=True):
        assert {field: getattr(fast_row, field) for field in RowFigures._fields} == {
            field: getattr(slow_row, field) for field in RowFigures._fields
        }


def test_the_cases_reach_every_shortcut(tmp_path: Path) -> None:
    """The table above is no wider than it looks: the models have the structures named."""
    reports = {case: evaluate(architecture(tmp_path, case), DEFAULT) for case in MODELS}
    assert reports["units for per_block"].unit_inputs
    assert any(row.alias for row in reports["free ops"].layers)
    assert reports["lora"].trainable == 4 * (16 + 16) * 2 + 4 * (16 + 16)  # q, v and fc
    assert {row.op for row in reports["residual and parallel"].layers} >= {"add", "concat", "mul"}
    assert any(row.recompute_flops for row in reports["attention (selective recomputation)"].layers)
    assert reports["nothing trains"].trainable == 0


def test_equal_layers_share_one_figures_object(tmp_path: Path) -> None:
    """A chain's rows hold their name and place; the figures are one object per distinct
    layer, which is what keeps a long chain's report small."""
    rows = evaluate(architecture(tmp_path, "chain of repeated ops"), DEFAULT).layers
    assert rows[0].figures is not rows[1].figures  # linear, relu
    # the first linear's input needs no gradient; the later ones' do: other figures
    assert rows[2].figures is rows[4].figures
    assert rows[1].figures is rows[3].figures is rows[5].figures
    assert [row.name for row in rows] == [f"layers.{index}" for index in range(6)]


def test_a_row_made_with_every_figure_named_reads_them_back() -> None:
    figures: dict[str, Any] = {field: index + 1 for index, field in enumerate(RowFigures._fields)}
    figures |= {"op": "linear", "inputs": ((2, 8),), "output": (2, 4), "alias": False}
    figures |= {"weights_read": None, "tensors": ()}
    where = Position("x.yaml", 3, 5)
    row = LayerReport(name="fc", position=where, **figures)
    assert {field: getattr(row, field) for field in RowFigures._fields} == figures
    assert (row.name, row.position, row.groups, row.unit) == ("fc", where, (), "")
    assert row == LayerReport.of("fc", where, (), row.live, "", row.figures)
    assert row.without_flops().flops == 0
    assert row.without_flops().macs == row.macs


T, IN, OUT, R = 6, 32, 16, 4


def test_lora_beside_trained_weights_saves_the_input_once(tmp_path: Path) -> None:
    """The base's dW and adapter A read the same input x: one saved tensor. (This model
    raised an internal error before: the second reader of x found no input left.)"""
    path = tmp_path / "spec.yaml"
    path.write_text(
        f"version: 1\nmodels:\n  m:\n    input: [{T}, {IN}]\n    devices: []\n"
        f"    lora: {{rank: {R}, targets: [fc]}}\n    trainable: [fc]\n"
        f"    layers: [{{name: fc, linear: {{out: {OUT}}}}}]\n"
    )
    spec, problems = read_spec(path)
    assert spec is not None and not problems, problems
    report: ModelReport = evaluate(spec.models[0].architecture, DEFAULT)
    assert report.trainable == IN * OUT + OUT + R * (IN + OUT)
    # at 16 bits: x (for dW and for A), h = A·x (R wide), and the output the loss reads
    assert saved_activations(report, "none", 16) == 2 * (T * IN + T * R + T * OUT)


def chain_spec(tmp_path: Path, model: str) -> ModelReport:
    path = tmp_path / "spec.yaml"
    path.write_text(f"version: 1\nmodels:\n  m:\n    devices: []\n{model}")
    spec, problems = read_spec(path)
    assert spec is not None and not problems, problems
    return evaluate(spec.models[0].architecture, DEFAULT)


@pytest.mark.parametrize("pairs", [3, 30])
def test_saved_tensors_are_sums_whatever_the_length(tmp_path: Path, pairs: int) -> None:
    """linear, relu, linear, relu, …: the first linear saves the input x for its dW; each
    relu its output, which the next linear saves too (once); the last is the output."""
    report = chain_spec(
        tmp_path,
        f"    input: [2, 8]\n    layers: [{', '.join(['linear: {out: 8}, relu'] * pairs)}]\n",
    )
    assert len(report.saved) == 2  # the activations, and the output among them
    assert sum(total.tensors.elements for total in report.saved) == 2 * 8 * (1 + pairs)
    assert saved_activations(report, "none", 32) == 4 * 2 * 8 * (1 + pairs)
    assert saved_activations(report, "none", 4) == 2 * 8 * (1 + pairs) // 2


def test_an_output_that_is_a_blocks_input_is_kept_once(tmp_path: Path) -> None:
    """Two turns of an identity: each turn's input is the linear's output, which is also
    the model's output. Saved: x [2, 8] for the linear's dW; per_block keeps it and both
    turns' inputs; the output is one of those, not held again."""
    report = chain_spec(
        tmp_path,
        "    input: [2, 8]\n    layers:\n      - linear: {out: 8}\n"
        "      - {name: blocks, repeat: {times: 2, body: [identity]}}\n",
    )
    assert [tensor.tensor for tensor in report.unit_inputs] == [report.output_tensor] * 2
    assert saved_activations(report, "per_block", 32) == 4 * (2 * 8 + 2 * (2 * 8))
    assert saved_activations(report, "none", 32) == 4 * (2 * 8 + 2 * 8)  # x and the output


def test_equal_merges_share_one_figures_object(tmp_path: Path) -> None:
    """Residual adds of equal shapes are one merge's facts, and one figures object once
    their inputs need gradients alike; a merge of other shapes is its own."""
    report = chain_spec(
        tmp_path,
        "    input: [2, 8]\n    layers:\n"
        + "      - residual: {body: [linear: {out: 8}]}\n" * 3
        + "      - parallel: {merge: concat, branches: [[], []]}\n",
    )
    adds = [row for row in report.layers if row.op == "add"]
    assert len(adds) == 3 and adds[1].figures is adds[2].figures
    assert adds[1].output == (2, 8) and adds[1].flops == 2 * 8  # one sum per element
    concat = report.layers[-1]
    assert (concat.op, concat.inputs, concat.output) == ("concat", ((2, 8), (2, 8)), (2, 16))
