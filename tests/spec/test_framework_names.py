"""Layer names follow torchvision's module paths: every layer with parameters in the zoo's
torchvision specs carries the name `model.named_modules()` gives its module, recorded
from torchvision itself (tools/record_torchvision_names.py → tests/data)."""

from __future__ import annotations

import json

import pytest

from budgetlint.engine.conventions import DEFAULT
from budgetlint.engine.evaluate import evaluate
from budgetlint.spec.expand import read_spec
from tests.conftest import ROOT

RECORDED = json.loads((ROOT / "tests" / "data" / "torchvision_names.json").read_text())
# What a spec layer is named after, per parameter: its module. Two exceptions, both
# because our ops are coarser than torchvision's modules: a parameter held by a module
# with child modules (VisionTransformer.class_token, Encoder.pos_embedding) is an op of
# its own, named by the parameter's path; our multihead_attention holds its output
# projection, which torchvision keeps in a child module (`self_attention.out_proj`),
# and our window_attention holds the qkv and output projections and the relative
# position bias table of Swin's and MaxViT's attention modules (`attn.qkv`, `attn.proj`;
# `attn_layer.1.to_qkv`, `attn_layer.1.merge`).
HOLDS_ITS_CHILDREN = {
    "MultiheadAttention",
    "ShiftedWindowAttention",
    "RelativePositionalMultiHeadAttention",
}


def torchvision_names(model: str) -> set[str]:
    recorded = RECORDED["models"][model]
    modules = set(recorded["modules"])
    types = {p["module"]: p["module_type"] for p in recorded["parameters"]}
    names = set()
    for parameter in recorded["parameters"]:
        owner = parameter["module"]
        parent = owner.rpartition(".")[0]
        has_children = any(m.startswith(owner + ".") for m in modules) if owner else True
        if types.get(parent) in HOLDS_ITS_CHILDREN:
            names.add(parent)
        elif has_children and parameter["module_type"] not in HOLDS_ITS_CHILDREN:
            names.add(parameter["name"])
        else:
            names.add(owner)
    return names


def spec_names(model: str) -> list[str]:
    spec, problems = read_spec(ROOT / "specs" / "zoo" / f"{model}.yaml")
    assert spec is not None and not problems
    report = evaluate(spec.models[0].architecture, DEFAULT)
    return [layer.name for layer in report.layers if layer.learnable]


TORCHVISION_ZOO = (
    "vgg16",
    "resnet18",
    "resnet50",
    "mobilenet_v2",
    "mobilenet_v3_large",
    "efficientnet_b0",
    "shufflenet_v2_x1_0",
    "densenet121",
    "convnext_tiny",
    "vit_b_16",
    "maxvit_t",
    "swin_t",
)


@pytest.mark.parametrize("model", TORCHVISION_ZOO)
def test_layers_with_parameters_carry_torchvision_module_names(model: str) -> None:
    names = spec_names(model)
    assert len(names) == len(set(names)), "a module's parameters in one layer"
    assert set(names) == torchvision_names(model)


def test_every_torchvision_model_of_the_zoo_is_checked() -> None:
    sources = {
        path.stem
        for path in (ROOT / "specs" / "zoo").glob("*.yaml")
        if "source: torchvision.models." in path.read_text()
    }
    assert sources == set(TORCHVISION_ZOO)
    assert set(TORCHVISION_ZOO) == set(RECORDED["models"])


def test_the_recording_says_how_it_was_made() -> None:
    assert RECORDED["date"] == "2026-12-01"
    assert set(RECORDED["versions"]) == {"python", "torch", "torchvision"}
    assert "tools/record_torchvision_names.py" in RECORDED["command"]
    # resnet50: 53 convs, 53 batch norms and fc hold torchvision's 161 parameters
    parameters = RECORDED["models"]["resnet50"]["parameters"]
    assert len(parameters) == 53 + 53 * 2 + 2
    assert len(torchvision_names("resnet50")) == 53 + 53 + 1
