"""--format text: tables for people, broken budgets as file:line:col lines for editors."""

from __future__ import annotations

from collections.abc import Sequence

from budgetlint.budgets import Verdict
from budgetlint.engine.evaluate import ModelReport
from budgetlint.pipeline import Result


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = (
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        )
        return "  ".join(padded).rstrip()

    return [line(header), line(["-" * width for width in widths]), *map(line, rows)]


def _shape(shape: Sequence[int]) -> str:
    return "[" + ", ".join(str(size) for size in shape) + "]"


def layer_table(report: ModelReport) -> list[str]:
    rows = [
        [
            layer.name,
            layer.op,
            " ".join(_shape(shape) for shape in layer.inputs),
            _shape(layer.output),
            f"{layer.params:,}",
            f"{layer.macs:,}",
            f"{layer.flops:,}",
        ]
        for layer in report.layers
    ]
    rows.append(
        ["total", "", "", "", f"{report.params:,}", f"{report.macs:,}", f"{report.flops:,}"]
    )
    header = ["Layer", "Op", "Input Shape", "Output Shape", "Params", "MACs", "FLOPs"]
    title = (
        f"{report.name}  ({report.source}, input {_shape(report.input)}, "
        f"convention {report.convention})"
    )
    return [title, *table(header, rows, {4, 5, 6})]


def _percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def verdict_table(verdicts: Sequence[Verdict]) -> list[str]:
    rows = [
        [
            v.model,
            v.device,
            v.budget,
            v.show(v.value),
            v.show(v.limit),
            _percent(v.value, v.limit),
            "ok" if v.ok else "OVER",
        ]
        for v in verdicts
    ]
    return table(["model", "device", "budget", "value", "limit", "used", "status"], rows, {3, 4, 5})


def broken_line(verdict: Verdict) -> str:
    over = verdict.value - verdict.limit
    return (
        f"{verdict.position}: error: {verdict.model} breaks the {verdict.budget} budget of "
        f"{verdict.device}: {verdict.show(verdict.value)} > {verdict.show(verdict.limit)} "
        f"(value {verdict.value:,.0f}, limit {verdict.limit:,.0f}, over by {over:,.0f}, "
        f"+{_percent(over, verdict.limit)})"
    )


def render(result: Result, layers: bool) -> str:
    lines: list[str] = []
    if layers:
        for report in result.reports:
            lines.extend([*layer_table(report), ""])
    if result.verdicts:
        lines.extend(verdict_table(result.verdicts))
        lines.append("")
        lines.extend(broken_line(v) for v in result.verdicts if not v.ok)
        broken = sum(not v.ok for v in result.verdicts)
        models = len({v.model for v in result.verdicts})
        lines.append(
            f"{len(result.verdicts)} budgets checked on {models} models: "
            + (f"{broken} broken" if broken else "all hold")
        )
    elif not layers and not result.problems:
        lines.append("no budgets to check: no model targets a device")
    return "\n".join(lines) + "\n" if lines else ""
