"""Each layer's bytes moved and roofline time on a device, computed once per distinct layer.

A model repeats its layers (a chain of equal blocks) and is judged on many devices, and
a layer's traffic and time on a device depend on what it is, not on its name or place
(content_key). So a model's layers are numbered by content once (`Distinct`), and
each device's figures (`DeviceCosts`, for one precision and roofline) are computed once
per number: the budgets (mac_bytes, latency, throughput) and the formats' per-layer
figures read the same object. Under a weight override that may pick tensors by layer
name (memory.names_matter), layers share when their content and the storages the
override rules give their tensors are equal.

Totals are the per-layer sums of memory.mac_bytes and roofline.latency, summed in the
layers' order: the same values to the last bit.

The whole-model figures a device's budgets and formats read (peak activations, size,
KV cache) are computed once per report and what of the device they read.

`device_costs` and those remember their results for the reports alive: the entries of a report's
layers go when that report is collected, and the oldest entries go when more than
MAX_HELD layers are held, so nothing outlives a run or grows without bound.
"""

from __future__ import annotations

import weakref
from array import array
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar, cast

from budgetlint.device import Roofline
from budgetlint.engine.evaluate import LayerReport, ModelReport
from budgetlint.engine.memory import (
    Peak,
    Precision,
    Traffic,
    kv_cache_bytes,
    layer_traffic,
    naive_activations,
    names_matter,
    peak_activations,
    size_bytes,
)
from budgetlint.engine.roofline import LayerTime, time_of
from budgetlint.engine.storage import WeightFormat


def content_key(layer: LayerReport) -> tuple[object, ...]:
    """Everything of a layer that its traffic and time on any device read, the figures a
    format shows of it, and what a training step's time reads of it, but its name: layers
    with equal keys cost alike (without a name-picking override)."""
    return (
        layer.alias,
        layer.op,
        layer.inputs,
        layer.output,
        layer.state_read,
        layer.tensors,
        layer.learnable,
        layer.buffers,
        layer.weights_read,
        layer.params,
        layer.macs,
        layer.flops,
        layer.physical_flops,
        layer.backward_flops,
        layer.recompute_flops,
        bool(layer.unit),  # inside a repeated block (recomputed under per_block)
    )


@dataclass(frozen=True)
class Distinct:
    """A model's layers numbered by content (content_key): numbers from 0 in order of first
    appearance; `first[n]` is the position of the first layer numbered n."""

    of: Sequence[int]  # each layer's number, by position
    first: tuple[int, ...]
    counts: tuple[int, ...]  # layers of each number


def numbered(layers: Sequence[LayerReport]) -> Distinct:
    numbers: dict[tuple[object, ...], int] = {}
    # rows that share one figures object (the evaluator's, for equal layers) have equal
    # content keys but for whether they are in a repeated block (the figures leave that
    # out): the key is made and hashed once per figures object and that, not per row.
    # id of a row's figures (alive in `layers`) → number, for rows outside and inside
    by_figures: tuple[dict[int, int], dict[int, int]] = ({}, {})
    of = array("l")
    first: list[int] = []
    counts: list[int] = []
    for position, layer in enumerate(layers):
        known = by_figures[bool(layer.unit)]
        number = known.get(id(layer.figures), -1)
        if number < 0:
            number = numbers.setdefault(content_key(layer), len(numbers))
            known[id(layer.figures)] = number
        if number == len(first):
            first.append(position)
            counts.append(0)
        counts[number] += 1
        of.append(number)
    return Distinct(of, tuple(first), tuple(counts))


@dataclass(frozen=True)
class DeviceCosts:
    """A model's per-layer traffic and time on one device: layer i's are
    `traffic[of[i]]` and `times[of[i]]` (`times` is None without a roofline). Layers in
    one slot are equal in content (content_key); `first[slot]` is the first of them."""

    of: Sequence[int]
    first: tuple[int, ...]
    traffic: tuple[Traffic, ...]
    times: tuple[LayerTime, ...] | None
    shared: bool  # `of` numbers layers by content (no name-picking override): equal, equal
    mac_bytes: int  # memory.mac_bytes: every layer's bytes read and written
    latency: float | None  # roofline.latency, summed in the layers' order; None without roofline

    def layer_traffic(self, position: int) -> Traffic:
        return self.traffic[self.of[position]]

    def layer_time(self, position: int) -> LayerTime | None:
        return None if self.times is None else self.times[self.of[position]]


Slots = tuple[Sequence[int], tuple[int, ...]]  # each layer's slot; each slot's first layer


def slots(layers: Sequence[LayerReport], numbers: Distinct, form: WeightFormat) -> Slots:
    """Under a name-picking override, each layer's slot: layers with tensors share one when
    their content and their tensors' storages are equal (the storages are all a name can
    change), layers without tensors the slot of their content."""
    of = array("l")
    firsts: list[int] = []
    known: dict[object, int] = {}
    for position, (layer, number) in enumerate(zip(layers, numbers.of, strict=True)):
        own = layer.weight_tensors()  # without tensors, no override can reach it
        key = (
            (number, tuple(form.storage(layer.name, layer.op, one) for one in own))
            if own
            else number
        )
        slot = known.get(key)
        if slot is None:
            slot = known[key] = len(firsts)
            firsts.append(position)
        of.append(slot)
    return of, tuple(firsts)


