"""ONNX graphs built with onnx.helper import to specs whose totals equal the hand-written spec."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("onnx")

from budgetlint.cli import main
from budgetlint.engine.conventions import DEFAULT
from budgetlint.engine.evaluate import ModelReport, evaluate
from budgetlint.imports import ImportOptions, import_spec
from budgetlint.imports.yaml_out import to_yaml
from budgetlint.problems import SpecError
from budgetlint.spec.expand import read_spec
from tests.imports import onnx_graphs as g

ROOT = Path(__file__).resolve().parents[2]


def _report(path: Path) -> ModelReport:
    spec, problems = read_spec(path)
    assert not problems, problems
    assert spec is not None
    return evaluate(spec.models[0].architecture, DEFAULT)


def _imported(tmp_path: Path, raw: bytes, name: str = "model.onnx") -> tuple[ModelReport, str]:
    model = tmp_path / name
    model.write_bytes(raw)
    spec, _ = import_spec(raw, str(model), ImportOptions())
    text = to_yaml(spec, ["test"])
    written = tmp_path / "imported.yaml"
    written.write_text(text)
    return _report(written), text


def _hand(tmp_path: Path, text: str) -> ModelReport:
    path = tmp_path / "hand.yaml"
    path.write_text("version: 1\n" + text)
    return _report(path)


def _totals(report: ModelReport) -> tuple[int, int, int, int]:
    return report.learnable, report.buffers, report.macs, report.flops


CASES: list[tuple[str, Callable[[], bytes], str]] = [
    ("residual", g.residual_block, g.RESIDUAL_SPEC),
    ("depthwise_separable", g.depthwise_separable, g.DEPTHWISE_SPEC),
    ("attention", g.attention_block, g.ATTENTION_SPEC),
    ("folded_conv", g.folded_conv, g.FOLDED_SPEC),
    ("batchnorm", g.batchnorm_graph, g.BATCHNORM_SPEC),
    ("identity_merged", g.identity_merged, g.IDENTITY_SPEC),
    ("tied_embedding", g.tied_embedding, g.TIED_SPEC),
    ("tied_linears", g.tied_linears, g.TIED_LINEARS_SPEC),
    ("channel_split", g.channel_split, g.SPLIT_SPEC),
    ("dense_block", g.dense_block, g.DENSE_SPEC),
    ("strided_view", lambda: g.strided_view(external=False), g.STRIDED_SPEC),
    ("strided_view_external", lambda: g.strided_view(external=True), g.STRIDED_SPEC),
    ("stacked_lstm", g.stacked_lstm, g.LSTM_SPEC),
    ("sequence_split", g.sequence_split, g.SEQUENCE_SPLIT_SPEC),
    ("dense_block_named", g.dense_block_named, g.DENSE_NAMED_SPEC),
]


@pytest.mark.parametrize(("name", "build", "hand"), CASES, ids=[case[0] for case in CASES])
def test_import_equals_hand_written_spec(
    tmp_path: Path, name: str, build: Callable[[], bytes], hand: str
) -> None:
    imported, _ = _imported(tmp_path, build())
    assert _totals(imported) == _totals(_hand(tmp_path, hand))
    assert imported.output == _hand(tmp_path, hand).output


def test_lenet_equals_the_zoo_and_paddles_table(tmp_path: Path) -> None:
    imported, _ = _imported(tmp_path, g.lenet())
    zoo = _report(ROOT / g.LENET_SPEC)
    assert _totals(imported) == _totals(zoo)
    assert imported.learnable == 61_610  # paddle.summary of paddle.vision.models.LeNet
    weights = [row.name for row in imported.layers if row.learnable]
    assert weights == ["features.0", "features.3", "fc.0", "fc.1", "fc.2"]


# Params rules, written out: conv 8·8·3·3 each; BatchNorm γ, β params and mean, var buffers.
PARAM_RULES = [
    ("identity_merged counts once per layer", g.identity_merged, 2 * 8 * 8 * 3 * 3, 0),
    ("tied linears count once", g.tied_linears, 16 * 16, 0),
    ("tied embedding counts once", g.tied_embedding, 100 * 16, 0),
    ("batchnorm mean, var are buffers", g.batchnorm_graph, 8 * 3 * 3 * 3 + 2 * 8, 2 * 8),
    ("folded conv has a bias", g.folded_conv, 8 * 3 * 3 * 3 + 8, 0),
    # per layer: W 4h·f, R 4h·h, B 8h (b_ih and b_hh), f = 8 then 16, h = 16
    ("stacked lstm", g.stacked_lstm, sum(4 * 16 * (f + 16) + 8 * 16 for f in (8, 16)), 0),
]


@pytest.mark.parametrize(
    ("rule", "build", "params", "buffers"), PARAM_RULES, ids=[r[0] for r in PARAM_RULES]
)
def test_param_rules(
    tmp_path: Path, rule: str, build: Callable[[], bytes], params: int, buffers: int
) -> None:
    imported, _ = _imported(tmp_path, build())
    assert (imported.learnable, imported.buffers) == (params, buffers)


def test_attention_macs_by_hand(tmp_path: Path) -> None:
    s, d = 10, 32
    imported, _ = _imported(tmp_path, g.attention_block())
    assert imported.macs == 4 * s * d * d + 2 * s * s * d  # 4 projections, QKᵀ and AV


def test_stacked_lstm_nodes_are_one_layer_of_their_module(tmp_path: Path) -> None:
    imported, _ = _imported(tmp_path, g.stacked_lstm())
    rows = [(row.name, row.op) for row in imported.layers if row.learnable]
    assert rows == [("lstm", "lstm")]
    assert imported.output == (1, 5, 16)


def test_names_are_kept(tmp_path: Path) -> None:
    imported, _ = _imported(tmp_path, g.residual_block())
    names = [row.name for row in imported.layers]
    assert names == ["conv1", "bn1", "relu", "conv2", "bn2", "layers.0.add", "relu_out"]


def test_reimport_is_byte_identical(tmp_path: Path) -> None:
    model = tmp_path / "lenet.onnx"
    model.write_bytes(g.lenet())
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert main(["import", str(model), "-o", str(first)]) == 0
    assert main(["import", str(model), "-o", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()


def _external(raw: bytes) -> bytes:
    """The same model with every initializer moved to an external file that doesn't exist."""
    import onnx

    loaded = onnx.load_model_from_string(raw)
    for tensor in loaded.graph.initializer:
        if tensor.name.endswith(".weight"):
            onnx.external_data_helper.set_external_data(tensor, location="absent.bin")
            tensor.ClearField("raw_data")
            tensor.data_location = onnx.TensorProto.EXTERNAL
    return bytes(loaded.SerializeToString())


