"""--format json's fast paths give the bytes of the plain encoding: layer lines made from
parts shared by equal layers, names quoted by json's own escaping function, long lists
written many lines to a piece."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from budgetlint.engine.conventions import DEFAULT
from budgetlint.engine.cost import Tensor
from budgetlint.engine.evaluate import LayerReport, evaluate
from budgetlint.engine.memory import Traffic
from budgetlint.problems import Position
from budgetlint.render.json_format import (
    _LINES_AT_ONCE,
    _ONE_LINE,
    _encode,
    _layer,
    _LayerLines,
    _OnePerLine,
    _quote,
    _Tensors,
)
from budgetlint.render.layers import WITHOUT_DEVICE, LayerFigures, figures
from budgetlint.spec.expand import read_spec
from tests.conftest import ROOT

# Names that JSON writes as they are, and names it must escape (quotes, backslashes,
# control characters, non-ASCII, characters outside the BMP, a lone surrogate), and the
# `##[` that json_for_logs escapes after.
NAMES = [
    "fc",
    "layer1.0.conv1",
    "",
    "with space",
    'quote"d',
    "back\\slash",
    "\\u0000",
    "é",
    "😀",
    "\ud800",
    "\x00",
    "tab\there",
    "line\nbreak",
    "\u2028",
    "##[group]",
    "::error::x",
    "<b>`x`</b>",
]


@pytest.mark.parametrize("name", NAMES)
def test_quote_is_json_dumps(name: str) -> None:
    assert _quote(name) == json.dumps(name)


@pytest.mark.parametrize("first", NAMES)
@pytest.mark.parametrize("second", [".weight", ".é", '."', ""])
def test_quote_escapes_each_character_on_its_own(first: str, second: str) -> None:
    """What a tensor's name (the layer's, a dot, its own) is quoted from."""
    assert _quote(first + second) == _quote(first)[:-1] + _quote(second)[1:]


def _linear(name: str, line: int) -> LayerFigures:
    """A linear layer 4 → 2 (bias) on [1, 4], by hand: params 2·4 + 2, MACs 2·4."""
    layer = LayerReport(
        name=name,
        op="linear",
        position=Position("sp/a b.yaml", line, 5),
        inputs=((1, 4),),
        output=(1, 2),
        params=2 * 4 + 2,
        learnable=2 * 4 + 2,
        buffers=0,
        macs=2 * 4,
        flops=2 * 2 * 4 + 2,
        physical_flops=2 * 2 * 4 + 2,
        tensors=(Tensor("weight", "weight", (2, 4)), Tensor("bias", "bias", (2,))),
    )
    # float32: reads the input and both tensors, writes the output
    return LayerFigures(layer, Traffic((4 + 2 * 4 + 2) * 4, 2 * 4), None, same=0)


def _expected(name: str, line: int) -> dict[str, object]:
    return {
        "name": name,
        "op": "linear",
        "file": "sp/a b.yaml",
        "line": line,
        "column": 5,
        "input_shape": [1, 4],
        "input_shapes": [[1, 4]],
        "output_shape": [1, 2],
        "params": 2 * 4 + 2,
        "buffers": 0,
        "macs": 2 * 4,
        "flops": 2 * 2 * 4 + 2,
        "bytes_read": (4 + 2 * 4 + 2) * 4,
        "bytes_written": 2 * 4,
        "tensors": [
            {"name": f"{name}.weight", "role": "weight", "shape": [2, 4], "stored": True,
             "bytes": 2 * 4 * 4},
            {"name": f"{name}.bias", "role": "bias", "shape": [2], "stored": True, "bytes": 2 * 4},
        ],
    }  # fmt: skip


def test_equal_layers_lines_are_their_own_encoding() -> None:
    """Layers that share their parts (same=0), under every name: each line is the plain
    encoding of its layer, and reads back as its figures under its own name."""
    lines = _LayerLines(_Tensors(WITHOUT_DEVICE))
    for line, name in enumerate(NAMES, start=1):
        row = _linear(name, line)
        text = lines.line(row)
        assert text == _ONE_LINE.encode(_layer(row, _Tensors(WITHOUT_DEVICE)))
        assert json.loads(text) == _expected(name, line)
    assert list(lines.known) == [0]  # the shared part made once


def _figures_of_every_zoo_model() -> list[tuple[str, str]]:
    cases = [(str(path.relative_to(ROOT)), "") for path in sorted(ROOT.glob("specs/zoo/*.yaml"))]
    # devices: a roofline and int8 (edge), a quantization with overrides (phone-llm)
    cases += [("specs/edge.yaml", "orin-int8"), ("specs/edge.yaml", "pi4")]
    cases += [("specs/phone-llm.yaml", "phone")]
    return cases


@pytest.mark.parametrize(("spec", "device"), _figures_of_every_zoo_model())
def test_every_zoo_layer_line_is_its_plain_encoding(spec: str, device: str) -> None:
    read, problems = read_spec(ROOT / spec)
    assert read is not None and not problems
    for model in read.models:
        report = evaluate(model.architecture, DEFAULT)
        seen = figures(report, read.devices[device] if device else None)
        lines = _LayerLines(_Tensors(seen.precision))
        for row in seen.layers:
            expected = _ONE_LINE.encode(_layer(row, _Tensors(seen.precision)))
            assert lines.line(row) == expected, row.layer.name


@pytest.mark.parametrize(
    "count", [0, 1, _LINES_AT_ONCE, _LINES_AT_ONCE + 1, 2 * _LINES_AT_ONCE + 7]
)
def test_a_long_list_is_one_item_a_line(count: int) -> None:
    items = [{"index": index, "name": f"n{index}"} for index in range(count)]
    text = "".join(_encode(_OnePerLine(iter(items)), 1))
    inner = ",\n    ".join(json.dumps(item, separators=(", ", ": ")) for item in items)
    assert text == (f"[\n    {inner}\n  ]" if items else "[]")
    assert json.loads(text) == items


SHARED_NAMES = """
version: 1
input: [1, 4, 4, 4]
layers:
  - repeat:
      times: 3
      body:
        - name: "c\\"o\\\\nv é😀\\u2028##[x"
          conv2d: {out: 4, kernel: 1}
        - name: "::error::r\\x00"
          relu:
