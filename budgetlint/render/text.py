"""--format text: tables for people, findings as file:line:col lines for editors."""

from __future__ import annotations

from collections.abc import Sequence

from budgetlint.budgets import DTYPE_BITS, Verdict
from budgetlint.engine.memory import Precision
from budgetlint.pipeline import ModelResult, Result
from budgetlint.problems import one_line
from budgetlint.render.layers import figures, layer_metric, ordered
from budgetlint.render.messages import METRICS, metric, percent, sentence, signed_percent
from budgetlint.units import format_bytes, format_count, format_time


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


def _dtypes(precision: Precision) -> str:
    names = {bits: name for name, bits in reversed(DTYPE_BITS.items())}
    weights, activations = names[precision.weight_bits], names[precision.activation_bits]
    return weights if weights == activations else f"{weights} weights, {activations} activations"


def layer_table(model: ModelResult, sort: str, top: int | None) -> list[str]:
    """The paddle.flops-style detail table, with bytes moved and, on a device, time."""
    report = model.report
    seen = figures(report, model.device)
    timed = seen.roofline is not None
    share_key = sort if sort != "order" else "latency" if timed else "flops"
    total_share = sum(layer_metric(row, share_key) for row in seen.layers) or 1
    header = ["Layer", "Op", "Input Shape", "Output Shape", "Params", "MACs", "FLOPs"]
    header += ["Read", "Written"] + (["Time", "Bound", "FLOP/B"] if timed else []) + ["Share"]
    rows = []
    for row in ordered(seen.layers, sort, top):
        layer = row.layer
        cells = [
            layer.name,
            layer.op,
            " ".join(_shape(shape) for shape in layer.inputs),
            _shape(layer.output),
            f"{layer.params:,}",
            f"{layer.macs:,}",
            f"{layer.flops:,}",
            format_bytes(row.traffic.read),
            format_bytes(row.traffic.written),
        ]
        if row.time is not None:
            cells += [format_time(row.time.seconds), row.time.bound, f"{row.time.intensity:.1f}"]
        cells.append(f"{100 * layer_metric(row, share_key) / total_share:.1f}%")
        rows.append(cells)
    reads = sum(row.traffic.read for row in seen.layers)
    writes = sum(row.traffic.written for row in seen.layers)
    total = ["total", "", "", "", f"{report.params:,}", f"{report.macs:,}", f"{report.flops:,}"]
    total += [format_bytes(reads), format_bytes(writes)]
    total += [format_time(seen.latency or 0.0), "", ""] if timed else []
    rows.append([*total, "100%"])
    on = f", on {model.device.name}" if model.device else ""
    title = (
        f"{report.name}  ({report.source}, input {_shape(report.input)}, "
        f"convention {report.convention}{on}, {_dtypes(seen.precision)})"
    )
    shown = f"top {top} by {sort}" if top is not None else f"by {sort}" if sort != "order" else ""
    numeric = set(range(4, len(header)))
    lines = [title + (f"  [{shown}]" if shown else ""), *table(header, rows, numeric - {11})]
    lines.append(
        f"memory access cost {format_bytes(seen.mac_bytes)} ({seen.mac_bytes:,} bytes); "
        f"peak activations {format_bytes(seen.peak.bytes)} ({seen.peak.bytes:,} bytes) "
        f"at {seen.peak.layer}; all activations summed {format_bytes(seen.naive_activation_bytes)}"
    )
    return lines


def _budget_name(verdict: Verdict) -> str:
    return verdict.budget if verdict.kind == "limit" else f"{verdict.budget} growth"


def verdict_table(verdicts: Sequence[Verdict], with_base: bool) -> list[str]:
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
            percent(v.value, v.limit),
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
    return table(header, rows, right)


def _show_metric(name: str, value: float) -> str:
    return format_bytes(value) if name == "size_bytes" else format_count(value)


def change_table(models: Sequence[ModelResult], base_ref: str) -> list[str]:
    rows = []
    for model in models:
        if model.base is None:
            rows.append([model.report.name, "(all)", "-", "new at HEAD, no base", "", ""])
            continue
        for name in METRICS:
            before, now = metric(model.base, name), metric(model.report, name)
            rows.append(
                [
                    model.report.name,
                    name,
                    _show_metric(name, before),
                    _show_metric(name, now),
                    f"{now - before:+,}",
                    signed_percent(now - before, before),
                ]
            )
    header = ["model", "metric", base_ref, "now", "change", "%"]
    return [f"changes against {base_ref}:", *table(header, rows, {2, 3, 4, 5})]


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


def tables(result: Result, layers: bool) -> list[str]:
    """Everything but the findings: layer tables, changes, verdicts."""
    lines: list[str] = []
    if layers:
        for model in result.models:
            lines.extend([*layer_table(model, result.sort, result.top), ""])
    if result.base_ref is not None and result.models:
        lines.extend([*change_table(result.models, result.base_ref), ""])
    if result.verdicts:
        lines.extend([*verdict_table(result.verdicts, result.base_ref is not None), ""])
    elif not layers and not result.problems:
        lines.append("no budgets to check: no model targets a device with budgets")
    return lines


def findings(result: Result) -> list[str]:
    """One `file:line:col: level: sentence` line per broken or nearly broken budget."""
    lines = [f"{w.position}: warning: {one_line(w.message)}" for w in result.warnings]
    lines += [
        f"{v.position}: {'error' if v.status == 'over' else 'warning'}: "
        + one_line(sentence(v, result.base_ref))
        for v in result.verdicts
        if v.status != "ok"
    ]
    return lines


def render(result: Result, layers: bool) -> str:
    lines = tables(result, layers) + findings(result)
    if result.verdicts or (not layers and not_checked(result)):
        lines.append(summary(result))
    return "\n".join(lines) + "\n" if lines else ""
