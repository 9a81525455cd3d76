"""The recorded measurements of the counting tools, and which figure of each entry is a
tool's headline number: read by the tests (tests/engine/test_conventions.py) and by
tools/conventions_doc.py, which prints them beside ours. No tool is imported here.

Each JSON file is written by a script under tools/ (its docstring says how to run it):
measured_counters.json by measure_counters.py, measured_tensorflow.json by
measure_tensorflow.py, measured_vit.json by measure_vit.py, measured_fidelity.json by
measure_fidelity.py; tests/data/README.md lists the versions and dates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent


def _read(name: str) -> Any:
    return json.loads((DATA / name).read_text())


MEASURED = _read("measured_counters.json")
TENSORFLOW = _read("measured_tensorflow.json")
VIT = _read("measured_vit.json")
FIDELITY = _read("measured_fidelity.json")

# convention → (the tool's entry in the JSON, the field with its headline number)
TOOLS: dict[str, tuple[str, str]] = {
    "thop": ("thop", "macs"),
    "fvcore": ("fvcore", "total"),
    "ptflops": ("ptflops_pytorch", "macs"),
    "torch": ("torch_flop_counter", "total"),
    "torchstat": ("torchstat", "Flops"),
    "torchstat-madd": ("torchstat", "MAdd"),
    "paddle": ("paddle", "flops"),
}

# The zoo models measured_counters.json has every tool's total for.
MODELS = ["lenet", "resnet18", "resnet50", "mobilenet_v2", "vgg16", "vit_b_16", "convnext_tiny"]
MODELS += ["efficientnet_b0", "shufflenet_v2_x1_0", "mobilenet_v3_large", "densenet121"]


def measured(entry: dict[str, Any], convention: str) -> int | None:
    """The tool's headline number in one entry, or None where it failed or is absent."""
    tool, field = TOOLS[convention]
    found = entry.get(tool)
    if not isinstance(found, dict) or "error" in found:
        return None
    value = found["totals"][field] if tool == "torchstat" else found.get(field)
    return None if value is None else int(value)
