"""Changes against a base revision, shared by every output format.

Per model: each metric at the base and now (size on every device the model
targets, as its verdicts measure it), whether anything changed at all, and
the layers that changed the most, matched by name between base and head.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from budgetlint.budgets import MEASURES
from budgetlint.device import DEFAULT_DTYPE
from budgetlint.engine.evaluate import ModelReport
from budgetlint.engine.memory import size_bytes
from budgetlint.pipeline import ModelResult
from budgetlint.render.layers import WITHOUT_DEVICE

TOP_LAYERS = 3
# Layer metrics in the order a change is explained by: the first that changed.
LAYER_METRICS = ("params", "macs", "flops", "buffers")


@dataclass(frozen=True)
class MetricChange:
    metric: str  # params, macs, flops or size_bytes
    label: str  # as shown: `size (int8)` for a size
    base: int
    now: int
    device: str = ""  # a size: the target device it is measured on (first of equal ones)

    @property
    def change(self) -> int:
        return self.now - self.base


@dataclass(frozen=True)
class LayerChange:
    name: str
    metric: str  # one of LAYER_METRICS
    base: int  # 0 when the layer is gone
    now: int  # 0 when the layer is new

    @property
    def change(self) -> int:
        return self.now - self.base


def _sizes(model: ModelResult, base: ModelReport) -> list[MetricChange]:
    """Size as each target device's verdicts measure it (its dtype, its quantization);
    devices that measure the same are one row, labelled by dtype (and names if needed)."""
    if not model.targets:
        before, after = size_bytes(base, WITHOUT_DEVICE), size_bytes(model.report, WITHOUT_DEVICE)
        return [MetricChange("size_bytes", f"size ({DEFAULT_DTYPE})", before, after)]
    measure = MEASURES["size"]
    groups: dict[tuple[str, int, int], list[str]] = {}
    for device in model.targets:
        key = (device.dtype, int(measure(base, device)), int(measure(model.report, device)))
        groups.setdefault(key, []).append(device.name)
    per_dtype = Counter(dtype for dtype, _, _ in groups)
    return [
        MetricChange(
            "size_bytes",
            f"size ({dtype})" if per_dtype[dtype] == 1 else f"size ({dtype}: {', '.join(names)})",
            before,
            after,
            names[0],
        )
        for (dtype, before, after), names in groups.items()
    ]


def metric_changes(model: ModelResult) -> tuple[MetricChange, ...]:
    base, now = model.base, model.report
    if base is None:
        return ()
    changes = [
        MetricChange(name, name, getattr(base, name), getattr(now, name))
        for name in ("params", "macs", "flops")
    ]
    return (*changes, *_sizes(model, base))


def changed(model: ModelResult) -> bool:
    """Whether any metric or any layer differs from the base."""
    return model.base is not None and bool(layer_changes(model, TOP_LAYERS))


def _by_name(report: ModelReport, metric: str) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for layer in report.layers:
        totals[layer.name] += getattr(layer, metric)
    return totals


def layer_changes(model: ModelResult, count: int = TOP_LAYERS) -> tuple[LayerChange, ...]:
    """The `count` layers whose value changed the most, in the first metric whose total
    changed (else the first in which any layer changed), largest change first."""
    if model.base is None:
        return ()
    candidates = []
    for metric in LAYER_METRICS:
        before, after = _by_name(model.base, metric), _by_name(model.report, metric)
        rows = [
            LayerChange(name, metric, before.get(name, 0), after.get(name, 0))
            for name in dict.fromkeys([*before, *after])
            if before.get(name, 0) != after.get(name, 0)
        ]
        if rows:
            total_changed = sum(before.values()) != sum(after.values())
            candidates.append((not total_changed, rows))
    if not candidates:
        return ()
    _, rows = min(candidates, key=lambda item: item[0])  # stable: the first such metric
    return tuple(sorted(rows, key=lambda row: -abs(row.change))[:count])
