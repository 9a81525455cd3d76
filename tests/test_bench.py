"""bench/startup.py's generated inputs are the specs it says they are (the timings are
the script's to print, never a test's to assert)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

_SPEC = importlib.util.spec_from_file_location("bench_startup", ROOT / "bench" / "startup.py")
assert _SPEC is not None and _SPEC.loader is not None
bench = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = bench  # its dataclasses look their module up
_SPEC.loader.exec_module(bench)


@pytest.mark.parametrize("layers", [1, 6, 13])
def test_the_chain_has_as_many_layers_as_asked(write, cli, layers: int) -> None:  # type: ignore[no-untyped-def]
    spec = write("chain.yaml", bench.chain_spec(layers))
    data = cli("report", str(spec), "--format", "json").json()
    (model,) = data["models"]
    assert len(model["layers"]) == layers
    # conv2d 4→4 kernel 1: 4·4 + 4; batchnorm2d: 2·4; linear 4→4: 4·4 + 4; relu: none
    per_kind = {0: 20, 1: 0, 2: 8, 3: 0, 4: 20, 5: 0}
    assert model["totals"]["params"] == sum(per_kind[i % 6] for i in range(layers))


def test_the_models_file_cycles_through_its_architectures(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    shutil.copytree(ROOT / "specs" / "zoo", tmp_path / "zoo")
    names = ["zoo/resnet50.yaml", "zoo/resnet18.yaml"]
    spec = tmp_path / "models.yaml"
    spec.write_text(bench.models_spec(5, names))
    data = cli("check", str(spec), "--format", "json").json()
    assert data["exit_code"] == 0
    params = [model["totals"]["params"] for model in data["models"]]
    resnet50, resnet18 = 25_557_032, 11_689_512  # torchvision's published counts
    assert params == [resnet50, resnet18, resnet50, resnet18, resnet50]
