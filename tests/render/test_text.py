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


DTYPE_SPEC = """
version: 1
devices:
  edge:
    dtype: {dtype}
{activations}
models:
  m:
    input: [1, 4]
    devices: [edge]
    layers: [linear: {{out: 2}}]
"""


@pytest.mark.parametrize("output", ["text", "markdown", "html"])
@pytest.mark.parametrize(
    ("dtype", "activations", "shown"),
    [
        # bfloat16 and float16 have the same width: the name is the device's, not the width's
        ("bfloat16", None, ", on edge, bfloat16)"),
        ("bfloat16", "float16", ", on edge, bfloat16 weights, float16 activations)"),
        ("float16", "bfloat16", ", on edge, float16 weights, bfloat16 activations)"),
        ("int8", "bfloat16", ", on edge, int8 weights, bfloat16 activations)"),
        ("float16", None, ", on edge, float16)"),
        ("int8", "float32", ", on edge, int8 weights, float32 activations)"),
    ],
)
def test_a_device_dtype_is_shown_by_its_name(  # type: ignore[no-untyped-def]
    cli, write, monkeypatch, output: str, dtype: str, activations: str | None, shown: str
) -> None:
    monkeypatch.setenv("COLUMNS", "1000")  # the heading whole, not fitted to a terminal
    line = f"    activation_dtype: {activations}" if activations else ""
    spec = write("spec.yaml", DTYPE_SPEC.format(dtype=dtype, activations=line))
    run = cli("report", str(spec), "--device", "edge", "--format", output)
    assert run.code == 0, run.err
    assert shown in run.out


@pytest.mark.parametrize("output", ["text", "markdown", "html"])
def test_without_a_device_every_tensor_is_float32(  # type: ignore[no-untyped-def]
    cli, write, monkeypatch, output: str
) -> None:
    monkeypatch.setenv("COLUMNS", "1000")
    spec = write("spec.yaml", DTYPE_SPEC.format(dtype="int8", activations=""))
    run = cli("report", str(spec), "--format", output)
    assert run.code == 0, run.err
    assert ", convention default, float32)" in run.out
