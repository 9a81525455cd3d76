"""The step summary under GitHub: the folded table and Mermaid charts of budget usage per
model and device and of MACs per stage; names reduced to what Mermaid can't misread."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from budgetlint.render.charts import MAX_LABEL, label
from tests.conftest import ROOT

MOBILE = ROOT / "specs" / "mobile.yaml"
RESNET50 = ROOT / "specs" / "zoo" / "resnet50.yaml"


def _summary(cli, monkeypatch, tmp_path: Path, *args: str) -> str:  # type: ignore[no-untyped-def]
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    run = cli(*args)
    assert run.code == 0, run.err
    return summary.read_text(encoding="utf-8")


def _charts(summary: str) -> list[dict[str, object]]:
    charts = []
    for block in re.findall(r"```mermaid\n(.*?)\n```", summary, re.S):
        lines = block.splitlines()
        assert lines[0] == "xychart-beta"
        fields = dict(line.strip().split(" ", 1) for line in lines[1:])
        charts.append(
            {
                "title": fields["title"].strip('"'),
                "labels": re.findall(r'"([^"]*)"', fields["x-axis"]),
                "bars": [float(v) for v in fields["bar"].strip("[]").split(", ")],
                "axis": fields["y-axis"],
            }
        )
    return charts


def test_check_summary_charts_the_budget_used(cli, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    summary = _summary(cli, monkeypatch, tmp_path, "check", str(MOBILE))
    verdicts = cli("check", str(MOBILE), "--format", "json").json()["verdicts"]
    usage = [chart for chart in _charts(summary) if "budget used" in str(chart["title"])]
    pairs = {(v["model"], v["device"]) for v in verdicts}
    assert {tuple(str(c["title"]).split(": ")[0].split(" on ")) for c in usage} == pairs
    for chart in usage:
        model, device = str(chart["title"]).split(": ")[0].split(" on ")
        mine = [v for v in verdicts if (v["model"], v["device"]) == (model, device)]
        assert chart["labels"] == [v["budget"] for v in mine]
        expected = [100 * v["value"] / v["limit"] for v in mine]
        assert chart["bars"] == pytest.approx(expected, rel=1e-3)
        assert str(chart["axis"]).startswith('"% of the budget" 0 --> ')


def test_report_summary_has_the_folded_table_and_macs_per_stage(
    cli, monkeypatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    summary = _summary(cli, monkeypatch, tmp_path, "report", str(RESNET50))
    rows = cli("report", str(RESNET50), "--depth", "1", "--format", "json").json()
    rows = rows["models"][0]["rows"]
    table = [line.split(" | ")[0].strip("| ") for line in summary.splitlines()]
    assert [row["name"] for row in rows] == [n for n in table if n in {r["name"] for r in rows}]
    (chart,) = [c for c in _charts(summary) if "MACs per stage" in str(c["title"])]
    staged = [row for row in rows if row["macs"]]
    assert chart["labels"] == [row["name"] for row in staged]
    # resnet50's 4.09 GMACs: its stages in GMACs, to 4 significant digits
    assert chart["bars"] == pytest.approx([row["macs"] / 1e9 for row in staged], rel=1e-3)
    assert str(chart["axis"]).startswith('"GMACs"')


def test_markdown_report_has_the_table(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("report", str(RESNET50), "--format", "markdown").out
    assert "all 0 budgets hold" not in out
    assert "| Layer | Op |" in out and "| total |" in out


@pytest.mark.parametrize(
    ("name", "drawn"),
    [
        ("layer1", "layer1"),
        ('a"] ; bar [1', "a__ _ bar _1"),
        ("x`y\nz", "x_y_z"),
        ("%%{init: {}}%%", "___init: _____"),
        ("<b>&amp;</b>", "_b__amp__/b_"),
        ("", "_"),
        ("x" * (MAX_LABEL + 5), "x" * (MAX_LABEL - 1) + "~"),
    ],
)
def test_labels_can_not_break_out_of_a_chart(name: str, drawn: str) -> None:
    assert label(name) == drawn
