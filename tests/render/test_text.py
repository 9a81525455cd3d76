"""Text tables fitted to a terminal width: columns dropped or shortened, never wrapped."""

from __future__ import annotations

import pytest

from budgetlint.render.text import ELLIPSIS, MIN_SHORTENED, table

HEADER = ["name", "kind", "value", "share"]
ROWS = [["a-long-model-name", "conv2d", "1,234,567", "12.5%"], ["b", "relu", "0", "0.0%"]]
# widths: name 17, kind 6, value 9, share 5; gaps 2 each: 17 + 6 + 9 + 5 + 3 * 2 = 43
FULL = 17 + 6 + 9 + 5 + 3 * 2


def fitted(width: int | None) -> list[str]:
    return table(HEADER, ROWS, {2, 3}, width, drop=[3], shorten=[0], drop_last=[1])


@pytest.mark.parametrize(
    ("width", "columns", "name_width"),
    [
        (None, ["name", "kind", "value", "share"], 17),
        (FULL, ["name", "kind", "value", "share"], 17),  # fits exactly: untouched
        (FULL - 1, ["name", "kind", "value"], 17),  # share dropped first: 17 + 6 + 9 + 4
        (17 + 6 + 9 + 4 - 1, ["name", "kind", "value"], 16),  # then the name shortened
        (MIN_SHORTENED + 6 + 9 + 4, ["name", "kind", "value"], MIN_SHORTENED),
        (MIN_SHORTENED + 6 + 9 + 4 - 1, ["name", "value"], 17 - (17 + 9 + 2 - 24)),
    ],
)
def test_table_fits_by_dropping_then_shortening(
    width: int | None, columns: list[str], name_width: int
) -> None:
    lines = fitted(width)
    assert lines[0].split() == columns
    assert len(lines[1].split()[0]) == name_width  # the dashes under name
    table_lines = lines[: 2 + len(ROWS)]
    if width is not None:
        assert all(len(line) <= width for line in lines)
    name = table_lines[2].split()[0]
    assert (
        name == ROWS[0][0] if name_width == 17 else name == ROWS[0][0][: name_width - 1] + ELLIPSIS
    )


def test_hidden_columns_are_named() -> None:
    lines = fitted(FULL - 1)
    assert lines[-1] == f"(not shown, to fit {FULL - 1} columns: share)"
    assert "not shown" not in "\n".join(fitted(FULL))


@pytest.mark.parametrize("width", [1, 5, 12])
def test_a_very_narrow_terminal_cuts_lines_rather_than_wrapping(width: int) -> None:
    assert all(len(line) <= width for line in fitted(width))
