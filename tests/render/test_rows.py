"""report's rows: folded to the spec's nesting, drawn as a tree, zero-cost rows hidden."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

from budgetlint.cli import Format, SortKey
from budgetlint.engine.conventions import DEFAULT
from budgetlint.engine.evaluate import evaluate
from budgetlint.render import rows
from budgetlint.render.formats import FORMATS
from budgetlint.render.layers import LayerFigures, ModelFigures, figures
from budgetlint.render.measures import MEASURES, ORDER, SORT_KEYS
from budgetlint.render.rows import COLUMNS, Row, table
from budgetlint.spec.expand import read_spec
from tests.conftest import ROOT

# conv 3x3 (4 → 8 channels, bias) on 8x8 keeps 8x8; a residual around conv+relu, identity.
SMALL = """
version: 1
input: [1, 4, 8, 8]
blocks:
  conv_relu:
    params: {out: ~}
    layers:
      - conv2d: {out: "${out}", kernel: 3, padding: 1}
      - relu
layers:
  - name: stem
    conv_relu: {out: 8}
  - name: body
    residual:
      body: [conv_relu: {out: 8}, identity]
  - flatten
  - name: head
    linear: {out: 10}
"""
HW = 8 * 8
STEM_CONV = (8 * 4 * 3 * 3 + 8, 8 * HW * 4 * 3 * 3)  # (params, MACs)
BODY_CONV = (8 * 8 * 3 * 3 + 8, 8 * HW * 8 * 3 * 3)
HEAD = (8 * HW * 10 + 10, 8 * HW * 10)


@pytest.fixture
def small(write) -> Path:  # type: ignore[no-untyped-def]
    path: Path = write("small.yaml", SMALL)
    return path


def _json_rows(cli, path: Path, *args: str) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    run = cli("report", str(path), "--format", "json", *args)
    assert run.code == 0, run.err
    rows: list[dict] = run.json()["models"][0]["rows"]  # type: ignore[type-arg]
    return rows


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("--depth", "1"),
            [
                ("stem", "conv_relu", *STEM_CONV),
                ("body", "residual", *BODY_CONV),
                ("head", "linear", *HEAD),
            ],
        ),
        (
            ("--depth", "2"),
            [
                ("stem.0", "conv2d", *STEM_CONV),
                ("stem.1", "relu", 0, 0),
                ("body.body.0", "conv_relu", *BODY_CONV),
                ("body.add", "add", 0, 0),
                ("head", "linear", *HEAD),
            ],
        ),
        (
            ("--depth", "2", "--all"),
            [
                ("stem.0", "conv2d", *STEM_CONV),
                ("stem.1", "relu", 0, 0),
                ("body.body.0", "conv_relu", *BODY_CONV),
                ("body.body.1", "identity", 0, 0),
                ("body.add", "add", 0, 0),
                ("flatten", "flatten", 0, 0),  # an unnamed top-level layer is named by its path
                ("head", "linear", *HEAD),
            ],
        ),
    ],
)
def test_folded_rows_by_hand(cli, small: Path, args: tuple[str, ...], expected: list) -> None:  # type: ignore[no-untyped-def,type-arg]
    rows = _json_rows(cli, small, *args)
    got = [(row["name"], row["op"], row["params"], row["macs"]) for row in rows]
    expected = [
        (name.replace("flatten", "layers.2") if op == "flatten" else name, op, p, m)
        for name, op, p, m in expected
    ]
    assert got == expected


def test_hidden_rows_are_the_ones_that_cost_nothing(cli, small: Path) -> None:  # type: ignore[no-untyped-def]
    # relu and add cost FLOPs and move bytes, so they stay; identity and flatten move nothing.
    shown = {row["name"] for row in _json_rows(cli, small)}
    everything = {row["name"] for row in _json_rows(cli, small, "--all")}
    assert everything - shown == {"body.body.1", "layers.2"}
    text = cli("report", str(small)).out
    assert "2 rows with no params, MACs, FLOPs or bytes moved hidden (--all shows)" in text
    assert "--all shows" not in cli("report", str(small), "--all").out


def test_tree_is_drawn_under_each_group(cli, small: Path) -> None:  # type: ignore[no-untyped-def]
    lines = cli("report", str(small), "--tree").out.splitlines()
    width = len(lines[2].split()[0])  # the dashes under the Layer column
    end = next(index for index, line in enumerate(lines) if line.startswith("total"))
    names = [line[:width].rstrip() for line in lines[3:end]]
    assert names == [
        "stem",
        "├─ stem.0",
        "└─ stem.1",
        "body",
        "├─ body.body.0",
        "│  ├─ body.body.0.0",
        "│  └─ body.body.0.1",
        "└─ body.add",
        "head",
    ]
    rows = _json_rows(cli, small, "--tree")
    assert [row["level"] for row in rows] == [0, 1, 1, 0, 1, 2, 2, 1, 0]
    assert [row["kind"] for row in rows].count("group") == 3


def test_tree_to_a_depth_folds_its_deepest_level(cli, small: Path) -> None:  # type: ignore[no-untyped-def]
    rows = _json_rows(cli, small, "--tree", "--depth", "2")
    assert [(row["name"], row["level"]) for row in rows] == [
        ("stem", 0),
        ("stem.0", 1),
        ("stem.1", 1),
        ("body", 0),
        ("body.body.0", 1),
        ("body.add", 1),
        ("head", 0),
    ]


def _zoo_and_depths() -> list[tuple[str, int | None]]:
    return [
        (path.name, depth)
        for path in sorted((ROOT / "specs" / "zoo").glob("*.yaml"))
        for depth in (1, 2, 3, None)
    ]


SUMMED = ("params", "macs", "flops", "physical_flops", "read", "written")


@pytest.mark.parametrize(("name", "depth"), _zoo_and_depths())
def test_subtotals_sum_exactly_to_the_totals(name: str, depth: int | None) -> None:
    spec, problems = read_spec(ROOT / "specs" / "zoo" / name)
    assert spec is not None and not problems
    report = evaluate(spec.models[0].architecture, DEFAULT)
    seen = figures(report, None)
    for tree in (False, True):
        shown = table(seen, depth=depth, tree=tree, show_all=True)
        top = [row for row in shown.rows if row.level == 0 or not tree]
        layers = [figure for row in top for figure in row.layers]
        assert [f.layer for f in layers] == list(report.layers)  # each layer in exactly one row
        for key in SUMMED:
            assert sum(getattr(row, key) for row in top) == getattr(shown.total, key), key
        assert shown.total.params == report.params and shown.total.macs == report.macs


def _cells(line: str) -> list[str]:
    """A text row's cells (two spaces or more apart) or a markdown row's."""
    if line.startswith("|"):
        return [cell.strip() for cell in line.strip("|").split("|")]
    return re.split(r"\s{2,}", line.strip())


def test_resnet50_at_depth_1_is_its_stages(cli) -> None:  # type: ignore[no-untyped-def]
    path = ROOT / "specs" / "zoo" / "resnet50.yaml"
    rows = _json_rows(cli, path, "--depth", "1")
    assert len(rows) <= 15
    assert [row["name"] for row in rows] == [
        "conv1",
        "bn1",
        "relu",
        "maxpool",
        "layer1",
        "layer2",
        "layer3",
        "layer4",
        "avgpool",
        "fc",
    ]
    totals = cli("report", str(path), "--format", "json").json()["models"][0]["totals"]
    for key in ("params", "macs", "flops"):
        assert sum(row[key] for row in rows) == totals[key]
    moved = sum(row["bytes_read"] + row["bytes_written"] for row in rows)
    assert moved == totals["mac_bytes"]


@pytest.mark.parametrize("output", ["text", "markdown", "github"])
def test_text_formats_show_the_folded_rows_and_their_sums(cli, monkeypatch, output: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "300")  # every column: none dropped to fit
    path = ROOT / "specs" / "zoo" / "resnet50.yaml"
    out = cli("report", str(path), "--depth", "1", "--format", output).out
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(("---", "|---")))
    end = next(i for i, line in enumerate(lines) if re.match(r"^\|? ?total ", line))
    rows = [_cells(line) for line in lines[start + 1 : end]]
    total = _cells(lines[end])
    total = [cell for cell in total if cell]
    assert [row[0] for row in rows][:5] == ["conv1", "bn1", "relu", "maxpool", "layer1"]
    assert len(rows) <= 15
    for column in (4, 5, 6):  # params, MACs, FLOPs
        assert sum(int(row[column].replace(",", "")) for row in rows) == int(
            total[column - 3].replace(",", "")
        )
    assert total[1:3] == ["25,557,032", "4,089,184,256"]  # torchvision's resnet50


def test_headers_say_their_unit_and_what_share_is_of(cli, monkeypatch, small: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "300")  # every column: none dropped to fit
    header = cli("report", str(small)).out.splitlines()[1]
    for column in ("Read (B)", "Written (B)", "% of FLOPs"):
        assert column in header
    header = cli("report", str(small), "--sort", "params").out.splitlines()[1]
    assert "% of params" in header
    header = cli(
        "report", str(ROOT / "specs" / "edge.yaml"), "--model", "resnet18", "--device", "orin-int8"
    ).out.splitlines()[1]
    for column in ("Time (s)", "FLOP/byte", "% of latency"):
        assert column in header


@pytest.mark.parametrize(
    ("figures_written", "missing"),
    [
        ("compute: {int8: 20TOPS}", ["compute.float16", "bandwidth"]),
        ("compute: {float16: 2TFLOPS}", ["bandwidth"]),
        ("bandwidth: 10GB/s", ["compute.float16"]),
    ],
)
def test_sorting_by_time_on_a_device_without_figures_says_which(
    cli, write, figures_written: str, missing: list[str]
) -> None:  # type: ignore[no-untyped-def]
    path = write(
        "d.yaml",
        f"""
        version: 1
        devices:
          npu:
            dtype: float16
            {figures_written}
        models: {{m: {{devices: [npu], input: [1, 4], layers: [linear: {{out: 2}}]}}}}
        """,
    )
    run = cli("report", str(path), "--device", "npu", "--sort", "latency")
    assert run.code == 2 and run.out == ""
    assert run.err.startswith(f"{path}:3:3: --sort latency needs the roofline of device 'npu'")
    for figure in missing:
        assert f"no {figure}" in run.err
    assert "compute.float16" in run.err or "bandwidth" in run.err
    assert cli("report", str(path), "--device", "npu", "--sort", "macs").code == 0


def test_tree_keeps_model_order(cli, small: Path) -> None:  # type: ignore[no-untyped-def]
    run = cli("report", str(small), "--tree", "--sort", "macs")
    assert run.code == 2 and "--tree keeps the model's order" in run.err


def test_sort_and_top_apply_to_folded_rows(cli, small: Path) -> None:  # type: ignore[no-untyped-def]
    rows = _json_rows(cli, small, "--depth", "1", "--sort", "macs", "--top", "2")
    assert [row["name"] for row in rows] == ["body", "stem"]  # 36,864 then 18,432 MACs


def test_one_table_of_names_for_the_cli() -> None:
    assert tuple(key.value for key in SortKey) == SORT_KEYS
    assert tuple(key.value for key in Format) == tuple(FORMATS)
    assert set(SORT_KEYS) == {"order", *MEASURES}
    assert [column.key for column in COLUMNS][-1] == "share"


@pytest.mark.parametrize("measure", MEASURES.values(), ids=MEASURES)
def test_every_measure_reads_a_figure_of_a_row(measure) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(getattr(Row, measure.figure), (property, cached_property))


def test_every_sort_key_is_in_report_help_and_readme(cli) -> None:  # type: ignore[no-untyped-def]
    shown = cli("report", "--help").out
    readme = (ROOT / "README.md").read_text()
    documented = re.search(r"`--sort ([a-z_|]+)`", readme)
    assert documented is not None
    assert set(documented.group(1).split("|")) == set(MEASURES)
    for key in SORT_KEYS:
        assert key in shown


def _resnet18_figures(device: str = "") -> ModelFigures:
    spec, problems = read_spec(ROOT / "specs" / "edge.yaml")
    assert spec is not None and not problems
    (model,) = [m for m in spec.models if m.architecture.name == "resnet18"]
    report = evaluate(model.architecture, DEFAULT)
    return figures(report, spec.devices[device] if device else None)


@pytest.mark.parametrize("device", ["", "orin-int8"])
@pytest.mark.parametrize("measure", MEASURES.values(), ids=MEASURES)
def test_a_layer_has_the_figures_of_its_row(measure, device: str) -> None:  # type: ignore[no-untyped-def]
    """A sort reads a layer's figures without making its row: the same values."""
    seen = _resnet18_figures(device)
    assert isinstance(getattr(LayerFigures, measure.figure), property)
    if measure.timed and not device:
        return
    for layer in seen.layers:
        assert measure.value(layer) == measure.value(Row(layer.layer.name, "", (layer,)))
        assert layer.costs_nothing == Row(layer.layer.name, "", (layer,)).costs_nothing


