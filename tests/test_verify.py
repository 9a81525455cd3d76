"""budgetlint verify: a spec against the real model, layer by layer."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("onnx")

from budgetlint.cli import main
from budgetlint.engine.conventions import DEFAULT
from budgetlint.engine.evaluate import evaluate
from budgetlint.spec.expand import read_spec
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


# -- the zoo against its own models ---------------------------------------------------

ZOO = ROOT / "specs" / "zoo"
DATA = ROOT / "tests" / "data"

# Each zoo spec's own model, read without torch: the torchvision model exported by
# torch.onnx.export with its defaults (BatchNorm folded; tests/data/onnx, written by
# tools/export_torchvision_onnx.py), or a config.json written from the model's public
# one (tests/data/hf_configs, tools/measure_hf_configs.py); lstm_lm's, the module of
# tools/zoo_models.py exported the same way. lenet's is the graph that
# tests/imports/onnx_graphs.py builds (test_zoo_lenet_agrees_with_its_model).
OWN_MODELS: dict[str, str] = {
    "resnet18": "onnx/resnet18.onnx",
    "resnet50": "onnx/resnet50.onnx",
    "vgg16": "onnx/vgg16.onnx",
    "mobilenet_v2": "onnx/mobilenet_v2.onnx",
    "mobilenet_v3_large": "onnx/mobilenet_v3_large.onnx",
    "efficientnet_b0": "onnx/efficientnet_b0.onnx",
    "shufflenet_v2_x1_0": "onnx/shufflenet_v2_x1_0.onnx",
    "convnext_tiny": "onnx/convnext_tiny.onnx",
    "densenet121": "onnx/densenet121.onnx",
    "vit_b_16": "onnx/vit_b_16.onnx",
    "lstm_lm": "onnx/lstm_lm.onnx",
    "bert-base-uncased": "hf_configs/bert-base-uncased/config.json",
    "gpt2": "hf_configs/gpt2/config.json",
    "llama-2-7b": "hf_configs/llama-2-7b/config.json",
    "llama-3.2-1b": "hf_configs/llama-3.2-1b/config.json",
    "mistral-7b-v0.1": "hf_configs/mistral-7b-v0.1/config.json",
    "qwen2.5-0.5b": "hf_configs/qwen2.5-0.5b/config.json",
}
BUILT_HERE = {"lenet"}
# Verified against torchvision's module only (tests/imports/test_torch_import.py, where
# torch is installed): torch.onnx.export folds each block's relative position bias, a
# (2w − 1)² × heads table looked up at a constant index, into a [1, heads, w², w²]
# constant added to the scores; the file no longer holds the table, and the ONNX
# importer doesn't read that constant as one.
TORCH_ONLY = {"swin_t", "maxvit_t"}


def test_every_zoo_spec_has_its_own_model() -> None:
    zoo = {path.stem for path in ZOO.glob("*.yaml")}
    assert zoo == set(OWN_MODELS) | BUILT_HERE | TORCH_ONLY
    for path in OWN_MODELS.values():
        assert (DATA / path).is_file(), path


@pytest.mark.parametrize("name", sorted(OWN_MODELS))
def test_zoo_spec_agrees_with_its_own_model(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    model = DATA / OWN_MODELS[name]
    assert main(["verify", str(ZOO / f"{name}.yaml"), "--against", str(model)]) == 0
    assert f"{name}: agrees with" in capsys.readouterr().out


def test_zoo_resnet18_agrees_with_its_unfolded_export() -> None:
    model = DATA / "onnx" / "resnet18_unfolded.onnx"
    assert main(["verify", str(ZOO / "resnet18.yaml"), "--against", str(model)]) == 0


# One layer of a zoo spec changed: its classifier (or LM head) one class wider, or for
# the heads tied to the embedding, the embedding one token longer.
ONE_LAYER = [
    ("resnet18", "fc", "linear: {out: 1000}", "output"),
    ("resnet50", "fc", "linear: {out: 1000}", "output"),
    ("vgg16", "classifier.6", "linear: {out: 1000}", "output"),
    ("mobilenet_v2", "classifier.1", "linear: {out: 1000}", "output"),
    ("mobilenet_v3_large", "classifier.3", "linear: {out: 1000}", "output"),
    ("efficientnet_b0", "classifier.1", "linear: {out: 1000}", "output"),
    ("shufflenet_v2_x1_0", "fc", "linear: {out: 1000}", "output"),
    ("convnext_tiny", "classifier.2", "linear: {out: 1000}", "output"),
    ("densenet121", "classifier", "linear: {out: 1000}", "output"),
    ("vit_b_16", "heads.head", "linear: {out: 1000}", "output"),
    ("lstm_lm", "decoder", "linear: {out: 1000}", "output"),
    ("bert-base-uncased", "pooler.dense", "linear: {out: 768}", "output"),
    ("llama-2-7b", "lm_head", "linear: {out: 32000, bias: false}", "output"),
    ("mistral-7b-v0.1", "lm_head", "linear: {out: 32000, bias: false}", "output"),
    ("gpt2", "wte", "embedding: {vocab: 50257, dim: 768}", "params"),
    ("llama-3.2-1b", "model.embed_tokens", "embedding: {vocab: 128256, dim: 2048}", "params"),
    ("qwen2.5-0.5b", "model.embed_tokens", "embedding: {vocab: 151936, dim: 896}", "params"),
]


def _one_more(text: str) -> str:
    """`linear: {out: 1000}` → `linear: {out: 1001}`: its first number, plus one."""
    return re.sub(r"\d+", lambda found: str(int(found.group()) + 1), text, count=1)


@pytest.mark.parametrize(
    ("name", "layer", "old", "quantity"), ONE_LAYER, ids=[c[0] for c in ONE_LAYER]
)
def test_zoo_spec_one_layer_off_exits_1_naming_it(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    layer: str,
    old: str,
    quantity: str,
) -> None:
    shutil.copytree(ZOO / "blocks", project / "blocks")
    lines = (ZOO / f"{name}.yaml").read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == f"- name: {layer}")
    assert lines[at + 1].strip() == old  # the layer's op, on the line after its name
    lines[at + 1] = lines[at + 1].replace(old, _one_more(old))
    (project / f"{name}.yaml").write_text("\n".join(lines) + "\n")
    model = str(DATA / OWN_MODELS[name])
    assert main(["verify", f"{name}.yaml", "--against", model]) == 1
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(f"{name}.yaml:{at + 1}:")  # the layer item, where its name is
    assert f"layer '{layer}'" in first and quantity in first
    assert main(["verify", f"{name}.yaml", "--against", model, "-f", "json"]) == 1
    divergences = json.loads(capsys.readouterr().out)["verifications"][0]["divergences"]
    assert [(d["spec_layer"], d["quantity"], d["line"]) for d in divergences] == [
        (layer, quantity, at + 1)
    ]


def test_zoo_block_off_lists_every_layer_made_from_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """resnet18's `basic` block (used by layer1.0, layer1.1, layer2.1, layer3.1 and
    layer4.1) with a 5x5 conv1: each of its five uses diverges, and all are listed."""
    old = '{name: conv1, conv2d: {out: "${out}", kernel: 3, padding: 1, bias: false}}'
    text = (ZOO / "resnet18.yaml").read_text()
    line = next(i for i, t in enumerate(text.splitlines(), 1) if old in t)
    (project / "resnet18.yaml").write_text(
        text.replace(old, old.replace("kernel: 3, padding: 1", "kernel: 5, padding: 2"), 1)
    )
    model = str(DATA / "onnx" / "resnet18.onnx")
    assert main(["verify", "resnet18.yaml", "--against", model, "-f", "json"]) == 1
    divergences = json.loads(capsys.readouterr().out)["verifications"][0]["divergences"]
    uses = ("layer1.0", "layer1.1", "layer2.1", "layer3.1", "layer4.1")
    # the spec's conv1; torchvision's (layer1), with bn1 folded into it: a bias of 64
    weights = (64 * 64 * 5 * 5, 64 * 64 * 3 * 3 + 64)
    assert [(d["spec_layer"], d["quantity"], d["line"]) for d in divergences] == [
        (f"{use}.conv1", "params", line) for use in uses
    ]
    assert (divergences[0]["spec"], divergences[0]["model"]) == tuple(f"{w:,}" for w in weights)


def _budget_models() -> list[tuple[str, str, str]]:
    """(budget file, model, the zoo architecture it is built on) for specs/*.yaml."""
    found = []
    for path in sorted((ROOT / "specs").glob("*.yaml")):
        spec, problems = read_spec(path)
        assert spec is not None and not problems, problems
        for model in spec.models:
            found.append((path.name, model.architecture.name, Path(model.architecture.source).stem))
    return found


BUDGET_MODELS = _budget_models()


@pytest.mark.parametrize(
    ("budget", "model", "arch"), BUDGET_MODELS, ids=[f"{b}:{m}" for b, m, _ in BUDGET_MODELS]
)
def test_budget_file_model_agrees_with_its_own_model(
    tmp_path: Path, budget: str, model: str, arch: str
) -> None:
    """Each model at its own input and `params:` (a decode step's context and
    logits_to_keep reach the config too; LoRA adapters are left out)."""
    if arch in BUILT_HERE:
        own = tmp_path / f"{arch}.onnx"
        own.write_bytes(g.lenet())
    else:
        own = DATA / OWN_MODELS[arch]
    spec = str(ROOT / "specs" / budget)
    assert main(["verify", spec, "--model", model, "--against", str(own)]) == 0


def test_a_decode_steps_context_reaches_the_config(project: Path) -> None:
    """llm.yaml's decode step agrees with its config (the table above) only if the
    config is read at the entry's context: at context 0 the spec's attention differs."""
    shutil.copytree(ZOO, project / "zoo")
    config = str(DATA / OWN_MODELS["llama-2-7b"])
    entry = "  m:\n    arch: zoo/llama-2-7b.yaml\n    input: [1, 1]\n    devices: []\n"
    (project / "b.yaml").write_text(f"version: 1\nmodels:\n{entry}    params: {{context: 4096}}\n")
    assert main(["verify", "b.yaml", "--against", config]) == 0
    reports = [
        evaluate(read_spec(project / "b.yaml")[0].models[0].architecture, DEFAULT)  # type: ignore[union-attr]
    ]
    (project / "b.yaml").write_text(f"version: 1\nmodels:\n{entry}    params: {{context: 0}}\n")
    reports.append(evaluate(read_spec(project / "b.yaml")[0].models[0].architecture, DEFAULT))  # type: ignore[union-attr]
    assert reports[0].macs != reports[1].macs
    assert main(["verify", "b.yaml", "--against", config]) == 0