def costs(
    layers: Sequence[LayerReport],
    numbers: Distinct,
    precision: Precision,
    roofline: Roofline | None,
    shared: Slots | None = None,
) -> DeviceCosts:
    """The device's costs; `shared`: the slots, when a name-picking override made them
    (memory.names_matter), else the content numbers are."""
    of, firsts = shared or (numbers.of, numbers.first)
    traffic = tuple(layer_traffic(layers[at], precision) for at in firsts)
    times = (
        None
        if roofline is None
        else tuple(
            time_of(layers[at], moved.total, roofline)
            for at, moved in zip(firsts, traffic, strict=True)
        )
    )
    if of is numbers.of:  # integers: a count times a total is the sum
        moved = sum(count * one.total for count, one in zip(numbers.counts, traffic, strict=True))
    else:
        totals = [one.total for one in traffic]
        moved = sum(map(totals.__getitem__, of))
    latency = None
    if times is not None:  # floats: summed layer by layer, in order, as roofline.latency
        seconds = [time.seconds for time in times]
        latency = sum(map(seconds.__getitem__, of))
    return DeviceCosts(of, firsts, traffic, times, of is numbers.of, moved, latency)


MAX_HELD = 2_000_000  # layer numbers and slots remembered (a few bytes each)


@dataclass
class _Entry:
    layers: tuple[LayerReport, ...]  # held: its id keys the entry
    numbers: Distinct
    devices: dict[tuple[Precision, Roofline | None], DeviceCosts] = field(default_factory=dict)
    totals: dict[tuple[object, ...], object] = field(default_factory=dict)  # see `_once`
    slots: dict[WeightFormat, Slots] = field(default_factory=dict)  # by name-picking format
    held: int = 0  # layer numbers and slots it holds


class _Memo:
    """The reports' entries, by the id of their layers (copies of a report under another
    name share them), most recently used last."""

    def __init__(self) -> None:
        self.entries: OrderedDict[int, _Entry] = OrderedDict()
        self.held = 0

    def entry(self, report: ModelReport) -> _Entry:
        key = id(report.layers)
        found = self.entries.get(key)
        if found is not None:  # it holds the layers: their id is not another's while it lives
            self.entries.move_to_end(key)
            return found
        made = _Entry(report.layers, numbered(report.layers))
        self.entries[key] = made
        self.grow(made, len(report.layers))
        weakref.finalize(report, self.forget, key, weakref.ref(made)).atexit = False
        return made

    def forget(self, key: int, entry: weakref.ref[_Entry]) -> None:
        """Drop the entry at `key` if it is still `entry` (its report was collected)."""
        found = self.entries.get(key)
        if found is not None and entry() is found:
            del self.entries[key]
            self.held -= found.held

    def grow(self, entry: _Entry, held: int) -> None:
        """Count what the entry holds more; drop the least recently used entries past
        MAX_HELD, never the one in use."""
        entry.held += held
        self.held += held
        while self.held > MAX_HELD and len(self.entries) > 1:
            _, oldest = self.entries.popitem(last=False)
            self.held -= oldest.held

    def costs(
        self, report: ModelReport, precision: Precision, roofline: Roofline | None
    ) -> DeviceCosts:
        entry = self.entry(report)
        key = (precision, roofline)
        found = entry.devices.get(key)
        if found is None:
            shared = None
            if names_matter(precision):  # devices storing alike share the slots
                form = precision.weight_format
                shared = entry.slots.get(form)
                if shared is None:
                    shared = entry.slots[form] = slots(report.layers, entry.numbers, form)
                    self.grow(entry, len(shared[0]))
            layers, numbers = report.layers, entry.numbers
            found = entry.devices[key] = costs(layers, numbers, precision, roofline, shared)
            self.grow(entry, len(found.traffic))
        return found


_MEMO = _Memo()

_T = TypeVar("_T")


def _once(report: ModelReport, key: tuple[object, ...], compute: Callable[[], _T]) -> _T:
    """A whole-model figure of the report at `key` (its kind and what of the device it
    reads), computed once."""
    entry = _MEMO.entry(report)
    if key not in entry.totals:
        entry.totals[key] = compute()
    return cast(_T, entry.totals[key])


def peak(report: ModelReport, bits: int) -> Peak:
    """memory.peak_activations, once per report and activation width."""
    return _once(report, ("peak", bits), lambda: peak_activations(report, bits))


def naive(report: ModelReport, bits: int) -> int:
    """memory.naive_activations, once per report and activation width."""
    return _once(report, ("naive", bits), lambda: naive_activations(report, bits))


def size(report: ModelReport, precision: Precision) -> int:
    """memory.size_bytes, once per report and precision."""
    return _once(report, ("size", precision), lambda: size_bytes(report, precision))


def kv_cache(report: ModelReport, precision: Precision) -> int:
    """memory.kv_cache_bytes, once per report and KV cache width."""
    bits = precision.kv_cache_bits
    return _once(report, ("kv", bits), lambda: kv_cache_bytes(report, precision))


def numbers(report: ModelReport) -> Distinct:
    """The report's layers numbered by content, remembered."""
    return _MEMO.entry(report).numbers


def device_costs(
    report: ModelReport, precision: Precision, roofline: Roofline | None
) -> DeviceCosts:
    """The report's costs on a device of this precision and roofline, remembered."""
    return _MEMO.costs(report, precision, roofline)


def held_entries() -> int:
    """Reports whose costs are remembered now (for tests of the bound)."""
    return len(_MEMO.entries)
