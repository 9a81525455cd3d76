"""--format text: tables for people, findings as file:line:col lines for editors."""

from __future__ import annotations

from collections.abc import Sequence

from budgetlint.budgets import Verdict
from budgetlint.device import DEFAULT_DTYPE, Device
from budgetlint.pipeline import ModelResult, Result
from budgetlint.problems import log_line, one_line
from budgetlint.render import deltas, rows
from budgetlint.render.findings import findings as all_findings
from budgetlint.render.formats import RenderOptions
from budgetlint.render.layers import ModelFigures, figures, training_line
from budgetlint.render.messages import signed_percent, used
from budgetlint.units import format_bytes, format_count, format_throughput

GAP = "  "
ELLIPSIS = "…"
MIN_SHORTENED = 6  # a shortened cell keeps at least this many characters, the … included


def _shorten(cell: str, width: int) -> str:
    return cell if len(cell) <= width else cell[: width - 1] + ELLIPSIS


def _fit(
    columns: list[int],
    widths: dict[int, int],
    width: int,
    drop: Sequence[int],
    shorten: Sequence[int],
    drop_last: Sequence[int],
) -> list[int]:
    """Until the table fits `width`: drop the columns in `drop`, in order; then, if even
    shortened cells could not fit, drop those in `drop_last`; then narrow the columns in
    `shorten`, one after the other, down to MIN_SHORTENED. Returns the columns kept
    (`widths` is narrowed in place)."""

    def excess(floored: bool = False) -> int:
        used = sum(
            min(widths[i], MIN_SHORTENED) if floored and i in shorten else widths[i]
            for i in columns
        )
        return used + len(GAP) * (len(columns) - 1) - width

    for index in drop:
        if excess() <= 0:
            break
        columns = [i for i in columns if i != index]
    for index in drop_last:
        if excess(floored=True) <= 0:
            break
        columns = [i for i in columns if i != index]
    for index in shorten:
        if excess() > 0 and index in columns:
            widths[index] = max(min(widths[index], MIN_SHORTENED), widths[index] - excess())
    return columns


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: set[int],
    width: int | None = None,
    drop: Sequence[int] = (),
    shorten: Sequence[int] = (),
    drop_last: Sequence[int] = (),
) -> list[str]:
    """Aligned columns, each cell on one line (names from YAML may hold line breaks);
    with a `width`, fitted to it by dropping columns (least useful first) and
    shortening cells with …, never wrapped; see _fit."""
    header = [one_line(cell) for cell in header]
    rows = [[one_line(cell) for cell in row] for row in rows]
    widths = {i: max(len(row[i]) for row in (header, *rows)) for i in range(len(header))}
    columns = list(range(len(header)))
    if width is not None:
        columns = _fit(columns, widths, width, drop, shorten, drop_last)

    def line(cells: Sequence[str]) -> str:
        padded = (
            _shorten(cells[i], widths[i]).rjust(widths[i])
            if i in right
            else _shorten(cells[i], widths[i]).ljust(widths[i])
            for i in columns
        )
        return GAP.join(padded).rstrip()

    lines = [line(header), GAP.join("-" * widths[i] for i in columns), *map(line, rows)]
    if width is None:
        return lines
    hidden = [header[i] for i in range(len(header)) if i not in columns]
    if hidden:
        lines.append(f"(not shown, to fit {width} columns: {', '.join(hidden)})")
    width = max(width, 1)  # the last resort for a very narrow terminal: cut, never wrap
    return [_shorten(text, width) for text in lines]


def _shape(shape: Sequence[int]) -> str:
    return "[" + ", ".join(str(size) for size in shape) + "]"


def _dtypes(device: Device | None) -> str:
    """The dtypes by name, as the device declares them (bfloat16 is not float16)."""
    weights, activations = (device.dtype, device.activations) if device else (DEFAULT_DTYPE,) * 2
    return weights if weights == activations else f"{weights} weights, {activations} activations"


def _view(options: RenderOptions) -> str:
    """How the rows are chosen, when not every layer in model order."""
    parts = []
    if options.depth is not None:
        parts.append(f"depth {options.depth}")
    if options.tree:
        parts.append("tree")
    if options.top is not None:
        parts.append(f"top {options.top} by {options.sort}")
    elif options.sort != "order":
        parts.append(f"by {options.sort}")
    return f"  [{', '.join(parts)}]" if parts else ""


def details(model: ModelResult, seen: ModelFigures) -> str:
    report = model.report
    on = f", on {model.device.name}" if model.device else ""
    return (
        f"({report.source}, input {_shape(report.input)}, "
        f"convention {report.convention}{on}, {_dtypes(model.device)})"
    )


def title(model: ModelResult, seen: ModelFigures) -> str:
    return f"{model.report.name}  {details(model, seen)}"


