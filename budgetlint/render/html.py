"""--format html: one self-contained page per run, for people who would rather look.

No network: the style is inline, the charts are inline SVG, there is no script and
no remote font; a Content-Security-Policy forbids loading anything. Per model: the
table folded to the spec's stages (--depth, default 1), a bar chart of each stage's
share of the params, MACs and bytes moved, and with --device a roofline plot of
every layer. Every user-written string goes through `escape`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from html import escape

from budgetlint.pipeline import ModelResult, Result
from budgetlint.problems import one_line
from budgetlint.render import rows, text
from budgetlint.render.findings import findings
from budgetlint.render.formats import RenderOptions
from budgetlint.render.layers import ModelFigures, figures
from budgetlint.render.messages import percent
from budgetlint.units import format_bytes, format_count

STYLE = """
body { font: 13px/1.4 system-ui, sans-serif; margin: 24px; color: #1f2328; background: #fff; }
h1 { font-size: 20px; } h2 { font-size: 17px; margin-top: 32px; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { padding: 2px 6px; border-bottom: 1px solid #d0d7de; white-space: nowrap; }
th { background: #f6f8fa; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: 600; border-top: 2px solid #57606a; }
.over { color: #cf222e; font-weight: 600; } .warn { color: #9a6700; } .ok { color: #1a7f37; }
.note { color: #57606a; }
svg text { font: 12px system-ui, sans-serif; fill: #1f2328; }
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'"
SERIES = (("params", "#0969da"), ("MACs", "#fb8500"), ("bytes moved", "#2da44e"))
BOUND_COLOURS = {"compute": "#cf222e", "memory": "#0969da"}


def _table(headers: Sequence[str], body: Sequence[Sequence[str]], numeric: set[int]) -> str:
    def row(cells: Sequence[str], tag: str, css: str = "") -> str:
        shown = "".join(
            f"<{tag}{' class=n' if i in numeric else ''}>{escape(cell)}</{tag}>"
            for i, cell in enumerate(cells)
        )
        return f"<tr{css}>{shown}</tr>"

    lines = [row(headers, "th"), *(row(cells, "td") for cells in body[:-1])]
    lines.append(row(body[-1], "td", ' class="total"'))
    return "<table>\n" + "\n".join(lines) + "\n</table>"


def stage_bars(shown: rows.Table) -> str:
    """Each stage's share of the model's params, MACs and bytes moved, as grouped bars."""
    totals = (shown.total.params, shown.total.macs, shown.total.moved)
    staged = [row for row in shown.rows if any((row.params, row.macs, row.moved))]
    shares = [
        value / total if total else 0.0
        for row in staged
        for value, total in zip((row.params, row.macs, row.moved), totals, strict=True)
    ]
    longest = max(shares, default=0.0) or 1.0  # the longest bar fills the width
    name_width, bar_width, bar, gap = 180, 420, 9, 10
    height = len(staged) * (3 * bar + gap) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{name_width + bar_width + 160}" '
        f'height="{height}" role="img" aria-label="params, MACs and bytes moved per stage">'
    ]
    for index, (name, colour) in enumerate(SERIES):
        x = name_width + index * 130
        parts.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="13">% of {name}</text>')
    y = 28
    for row in staged:
        parts.append(f'<text x="0" y="{y + 2 * bar}">{escape(_clip(row.name, 26))}</text>')
        values = (row.params, row.macs, row.moved)
        shown_values = (format_count(row.params), format_count(row.macs), format_bytes(row.moved))
        for (name, colour), value, total, label in zip(
            SERIES, values, totals, shown_values, strict=True
        ):
            share = value / total if total else 0.0
            width = max(share / longest * bar_width, 0.5 if value else 0.0)
            parts.append(
                f'<rect x="{name_width}" y="{y}" width="{width:.1f}" height="{bar - 1}" '
                f'fill="{colour}"><title>{escape(row.name)}: {label} {name} '
                f"({percent(value, total)})</title></rect>"
            )
            parts.append(
                f'<text x="{name_width + width + 4:.1f}" y="{y + bar - 1}" font-size="10">'
                f"{percent(value, total)}</text>"
            )
            y += bar
        y += gap
    parts.append("</svg>")
    return "\n".join(parts)


def _clip(name: str, limit: int) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def roofline_plot(seen: ModelFigures) -> str:
    """Every layer at its arithmetic intensity and attainable throughput, on log axes:
    min(compute, intensity · bandwidth) · efficiency; the ridge point marked."""
    roof = seen.roofline
    if roof is None:
        return ""
    peak = roof.compute * roof.efficiency
    bandwidth = roof.bandwidth * roof.efficiency
    ridge = roof.compute / roof.bandwidth
    points = [
        (figure.time.intensity, figure)
        for figure in seen.layers
        if figure.time is not None and figure.time.intensity > 0
    ]
    low = min([ridge, *(i for i, _ in points)]) / 4
    high = max([ridge, *(i for i, _ in points)]) * 4
    width, height, left, bottom, top, right = 640, 400, 70, 40, 20, 20
    x_span = math.log10(high) - math.log10(low)
    y_low, y_high = low * bandwidth / 2, peak * 2
    y_span = math.log10(y_high) - math.log10(y_low)

    def x(intensity: float) -> float:
        return left + (math.log10(intensity) - math.log10(low)) / x_span * (width - left - right)

    def y(throughput: float) -> float:
        share = (math.log10(throughput) - math.log10(y_low)) / y_span
        return height - bottom - share * (height - top - bottom)

    def attainable(intensity: float) -> float:
        return min(peak, intensity * bandwidth)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'role="img" aria-label="roofline: arithmetic intensity against attainable throughput">',
        f'<rect x="{left}" y="{top}" width="{width - left - right}" '
        f'height="{height - top - bottom}" fill="#f6f8fa" stroke="#d0d7de"/>',
    ]
    for decade in range(math.ceil(math.log10(low)), math.floor(math.log10(high)) + 1):
        at = x(10.0**decade)
        parts.append(
            f'<line x1="{at:.1f}" y1="{top}" x2="{at:.1f}" '
            f'y2="{height - bottom}" stroke="#d0d7de"/>'
        )
        parts.append(
            f'<text x="{at:.1f}" y="{height - bottom + 16}" text-anchor="middle">'
            f"{_power(decade)}</text>"
        )
    for decade in range(math.ceil(math.log10(y_low)), math.floor(math.log10(y_high)) + 1):
        at = y(10.0**decade)
        parts.append(
            f'<line x1="{left}" y1="{at:.1f}" x2="{width - right}" y2="{at:.1f}" stroke="#d0d7de"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{at + 4:.1f}" text-anchor="end">'
            f"{format_count(10.0**decade)}</text>"
        )
    roof_line = " ".join(f"{x(i):.1f},{y(attainable(i)):.1f}" for i in (low, ridge, high))
    parts.append(f'<polyline points="{roof_line}" fill="none" stroke="#1f2328" stroke-width="2"/>')
    parts.append(
        f'<line x1="{x(ridge):.1f}" y1="{top}" x2="{x(ridge):.1f}" y2="{height - bottom}" '
        'stroke="#8250df" stroke-dasharray="5,4"/>'
    )
    parts.append(
        f'<circle cx="{x(ridge):.1f}" cy="{y(peak):.1f}" r="5" fill="#8250df"/>'
        f'<text x="{x(ridge) - 8:.1f}" y="{y(peak) - 10:.1f}" fill="#8250df" text-anchor="end">'
        f"ridge point {ridge:.3g} FLOP/byte</text>"
    )
    for intensity, figure in points:
        bound = figure.time.bound if figure.time else "memory"
        parts.append(
            f'<circle cx="{x(intensity):.1f}" cy="{y(attainable(intensity)):.1f}" r="3.5" '
            f'fill="{BOUND_COLOURS.get(bound, "#57606a")}" fill-opacity="0.7">'
            f"<title>{escape(figure.layer.name)} ({escape(figure.layer.op)}): "
            f"{intensity:.3g} FLOP/byte, {format_count(attainable(intensity))} FLOP/s, "
            f"{bound}-bound</title></circle>"
        )
    parts.append(
        f'<text x="{(left + width - right) / 2}" y="{height - 6}" text-anchor="middle">'
        "arithmetic intensity (FLOP/byte, log)</text>"
        f'<text x="14" y="{(top + height - bottom) / 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {(top + height - bottom) / 2})">'
        "attainable throughput (FLOP/s, log)</text>"
    )
    parts.append("</svg>")
    skipped = len(seen.layers) - len(points)
    note = f"{len(points)} layers; {skipped} without FLOPs or bytes moved not drawn. " + (
        f"Peak {format_count(peak)} FLOP/s and {format_bytes(bandwidth)}/s "
        f"at {percent(roof.efficiency, 1)} efficiency; red: compute-bound, blue: memory-bound."
    )
    return "\n".join(parts) + f'\n<p class="note">{escape(note)}</p>'


def _power(decade: int) -> str:
    return f"10<tspan dy='-6' font-size='9'>{decade}</tspan>"


def model_section(model: ModelResult, options: RenderOptions) -> list[str]:
    seen = figures(model.report, model.device)
    shown = rows.chosen(seen, options, default_depth=1)
    body = [shown.cells(row) for row in shown.rows] + [shown.total_cells()]
    numeric = {index for index, column in enumerate(shown.columns) if column.numeric}
    depth = options.depth or 1
    parts = [
        f"<h2>{escape(model.report.name)}</h2>",
        f'<p class="note">{escape(text.details(model, seen))}; rows folded to depth {depth}'
        + "".join(f"; {escape(note)}" for note in text.notes(shown))
        + "</p>",
        _table(shown.headers, body, numeric),
        f'<p class="note">{escape(text.memory_line(seen))}</p>',
        "<h3>Params, MACs and bytes moved per stage</h3>",
        stage_bars(replace(shown, rows=tuple(r for r in shown.rows if r.level == 0))),
    ]
    if seen.roofline is not None:
        parts += [
            f"<h3>Roofline on {escape(model.device.name if model.device else '')}</h3>",
            roofline_plot(seen),
        ]
    return parts


def verdicts(result: Result) -> list[str]:
    if not result.verdicts:
        return []
    header = ["model", "device", "budget", "value", "limit", "used", "status"]
    lines = ["<table>", "<tr>" + "".join(f"<th>{name}</th>" for name in header) + "</tr>"]
    for v in result.verdicts:
        cells = [v.model, v.device, v.budget, v.show(v.value), v.show(v.limit)]
        cells.append(percent(v.value, v.limit))
        row = "".join(f"<td>{escape(cell)}</td>" for cell in cells)
        lines.append(f'<tr>{row}<td class="{v.status}">{escape(v.status)}</td></tr>')
    return [*lines, "</table>"]


def render(result: Result, options: RenderOptions) -> str:
    layers = options.layers
    title = "budgetlint report" if layers else "budgetlint check"
    files = ", ".join(result.files)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        f"<title>{escape(title)}: {escape(files)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}: {escape(files)}</h1>",
    ]
    for finding in findings(result):
        if finding.input_error:
            said = f"{finding.position}: {one_line(finding.message)}"
            parts.append(f'<p class="over">{escape(said)}</p>')
    parts += verdicts(result)
    for model in result.models if layers or not result.verdicts else ():
        parts += model_section(model, options)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
