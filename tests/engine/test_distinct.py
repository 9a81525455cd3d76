"""Costs shared by equal layers (engine.distinct) against the per-layer path.

The per-layer path is memory.layer_traffic, roofline.layer_time and the whole-model
functions of memory and roofline, each computed layer by layer; the shared path computes
a layer's traffic and time once per distinct layer and device, and both the budgets
(budgets.MEASURES) and the formats (render.layers.figures) read it. Every figure must be
the same, float sums to the last bit; and the work must not grow as layers × devices.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from budgetlint.budgets import MEASURES
from budgetlint.device import Device
from budgetlint.engine import distinct, memory, roofline, training
from budgetlint.engine.conventions import DEFAULT
from budgetlint.engine.evaluate import ModelReport, evaluate
from budgetlint.engine.memory import (
    device_precision,
    kv_cache_bytes,
    layer_traffic,
    mac_bytes,
    naive_activations,
    peak_activations,
    size_bytes,
)
from budgetlint.engine.roofline import latency, layer_time
from budgetlint.engine.storage import WeightFormat
from budgetlint.render.layers import figures
from budgetlint.spec.expand import read_spec

# Every device judges with every per-layer budget it can. `named` stores one of two equal
# linear layers (fc2) by its name: those two must not share their traffic.
DEVICES = """
version: 1
devices:
  plain:
    budgets: {size: 1TB, mac_bytes: 1TB, peak_activations: 1TB, kv_cache: 1TB, memory: 1TB}
  timed:
    compute: {float32: 3TFLOPS}
    bandwidth: 7GB/s
    efficiency: 70%
    layer_overhead: 3us
    budgets: {mac_bytes: 1TB, latency: 1000s, throughput: 1tok/s}
  int4:
    dtype: int4
    activation_dtype: float16
    quantization: {group: 32, scale_dtype: float16}
    compute: {float16: 1TFLOPS}
    bandwidth: 10GB/s
    budgets: {size: 1TB, mac_bytes: 1TB, latency: 1000s, memory: 1TB}
  kv8:
    dtype: float16
    kv_cache_dtype: int8
    compute: {float16: 2TFLOPS}
    bandwidth: 5GB/s
    layer_overhead: 1us
    budgets: {kv_cache: 1TB, mac_bytes: 1TB, latency: 1000s}
  named:
    dtype: int4
    activation_dtype: float16
    quantization: {group: 32, scale_dtype: float16}
    overrides:
      - {layers: [fc2, 'b.1.*'], dtype: int8}
    compute: {float16: 1TFLOPS}
    bandwidth: 10GB/s
    budgets: {size: 1TB, mac_bytes: 1TB, latency: 1000s}
  by_op:
    dtype: int4
    activation_dtype: float16
    quantization: {group: 32, scale_dtype: float16}
    overrides:
      - {ops: [linear], dtype: int8}
    compute: {float16: 1TFLOPS}
    bandwidth: 10GB/s
    budgets: {size: 1TB, mac_bytes: 1TB, latency: 1000s}
  train:
    dtype: bfloat16
    compute: {bfloat16: 5TFLOPS}
    bandwidth: 9GB/s
    layer_overhead: 2us
    training: {optimizer: adamw, params_dtype: bfloat16, checkpointing: per_block}
    budgets: {train_step_time: 1000s, train_flops: 1000000T, train_memory: 1TB}
  selective:
    dtype: float16
    compute: {float16: 4TFLOPS}
    bandwidth: 3GB/s
    training: {optimizer: sgd, params_dtype: float16, checkpointing: selective}
    budgets: {train_step_time: 1000s, train_flops: 1000000T}
blocks:
  b:
    layers: [{linear: {out: 64}}, gelu]