def memory_lines(seen: ModelFigures) -> list[str]:
    return [
        f"memory access cost {format_bytes(seen.mac_bytes)} ({seen.mac_bytes:,} bytes)",
        f"peak activations {format_bytes(seen.peak.bytes)} ({seen.peak.bytes:,} bytes) "
        f"at {seen.peak.layer}",
        f"all activations summed {format_bytes(seen.naive_activation_bytes)}",
    ]


def memory_line(seen: ModelFigures) -> str:
    return "; ".join(memory_lines(seen))


def held_lines(seen: ModelFigures) -> list[str]:
    """What the model holds on the device, and its throughput with a roofline."""
    held = [
        f"stored {format_bytes(seen.size_bytes)} ({seen.size_bytes:,} bytes)",
        f"KV cache {format_bytes(seen.kv_cache_bytes)} ({seen.kv_cache_bytes:,} bytes)",
        f"memory {format_bytes(seen.memory_bytes)} ({seen.memory_bytes:,.0f} bytes)",
    ]
    if seen.tokens_per_second is not None:
        noun = "token" if seen.tokens == 1 else "tokens"
        held.append(f"{format_throughput(seen.tokens_per_second)} ({seen.tokens} {noun} a step)")
    return held


def hidden_line(shown: rows.Table) -> str:
    noun = "row" if shown.hidden == 1 else "rows"
    return f"{shown.hidden} {noun} with no params, MACs, FLOPs or bytes moved hidden (--all shows)"


def cut_line(shown: rows.Table) -> str:
    return (
        f"… {shown.cut:,} more rows not shown (a table shows at most {rows.MAX_SHOWN_ROWS:,}: "
        "--top, --depth or --sort choose them; --format json lists every layer)"
    )


def notes(shown: rows.Table) -> list[str]:
    """What the table leaves out, one line each."""
    return [
        *([hidden_line(shown)] if shown.hidden else []),
        *([cut_line(shown)] if shown.cut else []),
    ]


def layer_table(model: ModelResult, options: RenderOptions) -> list[str]:
    """The torchinfo-style table: layers or folded groups, bytes moved and, on a device, time;
    fitted to `width` by the columns' own order of what to drop and shorten."""
    seen = figures(model.report, model.device)
    shown = rows.chosen(seen, options)
    width = options.width
    body = [shown.cells(row) for row in shown.rows] + [shown.total_cells()]
    keys = [column.key for column in shown.columns]

    def indices(chosen: Sequence[str]) -> list[int]:
        return [keys.index(key) for key in chosen if key in keys]

    right = {index for index, column in enumerate(shown.columns) if column.numeric}
    fitted = table(
        shown.headers,
        body,
        right,
        width,
        drop=indices(rows.FIT_DROP),
        shorten=indices(rows.FIT_SHORTEN),
        drop_last=indices(rows.FIT_DROP_LAST),
    )
    heading = one_line(model.report.name + _view(options) + "  " + details(model, seen))
    lines = [heading if width is None else _shorten(heading, width), *fitted]
    joined = memory_line(seen)
    if width is None or len(joined) <= width:
        lines.append(joined)
    else:
        lines += [_shorten(line, width) for line in memory_lines(seen)]
    held = held_lines(seen)
    if width is None or len("; ".join(held)) <= width:
        lines.append("; ".join(held))
    else:
        lines += [_shorten(line, width) for line in held]
    training = training_line(model.report, model.device)
    lines.append(training if width is None else _shorten(training, width))
    lines += [note if width is None else _shorten(note, width) for note in notes(shown)]
    return lines


def _budget_name(verdict: Verdict) -> str:
    return verdict.budget if verdict.kind == "limit" else f"{verdict.budget} growth"


def verdict_table(
    verdicts: Sequence[Verdict], with_base: bool, width: int | None = None
) -> list[str]:
    header = ["model", "device", "budget", "value", "limit", "used", "status"]
    if with_base:
        header[3:3] = ["base", "change"]
    rows = []
    for v in verdicts:
        row = [
            v.model,
            v.device,
            _budget_name(v),
            v.show(v.value),
            v.show(v.limit),
            used(v),
            v.status.upper() if v.status != "ok" else "ok",
        ]
        if with_base:
            base = "-" if v.base is None else v.show(v.base)
            change = "new" if v.base is None else signed_percent(v.value - v.base, v.base)
            if v.kind == "increase":
                change = signed_percent(v.value, v.base or 0)
            row[3:3] = [base, change]
        rows.append(row)
    right = {3, 4, 5, 6, 7} if with_base else {3, 4, 5}
    drop = [header.index("used")] + ([header.index("base")] if with_base else [])
    return table(header, rows, right, width, drop=drop, shorten=[2, 1, 0])


def _show_metric(name: str, value: float) -> str:
    return format_bytes(value) if name == "size_bytes" else format_count(value)


