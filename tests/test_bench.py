"""bench/startup.py's generated inputs are the specs it says they are (the timings are
the script's to print, never a test's to assert)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

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


_WORST_SPEC = importlib.util.spec_from_file_location("bench_worst", ROOT / "bench" / "worst.py")
assert _WORST_SPEC is not None and _WORST_SPEC.loader is not None
sys.path.insert(0, str(ROOT / "bench"))  # worst.py imports its siblings by name
try:
    worst = importlib.util.module_from_spec(_WORST_SPEC)
    sys.modules[_WORST_SPEC.name] = worst
    _WORST_SPEC.loader.exec_module(worst)
finally:
    sys.path.remove(str(ROOT / "bench"))


# bench/worst.py's inputs at small sizes: (text, rows of the one model's per-layer table)
@pytest.mark.parametrize(
    ("text", "rows"),
    [
        (worst.residuals(5), 5 * 2),  # a relu and the add of each residual
        (worst.parallels(3), 3 * 3),  # two relus and their add
        (worst.templates(2, 3), 2 * 3 * 2),  # each use: 3 × (conv2d, relu)
        (worst.deep_names(3, 2), 2 ** (3 - 1) * 2),  # b2 → 2 × b1 → 2 × b0 of 2 layers
        (worst.devices(2, 7), 7),
        (worst.aliases(3, 2), 3 + 2 * 3),  # the anchored list, then once per alias
    ],
)
def test_the_worst_inputs_are_the_models_they_say(write, cli, text: str, rows: int) -> None:  # type: ignore[no-untyped-def]
    spec = write("spec.yaml", text)
    data = cli("report", str(spec), "--format", "json").json()
    assert data["exit_code"] == 0, data["problems"]
    (model,) = data["models"]
    assert len(model["layers"]) == rows


def test_the_worst_devices_input_judges_every_budget_on_every_device(write, cli) -> None:  # type: ignore[no-untyped-def]
    spec = write("spec.yaml", worst.devices(3, 4))
    data = cli("check", str(spec), "--format", "json").json()
    budgets = {"params", "macs", "size", "peak_activations", "latency", "mac_bytes"}
    assert {(v["device"], v["budget"]) for v in data["verdicts"]} == {
        (f"d{i}", budget) for i in range(3) for budget in budgets
    }


def test_the_worst_inputs_one_block_at_many_inputs_and_a_broken_file(write, cli) -> None:  # type: ignore[no-untyped-def]
    data = cli("check", str(write("spec.yaml", worst.inputs(3, 4))), "--format", "json").json()
    assert [m["input"] for m in data["models"]] == [[1, 4, 4, 1], [1, 4, 4, 2], [1, 4, 4, 3]]
    write("broken.yaml", worst.broken_architecture(5))
    data = cli("check", str(write("r.yaml", worst.broken_readers(4))), "--format", "json").json()
    assert {p["code"] for p in data["problems"]} == {"schema.unknown_key"}


def test_the_hook_row_changes_an_architecture_that_a_checked_spec_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its premise: the hook checks the changed file and a spec that reads it (its floor
    is a `check` of the specs the hook lists, found when the bench runs)."""
    from budgetlint.config import load_config
    from budgetlint.hook import specs_to_check

    monkeypatch.chdir(ROOT)
    selected = specs_to_check([Path(bench.HOOK_CHANGED)], load_config(ROOT), ROOT)
    names = {path.as_posix() for path in selected}
    assert {bench.HOOK_CHANGED, "specs/mobile.yaml"} <= names


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_render_bench_makes_what_each_command_writes(
    write, cli, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """bench/render.py's outputs are the commands' own: as long as what each writes."""
    monkeypatch.setenv("COLUMNS", "100")  # report's table as piped
    spec = write("chain.yaml", bench.chain_spec(13))
    render = _load("render")
    assert render.main([str(spec), "--runs", "1"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert [line[:15].rstrip() for line in printed] == ["run (check)", *render.CASES]
    sizes = [int(line.split("(")[1].split()[0].replace(",", "")) for line in printed[1:]]
    commands = [command.split() for command in render.CASES]
    assert sizes == [len(cli(*command, str(spec)).out) for command in commands]
