"""Schema problems: one per location, at the YAML line and column of the bad value, in
file order; a value like a valid one (equal in Python, or the same text elsewhere) is
reported where it is written."""

from __future__ import annotations

from typing import Any

import pytest

from budgetlint.problems import SpecError
from budgetlint.spec import validate as validating
from budgetlint.spec.load import load_document, parse_document
from budgetlint.spec.validate import validate
from tests.conftest import ROOT

HEAD = "version: 1\ninput: [1, 4]\nlayers:\n"


def _column(line: str, value: str) -> int:
    return line.index(value) + 1


# (the layer lines after HEAD, the bad values as (line index, text)), code schema.type
CASES = [
    (["  - linear: {out: 4}", "  - linear: {out: true}"], [(1, "true")]),
    (["  - linear: {out: 1}", "  - linear: {out: 1.5}"], [(1, "1.5")]),
    (["  - relu", "  - relu: 3"], [(1, "3")]),
    (
        ["  - linear: {out: true}", "  - relu", "  - linear: {out: true}"],
        [(0, "true"), (2, "true")],
    ),
    (
        [
            "  - repeat: {times: 2, body: [linear: {out: 4}]}",
            "  - repeat: {times: 2, body: [linear: {out: yes}]}",
        ],
        [(1, "yes")],
    ),
]


@pytest.mark.parametrize(("lines", "bad"), CASES)
def test_a_bad_value_is_reported_where_it_is_written(
    lines: list[str], bad: list[tuple[int, str]]
) -> None:
    document = parse_document(HEAD + "\n".join(lines) + "\n", "s.yaml")
    first = HEAD.count("\n") + 1
    found = [(p.position.line, p.position.column, p.code) for p in validate(document)]
    assert found == [
        (first + index, _column(lines[index], text), "schema.type") for index, text in bad
    ]


def test_a_valid_document_checked_again_after_an_invalid_alike_is_still_valid() -> None:
    valid = parse_document(HEAD + "  - linear: {out: 1}\n", "a.yaml")
    invalid = parse_document(HEAD + "  - linear: {out: true}\n", "b.yaml")
    assert [len(validate(d)) for d in (valid, invalid, valid, invalid)] == [0, 1, 0, 1]


@pytest.mark.parametrize("value", ["[1]", "{v: 1}", "[]"])
def test_a_version_that_is_a_list_or_a_mapping_is_a_positioned_problem(value: str) -> None:
    """It once raised inside the compiled predicate (an internal error, exit 2)."""
    line = f"version: {value}"
    document = parse_document(f"{line}\nlayers: [relu]\n", "s.yaml")
    problems = validate(document)
    assert [(p.position.line, p.position.column, p.code) for p in problems] == [
        (1, _column(line, value), "schema.const")
    ]


def _layers(count: int, bad: dict[int, str]) -> str:
    lines = [
        bad.get(index, "  - linear: {out: 4}" if index % 2 else "  - relu")
        for index in range(count)
    ]
    return HEAD + "\n".join(lines) + "\n"


EXAMPLES = sorted((ROOT / "tests" / "examples").rglob("*.yaml"))
TEXTS = [
    _layers(300, {0: "  - relu: 3", 150: "  - linear: {out: true}", 299: "  - linear: {outs: 4}"}),
    _layers(40, {7: "  - repeat: {times: 2, body: [relu, linear: {out: 0}, {relu: 1}]}"}),
    _layers(40, {9: "  - parallel: {branches: [[relu], [linear: {out: x}]], merge: sum}"}),
    "version: 1\nblocks:\n  b: {layers: [relu, relu: 2]}\n"
    "models:\n  m: {input: [1, 0], layers: [b, 3]}\n",
]


def _loaded() -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = [(f"text{index}", text) for index, text in enumerate(TEXTS)]
    for path in EXAMPLES:
        try:
            found.append((path.name, load_document(path)))
        except SpecError:
            continue
    return found


@pytest.mark.parametrize(("name", "source"), _loaded(), ids=lambda item: str(item)[:40])
def test_the_shortcuts_report_what_jsonschema_alone_reports(
    name: str, source: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asking the compiled predicates first (a valid `$ref`, a valid item of a list of
    `$ref`s) changes no problem, message, position or order."""
    document = parse_document(source, name) if isinstance(source, str) else source
    shortcut = validate(document)
    monkeypatch.setattr(validating, "_compiled", lambda: lambda reference: lambda value: False)
    validating._validator.cache_clear()
    try:
        plain = validate(document)
    finally:
        validating._validator.cache_clear()
    assert shortcut == plain
    if name.startswith("text"):  # each written with bad values
        assert shortcut


def _calls_into_jsonschema(document: Any) -> int:
    import sys

    count = 0

    def profile(frame: Any, event: str, argument: Any) -> None:
        nonlocal count
        if event == "call" and "/jsonschema/" in frame.f_code.co_filename.replace("\\", "/"):
            count += 1

    sys.setprofile(profile)
    try:
        assert validate(document)
    finally:
        sys.setprofile(None)
    return count


def test_one_bad_layer_among_many_costs_jsonschema_that_layer_only() -> None:
    """jsonschema explains the bad layer; the valid ones around it are not walked."""

    def spec(count: int) -> Any:
        return parse_document(_layers(count, {count // 2: "  - linear: {out: true}"}), "s.yaml")

    validate(spec(10))  # jsonschema's imports and the validator, once
    assert _calls_into_jsonschema(spec(2_000)) == _calls_into_jsonschema(spec(1_000))
