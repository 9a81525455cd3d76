"""budgetlint verify: a spec against the real model, layer by layer."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("onnx")

from budgetlint.cli import main
from tests.imports import onnx_graphs as g

ROOT = Path(__file__).resolve().parents[1]

CNN = """version: 1
input: [1, 3, 16, 16]
layers:
  - {name: conv1, conv2d: {out: 8, kernel: 3, padding: 1, bias: false}}
  - {name: bn1, batchnorm2d: }
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_hand_spec_agrees_with_its_model(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "bn.onnx").write_bytes(g.batchnorm_graph())
    (project / "spec.yaml").write_text(CNN)
    assert main(["verify", "spec.yaml", "--against", "bn.onnx"]) == 0
    assert "agrees with bn.onnx" in capsys.readouterr().out


def test_spec_with_batchnorm_agrees_with_the_folded_export(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "folded.onnx").write_bytes(g.folded_conv())
    (project / "spec.yaml").write_text(CNN + "  - relu\n")
    assert main(["verify", "spec.yaml", "--against", "folded.onnx"]) == 0
    assert "folded" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "layer", "quantity"),
    [
        ("fc.1\n    linear: {out: 84}", "fc.1", "output"),
        ("features.3\n    conv2d: {out: 16, kernel: 5}", "features.3", "params"),
    ],
)
def test_one_layer_differs_exit_1_names_it(
    project: Path, capsys: pytest.CaptureFixture[str], change: str, layer: str, quantity: str
) -> None:
    (project / "lenet.onnx").write_bytes(g.lenet())
    zoo = (ROOT / "specs" / "zoo" / "lenet.yaml").read_text()
    assert change in zoo
    wrong = change.replace("out: 84", "out: 85").replace("kernel: 5}", "kernel: 5, bias: false}")
    (project / "lenet.yaml").write_text(zoo.replace(change, wrong))
    assert main(["verify", "lenet.yaml", "--against", "lenet.onnx"]) == 1
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    line = next(i for i, text in enumerate(zoo.splitlines(), 1) if text.endswith(layer))
    assert first.startswith(f"lenet.yaml:{line}:")  # the layer item, where its name is
    assert f"'{layer}'" in first and quantity in first
    assert main(["verify", "lenet.yaml", "--against", "lenet.onnx", "-f", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    divergences = report["verifications"][0]["divergences"]
    assert divergences[0]["spec_layer"] == layer and divergences[0]["model_layer"] == layer
    assert divergences[0]["quantity"] == quantity
    assert report["exit_code"] == 1


def test_json_lists_every_divergence(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "lenet.onnx").write_bytes(g.lenet())
    zoo = (ROOT / "specs" / "zoo" / "lenet.yaml").read_text()
    wrong = zoo.replace("{out: 120}", "{out: 120, bias: false}").replace(
        "{out: 10}", "{out: 10, bias: false}"
    )
    (project / "lenet.yaml").write_text(wrong)
    assert main(["verify", "lenet.yaml", "--against", "lenet.onnx", "-f", "json"]) == 1
    divergences = json.loads(capsys.readouterr().out)["verifications"][0]["divergences"]
    found = [(d["spec_layer"], d["quantity"], d["spec"], d["model"]) for d in divergences]
    assert found == [
        ("fc.0", "params", f"{400 * 120:,}", f"{400 * 120 + 120:,}"),
        ("fc.2", "params", f"{84 * 10:,}", f"{84 * 10 + 10:,}"),
    ]


def test_zoo_lenet_agrees_with_its_model(project: Path) -> None:
    (project / "lenet.onnx").write_bytes(g.lenet())
    (project / "lenet.yaml").write_text((ROOT / "specs" / "zoo" / "lenet.yaml").read_text())
    assert main(["verify", "lenet.yaml", "--against", "lenet.onnx"]) == 0


def test_missing_layer_is_named(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "bn.onnx").write_bytes(g.batchnorm_graph())
    (project / "spec.yaml").write_text(CNN + "  - {name: extra, conv2d: {out: 8, kernel: 1}}\n")
    assert main(["verify", "spec.yaml", "--against", "bn.onnx"]) == 1
    assert "'extra' has no counterpart" in capsys.readouterr().out


BUDGET = """version: 1
devices:
  mcu: {dtype: int8, budgets: {params: 1M}}
models:
  lenet:
    arch: lenet.yaml
    verify: MODEL
    devices: [mcu]
"""


def test_verify_key_checks_every_such_model(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "lenet.onnx").write_bytes(g.lenet())
    (project / "lenet.yaml").write_text((ROOT / "specs" / "zoo" / "lenet.yaml").read_text())
    (project / "budget.yaml").write_text(BUDGET.replace("MODEL", "lenet.onnx"))
    assert main(["verify", "budget.yaml"]) == 0
    assert "lenet: agrees with lenet.onnx" in capsys.readouterr().out
    (project / "pyproject.toml").write_text('[tool.budgetlint]\nspecs = ["budget.yaml"]\n')
    assert main(["verify"]) == 0
    assert main(["check", "budget.yaml"]) == 0  # check ignores verify:


def test_verify_key_stays_in_the_repository(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "lenet.yaml").write_text((ROOT / "specs" / "zoo" / "lenet.yaml").read_text())
    (project / "budget.yaml").write_text(BUDGET.replace("MODEL", "../elsewhere.onnx"))
    assert main(["verify", "budget.yaml"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("budget.yaml:7:") and "outside the repository" in err


def test_verify_key_missing_model_is_positioned(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "lenet.yaml").write_text((ROOT / "specs" / "zoo" / "lenet.yaml").read_text())
    (project / "budget.yaml").write_text(BUDGET.replace("MODEL", "gone.onnx"))
    assert main(["verify", "budget.yaml"]) == 2
    assert capsys.readouterr().err.startswith("budget.yaml:7:")


def test_nothing_to_verify_is_said(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "spec.yaml").write_text(CNN)
    assert main(["verify", "spec.yaml"]) == 2
    assert "verify:" in capsys.readouterr().err
