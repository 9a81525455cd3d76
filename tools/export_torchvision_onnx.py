"""Export torchvision models to ONNX with their weights stripped, and measure them.

Run with a Python that has torch, torchvision and onnx (tests never need them):

    /work/venvs/torch/bin/python tools/export_torchvision_onnx.py

For each model: `torch.onnx.export(model.eval(), (torch.randn(1, 3, 224, 224),), path)`
with the exporter's defaults (BatchNorm folded into the convolutions), its weights and
buffers first drawn at random (seeded), as a trained model's are distinct: at their
default initialisation many are equal (BatchNorm's ones and zeros) and the exporter
merges equal initializers, which no trained model would show. Then every
initializer is pointed at an external file that doesn't exist (`absent.bin`), and
node metadata other than the module path (`pkg.torch.onnx.name_scopes`) and its
classes is dropped (and, for a file still over 250 kB, the module paths and the
shapes recorded for intermediate values), so that each fixture is a small graph with
no weights at all.
resnet18 is also exported unfolded (`optimize=False`), which keeps its BatchNorm.
Writes tests/data/onnx/<name>.onnx and tests/data/measured_onnx_exports.json with
torchvision's parameter and buffer counts and torch.utils.flop_counter's MACs
(its FLOPs / 2: convolutions, linears and matmuls), the call and the versions.
Naming models re-measures only those (`... export_torchvision_onnx.py densenet121`);
each model's record carries the date it was measured.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

import onnx
import torch
import torchvision
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "onnx"
MODELS = (
    "resnet18",
    "mobilenet_v3_small",
    "squeezenet1_1",
    "googlenet",
    "efficientnet_b0",
    "shufflenet_v2_x1_0",
    "vit_b_16",
    # the rest of the zoo's torchvision models (specs/zoo), for `budgetlint verify`
    "resnet50",
    "vgg16",
    "mobilenet_v2",
    "mobilenet_v3_large",
    "convnext_tiny",
    "densenet121",
)
KEPT_METADATA = ("pkg.torch.onnx.name_scopes", "pkg.torch.onnx.class_hierarchy")


def strip(path: Path, target: Path) -> int:
    """Weights pointed at a missing file; metadata dropped until the file is under 250 kB,
    and last the shapes recorded for intermediate values (budgetlint works them out)."""
    for kept, shapes in ((KEPT_METADATA, True), (KEPT_METADATA[:1], True), ((), True), ((), False)):
        size = _strip(path, target, kept, shapes)
        if size < 250_000:
            break
    return size


def _strip(path: Path, target: Path, keep: tuple[str, ...], shapes: bool = True) -> int:
    model = onnx.load(str(path), load_external_data=False)
    if not shapes:
        del model.graph.value_info[:]
    for tensor in model.graph.initializer:
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            for entry in tensor.external_data:
                if entry.key == "location":
                    entry.value = "absent.bin"
    for node in model.graph.node:
        kept = [(p.key, p.value) for p in node.metadata_props if p.key in keep]
        del node.metadata_props[:]
        for key, value in kept:
            node.metadata_props.add(key=key, value=value)
    del model.metadata_props[:]
    onnx.save(model, str(target))
    return target.stat().st_size


def build(name: str) -> torch.nn.Module:
    kwargs = {"init_weights": True} if name == "googlenet" else {}
    return getattr(torchvision.models, name)(**kwargs).eval()


def distinct(model: torch.nn.Module) -> None:
    """Every floating-point weight and buffer drawn from [0.5, 1.5) (a variance stays positive)."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for tensor in (*model.parameters(), *model.buffers()):
            if tensor.is_floating_point():
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)


def measure(name: str) -> dict[str, object]:
    torch.manual_seed(0)
    model = build(name)
    x = torch.randn(1, 3, 224, 224)
    # with gradients enabled: under no_grad nn.MultiheadAttention takes a fused fast path
    # that the flop counter doesn't see
    with FlopCounterMode(display=False) as counter:
        model(x)
    params = sum(p.numel() for p in model.parameters())
    buffers = sum(
        b.numel() for n, b in model.named_buffers() if not n.endswith("num_batches_tracked")
    )
    record: dict[str, object] = {
        "params": params,
        "buffers": buffers,
        "flop_counter_macs": counter.get_total_flops() // 2,
    }
    distinct(model)
    with tempfile.TemporaryDirectory() as folder:
        exported = Path(folder) / f"{name}.onnx"
        torch.onnx.export(model, (x,), str(exported))
        record["bytes"] = strip(exported, OUT / f"{name}.onnx")
        if name == "resnet18":
            unfolded = Path(folder) / "unfolded.onnx"
            torch.onnx.export(model, (x,), str(unfolded), optimize=False)
            record["unfolded_bytes"] = strip(unfolded, OUT / f"{name}_unfolded.onnx")
    return record


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    names = sys.argv[1:] or list(MODELS)
    today = os.environ.get("MEASURED_ON", datetime.date.today().isoformat())
    results = {name: {**measure(name), "date": today} for name in names}
    document = {
        "source": "tools/export_torchvision_onnx.py",
        "call": "torch.onnx.export(model.eval(), (torch.randn(1, 3, 224, 224),), path); "
        "FlopCounterMode around model(x) (gradients enabled): MACs = total FLOPs // 2; "
        "params = sum(p.numel() for p in model.parameters()) (googlenet: with its aux "
        "classifiers, which eval mode skips); buffers without num_batches_tracked",
        "date": today,
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "onnx": onnx.__version__,
        },
        "models": results,
    }
    target = ROOT / "tests" / "data" / "measured_onnx_exports.json"
    if target.exists() and sys.argv[1:]:  # re-measuring some models keeps the others
        earlier = json.loads(target.read_text())
        kept = {
            name: {**record, "date": record.get("date", earlier["date"])}
            for name, record in earlier["models"].items()
        }
        results = {**kept, **results}
        document["models"] = results
    target.write_text(json.dumps(document, indent=1) + "\n")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
