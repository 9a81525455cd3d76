"""Schema problems: one per location, at the YAML line and column of the bad value, in
file order; a value like a valid one (equal in Python, or the same text elsewhere) is
reported where it is written."""

from __future__ import annotations

import pytest

from budgetlint.spec.load import parse_document
from budgetlint.spec.validate import validate

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
