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


# ---- one reading per file and run (issue 11): the hook's changed architecture is also
# a part of the spec that reads it

ARCH = "version: 1\ninput: [1, 4]\nlayers: [linear: {out: 2}]\n"
DEVICES = "version: 1\ndevices:\n  mcu: {budgets: {params: 1M}}\n"
# what each file of a run is, as a reader, an architecture or both
FORMS: dict[str, str] = {
    "an architecture": ARCH,
    "a budget spec": DEVICES + "models:\n  m: {arch: arch.yaml, devices: [mcu]}\n",
    "models and layers": DEVICES.replace("version: 1\n", "version: 1\ninput: [1, 4]\n")
    + "layers: [linear: {out: 3}]\nmodels:\n  m: {arch: arch.yaml, devices: [mcu]}\n",
    "a broken file model": "version: 1\ninput: [1, 4]\nlayers: [nosuchop]\n",
    "an empty file": "version: 1\n",
    "no YAML": "a: [\n",
    "missing blocks": "version: 1\nuse: nowhere.yaml\nlayers: [linear: {out: 2}]\n",
}


@pytest.mark.parametrize("form", list(FORMS))
def test_one_reading_gives_both_forms_of_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    from budgetlint.spec.expand import read_forms, read_spec

    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / "arch.yaml").write_text(ARCH)
    path = tmp_path / "file.yaml"
    path.write_text(FORMS[form])
    own, as_part = read_forms(path)
    assert own == read_spec(path)
    assert as_part == read_spec(path, file_architecture=False)
    assert read_forms(path, file_architecture=False) == (as_part, as_part)


def test_the_shipped_specs_read_once_give_both_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    from budgetlint.spec.expand import read_forms, read_spec

    monkeypatch.chdir(ROOT)
    documents: dict[str, object] = {}
    for path in sorted((ROOT / "specs").rglob("*.yaml")):
        own, as_part = read_forms(path, documents=documents)  # type: ignore[arg-type]
        assert (own, as_part) == (read_spec(path), read_spec(path, file_architecture=False))


def test_a_file_that_is_both_checked_and_read_is_loaded_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`budgetlint hook arch.yaml`: the changed architecture and the spec that reads it are
    both checked; the architecture is loaded and validated once, not once as a file of its
    own, once as the spec's architecture and once more as that spec's part."""
    from budgetlint.spec import files

    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / "arch.yaml").write_text(ARCH)
    (tmp_path / "devices.yaml").write_text(DEVICES)
    budgets = (
        "version: 1\ninclude: [devices.yaml]\nmodels:\n  m: {arch: arch.yaml, devices: [mcu]}\n"
    )
    (tmp_path / "budgets.yaml").write_text(budgets)
    (tmp_path / "other.yaml").write_text(budgets.replace("m:", "n:"))
    loaded: list[str] = []
    real_load, real_validate = files.load_document, files.validate
    validated: list[str] = []

    def load(path: Path, *args: object) -> object:
        loaded.append(Path(path).name)
        return real_load(path, *args)  # type: ignore[arg-type]

    def validate(document: object) -> object:
        validated.append(Path(document.path).name)  # type: ignore[attr-defined]
        return real_validate(document)  # type: ignore[arg-type]

    monkeypatch.setattr(files, "load_document", load)
    monkeypatch.setattr(files, "validate", validate)
    names = ["arch.yaml", "budgets.yaml", "other.yaml"]
    result = run([Path(name) for name in names], architectures=False)
    assert (
        sorted(loaded)
        == sorted(validated)
        == ["arch.yaml", "budgets.yaml", "devices.yaml", "other.yaml"]
    )
    assert result.files == tuple(names)
    assert [model.report.name for model in result.models] == ["m", "n"]
    assert not result.problems