def change_table(
    models: Sequence[ModelResult], base_ref: str, width: int | None = None
) -> list[str]:
    """Per model and metric: base, now, change; size at each target device's dtype.
    A model that did not change is one line; a changed one then names its top layers."""
    rows = []
    explained = []
    for model in models:
        name = model.report.name
        if model.base is None:
            rows.append([name, "(all)", "-", "new at HEAD, no base", "", ""])
            continue
        if not deltas.changed(model):
            rows.append([name, "(all)", "", "unchanged", "", ""])
            continue
        for change in deltas.metric_changes(model):
            rows.append(
                [
                    name,
                    change.label,
                    _show_metric(change.metric, change.base),
                    _show_metric(change.metric, change.now),
                    f"{change.change:+,}",
                    signed_percent(change.change, change.base),
                ]
            )
        explained.append(f"{name}: {layers_sentence(deltas.layer_changes(model))}")
    header = ["model", "metric", base_ref, "now", "change", "%"]
    fitted = table(header, rows, {2, 3, 4, 5}, width, drop=[4], shorten=[0, 2])
    heading = f"changes against {base_ref}:"
    lines = [heading, *explained]
    if width is not None:
        lines = [_shorten(line, width) for line in lines]
    return [lines[0], *fitted, *lines[1:]]


def layers_sentence(changes: Sequence[deltas.LayerChange]) -> str:
    """`largest params changes: conv1 +216 (108 → 324), fc +80 (90 → 170)`."""
    if not changes:
        return "no layer changed"
    metric = changes[0].metric
    shown = ", ".join(f"{one_line(c.name)} {c.change:+,} ({c.base:,} → {c.now:,})" for c in changes)
    return f"largest {metric} changes: {shown}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def not_checked(result: Result) -> str:
    """What could not be checked, and why: empty when everything was."""
    unchecked = result.unchecked
    if not unchecked and not result.problems:
        return ""
    parts = [
        _plural(count, noun)
        for count, noun in (
            (unchecked.budgets, "budget"),
            (unchecked.models, "whole model"),
            (unchecked.devices, "device target"),
            (unchecked.files, "file"),
        )
        if count
    ]
    codes = ", ".join(dict.fromkeys(problem.code for problem in result.problems))
    why = f"{_plural(len(result.problems), 'problem')} reported: {codes}"
    if not parts:
        return why
    what = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{what} not checked ({why})"


def summary(result: Result) -> str:
    """The last line: never "all hold" when anything could not be checked."""
    broken = sum(not v.ok for v in result.verdicts)
    warned = sum(v.warning for v in result.verdicts)
    models = len({v.model for v in result.verdicts})
    missed = not_checked(result)
    if not result.verdicts:
        return f"no budget checked: {missed}" if missed else "no budget checked"
    line = f"{_plural(len(result.verdicts), 'budget')} checked on {_plural(models, 'model')}: "
    line += f"{broken} broken" if broken else "none broken" if missed else "all hold"
    if warned:
        line += f", {warned} near the limit" + (" (--strict: fails)" if result.strict else "")
    return line + (f"; {missed}" if missed else "")


def tables(result: Result, options: RenderOptions) -> list[str]:
    """Everything but the findings: layer tables, changes, verdicts."""
    lines: list[str] = []
    layers, width = options.layers, options.width
    if layers:
        for model in result.models:
            lines.extend([*layer_table(model, options), ""])
    if result.base_ref is not None and result.models:
        lines.extend([*change_table(result.models, result.base_ref, width), ""])
    if result.verdicts:
        with_base = result.base_ref is not None
        lines.extend([*verdict_table(result.verdicts, with_base, width), ""])
    elif not layers and not result.problems:
        lines.append("no budgets to check: no model targets a device with budgets")
    return [log_line(line) for line in lines]  # lines may start with a name from YAML


def findings(result: Result, failing_only: bool = False) -> list[str]:
    """One `file:line:col: level: sentence` line per broken or nearly broken budget;
    `failing_only` (--quiet): near-limit budgets only when --strict makes them fail.
    What could not be checked (result.warnings) is always said; problems with the input
    go to stderr (budgetlint.commands), not here."""
    near_fails = result.strict or not failing_only
    return [
        f"{finding.position}: {finding.level}: {one_line(finding.message)}"
        for finding in all_findings(result)
        if not finding.input_error
        and (finding.verdict is None or finding.level == "error" or near_fails)
    ]


def render(result: Result, options: RenderOptions) -> str:
    if options.compact:
        return compact(result, options)
    if options.quiet:
        quiet = findings(result, failing_only=True)
        return "\n".join(quiet) + "\n" if quiet else ""
    lines = tables(result, options) + findings(result)
    if result.verdicts or (not options.layers and not_checked(result)):
        lines.append(summary(result))
    return "\n".join(lines) + "\n" if lines else ""


def compact(result: Result, options: RenderOptions) -> str:
    """For the pre-commit hook: what needs a look, then the summary; no tables."""
    lines = findings(result)
    if (result.verdicts or not_checked(result)) and not options.quiet:
        lines.append(summary(result))
    return "\n".join(lines) + "\n" if lines else ""
