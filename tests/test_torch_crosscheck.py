"""Optional: budgetlint against live torchvision models, where torch is installed.

CI doesn't install torch; these skip there. The recorded measurements in
tests/data/ are what the required tests compare against.
"""

from __future__ import annotations

import pytest

from tests.test_golden import zoo_report

torchvision = pytest.importorskip("torchvision")
torch = pytest.importorskip("torch")

MODELS = ["resnet18", "resnet50", "mobilenet_v2", "vgg16", "vit_b_16", "convnext_tiny"]
MODELS += ["efficientnet_b0", "shufflenet_v2_x1_0", "mobilenet_v3_large", "densenet121"]


@pytest.mark.parametrize("name", MODELS)
def test_params_and_buffers_equal_torchvision(name: str) -> None:
    model = getattr(torchvision.models, name)(weights=None)
    params = sum(p.numel() for p in model.parameters())
    stats = sum(
        buffer.numel()
        for key, buffer in model.named_buffers()
        if key.endswith(("running_mean", "running_var"))
    )
    report = zoo_report(name)
    assert (report.params, report.buffers) == (params, stats)


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2"])
def test_torch_flop_counter(name: str) -> None:
    from torch.utils.flop_counter import FlopCounterMode

    from budgetlint.engine.conventions import CONVENTIONS
    from budgetlint.engine.evaluate import evaluate
    from budgetlint.spec.expand import read_spec
    from tests.conftest import ROOT

    model = getattr(torchvision.models, name)(weights=None).eval()
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 3, 224, 224))
    spec, _ = read_spec(ROOT / "specs" / "zoo" / f"{name}.yaml")
    assert spec is not None
    ours = evaluate(spec.models[0].architecture, CONVENTIONS["torch"]).flops
    assert ours == counter.get_total_flops()
