"""--format json: stable, documented in README ("JSON output"), on stdout alone.

Written as it is made (`chunks`), in bounded memory whatever the number of layers: the
document is laid out as `json.dumps(indent=2)` lays it out, except that each item of
its long lists (layers, rows, verdicts, problems, warnings) is one line. Models that
share their layers (a sweep of one architecture) share their encoded layers too.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring_ascii
from typing import Any, NamedTuple

from budgetlint.budgets import Verdict
from budgetlint.device import Device
from budgetlint.engine.cost import Tensor
from budgetlint.engine.evaluate import LayerReport, ModelReport
from budgetlint.engine.memory import Precision, size_bytes
from budgetlint.engine.storage import stored_bytes
from budgetlint.pipeline import ModelResult, Result
from budgetlint.problems import Problem, json_for_logs
from budgetlint.render import deltas, rows
from budgetlint.render.formats import RenderOptions
from budgetlint.render.layers import (
    LayerFigures,
    ModelFigures,
    figures,
    precision_of,
    training_figures,
)

FORMAT_VERSION = 1


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


class _Tensors:
    """A tensor's bytes at a precision; remembered when no override can pick its layer by
    name (then equal tensors, as equal layers share, are stored alike)."""

    def __init__(self, precision: Precision) -> None:
        self.form = precision.weight_format
        self.known: dict[Tensor, int] | None = None if self.form.overrides else {}

    def bytes(self, layer: LayerReport, tensor: Tensor) -> int:
        if self.known is not None and tensor in self.known:
            return self.known[tensor]
        storage = self.form.storage(layer.name, layer.op, tensor)
        found = stored_bytes(((storage, tensor, tensor.elements),))
        if self.known is not None:
            self.known[tensor] = found
        return found


def _tensor(layer: LayerReport, tensor: Tensor, tensors: _Tensors) -> dict[str, Any]:
    return {
        "name": f"{layer.name}.{tensor.name}",
        "role": tensor.role,
        "shape": list(tensor.shape),
        "stored": tensor.stored,
        "bytes": tensors.bytes(layer, tensor),
    }


def _layer(row: LayerFigures, tensors: _Tensors) -> dict[str, Any]:
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
        "tensors": [_tensor(layer, tensor, tensors) for tensor in layer.tensors],
    }
    if row.time is not None:
        document.update(
            seconds=row.time.seconds, bound=row.time.bound, intensity=row.time.intensity
        )
    return document


# A str as json.dumps writes it (ensure_ascii, as every encoder here): the very function
# json.dumps calls, without the calls around it. It escapes each character on its own,
# so quote(a + b) is quote(a)[:-1] + quote(b)[1:].
_quote = encode_basestring_ascii


class _LayerLines:
    """Each layer's line of JSON, as `_ONE_LINE.encode(_layer(row, tensors))` writes it.
    All but its name and position is a function of its op, shapes, figures and tensors:
    equal layers (LayerFigures.same: a model repeats its layers) share that part, encoded
    once; each line then only quotes its name."""

    def __init__(self, tensors: _Tensors) -> None:
        self.tensors = tensors
        self.known: dict[int, _Parts] = {}
        self.files: dict[str, str] = {}  # a path, quoted

    def line(self, row: LayerFigures) -> str:
        layer, _, _, same = row
        if same < 0:  # not known equal to another layer: encoded on its own
            return _ONE_LINE.encode(_layer(row, self.tensors))
        parts = self.known.get(same)
        if parts is None:
            parts = self.known[same] = _parts(row, self.tensors)
        op, middle, tails, end = parts
        name = _quote(layer.name)
        where = layer.position
        file = self.files.get(where.path)
        if file is None:
            file = self.files[where.path] = _quote(where.path)
        tensors = ""
        if tails:  # each tensor's name is the layer's, a dot and its own
            head = '{"name": ' + name[:-1]
            tensors = head + (", " + head).join(tails)
        return (
            f'{{"name": {name}, "op": {op}, "file": {file}, "line": {where.line}, '
            f'"column": {where.column}{middle}, "tensors": [{tensors}]{end}'
        )


class _Parts(NamedTuple):
    """A layer's line but for its name and position (see _LayerLines.line)."""

    op: str  # quoted
    middle: str  # the keys between the position and the tensors, each after ", "
    tails: tuple[str, ...]  # each tensor's text after the layer's name in its name
    end: str  # the keys after the tensors, and the closing brace


