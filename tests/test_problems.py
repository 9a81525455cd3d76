"""one_line: text from YAML on one line that no CI log reads as a command, whether it
needs a change (the full path) or not (the text as it is, after one search)."""

from __future__ import annotations

import pytest

from budgetlint.problems import one_line

ARABIC_INDIC = "".join(chr(0x0660 + digit % 10) for digit in range(25))  # \d matches them too

CASES = [
    # text that needs no change: returned as it is
    ("conv1", "conv1"),
    ("", ""),
    ("layer1.0.downsample.0", "layer1.0.downsample.0"),
    ("é 😀 <b>`x`</b>", "é 😀 <b>`x`</b>"),
    ("::error::x", "::error::x"),  # a leading `::` is log_line's to escape, not one_line's
    ("#[ ## #", "#[ ## #"),
    ("tab\there", "tab\there"),  # a tab breaks no line
    ("1" * 24, "1" * 24),
    ("1,234,567,890,123,456,789,012,345", "1,234,567,890,123,456,789,012,345"),
    # text that needs one: every line break str.splitlines() sees, the marker, long numbers
    ("a\nb", "a\\nb"),
    ("a\r\nb", "a\\r\\nb"),
    ("\v\f\x1c\x1d\x1e", "\\x0b\\x0c\\x1c\\x1d\\x1e"),
    ("\x85", "\\x85"),
    ("\u2028\u2029", "\\u2028\\u2029"),
    ("r##[x", "r%23%23[x"),
    ("##[group]##[", "%23%23[group]%23%23["),
    ("1" * 25, "111111…111 (25 digits)"),
    ("n" + "9" * 30 + "\n", "n999999…999 (30 digits)\\n"),
    (ARABIC_INDIC, f"{ARABIC_INDIC[:6]}…{ARABIC_INDIC[-3:]} (25 digits)"),
]


@pytest.mark.parametrize(("text", "shown"), CASES)
def test_one_line(text: str, shown: str) -> None:
    assert one_line(text) == shown
    assert one_line(shown) == shown  # what it shows needs no change again
    assert len(shown.splitlines()) <= 1
