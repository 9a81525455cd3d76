"""--format markdown: a summary for $GITHUB_STEP_SUMMARY or a pull-request comment."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from budgetlint.budgets import Verdict
from budgetlint.pipeline import ModelResult, Result
from budgetlint.problems import one_line
from budgetlint.render import deltas, rows, text
from budgetlint.render.charts import step_summary_charts as charts_of
from budgetlint.render.findings import Finding, findings
from budgetlint.render.formats import RenderOptions
from budgetlint.render.layers import figures, training_line
from budgetlint.render.messages import signed_percent, used
from budgetlint.units import format_bytes, format_count

STATUS = {"ok": "✅ ok", "warn": "⚠️ near", "over": "❌ over"}
ICONS = {"error": "❌", "warning": "⚠️"}  # a finding's level; a problem with the input has none
BAR_CELLS = 10


def bar(verdict: Verdict) -> str:
    """`████████░░ 82%`; a broken budget fills the bar and says how far over."""
    share = verdict.used if verdict.limit else 1.0
    filled = min(BAR_CELLS, round(share * BAR_CELLS))
    return "█" * filled + "░" * (BAR_CELLS - filled) + f" {used(verdict)}"


# Markdown's inline syntax and HTML: shown as written, never interpreted. `_` inside a
# word is plain text already (mobilenet_v2 stays readable in the source).
_SPECIAL = re.compile(r"[\\`*\[\]|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_HTML = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;"}


def _cell(text: str) -> str:
    """User text (names, paths, messages) as literal markdown text: one line, HTML and
    markdown syntax escaped, so also safe in a table cell."""
    return _SPECIAL.sub(lambda match: "\\" + match.group(), one_line(text)).translate(_HTML)


def _code(text: str) -> str:
    """User text as a code span, whatever backticks it holds (a longer fence)."""
    text = one_line(text)  # no line break, and GitHub's `##[` escaped
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _heading(result: Result) -> str:
    if result.problems:
        return f"## budgetlint: {text.summary(result)}"
    broken = sum(not v.ok for v in result.verdicts)
    warned = sum(v.warning for v in result.verdicts)
    if broken:
        return f"## budgetlint: {broken} of {len(result.verdicts)} budgets broken"
    if warned:
        return f"## budgetlint: all {len(result.verdicts)} budgets hold, {warned} near the limit"
    if not result.verdicts:
        return "## budgetlint: no budgets to check"
    return f"## budgetlint: all {len(result.verdicts)} budgets hold"


def layer_table(model: ModelResult, options: RenderOptions) -> list[str]:
    """The per-layer (or folded) table of `report`, as a markdown table."""
    seen = figures(model.report, model.device)
    shown = rows.chosen(seen, options)
    align = ["---:" if column.numeric else "---" for column in shown.columns]
    lines = [
        f"### {_cell(text.title(model, seen))}",
        "",
        "| " + " | ".join(shown.headers) + " |",
        "|" + "|".join(align) + "|",
    ]
    for cells in [*(shown.cells(row) for row in shown.rows), shown.total_cells()]:
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    lines += ["", _cell(text.memory_line(seen))]
    for note in text.notes(shown):
        lines += ["", note]
    return [*lines, ""]


def _row(verdict: Verdict, with_base: bool) -> str:
    show = verdict.show
    budget = verdict.budget if verdict.kind == "limit" else f"{verdict.budget} growth"
    base = "–" if verdict.base is None else show(verdict.base)
    if verdict.kind == "increase":
        head = show((verdict.base or 0) + verdict.value)
        delta = signed_percent(verdict.value, verdict.base or 0)
        limit = f"+{show(verdict.limit)}"
    else:
        head = show(verdict.value)
        delta = (
            "new"
            if verdict.base is None
            else signed_percent(verdict.value - verdict.base, verdict.base)
        )
        limit = show(verdict.limit)
    if verdict.base is None and verdict.kind == "limit":
        delta = "–"
    cells = [
        verdict.model,
        verdict.device,
        budget,
        base,
        head,
        delta,
        limit,
        STATUS[verdict.status],
    ]
    if not with_base:
        del cells[3], cells[4]  # base and delta
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def _finding(finding: Finding) -> str:
    icon = "" if finding.input_error else ICONS[finding.level] + " "
    return f"- {_code(str(finding.position))}: {icon}{_cell(finding.message)}"


def _changes(models: Sequence[ModelResult], base_ref: str) -> list[str]:
    """One item per changed model (its metrics and the layers that changed most); the
    models that did not change on one line."""
    lines = [f"### Changes against `{_cell(base_ref)}`", ""]
    unchanged = []
    for model in models:
        if model.base is None:
            continue
        if not deltas.changed(model):
            unchanged.append(_cell(model.report.name))
            continue
        metrics = ", ".join(
            f"{change.label} {_amount(change.metric, change.base)} → "
            f"{_amount(change.metric, change.now)} ({signed_percent(change.change, change.base)})"
            for change in deltas.metric_changes(model)
        )
        layers = ", ".join(
            f"`{_cell(row.name)}` {row.change:+,} ({row.base:,} → {row.now:,})"
            for row in deltas.layer_changes(model)
        )
        metric = deltas.layer_changes(model)[0].metric
        lines.append(
            f"- **{_cell(model.report.name)}**: {metrics}; largest {metric} changes: {layers}"
        )
    if unchanged:
        lines.append(f"- Unchanged: {', '.join(unchanged)}")
    return [*lines, ""]


def _amount(metric: str, value: int) -> str:
    return format_bytes(value) if metric == "size_bytes" else format_count(value)


def render(result: Result, options: RenderOptions) -> str:
    layers = options.layers
    lines = [_heading(result), ""]
    if result.base_ref is not None:
        lines += [f"Compared with {_code(result.base_ref)}.", ""]
    if layers:
        for shown in result.models:
            lines += layer_table(shown, options)
        lines += ["### Training", ""]
        lines += [
            f"- **{_cell(m.report.name)}**: {_cell(training_line(m.report, m.device))}"
            for m in result.models
        ]
        lines.append("")
    if result.verdicts:
        with_base = result.base_ref is not None
        if with_base:
            header = "| model | device | budget | base | head | delta | limit | status |"
            rule = "|---|---|---|---:|---:|---:|---:|---|"
        else:
            header, rule = (
                "| model | device | budget | value | limit | status |",
                "|---|---|---|---:|---:|---|",
            )
        lines += [
            header,
            rule,
            *(_row(verdict, with_base) for verdict in result.verdicts),
            "",
            "### Usage of each budget",
            "",
        ]
        for model in dict.fromkeys(v.model for v in result.verdicts):
            lines += [f"**{_cell(model)}**", "", "| device | budget | usage |", "|---|---|---|"]
            for verdict in result.verdicts:
                if verdict.model == model and verdict.kind == "limit":
                    usage = f"`{bar(verdict)}`"
                    lines.append(f"| {_cell(verdict.device)} | {verdict.budget} | {usage} |")
            lines.append("")
    if result.base_ref is not None and result.models:
        lines += _changes(result.models, result.base_ref)
    found = findings(result)
    if found:
        lines += ["### Findings", "", *(_finding(finding) for finding in found), ""]
    new = [m.report.name for m in result.models if result.base_ref and m.base is None]
    if new:
        lines += [f"New at HEAD (no base): {', '.join(_cell(name) for name in new)}", ""]
    return "\n".join(lines)


def step_summary(result: Result, options: RenderOptions) -> str:
    """For GitHub's step summary: a report's table folded to the spec's stages (unless
    --depth says otherwise), then Mermaid charts of the budgets used and the MACs per stage."""
    folded = replace(options, depth=options.depth or 1) if options.layers else options
    charts = charts_of(result.models, result.verdicts)
    return render(result, folded) + ("\n" + "\n".join(charts) if charts else "")
