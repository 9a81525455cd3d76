"""Record the module and parameter names of torchvision's models, for the zoo's layer names.

Run with a Python that has torch and torchvision (the tests never need them):

    python tools/record_torchvision_names.py > tests/data/torchvision_names.json

(here: /work/venvs/torch/bin/python, torch 2.14.1 and torchvision 0.29.1).

Each model is built on the meta device (shapes only, no weights allocated). For every
parameter it writes its name, the path of the module that holds it directly and that
module's class, in `model.named_parameters()` order; and every module path of
`model.named_modules()`. tests/spec/test_framework_names.py checks the zoo against them.
"""

from __future__ import annotations

import json
import platform
import sys

MODELS = (
    "resnet18",
    "resnet50",
    "mobilenet_v2",
    "vit_b_16",
    "vgg16",
    "densenet121",
    "shufflenet_v2_x1_0",
    "efficientnet_b0",
    "mobilenet_v3_large",
    "convnext_tiny",
    "swin_t",
    "maxvit_t",
)
DATE = "2026-12-01"


def record(name: str) -> dict[str, object]:
    import torch
    import torchvision

    with torch.device("meta"):
        model = getattr(torchvision.models, name)()
    modules = dict(model.named_modules())
    parameters = []
    for path, _ in model.named_parameters():
        owner = path.rpartition(".")[0]
        parameters.append(
            {"name": path, "module": owner, "module_type": type(modules[owner]).__name__}
        )
    return {
        "call": f"torchvision.models.{name}() on torch.device('meta')",
        "modules": [path for path in modules if path],
        "parameters": parameters,
    }


def main() -> None:
    import torch
    import torchvision

    document = {
        "command": "/work/venvs/torch/bin/python tools/record_torchvision_names.py "
        "> tests/data/torchvision_names.json",
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
        },
        "date": DATE,
        "models": {name: record(name) for name in MODELS},
    }
    json.dump(document, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
