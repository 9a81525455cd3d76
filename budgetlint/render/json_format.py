"""--format json: stable, documented in README ("JSON output"), on stdout alone."""

from __future__ import annotations

import json
from typing import Any

from budgetlint.budgets import Verdict
from budgetlint.device import Device
from budgetlint.engine.cost import Tensor
from budgetlint.engine.evaluate import LayerReport, ModelReport
from budgetlint.engine.memory import FLOAT32, Precision, size_bytes
from budgetlint.engine.storage import stored_bytes
from budgetlint.pipeline import ModelResult, Result
from budgetlint.problems import Problem, json_for_logs
from budgetlint.render import deltas, rows
from budgetlint.render.formats import RenderOptions
from budgetlint.render.layers import LayerFigures, ModelFigures, figures, training_figures

FORMAT_VERSION = 1


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _tensor(layer: LayerReport, tensor: Tensor, precision: Precision) -> dict[str, Any]:
    storage = precision.weight_format.storage(layer.name, layer.op, tensor)
    return {
        "name": f"{layer.name}.{tensor.name}",
        "role": tensor.role,
        "shape": list(tensor.shape),
        "stored": tensor.stored,
        "bytes": stored_bytes(((storage, tensor, tensor.elements),)),
    }


def _layer(row: LayerFigures, precision: Precision) -> dict[str, Any]:
    layer = row.layer
    document = {
        "name": layer.name,
        "op": layer.op,
        "file": layer.position.path,
        "line": layer.position.line,
        "column": layer.position.column,
        "input_shape": list(layer.inputs[0]),
        "input_shapes": [list(shape) for shape in layer.inputs],
        "output_shape": list(layer.output),
        "params": layer.params,
        "buffers": layer.buffers,
        "macs": layer.macs,
        "flops": layer.flops,
        "bytes_read": row.traffic.read,
        "bytes_written": row.traffic.written,
        "tensors": [_tensor(layer, tensor, precision) for tensor in layer.tensors],
    }
    if row.time is not None:
        document.update(
            seconds=row.time.seconds, bound=row.time.bound, intensity=row.time.intensity
        )
    return document


def _row(row: rows.Row, shown: rows.Table) -> dict[str, Any]:
    where = row.position
    document: dict[str, Any] = {
        "name": row.name,
        "op": row.op,
        "kind": "layer" if row.group is None else "group",
        "level": row.level,
        "layers": len(row.layers),
        "file": where.path,
        "line": where.line,
        "column": where.column,
        "input_shapes": [list(shape) for shape in row.inputs],
        "output_shape": list(row.output),
        "params": row.params,
        "macs": row.macs,
        "flops": row.flops,
        "bytes_read": row.read,
        "bytes_written": row.written,
        "share": shown.fraction(row),
    }
    if row.seconds is not None:
        document.update(seconds=row.seconds, intensity=row.intensity)
    return document


def _table(seen: ModelFigures, result: Result) -> dict[str, Any]:
    """The rows the text table shows (folded, hidden, sorted, cut), and how they were chosen."""
    shown = rows.chosen(seen, result)
    return {
        "view": {
            "depth": result.depth,
            "tree": result.tree,
            "all": result.show_all,
            "sort": result.sort,
            "top": result.top,
            "hidden": shown.hidden,
            "share_of": shown.share.name,
        },
        "rows": [_row(row, shown) for row in shown.rows],
    }


def _totals(report: ModelReport, precision: Precision = FLOAT32) -> dict[str, int]:
    return {
        "params": report.params,
        "buffers": report.buffers,
        "macs": report.macs,
        "flops": report.flops,
        "size_bytes": size_bytes(report, precision),
    }


def _on_device(report: ModelReport, device: Device) -> dict[str, Any]:
    """What a device's budgets measure, whether or not it has a budget for each."""
    seen = figures(report, device)
    document: dict[str, Any] = {
        "size_bytes": seen.size_bytes,
        "kv_cache_bytes": seen.kv_cache_bytes,
        "peak_activation_bytes": seen.peak.bytes,
        "memory_bytes": _number(seen.memory_bytes),
        "mac_bytes": seen.mac_bytes,
    }
    if seen.latency is not None:
        document.update(latency_seconds=seen.latency, tokens_per_second=seen.tokens_per_second)
    return document


