"""--torch package.module:factory: torchvision models traced on the meta device.

Runs only where torch and torchvision are installed (it imports them); measured
figures are torchvision's own parameter and buffer counts, computed here, and the
MACs recorded in tests/data/measured_onnx_exports.json (torch.utils.flop_counter)
or, for vit_b_16, the zoo's.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("torchvision")

from budgetlint.cli import main
from budgetlint.engine.conventions import DEFAULT
from budgetlint.engine.evaluate import ModelReport, evaluate
from budgetlint.spec.expand import read_spec

ROOT = Path(__file__).resolve().parents[2]
MEASURED = json.loads((ROOT / "tests" / "data" / "measured_onnx_exports.json").read_text())
MODELS = sorted(MEASURED["models"])
SKIPPED_IN_EVAL = ("aux1.", "aux2.")  # googlenet's auxiliary classifiers: eval mode skips them
# googlenet() warns that its default weight initialisation will change
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _import(tmp_path: Path, name: str) -> ModelReport:
    out = tmp_path / f"{name}.yaml"
    target = f"torchvision.models:{name}"
    assert main(["import", "--torch", target, "--input", "1,3,224,224", "-o", str(out)]) == 0
    spec, problems = read_spec(out)
    assert not problems and spec is not None
    return evaluate(spec.models[0].architecture, DEFAULT)


def _torchvision(name: str) -> tuple[dict[str, int], dict[str, int]]:
    import torch
    import torchvision

    with torch.device("meta"):
        model = getattr(torchvision.models, name)()
    params = {
        n: p.numel() for n, p in model.named_parameters() if not n.startswith(SKIPPED_IN_EVAL)
    }
    buffers = {
        n: b.numel()
        for n, b in model.named_buffers()
        if not n.endswith("num_batches_tracked") and not n.startswith(SKIPPED_IN_EVAL)
    }
    return params, buffers


@pytest.mark.parametrize("name", MODELS)
def test_params_buffers_and_macs_equal_torchvision(tmp_path: Path, name: str) -> None:
    report = _import(tmp_path, name)
    params, buffers = _torchvision(name)
    assert (report.learnable, report.buffers) == (sum(params.values()), sum(buffers.values()))
    if name == "vit_b_16":
        zoo_spec, _ = read_spec(ROOT / "specs" / "zoo" / "vit_b_16.yaml")
        assert zoo_spec is not None
        assert report.macs == evaluate(zoo_spec.models[0].architecture, DEFAULT).macs
    else:
        assert report.macs == MEASURED["models"][name]["flop_counter_macs"]


@pytest.mark.parametrize("name", MODELS)
def test_layer_names_are_module_paths(tmp_path: Path, name: str) -> None:
    report = _import(tmp_path, name)
    params, _ = _torchvision(name)
    owners = {p.rsplit(".", 1)[0] if "." in p else p for p in params} | set(params)
    weighted = {row.name for row in report.layers if row.learnable}
    assert weighted <= owners
    for parameter in params:  # held by its module's layer, or one containing it (attention)
        assert any(parameter == w or parameter.startswith(f"{w}.") for w in weighted), parameter


VERIFIED = (
    "resnet18",
    "resnet50",
    "vgg16",
    "mobilenet_v2",
    "mobilenet_v3_large",
    "efficientnet_b0",
    "shufflenet_v2_x1_0",
    "convnext_tiny",
    "vit_b_16",
    "densenet121",
    "swin_t",
    "maxvit_t",
)


def test_densenet_imports_like_the_zoo_file(tmp_path: Path) -> None:
    """Each dense layer one parallel (concat), the layers of a dense block a repeat from 1
    named denselayer${turn}, as specs/zoo/densenet121.yaml writes them."""
    report = _import(tmp_path, "densenet121")
    text = (tmp_path / "densenet121.yaml").read_text()
    params, buffers = _torchvision("densenet121")
    assert (report.learnable, report.buffers) == (sum(params.values()), sum(buffers.values()))
    assert len(text.splitlines()) <= 80
    assert text.count("start: 1") == 4 and text.count("denselayer${turn}") == 4


@pytest.mark.parametrize("name", ["swin_t", "maxvit_t"])
def test_window_attention_models_equal_torchvision_and_the_zoo(tmp_path: Path, name: str) -> None:
    """Swin's shifted_window_attention (kept whole by torch.fx) and MaxViT's
    PartitionAttentionLayer (traced whole) import as the zoo writes them."""
    report = _import(tmp_path, name)
    params, _ = _torchvision(name)
    zoo_spec, _ = read_spec(ROOT / "specs" / "zoo" / f"{name}.yaml")
    assert zoo_spec is not None
    assert report.learnable == sum(params.values())
    assert report.macs == evaluate(zoo_spec.models[0].architecture, DEFAULT).macs


def test_convnext_params_and_macs_equal_torchvision_and_the_zoo(tmp_path: Path) -> None:
    """Layer scale (a parameter times a tensor), functional layer_norm between permutes."""
    report = _import(tmp_path, "convnext_tiny")
    params, _ = _torchvision("convnext_tiny")
    zoo_spec, _ = read_spec(ROOT / "specs" / "zoo" / "convnext_tiny.yaml")
    assert zoo_spec is not None
    assert report.learnable == sum(params.values())
    assert report.macs == evaluate(zoo_spec.models[0].architecture, DEFAULT).macs


@pytest.mark.parametrize("name", VERIFIED)
def test_zoo_spec_verifies_against_the_module(name: str) -> None:
    spec = ROOT / "specs" / "zoo" / f"{name}.yaml"
    assert main(["verify", str(spec), "--against", f"torch:torchvision.models:{name}"]) == 0


ZOO_MODELS = json.loads((ROOT / "tests" / "data" / "measured_zoo_models.json").read_text())


@pytest.mark.parametrize("name", sorted(ZOO_MODELS["models"]))
def test_zoo_spec_verifies_against_its_module_in_tools(name: str) -> None:
    """lstm_lm: nn.LSTM(num_layers=2) is one `lstm` layer of two layers."""
    spec = ROOT / "specs" / "zoo" / f"{name}.yaml"
    target = f"torch:{ZOO_MODELS['models'][name]['factory']}"
    assert main(["verify", str(spec), "--against", target]) == 0
    report = evaluate(read_spec(spec)[0].models[0].architecture, DEFAULT)  # type: ignore[union-attr]
    assert report.learnable == ZOO_MODELS["models"][name]["params"]


@pytest.mark.parametrize(
    ("name", "layer", "old"),
    [
        ("swin_t", "head", "linear: {out: 1000}"),
        ("maxvit_t", "classifier.5", "linear: {out: 1000, bias: false}}"),
    ],
)
def test_zoo_spec_one_layer_off_names_it_against_the_module(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, layer: str, old: str
) -> None:
    """The classifier one class wider: exit 1, that layer named on its line, alone."""
    shutil.copytree(ROOT / "specs" / "zoo", tmp_path / "zoo")
    spec = tmp_path / "zoo" / f"{name}.yaml"
    lines = spec.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if f"name: {layer}" in line)
    if old not in lines[at]:  # the op on the line after the name
        at += 1
    assert old in lines[at]
    lines[at] = lines[at].replace(old, old.replace("1000", "1001"))
    spec.write_text("\n".join(lines) + "\n")
    target = f"torch:torchvision.models:{name}"
    assert main(["verify", str(spec), "--against", target, "-f", "json"]) == 1
    divergences = json.loads(capsys.readouterr().out)["verifications"][0]["divergences"]
    assert [(d["spec_layer"], d["quantity"]) for d in divergences] == [(layer, "output")]


def test_bad_target_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "--torch", "no_such_package.models:net", "--input", "1,3"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no_such_package" in err[0]