def test_external_data_is_never_read(tmp_path: Path) -> None:
    stripped, _ = _imported(tmp_path, _external(g.lenet()))
    whole, _ = _imported(tmp_path, g.lenet())
    assert not (tmp_path / "absent.bin").exists()
    assert _totals(stripped) == _totals(whole)


def test_unknown_op_is_named_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from onnx import helper

    nodes = [
        g.node("Relu", ["x"], ["a"], "relu"),
        helper.make_node("Celu", ["a"], ["y"], name="odd_activation"),
    ]
    model = tmp_path / "m.onnx"
    model.write_bytes(g.model(nodes, [], [1, 4]))
    assert main(["import", str(model)]) == 2
    err = capsys.readouterr().err
    assert "Celu" in err and "odd_activation" in err
    assert main(["import", str(model), "--allow-unknown"]) == 0
    captured = capsys.readouterr()
    assert "Celu" in captured.err and "odd_activation" in captured.err
    assert "identity" in captured.out


def test_symbolic_batch_is_one_with_a_notice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "m.onnx"
    model.write_bytes(g.model([g.node("Relu", ["x"], ["y"], "relu")], [], ["batch", 4]))
    assert main(["import", str(model)]) == 0
    captured = capsys.readouterr()
    assert "input: [1, 4]" in captured.out
    assert "batch" in captured.err
    assert main(["import", str(model), "--input", "3,4"]) == 0
    assert "input: [3, 4]" in capsys.readouterr().out