def _model(model: ModelResult, result: Result, layers: bool) -> dict[str, Any]:
    report = model.report
    seen = figures(report, model.device)
    totals: dict[str, Any] = {
        **_totals(report, seen.precision),
        "mac_bytes": seen.mac_bytes,
        "peak_activation_bytes": seen.peak.bytes,
        "peak_activation_layer": seen.peak.layer,
        "naive_activation_bytes": seen.naive_activation_bytes,
        "kv_cache_bytes": seen.kv_cache_bytes,
        "memory_bytes": _number(seen.memory_bytes),
    }
    if seen.latency is not None:
        totals["latency_seconds"] = seen.latency
        totals["tokens_per_second"] = seen.tokens_per_second
    training = training_figures(report, model.device)
    totals.update(
        trainable_params=training.trainable,
        train_flops=training.flops,
        train_memory_bytes=training.memory.total,
        train_memory={
            "weights": training.memory.weights,
            "grads": training.memory.grads,
            "master": training.memory.master,
            "optimizer": training.memory.optimizer,
            "activations": training.memory.activations,
        },
    )
    document: dict[str, Any] = {
        "name": report.name,
        "spec": model.spec,
        "source": report.source,
        "input": list(report.input),
        "output": list(report.output),
        "convention": report.convention,
        "device": model.device.name if model.device else None,
        "totals": totals,
        "on_devices": {device.name: _on_device(report, device) for device in model.targets},
        "layers": [_layer(row, seen.precision) for row in seen.layers],
    }
    if layers:
        document.update(_table(seen, result))
    base_ref = result.base_ref
    if base_ref is not None:
        base = model.base
        precision = seen.precision
        document["base"] = None if base is None else _totals(base, precision)
        document["deltas"] = None if base is None else _deltas(model, base, precision)
    return document


def _deltas(model: ModelResult, base: ModelReport, precision: Precision) -> dict[str, Any]:
    """totals − base; size also on each target device; the layers that changed most."""
    before = _totals(base, precision)
    document: dict[str, Any] = {
        key: value - before[key] for key, value in _totals(model.report, precision).items()
    }
    document["size_bytes_by_device"] = {
        change.device: change.change
        for change in deltas.metric_changes(model)
        if change.metric == "size_bytes" and change.device
    }
    document["layers"] = [
        {
            "name": row.name,
            "metric": row.metric,
            "base": row.base,
            "now": row.now,
            "change": row.change,
        }
        for row in deltas.layer_changes(model)
    ]
    return document


def _optional(value: float | None) -> int | float | None:
    return None if value is None else _number(value)


def _verdict(verdict: Verdict) -> dict[str, Any]:
    return {
        "model": verdict.model,
        "device": verdict.device,
        "budget": verdict.budget,
        "kind": verdict.kind,
        "rule": verdict.rule,
        "value": _number(verdict.value),
        "limit": _number(verdict.limit),
        "headroom": _number(verdict.headroom),
        "base": _optional(verdict.base),
        "warn_at": _optional(verdict.warn_at),
        "status": verdict.status,
        "ok": verdict.ok,
        "file": verdict.position.path,
        "line": verdict.position.line,
        "column": verdict.position.column,
    }


def _problem(problem: Problem) -> dict[str, Any]:
    return {
        "file": problem.position.path,
        "line": problem.position.line,
        "column": problem.position.column,
        "code": problem.code,
        "message": problem.message,
    }


def render(result: Result, options: RenderOptions) -> str:
    document = {
        "format_version": FORMAT_VERSION,
        "files": list(result.files),
        "base_ref": result.base_ref,
        "models": [_model(model, result, options.layers) for model in result.models],
        "verdicts": [_verdict(verdict) for verdict in result.verdicts],
        "problems": [_problem(problem) for problem in result.problems],
        "warnings": [_problem(warning) for warning in result.warnings],
        "unchecked": {
            "budgets": result.unchecked.budgets,
            "models": result.unchecked.models,
            "devices": result.unchecked.devices,
            "files": result.unchecked.files,
        },
        "exit_code": result.exit_code,
    }
    return json_for_logs(json.dumps(document, indent=2)) + "\n"