"""
CONV, RELU = 'c"o\\nv é😀\u2028##[x', "::error::r\x00"


def test_unusual_names_of_equal_layers_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli
) -> None:  # type: ignore[no-untyped-def]
    """Three equal turns of a conv 4 → 4 (kernel 1, bias) and a relu on [1, 4, 4, 4]."""
    monkeypatch.chdir(tmp_path)
    Path("names.yaml").write_text(SHARED_NAMES.lstrip("\n"), encoding="utf-8")
    lines = SHARED_NAMES.lstrip("\n").splitlines()
    at = {
        op: (number, text.index("name:") + 1)
        for op in ("conv2d", "relu")
        for number, text in enumerate(lines, start=1)
        if number < len(lines) and f"  {op}:" in lines[number]  # the line after the name
    }
    elements = 4 * 4 * 4
    shape = [1, 4, 4, 4]
    expected = []
    for turn in range(3):
        conv, relu = f"layers.0.{turn}.{CONV}", f"layers.0.{turn}.{RELU}"
        expected += [
            {
                "name": conv, "op": "conv2d", "file": "names.yaml",
                "line": at["conv2d"][0], "column": at["conv2d"][1],
                "input_shape": shape, "input_shapes": [shape], "output_shape": shape,
                "params": 4 * 4 + 4, "buffers": 0, "macs": elements * 4,
                "flops": 2 * elements * 4 + elements,  # a multiply and an add per MAC, the bias
                "bytes_read": (elements + 4 * 4 + 4) * 4, "bytes_written": elements * 4,
                "tensors": [
                    {"name": f"{conv}.weight", "role": "weight", "shape": [4, 4, 1, 1],
                     "stored": True, "bytes": 4 * 4 * 4},
                    {"name": f"{conv}.bias", "role": "bias", "shape": [4], "stored": True,
                     "bytes": 4 * 4},
                ],
            },
            {
                "name": relu, "op": "relu", "file": "names.yaml",
                "line": at["relu"][0], "column": at["relu"][1],
                "input_shape": shape, "input_shapes": [shape], "output_shape": shape,
                "params": 0, "buffers": 0, "macs": 0, "flops": elements,
                "bytes_read": elements * 4, "bytes_written": elements * 4, "tensors": [],
            },
        ]  # fmt: skip
    run = cli("report", "names.yaml", "--format", "json")
    assert run.code == 0, run.err
    assert run.json()["models"][0]["layers"] == expected
    assert "##[" not in run.out  # json_for_logs: written #\u0023[, read back as ##[
