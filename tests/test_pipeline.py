"""The stages put together: which files are models, and what could not be checked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from budgetlint.pipeline import architectures_of_others, run
from budgetlint.spec.expand import Spec
from tests.conftest import ROOT


def _spec(path: str, *reads: str) -> Spec:
    return Spec(path, "default", {}, (), (path, *reads))


def _keys(*names: str) -> set[str]:
    return {os.path.normpath(os.path.abspath(name)) for name in names}


@pytest.mark.parametrize(
    ("specs", "parts"),
    [
        # a budget spec reads an architecture: the architecture is its part
        ([_spec("b.yaml", "zoo/a.yaml"), _spec("zoo/a.yaml")], {"zoo/a.yaml"}),
        # through include: a device library
        ([_spec("b.yaml", "devices/d.yaml"), _spec("devices/d.yaml")], {"devices/d.yaml"}),
        # read through another architecture (nested arch:)
        (
            [_spec("b.yaml", "a.yaml", "c.yaml"), _spec("a.yaml", "c.yaml"), _spec("c.yaml")],
            {"a.yaml", "c.yaml"},
        ),
        # nobody reads it: a model of its own
        ([_spec("b.yaml"), _spec("zoo/a.yaml")], set()),
        # two files that read each other are both kept: nothing vanishes
        ([_spec("a.yaml", "b.yaml"), _spec("b.yaml", "a.yaml")], set()),
    ],
)
def test_architectures_of_others(specs: list[Spec], parts: set[str]) -> None:
    assert architectures_of_others(specs) == _keys(*parts)


def _declared_models(folder: Path) -> list[tuple[str, str]]:
    """(spec, model) for every model a budget spec under `folder` declares, read with plain
    PyYAML: what the shipped layout holds, independent of budgetlint."""
    found = []
    for path in sorted([*folder.rglob("*.yaml"), *folder.rglob("*.yml")]):
        data = yaml.safe_load(path.read_text())
        for name in data.get("models", {}):
            found.append((path.relative_to(ROOT).as_posix(), name))
    return found


def test_shipped_layout_lists_each_declared_model_once(
    cli, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Architectures under specs/ are read by the budget specs, not models again (point 4)."""
    monkeypatch.chdir(ROOT)
    declared = _declared_models(ROOT / "specs")
    assert len(declared) == len(set(declared)) > 0
    for args in (["check"], ["check", "--base", "HEAD"], ["diff", "HEAD"]):
        data = cli(*args, "--format", "json").json()
        listed = [(model["spec"], model["name"]) for model in data["models"]]
        assert sorted(listed) == sorted(declared), args
    text = cli("check").out
    names = {name for _, name in declared}
    assert text.splitlines()[-1].endswith(f"on {len(names)} models: all hold")


def test_a_file_given_alone_is_a_model(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    data = cli("check", "specs/zoo/lenet.yaml", "--format", "json").json()
    assert [model["name"] for model in data["models"]] == ["lenet"]
    # beside a spec that reads it, it is that spec's architecture only
    data = cli("check", "specs/zoo/lenet.yaml", "specs/mobile.yaml", "--format", "json").json()
    assert [m["spec"] for m in data["models"] if m["name"] == "lenet"] == ["specs/mobile.yaml"]


def test_a_broken_architecture_read_by_two_specs_is_one_problem(write, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    arch = write("zoo/a.yaml", "version: 1\ninput: [1, 4]\nlayers: [linaer: {out: 2}]\n")
    for name in ("one", "two"):
        write(
            f"{name}.yaml",
            f"""
            version: 1
            devices: {{d: {{budgets: {{params: 1M}}}}}}
            models: {{{name}: {{arch: zoo/a.yaml, devices: [d]}}}}
            """,
        )
    monkeypatch.chdir(arch.parent.parent)
    result = run([Path("one.yaml"), Path("two.yaml"), Path("zoo/a.yaml")])
    assert [str(p.position) for p in result.problems] == ["zoo/a.yaml:3:10"]
    assert result.exit_code == 2
