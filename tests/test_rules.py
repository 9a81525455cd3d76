"""The registry of problem codes (budgetlint/rules.py): each code has a description and a
README section that exists, and no control flow compares a code's text."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from budgetlint.rules import FILE_CODES, FILE_MISSING, RULES, WARNING_CODES, anchor
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
HEADINGS = re.findall(r"^#{2,4} (.+)$", README, re.M)


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Bad input", "bad-input"),
        ("Quantized weights, KV cache and memory", "quantized-weights-kv-cache-and-memory"),
        ("Verify in CI", "verify-in-ci"),
        ("Deltas against a base", "deltas-against-a-base"),
    ],
)
def test_anchor_is_githubs(heading: str, expected: str) -> None:
    assert anchor(heading) == expected


@pytest.mark.parametrize("rule", RULES.values(), ids=RULES)
def test_every_code_is_explained_in_a_readme_section(rule) -> None:  # type: ignore[no-untyped-def]
    assert rule.section in HEADINGS
    assert rule.description.endswith(".") and "\n" not in rule.description


def test_named_sets_of_codes_are_rows() -> None:
    assert FILE_CODES | WARNING_CODES | {FILE_MISSING} <= set(RULES)


def _is_code(node: ast.expr) -> bool:
    """`problem.code`, `code`, `error.problems[0].code`: a problem code's text."""
    return (isinstance(node, ast.Attribute) and node.attr == "code") or (
        isinstance(node, ast.Name) and node.id == "code"
    )


def _is_text(node: ast.expr) -> bool:
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_is_text(item) for item in node.elts)
    return isinstance(node, (ast.Constant, ast.JoinedStr)) and not isinstance(
        getattr(node, "value", ""), (int, float, type(None))
    )


def code_comparisons(source: str) -> list[int]:
    """Lines that compare a problem code with literal text, or test its prefix or suffix."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(map(_is_code, operands)) and any(map(_is_text, operands)):
                lines.append(node.lineno)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("startswith", "endswith")
            and _is_code(node.func.value)
        ):
            lines.append(node.lineno)
    return lines


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ('if problem.code == "file.missing": pass', [1]),
        ('x = error.problems[0].code in ("layer.too_many", "b")', [1]),
        ('ok = problem.code.startswith("file.")', [1]),
        ('ok = code != f"schema.{keyword}"', [1]),
        ("ok = problem.code in FILE_CODES", []),  # a registry's set: what we want
        ("ok = done.returncode == 0", []),
    ],
)
def test_code_comparisons_are_found(source: str, found: list[int]) -> None:
    assert code_comparisons(source) == found


def test_no_control_flow_compares_code_text() -> None:
    package = ROOT / "budgetlint"
    compared = {
        f"{path.relative_to(ROOT)}:{line}"
        for path in package.rglob("*.py")
        for line in code_comparisons(Path(path).read_text(encoding="utf-8"))
    }
    assert not compared, "compare with a set or constant of budgetlint/rules.py instead"
