"""budgetlint's Python API: check() and evaluate() give what the command line gives."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import budgetlint
from budgetlint.api import TEXT_PATH

ROOT = Path(__file__).resolve().parents[1]

LENET_TEXT = """\
version: 1
input: [1, 3, 32, 32]
layers:
  - conv2d: {out: 8, kernel: 3}
  - relu
  - flatten
  - linear: {out: 10}
"""
# conv: 8·3·3·3 weights + 8 biases; 8·30·30 outputs of 3·3·3 MACs each.
# linear: 7200·10 weights + 10 biases, 7200·10 MACs.
LENET_TEXT_PARAMS = 8 * 3 * 3 * 3 + 8 + 8 * 30 * 30 * 10 + 10
LENET_TEXT_MACS = 8 * 30 * 30 * 27 + 8 * 30 * 30 * 10


@pytest.mark.parametrize(
    "args",
    [
        ["specs/mobile.yaml"],
        ["specs/edge.yaml", "specs/mobile.yaml"],
        ["specs/zoo/resnet18.yaml"],
    ],
)
def test_check_to_dict_is_the_json_document(args: list[str], cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    run = cli("check", *args, "--format", "json")
    result = budgetlint.check(args)
    assert result.to_dict() == json.loads(run.out)
    assert result.exit_code == run.code


def test_check_over_budget(tmp_path: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "net.yaml").write_text(
        "version: 1\ndevices:\n  tiny: {budgets: {params: 1000}}\n"
        "models:\n  net:\n    devices: [tiny]\n    input: [1, 3, 32, 32]\n"
        "    layers:\n      - conv2d: {out: 8, kernel: 3}\n      - flatten\n"
        "      - linear: {out: 10}\n"
    )
    run = cli("check", "net.yaml", "--format", "json")
    result = budgetlint.check(["net.yaml"])
    assert (result.exit_code, run.code) == (1, 1)
    assert result.to_dict() == json.loads(run.out)
    [verdict] = result.verdicts
    assert (verdict.value, verdict.limit, verdict.ok) == (LENET_TEXT_PARAMS, 1000, False)


def test_check_with_a_convention(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    run = cli("check", "specs/mobile.yaml", "--format", "json", "--convention", "thop")
    assert budgetlint.check("specs/mobile.yaml", convention="thop").to_dict() == json.loads(run.out)


def test_check_without_paths_reads_the_configuration(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    run = cli("check", "--format", "json")
    assert budgetlint.check().to_dict() == json.loads(run.out)


def test_each_evaluated_model_is_its_entry_of_the_document(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    document = json.loads(cli("check", "specs/mobile.yaml", "--format", "json").out)
    models = budgetlint.evaluate("specs/mobile.yaml", convention=None)
    assert [model.to_dict() for model in models] == document["models"]
    assert [model.name for model in models] == [entry["name"] for entry in document["models"]]


def test_evaluate_text(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    [model] = budgetlint.evaluate(text=LENET_TEXT)
    assert (model.params, model.macs) == (LENET_TEXT_PARAMS, LENET_TEXT_MACS)
    entry = model.to_dict()
    assert entry["spec"] == TEXT_PATH
    assert entry["layers"][0]["file"] == TEXT_PATH


def test_evaluate_text_equals_the_same_file(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "net.yaml").write_text(LENET_TEXT)
    [from_file] = budgetlint.evaluate("net.yaml")
    [from_text] = budgetlint.evaluate(text=LENET_TEXT)
    assert (from_file.params, from_file.macs, from_file.flops) == (
        from_text.params,
        from_text.macs,
        from_text.flops,
    )


def test_evaluate_input_overrides_the_shape(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    [model] = budgetlint.evaluate(text=LENET_TEXT, input=[1, 3, 16, 16])
    # 14·14 conv outputs: 8·14·14·27 MACs; then 8·14·14 = 1568 features into the linear.
    assert model.macs == 8 * 14 * 14 * 27 + 8 * 14 * 14 * 10
    assert model.params == 8 * 3 * 3 * 3 + 8 + 8 * 14 * 14 * 10 + 10


CONV_OUTPUTS = 8 * 30 * 30


@pytest.mark.parametrize(
    ("convention", "flops"),
    [
        # two FLOPs per MAC, one per bias add (conv, linear) and one per relu output
        ("default", 2 * LENET_TEXT_MACS + CONV_OUTPUTS + 10 + CONV_OUTPUTS),
        ("thop", LENET_TEXT_MACS),  # thop's figure is MACs
        # paddle.flops: conv (Cin·Kh·Kw + bias)·Cout·Hout·Wout, linear in·out, relu free
        ("paddle", LENET_TEXT_MACS + CONV_OUTPUTS),
    ],
)
def test_evaluate_under_a_convention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, convention: str, flops: int
) -> None:
    monkeypatch.chdir(tmp_path)
    [model] = budgetlint.evaluate(text=LENET_TEXT, convention=convention)
    assert model.report.convention == convention
    assert (model.macs, model.flops) == (LENET_TEXT_MACS, flops)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("version: 1\ninput: [1, 8]\nlayers: [conv9d]\n", f"{TEXT_PATH}:3:10: "),
        ("version: 1\nlayers: [relu]\n", f"{TEXT_PATH}:1:1: "),
        ("version: 1\ninput: [1, 8]\narch: /etc/passwd\n", f"{TEXT_PATH}:3:1: "),
    ],
)
def test_a_spec_with_problems_raises_them_positioned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, line: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(budgetlint.SpecProblems) as raised:
        budgetlint.evaluate(text=text)
    assert raised.value.problems
    assert str(raised.value).startswith(line)


def test_text_refers_to_files_inside_the_working_tree_only(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    outside = tmp_path / "outside.yaml"
    outside.write_text(LENET_TEXT)
    inside = tmp_path / "repo"
    (inside / ".git").mkdir(parents=True)
    monkeypatch.chdir(inside)
    text = "version: 1\nmodels:\n  net:\n    arch: ../outside.yaml\n    devices: []\n"
    with pytest.raises(budgetlint.SpecProblems) as raised:
        budgetlint.evaluate(text=text)
    assert [problem.code for problem in raised.value.problems] == ["file.outside_repo"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"path": "a.yaml", "text": "version: 1"},
        {"text": LENET_TEXT, "convention": "nope"},
        {"text": LENET_TEXT, "input": []},
        {"text": LENET_TEXT, "input": [1, 0, 3]},
    ],
)
def test_arguments_that_make_no_sense_are_value_errors(kwargs) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        budgetlint.evaluate(**kwargs)


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name in dir(budgetlint)
        if not name.startswith("_") and not isinstance(getattr(budgetlint, name), types.ModuleType)
    }
    assert public == set(budgetlint.__all__)
    for name in budgetlint.__all__:
        assert getattr(budgetlint, name) is getattr(budgetlint.api, name)


def test_import_budgetlint_imports_nothing_else() -> None:
    code = (
        "import sys, budgetlint; "
        "print(sorted(m for m in sys.modules if m.startswith('budgetlint')))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "['budgetlint']"


def _readme_example() -> tuple[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python API", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, flags=re.DOTALL)
    code = next(body for kind, body in blocks if kind == "python")
    printed = next(body for kind, body in blocks if kind == "text")
    return code, printed


def test_the_readme_example_prints_what_the_readme_says() -> None:
    code, printed = _readme_example()
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout == printed