def _moved(figures: LayerFigures) -> int:
    return figures.traffic.read + figures.traffic.written


# What each sort orders by, read from a layer's own figures.
LAYER_VALUES = {
    "params": lambda figures: figures.layer.params,
    "macs": lambda figures: figures.layer.macs,
    "flops": lambda figures: figures.layer.flops,
    "mac_bytes": _moved,
}


@pytest.mark.parametrize("sort", [ORDER, *LAYER_VALUES])
@pytest.mark.parametrize("top", [None, 1, 5, 40])
@pytest.mark.parametrize("cap", [3, 7, 5_000])
def test_sorted_rows_are_the_first_of_a_stable_sort(
    sort: str, top: int | None, cap: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows shown (the first few by heapq.nsmallest) are the first of every costing row
    sorted, largest first, ties in the model's order (resnet18 has many equal layers)."""
    monkeypatch.setattr(rows, "MAX_SHOWN_ROWS", cap)
    seen = _resnet18_figures()
    costing = [
        f for f in seen.layers if f.layer.params or f.layer.macs or f.layer.flops or _moved(f)
    ]
    ordered = costing if sort == ORDER else sorted(costing, key=lambda f: -LAYER_VALUES[sort](f))
    expected = ordered[:top][:cap]
    shown = table(seen, sort=sort, top=top)
    assert [row.layers for row in shown.rows] == [(f,) for f in expected]
    assert [row.name for row in shown.rows] == [f.layer.name for f in expected]
    assert shown.cut == len(ordered[:top]) - len(expected)
    assert shown.hidden == len(seen.layers) - len(costing)


def test_a_table_makes_rows_for_the_rows_it_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    """A table of every layer, cut to 10 rows: rows made for those 10 layers only (and
    for the groups, which fold, and the total)."""
    made: list[str] = []

    class Counted(Row):
        def __init__(self, name: str, *args: Any) -> None:
            made.append(name)
            super().__init__(name, *args)

    monkeypatch.setattr(rows, "MAX_SHOWN_ROWS", 10)
    monkeypatch.setattr(rows, "Row", Counted)
    seen = _resnet18_figures()
    names = {f.layer.name for f in seen.layers}
    groups = {group.serial for f in seen.layers for group in f.layer.groups}
    for sort in (ORDER, "flops"):
        made.clear()
        shown = table(seen, sort=sort, show_all=True)
        assert len(shown.rows) == 10 and shown.cut == len(seen.layers) - 10
        layers = [name for name in made if name in names]
        assert sorted(layers) == sorted(row.name for row in shown.rows)
        assert len(made) == len(layers) + len(groups) + 1  # a row per group; the total
