"""Text tables fitted to a terminal width: columns dropped or shortened, never wrapped."""

from __future__ import annotations

import re

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


ROOFLINE_SPEC = """
version: 1
devices:
  edge:
    compute: {float32: 100GFLOPS}
    bandwidth: 10GB/s
models:
  m:
    input: [64, 256]
    devices: [edge]
    layers:
      - linear: {out: 256}
      - relu
      - flatten
      - linear: {out: 8}
"""


def _columns(lines: list[str], header: str) -> dict[str, list[str]]:
    """The cells of each column of the table whose header line starts with `header`,
    cut at the extents its dashed line gives, padding kept."""
    top = next(i for i, line in enumerate(lines) if line.startswith(header))
    extents = [match.span() for match in re.finditer(r"-+", lines[top + 1])]
    names = [lines[top][start:end].strip() for start, end in extents]
    body = lines[top + 2 : lines.index("", top) if "" in lines[top:] else None]
    body = [row for row in body if not row.startswith(("memory access", "stored", "training"))]
    return {
        name: [row.ljust(end)[start:end] for row in body]
        for name, (start, end) in zip(names, extents, strict=True)
    }


def test_report_device_aligns_bound_left_and_intensity_right(cli, write, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Bound is a word (compute, memory, `-` for a view), FLOP/byte a number: the bug was
    `numeric - {11}`, which right-aligned the wrong one of the two."""
    monkeypatch.setenv("COLUMNS", "1000")
    spec = write("spec.yaml", ROOFLINE_SPEC)
    run = cli("report", str(spec), "--device", "edge", "--all")
    assert run.code == 0, run.err
    columns = _columns(run.out.splitlines(), "Layer")
    # linear 64x256 -> 256: 21.3 FLOP/byte, past the ridge (100G / 10G = 10): compute-bound
    assert [cell.strip() for cell in columns["Bound"]] == ["compute", "memory", "-", "memory", ""]
    assert all(cell == cell.strip().ljust(len(cell)) for cell in columns["Bound"])
    assert all(cell == cell.strip().rjust(len(cell)) for cell in columns["FLOP/byte"])
    assert len({len(cell.strip()) for cell in columns["FLOP/byte"]}) > 1  # alignment shows