def _parts(row: LayerFigures, tensors: _Tensors) -> _Parts:
    document = _layer(row, tensors)
    keys = list(document)
    start, end = keys.index("column") + 1, keys.index("tensors")

    def pairs(chosen: list[str]) -> str:
        return "".join(f", {_quote(key)}: {_ONE_LINE.encode(document[key])}" for key in chosen)

    tails = []
    for tensor, made in zip(row.layer.tensors, document["tensors"], strict=True):
        rest = {key: value for key, value in made.items() if key != "name"}
        after = ", " + _ONE_LINE.encode(rest)[1:] if rest else "}"
        tails.append(_quote("." + tensor.name)[1:] + after)
    return _Parts(
        _quote(document["op"]), pairs(keys[start:end]), tuple(tails), pairs(keys[end + 1 :]) + "}"
    )


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


def _table(seen: ModelFigures, options: RenderOptions) -> dict[str, Any]:
    """The rows the text table shows (folded, hidden, sorted, cut), and how they were chosen."""
    shown = rows.chosen(seen, options)
    return {
        "view": {
            "depth": options.depth,
            "tree": options.tree,
            "all": options.show_all,
            "sort": options.sort,
            "top": options.top,
            "hidden": shown.hidden,
            "cut": shown.cut,
            "share_of": shown.share.name,
        },
        "rows": _OnePerLine([_row(row, shown) for row in shown.rows]),
    }


def _totals(report: ModelReport, precision: Precision, stored: int | None = None) -> dict[str, int]:
    """`stored`: size_bytes(report, precision) when known already."""
    return {
        "params": report.params,
        "buffers": report.buffers,
        "macs": report.macs,
        "flops": report.flops,
        "size_bytes": size_bytes(report, precision) if stored is None else stored,
    }


def _on_device(seen: ModelFigures) -> dict[str, Any]:
    """What a device's budgets measure, whether or not it has a budget for each."""
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


class _OnePerLine(NamedTuple):
    """A list whose items are written one to a line (made one at a time, as written)."""

    items: Iterable[Any]


class _Encoded(NamedTuple):
    """JSON text already made (the layers of a model shared by another)."""

    text: str


class _Pieces(NamedTuple):
    """JSON text made as it is written (the models)."""

    pieces: Iterable[str]


_ONE_LINE = json.JSONEncoder(separators=(", ", ": "))
# Lines of a long list joined into one piece: fewer, larger writes (a piece never ends
# inside a string, so json_for_logs sees every `##[` whole either way).
_LINES_AT_ONCE = 1_000


def _encode(value: Any, level: int) -> Iterator[str]:
    """`value` as json.dumps(indent=2) writes it at nesting `level`, in pieces."""
    pad = "\n" + "  " * (level + 1)
    if isinstance(value, _Encoded):
        yield value.text
    elif isinstance(value, _Pieces):
        yield from value.pieces
    elif isinstance(value, _OnePerLine):
        lines: list[str] = []  # written _LINES_AT_ONCE at a time, in one piece
        opened = False
        for item in value.items:  # an item already encoded is a str
            lines.append(item if isinstance(item, str) else _ONE_LINE.encode(item))
            if len(lines) == _LINES_AT_ONCE:
                yield ("," if opened else "[") + pad + ("," + pad).join(lines)
                opened, lines = True, []
        if lines:
            yield ("," if opened else "[") + pad + ("," + pad).join(lines)
            opened = True
        yield "\n" + "  " * level + "]" if opened else "[]"
    elif isinstance(value, dict) and value:
        for index, (key, item) in enumerate(value.items()):
            yield ("," if index else "{") + pad + json.dumps(key) + ": "
            yield from _encode(item, level + 1)
        yield "\n" + "  " * level + "}"
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield ("," if index else "[") + pad
            yield from _encode(item, level + 1)
        yield "\n" + "  " * level + "]"
    else:
        yield json.dumps(value)


