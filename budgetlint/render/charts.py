"""Mermaid charts for GitHub's step summary, which GitHub draws: the share of each budget
used per model and device, and the MACs of each stage (the spec's top-level rows).

Mermaid reads labels as code, so every user-written name is reduced to a safe set of
characters (no quotes, brackets, backticks, `%` or line breaks) before it is drawn.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from budgetlint.budgets import Verdict
from budgetlint.pipeline import ModelResult
from budgetlint.render import rows
from budgetlint.render.layers import figures

MAX_CHARTS = 20  # of each kind; the rest are said in a line
MAX_LABEL = 40
_UNSAFE = re.compile(r"[^A-Za-z0-9 ._/+@:-]")


def label(text: str) -> str:
    """A name Mermaid shows as written and can't read as syntax."""
    safe = _UNSAFE.sub("_", text).strip() or "_"
    return safe if len(safe) <= MAX_LABEL else safe[: MAX_LABEL - 1] + "~"


@dataclass(frozen=True)
class Bars:
    title: str  # user-written names in it already through label()
    axis: str  # the y axis: what the numbers are, with their unit
    labels: tuple[str, ...]  # drawn through label()
    values: tuple[float, ...]
    line: float | None = None  # a level drawn across every bar (a budget's 100%)

    def mermaid(self) -> list[str]:
        top = max((*self.values, self.line or 0.0))
        ceiling = math.ceil(top * 1.1) if top > 0 else 1
        names = ", ".join(f'"{label(name)}"' for name in self.labels)
        lines = [
            "```mermaid",
            "xychart-beta",
            f'    title "{self.title}"',
            f"    x-axis [{names}]",
            f'    y-axis "{self.axis}" 0 --> {ceiling}',
            f"    bar [{', '.join(_number(value) for value in self.values)}]",
        ]
        if self.line is not None:
            lines.append(f"    line [{', '.join(_number(self.line) for _ in self.values)}]")
        return [*lines, "```"]


def _number(value: float) -> str:
    return f"{value:.4g}" if value < 1e4 else f"{value:.0f}"


def usage(verdicts: Sequence[Verdict]) -> list[Bars]:
    """Per model and device: the % of each budget used; the line marks 100%."""
    pairs: dict[tuple[str, str], list[Verdict]] = {}
    for verdict in verdicts:
        if verdict.kind == "limit" and verdict.limit > 0:
            pairs.setdefault((verdict.model, verdict.device), []).append(verdict)
    return [
        Bars(
            f"{label(model)} on {label(device)}: budget used",
            "% of the budget",
            tuple(verdict.budget for verdict in chosen),
            tuple(100 * verdict.value / verdict.limit for verdict in chosen),
            100.0,
        )
        for (model, device), chosen in pairs.items()
    ]


SCALES = ((1e12, "TMACs"), (1e9, "GMACs"), (1e6, "MMACs"), (1e3, "kMACs"), (1.0, "MACs"))


def stage_macs(model: ModelResult) -> Bars | None:
    """The MACs of each top-level row of the spec (stem, layer1, …); None without MACs."""
    shown = rows.table(figures(model.report, model.device), depth=1)
    staged = [row for row in shown.rows if row.macs]
    if not staged:
        return None
    scale, unit = next((s, u) for s, u in SCALES if max(r.macs for r in staged) >= s)
    return Bars(
        f"{label(model.report.name)}: MACs per stage",
        unit,
        tuple(row.name for row in staged),
        tuple(row.macs / scale for row in staged),
    )


def section(heading: str, charts: Sequence[Bars]) -> list[str]:
    if not charts:
        return []
    lines = [f"### {heading}", ""]
    for chart in charts[:MAX_CHARTS]:
        lines += [*chart.mermaid(), ""]
    if len(charts) > MAX_CHARTS:
        lines += [f"({len(charts) - MAX_CHARTS} more not drawn)", ""]
    return lines


def step_summary_charts(models: Sequence[ModelResult], verdicts: Sequence[Verdict]) -> list[str]:
    stages = [chart for model in models if (chart := stage_macs(model)) is not None]
    return [
        *section("Budget used, per model and device", usage(verdicts)),
        *section("MACs per stage", stages),
    ]