def test_symbolic_feature_dim_needs_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "m.onnx"
    model.write_bytes(g.model([g.node("Relu", ["x"], ["y"], "relu")], [], [1, "width"]))
    assert main(["import", str(model)]) == 2
    assert "--input" in capsys.readouterr().err


@pytest.mark.parametrize("junk", [b"", b"not a model", bytes(range(256)) * 4])
def test_junk_is_one_line_exit_2(
    tmp_path: Path, junk: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "m.onnx"
    model.write_bytes(junk)
    assert main(["import", str(model)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") >= 1 and "Traceback" not in err


def test_without_onnx_one_line_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "m.onnx"
    model.write_bytes(g.folded_conv())
    monkeypatch.setitem(sys.modules, "onnx", None)
    assert main(["import", str(model)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "budgetlint[onnx]" in err[0]


def test_arch_onnx_in_a_budget_file(tmp_path: Path) -> None:
    (tmp_path / "lenet.onnx").write_bytes(g.lenet())
    budget = tmp_path / "budget.yaml"
    budget.write_text(
        "version: 1\n"
        "devices:\n  mcu: {dtype: int8, budgets: {params: 61610}}\n"
        "models:\n  lenet:\n    arch: lenet.onnx\n    devices: [mcu]\n"
    )
    assert main(["check", str(budget)]) == 0
    budget.write_text(budget.read_text().replace("61610", "61609"))
    assert main(["check", str(budget)]) == 1


def test_bad_onnx_arch_is_positioned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.onnx").write_bytes(b"junk")
    budget = tmp_path / "budget.yaml"
    budget.write_text("version: 1\nmodels:\n  m:\n    arch: bad.onnx\n    devices: []\n")
    assert main(["check", str(budget)]) == 2
    assert "bad.onnx" in capsys.readouterr().err


def test_dense_concatenations_read_the_running_feature_map(tmp_path: Path) -> None:
    """cat(x, n1, n2) is cat(cat(x, n1), n2): each dense layer is one parallel."""
    imported, text = _imported(tmp_path, g.dense_block())
    assert text.count("parallel:") == 2
    assert imported.output == (1, 8 + 4 + 4, 6, 6)
    assert imported.macs == 4 * 6 * 6 * 8 * 3 * 3 + 4 * 6 * 6 * (8 + 4) * 3 * 3


def test_dense_layers_fold_into_a_repeat_named_as_the_modules(tmp_path: Path) -> None:
    """denselayer1, denselayer2, denselayer3: one block, a repeat from 1 named so."""
    imported, text = _imported(tmp_path, g.dense_block_named())
    assert text.count("conv2d") == 2  # the block's two convs, written once
    assert "start: 1" in text and "denselayer${turn}" in text
    names = [row.name for row in imported.layers if row.learnable]
    assert names == [f"block.denselayer{t}.conv{c}" for t in (1, 2, 3) for c in (1, 2)]


def test_non_series_parallel_graph_is_refused(tmp_path: Path) -> None:
    """`b` feeds the sum c = a + b and, beside c's branch, the output y = b + relu(c)."""
    nodes = [
        g.node("Relu", ["x"], ["a"], "a"),
        g.node("Relu", ["a"], ["b"], "b"),
        g.node("Add", ["a", "b"], ["c"], "c"),
        g.node("Relu", ["c"], ["d"], "d"),
        g.node("Add", ["b", "d"], ["y"], "y"),
    ]
    raw = g.model(nodes, [], [1, 2])
    with pytest.raises(SpecError) as error:
        import_spec(raw, str(tmp_path / "m.onnx"), ImportOptions())
    assert error.value.problems[0].code == "import.structure"


def test_check_never_imports_a_framework_for_yaml_specs() -> None:
    import subprocess

    code = (
        "import sys; from budgetlint.cli import main; "
        f"main(['check', {str(ROOT / 'specs' / 'mobile.yaml')!r}]); "
        "assert not {'onnx', 'torch', 'transformers'} & set(sys.modules), sorted(sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()[-400:]