models:
  chain:
    input: [1, 3, 16, 16]
    devices: [plain, timed, int4, kv8, named, by_op, train, selective]
    layers:
      - {repeat: {times: 3, body: [{conv2d: {out: 3, kernel: 3, padding: 1}}, relu]}}
      - flatten
      - {name: fc1, linear: {out: 64}}
      - {name: fc2, linear: {out: 64}}
      - dropout
      - {name: fc3, linear: {out: 64}}
      - {repeat: {times: 2, body: [b]}}
  decode:
    input: [2, 1]
    devices: [plain, timed, int4, kv8, named, by_op, train, selective]
    layers:
      - embedding: {vocab: 100, dim: 64}
      - repeat:
          times: 3
          body:
            - multihead_attention:
                {heads: 4, kv_heads: 2, causal: true, context: 10, bias: false, fused: false}
            - {residual: {body: [{linear: {out: 64}}, relu]}}
      - {name: fc2, linear: {out: 100, bias: false}}
"""


def _spec(tmp_path: Path) -> Any:
    path = tmp_path / "spec.yaml"
    path.write_text(DEVICES, encoding="utf-8")
    spec, problems = read_spec(path)
    assert not problems, problems
    assert spec is not None
    return spec


def _cases(tmp_path: Path) -> Iterator[tuple[ModelReport, Device]]:
    spec = _spec(tmp_path)
    for model in spec.models:
        report = evaluate(model.architecture, DEFAULT)
        for name in model.devices:
            yield report, spec.devices[name]


MODELS = ("chain", "decode")
DEVICE_NAMES = ("plain", "timed", "int4", "kv8", "named", "by_op", "train", "selective")
TRAINING = ("train", "selective")


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("device", DEVICE_NAMES)
def test_per_layer_figures_are_the_per_layer_path(tmp_path: Path, model: str, device: str) -> None:
    spec = _spec(tmp_path)
    (found,) = (m for m in spec.models if m.architecture.name == model)
    report = evaluate(found.architecture, DEFAULT)
    on = spec.devices[device]
    precision = device_precision(on)
    seen = figures(report, on)
    costs = distinct.device_costs(report, precision, on.roofline)
    assert len(seen.layers) == len(report.layers) > 10
    for position, (layer, row) in enumerate(zip(report.layers, seen.layers, strict=True)):
        alone = layer_traffic(layer, precision)
        assert row.layer is layer
        assert row.traffic == costs.layer_traffic(position) == alone
        timed = layer_time(layer, precision, on.roofline) if on.roofline else None
        assert row.time == costs.layer_time(position) == timed


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("device", DEVICE_NAMES)
def test_totals_are_the_per_layer_sums(tmp_path: Path, model: str, device: str) -> None:
    spec = _spec(tmp_path)
    (found,) = (m for m in spec.models if m.architecture.name == model)
    report = evaluate(found.architecture, DEFAULT)
    on = spec.devices[device]
    precision = device_precision(on)
    bits = precision.activation_bits
    seen = figures(report, on)
    moved = sum(layer_traffic(layer, precision).total for layer in report.layers)
    assert seen.mac_bytes == MEASURES["mac_bytes"](report, on) == mac_bytes(report, precision)
    assert seen.mac_bytes == moved > 0
    if on.roofline is None:
        assert seen.latency is None
    else:  # floats: the same sum, in the same order, to the last bit
        seconds = sum(layer_time(layer, precision, on.roofline).seconds for layer in report.layers)
        assert seen.latency == MEASURES["latency"](report, on) == seconds
        assert seen.latency == latency(report, precision, on.roofline)
        assert seen.tokens_per_second == MEASURES["throughput"](report, on)
    assert seen.peak == peak_activations(report, bits)
    assert seen.peak.bytes == MEASURES["peak_activations"](report, on)
    assert seen.naive_activation_bytes == naive_activations(report, bits)
    assert seen.size_bytes == size_bytes(report, precision) == MEASURES["size"](report, on)
    assert seen.kv_cache_bytes == kv_cache_bytes(report, precision)
    assert seen.kv_cache_bytes == MEASURES["kv_cache"](report, on)
    assert seen.memory_bytes == MEASURES["memory"](report, on)


def _step_time_layer_by_layer(report: ModelReport, device: Device) -> float:
    """training.step_time as it was written, one layer after another."""
    config, rates = device.training, device.train_roofline
    assert config is not None and rates is not None
    precision = memory.Precision(config.params_bits, config.params_bits)
    blocks = bool(report.unit_inputs)
    compute, bandwidth = rates.compute * rates.efficiency, rates.bandwidth * rates.efficiency
    total = 0.0
    for layer in report.layers:
        if layer.alias:
            continue
        forward = layer_traffic(layer, precision).total
        again = training._recomputed(layer, config.checkpointing, blocks)
        passes = 1 + (1 if again else 0)
        moved = forward * passes + (2 * forward if layer.backward_flops else 0)
        flops = layer.flops + layer.backward_flops + again
        kernels = passes + (1 if layer.backward_flops else 0)
        total += max(flops / compute, moved / bandwidth) + kernels * rates.overhead
    return total + training.update_bytes(report, config) / bandwidth


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("device", TRAINING)
def test_training_is_the_per_layer_path(tmp_path: Path, model: str, device: str) -> None:
    spec = _spec(tmp_path)
    (found,) = (m for m in spec.models if m.architecture.name == model)
    report = evaluate(found.architecture, DEFAULT)
    on = spec.devices[device]
    config = on.training
    assert config is not None
    blocks = bool(report.unit_inputs)
    flops = sum(
        training.layer_train_flops(layer, config.checkpointing, blocks) for layer in report.layers
    )
    assert MEASURES["train_flops"](report, on) == flops > report.flops
    assert MEASURES["train_step_time"](report, on) == _step_time_layer_by_layer(report, on)


def test_the_table_covers_what_it_claims(tmp_path: Path) -> None:
    """The cases above exercise each thing that changes a layer's bytes: free ops, int4
    packing, a KV cache at its own dtype, and an override that picks one of two equal
    layers by name (there the equal layers must differ)."""
    spec = _spec(tmp_path)
    chain, decode = (evaluate(m.architecture, DEFAULT) for m in spec.models)
    names = {layer.name: layer for layer in chain.layers}
    assert any(layer.alias for layer in chain.layers)  # flatten, dropout
    fc1, fc2 = names["fc1"], names["fc2"]
    assert distinct.content_key(fc1) != distinct.content_key(fc2)  # fc2 reads fc1's output
    fc3 = names["fc3"]
    assert distinct.content_key(fc2) == distinct.content_key(fc3)  # equal in all but name
    named = device_precision(spec.devices["named"])
    assert layer_traffic(fc2, named) != layer_traffic(fc3, named)  # fc2 stored at int8
    shared = distinct.device_costs(chain, named, spec.devices["named"].roofline)
    position = {layer.name: at for at, layer in enumerate(chain.layers)}
    assert shared.layer_traffic(position["fc2"]) != shared.layer_traffic(position["fc3"])
    assert not shared.shared
    by_op = distinct.device_costs(chain, device_precision(spec.devices["by_op"]), None)
    assert by_op.shared  # a rule on ops alone: equal layers stay shared
    assert by_op.layer_traffic(position["fc3"]) != shared.layer_traffic(position["fc3"])
    int4 = device_precision(spec.devices["int4"])
    assert (
        layer_traffic(fc3, int4).read
        < layer_traffic(fc3, device_precision(spec.devices["kv8"])).read
    )
    assert kv_cache_bytes(decode, device_precision(spec.devices["kv8"])) > 0
    kv8 = device_precision(spec.devices["kv8"])
    assert kv8.kv_cache_bits == 8 != kv8.activation_bits
    units = {layer.unit for layer in chain.layers}
    assert "" in units and len(units) > 1  # layers inside and outside repeated blocks
    assert any(layer.recompute_flops for layer in decode.layers)  # selective recomputes


def test_equal_layers_share_one_number(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    chain = evaluate(spec.models[0].architecture, DEFAULT)
    numbers = distinct.numbered(chain.layers)
    by_name = {layer.name: numbers.of[at] for at, layer in enumerate(chain.layers)}
    assert by_name["fc2"] == by_name["fc3"] != by_name["fc1"]
    assert len(numbers.first) == len(numbers.counts) < len(chain.layers)
    assert sum(numbers.counts) == len(chain.layers)
    for number, first in enumerate(numbers.first):
        assert numbers.of[first] == number
        assert numbers.of.index(number) == first


def _chain_spec(layers: int, devices: int) -> str:
    table = "".join(
        f"  d{i}: {{compute: {{float32: {i + 1}TFLOPS}}, bandwidth: {i + 1}TB/s, "
        "layer_overhead: 1us, training: {optimizer: adam, checkpointing: none}, "
        "budgets: {params: 1T, size: 1TB, peak_activations: 1TB, latency: 1000s, "
        "mac_bytes: 1TB, train_step_time: 1000s, train_flops: 1000000T}}\n"
        for i in range(devices)
    )
    targets = ", ".join(f"d{i}" for i in range(devices))
    relus = ", ".join(["relu"] * layers)
    return (
        f"version: 1\ndevices:\n{table}models:\n  m:\n    input: [1, 4, 4, 4]\n"
        f"    devices: [{targets}]\n    layers: [{{linear: {{out: 4}}}}, {relus}]\n"
    )


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count calls of layer_traffic, wherever it is called from."""
    calls = [0]
    real = memory.layer_traffic

    def counting(*args: Any) -> Any:
        calls[0] += 1
        return real(*args)

    for module in (memory, distinct, roofline, training):
        if hasattr(module, "layer_traffic"):  # where it is imported
            monkeypatch.setattr(module, "layer_traffic", counting)
    return calls


