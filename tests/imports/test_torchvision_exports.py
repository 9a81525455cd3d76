"""torchvision models exported by torch.onnx.export (defaults), weights stripped.

The fixtures in tests/data/onnx and the measured figures come from
tools/export_torchvision_onnx.py (see tests/data/measured_onnx_exports.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("onnx")

from budgetlint.cli import main
from budgetlint.engine.conventions import DEFAULT
from budgetlint.engine.evaluate import ModelReport, evaluate
from budgetlint.spec.expand import read_spec

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "data" / "onnx"
MEASURED = json.loads((ROOT / "tests" / "data" / "measured_onnx_exports.json").read_text())
ZOO = ("resnet18", "efficientnet_b0", "shufflenet_v2_x1_0", "vit_b_16")


def _report(path: Path) -> ModelReport:
    spec, problems = read_spec(path)
    assert not problems and spec is not None, problems
    return evaluate(spec.models[0].architecture, DEFAULT)


def _import(tmp_path: Path, name: str) -> Path:
    out = tmp_path / f"{name}.yaml"
    assert main(["import", str(FIXTURES / f"{name}.onnx"), "-o", str(out)]) == 0
    return out


def test_fixtures_are_small_and_weightless() -> None:
    for path in FIXTURES.glob("*.onnx"):
        assert path.stat().st_size < 250_000, path.name
    assert not list(FIXTURES.glob("*.bin")) and not list(FIXTURES.glob("*.data"))


@pytest.mark.parametrize("name", ZOO)
def test_macs_equal_the_zoo(tmp_path: Path, name: str) -> None:
    imported = _report(_import(tmp_path, name))
    assert imported.macs == _report(ROOT / "specs" / "zoo" / f"{name}.yaml").macs


# vit_b_16: the flop counter sees no attention matmuls inside scaled_dot_product_attention,
# so it is held to the zoo's count above (torchvision's published 17.564 GFLOPS).
COUNTED = sorted(set(MEASURED["models"]) - {"vit_b_16"})


@pytest.mark.parametrize("name", COUNTED)
def test_macs_equal_torchs_flop_counter(tmp_path: Path, name: str) -> None:
    imported = _report(_import(tmp_path, name))
    assert imported.macs == MEASURED["models"][name]["flop_counter_macs"]


def test_unfolded_resnet18_has_torchvisions_params_and_buffers(tmp_path: Path) -> None:
    imported = _report(_import(tmp_path, "resnet18_unfolded"))
    measured = MEASURED["models"]["resnet18"]
    assert (imported.learnable, imported.buffers) == (measured["params"], measured["buffers"])
    assert (measured["params"], measured["buffers"]) == (11_689_512, 9_600)


def test_resnet18_reads_like_the_zoo_and_reimports_identically(tmp_path: Path) -> None:
    first = _import(tmp_path, "resnet18").read_text()
    second = _import(tmp_path, "resnet18").read_text()
    assert first == second
    assert len(first.splitlines()) <= 80
    assert "repeat:" in first and "blocks:" in first and "residual:" in first
    names = [row.name for row in _report(tmp_path / "resnet18.yaml").layers if row.macs]
    assert names[:4] == ["conv1", "layer1.0.conv1", "layer1.0.conv2", "layer1.1.conv1"]
    assert "layer2.0.downsample.0" in names and names[-1] == "fc"


@pytest.mark.parametrize(
    ("name", "fixture"),
    [*((name, name) for name in ZOO), ("resnet18", "resnet18_unfolded")],
)
def test_zoo_spec_verifies_against_the_export(
    name: str, fixture: str, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = ROOT / "specs" / "zoo" / f"{name}.yaml"
    assert main(["verify", str(spec), "--against", str(FIXTURES / f"{fixture}.onnx")]) == 0
    assert "agrees" in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(MEASURED["models"]))
def test_imported_spec_verifies_against_its_model(tmp_path: Path, name: str) -> None:
    spec = _import(tmp_path, name)
    assert main(["verify", str(spec), "--against", str(FIXTURES / f"{name}.onnx")]) == 0


def test_one_changed_layer_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zoo = (ROOT / "specs" / "zoo" / "resnet18.yaml").read_text()
    changed = tmp_path / "resnet18.yaml"
    changed.write_text(zoo.replace("linear: {out: 1000}", "linear: {out: 1001}"))
    assert main(["verify", str(changed), "--against", str(FIXTURES / "resnet18.onnx")]) == 1
    first = capsys.readouterr().out.splitlines()[0]
    assert "'fc'" in first and "[1, 1001]" in first and "[1, 1000]" in first


def test_densenet_export_folds_only_the_batchnorms_after_a_convolution(tmp_path: Path) -> None:
    """norm0 (after conv0) and each dense layer's norm2 (after conv1) fold into their conv:
    γ, β and the running mean and variance go, a bias of as many channels comes. The
    BatchNorms after a concatenation (norm1, the transitions', norm5) stay."""
    folded = 64 + (6 + 12 + 24 + 16) * 128  # channels of norm0, and of each norm2
    imported = _report(_import(tmp_path, "densenet121"))
    torchvision = MEASURED["models"]["densenet121"]
    assert imported.learnable == torchvision["params"] - 2 * folded + folded
    assert imported.buffers == torchvision["buffers"] - 2 * folded