class _Shared:
    """What models with the same layers (and device) have in common, kept until the last
    of them is written: their figures and their encoded layers."""

    def __init__(self, models: tuple[ModelResult, ...]) -> None:
        self.left = Counter(id(model.report.layers) for model in models)
        self.figures: dict[tuple[object, ...], ModelFigures] = {}
        self.layers: dict[tuple[int, int], _Encoded] = {}

    def seen(self, report: ModelReport, device: Device | None) -> ModelFigures:
        # figures reads of the device its precision, roofline and overhead only
        key = (
            id(report.layers),
            precision_of(device),
            device.roofline if device else None,
            device.overhead if device else 0.0,
        )
        if key not in self.figures:
            self.figures[key] = figures(report, device)
        return self.figures[key]

    def encoded(self, report: ModelReport, seen: ModelFigures, level: int) -> Any:
        """The layers list: encoded once when another model shares it, else made as written."""
        key = (id(report.layers), id(seen.precision))
        if key in self.layers:
            return self.layers[key]
        lines = _LayerLines(_Tensors(seen.precision))
        items = _OnePerLine(lines.line(row) for row in seen.layers)
        if self.left[id(report.layers)] < 2:
            return items  # the last model with these layers: written as made
        self.layers[key] = _Encoded("".join(_encode(items, level)))
        return self.layers[key]

    def done(self, report: ModelReport) -> None:
        """One model fewer uses these layers; after the last, their figures and text go."""
        layers = id(report.layers)
        self.left[layers] -= 1
        if self.left[layers] <= 0:
            self.figures = {key: value for key, value in self.figures.items() if key[0] != layers}
            self.layers = {key: value for key, value in self.layers.items() if key[0] != layers}


_LAYERS_LEVEL = 3  # document → models → model → layers


def _model(
    model: ModelResult, result: Result, options: RenderOptions, shared: _Shared | None = None
) -> dict[str, Any]:
    shared = shared or _Shared((model,))
    report = model.report
    seen = shared.seen(report, model.device)
    totals: dict[str, Any] = {
        **_totals(report, seen.precision, seen.size_bytes),
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
        "on_devices": {
            device.name: _on_device(shared.seen(report, device)) for device in model.targets
        },
        "layers": shared.encoded(report, seen, _LAYERS_LEVEL),
    }
    if options.layers:
        document.update(_table(seen, options))
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
    document["layers"] = _OnePerLine(
        {
            "name": row.name,
            "metric": row.metric,
            "base": row.base,
            "now": row.now,
            "change": row.change,
        }
        for row in deltas.layer_changes(model)
    )
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


def _models(result: Result, options: RenderOptions) -> Iterator[str]:
    """The models list, one model made (and written) at a time."""
    if not result.models:
        yield "[]"
        return
    shared = _Shared(result.models)
    for index, model in enumerate(result.models):
        yield ("," if index else "[") + "\n    "
        yield from _encode(_model(model, result, options, shared), 2)
        shared.done(model.report)
    yield "\n  ]"


def chunks(result: Result, options: RenderOptions) -> Iterator[str]:
    """The document in pieces, as they are made: what `render` joins."""
    document = {
        "format_version": FORMAT_VERSION,
        "files": list(result.files),
        "base_ref": result.base_ref,
        "models": _Pieces(_models(result, options)),
        "verdicts": _OnePerLine(_verdict(verdict) for verdict in result.verdicts),
        "problems": _OnePerLine(_problem(problem) for problem in result.problems),
        "warnings": _OnePerLine(_problem(warning) for warning in result.warnings),
        "unchecked": {
            "budgets": result.unchecked.budgets,
            "models": result.unchecked.models,
            "devices": result.unchecked.devices,
            "files": result.unchecked.files,
        },
        "exit_code": result.exit_code,
    }
    for piece in _encode(document, 0):
        yield json_for_logs(piece)
    yield "\n"


def render(result: Result, options: RenderOptions) -> str:
    return "".join(chunks(result, options))