@pytest.mark.parametrize(
    "command",
    [
        ("check",),
        ("check", "-f", "json"),
        ("report",),
        ("report", "-f", "json"),
        ("report", "-f", "html"),
    ],
)
def test_work_does_not_grow_as_layers_times_devices(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli: Callable[..., Any],
    command: tuple[str, ...],
) -> None:
    """N equal layers on D devices: traffic is computed per distinct layer and device, so
    the count is the same for 50 and for 400 layers, and at most 2 (a linear, the relus)
    per device, and per the device a report is shown without (its own dtype)."""
    devices = 6
    counts = []
    for layers in (50, 400):
        path = tmp_path / f"spec{layers}.yaml"
        path.write_text(_chain_spec(layers, devices), encoding="utf-8")
        calls = _counted(monkeypatch)
        run = cli(*command, str(path))
        assert run.code == 0, run.err
        counts.append(calls[0])
    assert counts[0] == counts[1] <= 2 * (devices + 1)


def test_a_report_s_entries_go_with_it(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    report = evaluate(spec.models[0].architecture, DEFAULT)
    gc.collect()
    before = distinct.held_entries()
    for name in DEVICE_NAMES:
        figures(report, spec.devices[name])
    assert distinct.held_entries() == before + 1  # one entry per report's layers
    del report
    gc.collect()
    assert distinct.held_entries() == before


def test_held_entries_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MAX_HELD layers the least recently used entries go, even while their reports
    live; a report asked again is costed again, to the same figures."""
    spec = _spec(tmp_path)
    architecture = spec.models[0].architecture
    reports = [evaluate(architecture, DEFAULT) for _ in range(5)]
    size = len(reports[0].layers)
    monkeypatch.setattr(distinct, "MAX_HELD", 2 * size)
    gc.collect()
    before = distinct.held_entries()
    first = [figures(report, spec.devices["plain"]).mac_bytes for report in reports]
    assert distinct.held_entries() <= before + 2
    assert [figures(report, spec.devices["plain"]).mac_bytes for report in reports] == first


def test_rows_sharing_their_figures_are_numbered_as_by_content(tmp_path: Path) -> None:
    """The evaluator gives equal layers one figures object, which numbered() keys on
    before making a content key; rows made by hand have their own, equal in content."""
    path = tmp_path / "chain.yaml"
    layers = ", ".join(["linear: {out: 8}, relu, layernorm"] * 4)
    path.write_text(
        f"version: 1\nmodels:\n  m:\n    input: [2, 8]\n    devices: []\n    layers: [{layers}]\n"
    )
    spec, problems = read_spec(path)
    assert spec is not None and not problems, problems
    rows = evaluate(spec.models[0].architecture, DEFAULT).layers
    by_content: dict[tuple[object, ...], int] = {}
    expected = [by_content.setdefault(distinct.content_key(row), len(by_content)) for row in rows]
    assert list(distinct.numbered(rows).of) == expected
    # linear, relu, layernorm, and the first linear on its own: its input needs no
    # gradient, so its backward FLOPs (which a training step's time reads) differ
    assert len(set(expected)) == 4
    assert rows[0].figures is not rows[3].figures
    assert rows[0].backward_flops != rows[3].backward_flops
    made_again = [row._replace(figures=row.figures._replace()) for row in rows]
    assert all(a.figures is not b.figures for a, b in zip(rows, made_again, strict=True))
    assert list(distinct.numbered(made_again).of) == expected


def test_rows_in_and_out_of_a_repeated_block_are_numbered_apart(tmp_path: Path) -> None:
    """Equal layers share one figures object whether or not they are in a repeated block,
    but per_block checkpointing recomputes only those in one: different numbers."""
    path = tmp_path / "blocks.yaml"
    path.write_text(
        "version: 1\nmodels:\n  m:\n    input: [2, 8]\n    devices: []\n"
        "    layers: [relu, relu, {repeat: {times: 2, body: [relu]}}, relu]\n"
    )
    spec, problems = read_spec(path)
    assert spec is not None and not problems, problems
    rows = evaluate(spec.models[0].architecture, DEFAULT).layers
    assert [bool(row.unit) for row in rows] == [False, False, True, True, False]
    assert list(distinct.numbered(rows).of) == [0, 0, 1, 1, 0]


def _glob_spec(layers: int, devices: int) -> str:
    table = "".join(
        f"  d{i}: {{dtype: int8, overrides: [{{layers: ['x*'], dtype: float16}}], "
        f"compute: {{int8: {i + 1}TFLOPS}}, bandwidth: {i + 1}TB/s, "
        "budgets: {size: 1TB, latency: 1000s, mac_bytes: 1TB}}\n"
        for i in range(devices)
    )
    targets = ", ".join(f"d{i}" for i in range(devices))
    return (
        f"version: 1\ndevices:\n{table}models:\n  m:\n    input: [1, 4]\n"
        f"    devices: [{targets}]\n"
        f"    layers: [{{repeat: {{times: {layers}, body: [{{linear: {{out: 4}}}}]}}}}]\n"
    )


@pytest.mark.parametrize("command", [("check",), ("report", "-f", "json")])
def test_devices_storing_alike_resolve_overrides_once(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli: Callable[..., Any],
    command: tuple[str, ...],
) -> None:
    """A layer-glob override is resolved layer by layer, but once for all the devices
    that store alike (same dtype and rules), not once per device."""
    calls = [0]
    real = WeightFormat.storage

    def counting(*args: Any) -> Any:
        calls[0] += 1
        return real(*args)

    monkeypatch.setattr(WeightFormat, "storage", counting)
    counts: dict[tuple[int, int], int] = {}
    for layers in (30, 60):
        for devices in (1, 4):
            path = tmp_path / f"spec{layers}-{devices}.yaml"
            path.write_text(_glob_spec(layers, devices), encoding="utf-8")
            calls[0] = 0
            run = cli(*command, str(path))
            assert run.code == 0, run.err
            counts[layers, devices] = calls[0]
    # each device more costs its distinct layers' traffic, whatever the layers' number
    assert counts[30, 4] - counts[30, 1] == counts[60, 4] - counts[60, 1] < 30
    assert counts[60, 1] > counts[30, 1]  # the one resolution is layer by layer
