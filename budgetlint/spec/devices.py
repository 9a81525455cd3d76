"""Devices: budgets, dtypes and roofline figures, from this file and its includes.

`include: [devices/pixel-8.yaml]` brings in another file's devices (and its
own includes); a device may `extends: other-device` to start from its fields,
overriding scalars and merging the budgets, compute, max_increase and warn
mappings key by key. Every value keeps the position where it is written, so
an inherited budget is reported at its line in the profile it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from budgetlint.device import (
    BUDGET_KINDS,
    DEFAULT_DTYPE,
    DEFAULT_SCALE_DTYPE,
    DTYPES,
    INTEGER_DTYPES,
    Device,
    Growth,
    Limit,
    Override,
    Quantization,
    Storage,
    TrainingConfig,
    missing_figures,
    roofline_of,
)
from budgetlint.engine.cost import TENSOR_ROLES
from budgetlint.engine.ops import OPS
from budgetlint.problems import Position, Problem, SpecError, fail
from budgetlint.spec.load import Document, JsonPath
from budgetlint.spec.validate import did_you_mean
from budgetlint.units import (
    CountInGigaError,
    UnitError,
    parse_bandwidth,
    parse_bytes,
    parse_fraction,
    parse_rate,
    parse_time,
)

Loader = Callable[[Path, Position], Document]
MAPPINGS = ("budgets", "compute", "max_increase", "training")
MAX_EXTENDS = 16


@dataclass(frozen=True)
class _Definition:
    document: Document
    path: JsonPath  # ("devices", name)

    @property
    def data(self) -> dict[str, Any]:
        value: dict[str, Any] = self.document.data["devices"][self.path[1]]
        return value


@dataclass(frozen=True)
class _Field:
    value: Any
    document: Document
    path: JsonPath

    @property
    def position(self) -> Position:
        return self.document.position(self.path)


def _definitions(
    document: Document,
    load: Loader,
    active: tuple[str, ...],
    problems: list[Problem],
    done: dict[str, tuple[dict[str, _Definition], bool]] | None = None,
) -> tuple[dict[str, _Definition], bool]:
    """This file's devices and its includes', each name defined once; and whether every
    include could be read. An include that fails is one problem: the rest still count.
    A profile reached twice (two libraries including one file, or one file included
    twice) is one profile; each file's table is made once (`done`), so diamonds of
    includes cost one visit per file, not one per path."""
    done = {} if done is None else done
    if document.path in done:
        return done[document.path]
    table: dict[str, _Definition] = {}
    complete = True
    for index, reference in enumerate(document.data.get("include", [])):
        where = document.position(("include", index))
        try:
            included = load(Path(document.path).parent / reference, where)
        except SpecError as error:
            problems.extend(error.problems)
            complete = False
            continue
        if included.path in active:
            chain = " → ".join((*active, included.path))
            problems.append(Problem(where, "include.circular", f"circular include: {chain}"))
            continue
        found, whole = _definitions(included, load, (*active, included.path), problems, done)
        complete = complete and whole
        for name, definition in found.items():
            if table.get(name) == definition:
                continue  # the same profile, reached again
            if name in table:
                problems.append(
                    Problem(
                        where,
                        "device.duplicate",
                        f"device '{name}' comes from both {table[name].document.path} "
                        f"and {definition.document.path}",
                    )
                )
                continue
            table[name] = definition
    for name in document.data.get("devices", {}):
        if name in table:
            problems.append(
                Problem(
                    document.position(("devices", name), key=True),
                    "device.duplicate",
                    f"device '{name}' is already defined in {table[name].document.path}",
                )
            )
            continue
        table[name] = _Definition(document, ("devices", name))
    done[document.path] = (table, complete)
    return table, complete


def _lineage(name: str, table: dict[str, _Definition]) -> list[_Definition]:
    """The device and the devices it extends, base first."""
    chain = [table[name]]
    seen = [name]
    while "extends" in chain[0].data:
        definition = chain[0]
        parent = definition.data["extends"]
        where = definition.document.position((*definition.path, "extends"))
        if parent in seen:
            raise fail(where, "device.circular", "circular extends: " + " → ".join([*seen, parent]))
        if parent not in table:
            hint = did_you_mean(parent, table) or f" (devices: {', '.join(table)})"
            raise fail(where, "device.unknown", f"extends unknown device '{parent}'{hint}")
        if len(seen) >= MAX_EXTENDS:  # each device walks its chain: keep that short
            raise fail(where, "device.extends_depth", f"extends more than {MAX_EXTENDS} deep")
        seen.append(parent)
        chain.insert(0, table[parent])
    return chain


def _fields(lineage: list[_Definition]) -> dict[str, Any]:
    """Each field from the last definition that writes it; mappings merged key by key."""
    fields: dict[str, Any] = {}
    for definition in lineage:
        for key, value in definition.data.items():
            path = (*definition.path, key)
            if key in MAPPINGS or (key == "warn" and isinstance(value, dict)):
                earlier = fields.get(key)
                merged: dict[str, _Field] = earlier if isinstance(earlier, dict) else {}
                fields[key] = {
                    **merged,
                    **{
                        sub: _Field(item, definition.document, (*path, sub))
                        for sub, item in value.items()
                    },
                }
            else:
                fields[key] = _Field(value, definition.document, path)
    return fields


def _parsed(field: _Field, parse: Callable[[object], float], label: str) -> float:
    try:
        return parse(field.value)
    except CountInGigaError as error:
        # gmacs: 60M → `gmacs: 0.06` or `macs: 60M`
        budget = label.rpartition(".")[2]
        raise fail(
            field.position,
            "budget.unit",
            f"{label}: {field.value!r}: this budget is already in 10^9: "
            f"write `{budget}: {error.in_giga}`, or `{budget[1:]}: {field.value}`",
        ) from None
    except UnitError as error:
        raise fail(field.position, "budget.unit", f"{label}: {error}") from None


def _positive(field: _Field, parse: Callable[[object], float], label: str) -> float:
    value = _parsed(field, parse, label)
    if value <= 0:
        raise fail(field.position, "device.figure", f"{label} must be more than zero")
    return value


def _warn(fields: dict[str, Any]) -> dict[str, float]:
    warn = fields.get("warn")
    if warn is None:
        return {}
    if isinstance(warn, _Field):
        return dict.fromkeys(BUDGET_KINDS, _parsed(warn, parse_fraction, "warn"))
    return {
        budget: _parsed(field, parse_fraction, f"warn.{budget}") for budget, field in warn.items()
    }


def _growth(budget: str, field: _Field) -> Growth:
    """`params: 2%` (of the base value) or `params: 100k` (in the budget's unit)."""
    relative = isinstance(field.value, str) and field.value.strip().endswith("%")
    parse = parse_fraction if relative else BUDGET_KINDS[budget].parse
    allowed = _parsed(field, parse, f"max_increase.{budget}")
    return Growth(budget, allowed, relative, str(field.value), field.position)


def _training(fields: dict[str, Any], dtype: str) -> TrainingConfig | None:
    """The `training:` block; dtypes default down the chain params → grads, master → optimizer."""
    if "training" not in fields:
        return None
    block = {key: field.value for key, field in fields["training"].items()}
    params = block.get("params_dtype", dtype)
    master = block.get("master_dtype")
    return TrainingConfig(
        optimizer=block.get("optimizer", "adam"),
        params_bits=DTYPES[params].bits,
        grads_bits=DTYPES[block.get("grads_dtype", params)].bits,
        master_bits=DTYPES[master].bits if master else 0,
        optimizer_bits=DTYPES[block.get("optimizer_dtype", master or params)].bits,
        checkpointing=block.get("checkpointing", "none"),
    )


def _device(name: str, lineage: list[_Definition], problems: list[Problem]) -> Device:
    fields = _fields(lineage)

    def scalar(key: str, parse: Callable[[object], float], default: float) -> float:
        field = fields.get(key)
        return default if field is None else _parsed(field, parse, key)

    dtype = fields["dtype"].value if "dtype" in fields else DEFAULT_DTYPE
    activation = fields["activation_dtype"].value if "activation_dtype" in fields else dtype
    compute = {
        kind: _positive(field, parse_rate, f"compute.{kind}")
        for kind, field in fields.get("compute", {}).items()
    }
    bandwidth = (
        _positive(fields["bandwidth"], parse_bandwidth, "bandwidth")
        if "bandwidth" in fields
        else None
    )
    efficiency = 1.0
    if "efficiency" in fields:
        efficiency = _positive(fields["efficiency"], parse_fraction, "efficiency")
        if efficiency > 1:
            raise fail(
                fields["efficiency"].position, "device.efficiency", "efficiency can't exceed 100%"
            )
    roofline = roofline_of(
        compute,
        activation,
        bandwidth,
        efficiency,
        scalar("layer_overhead", parse_time, 0.0),
    )
    training = _training(fields, dtype)
    train_dtype = fields["training"].get("params_dtype") if training else None
    train_compute = train_dtype.value if train_dtype else dtype
    train_roofline = roofline_of(
        compute,
        train_compute,
        bandwidth,
        efficiency,
        scalar("layer_overhead", parse_time, 0.0),
    )
    warn = _warn(fields)
    limits: list[Limit] = []
    unreadable: list[str] = []
    for budget, field in fields.get("budgets", {}).items():
        try:
            limit = _parsed(field, BUDGET_KINDS[budget].parse, budget)
        except SpecError as error:
            problems.extend(error.problems)
            unreadable.append(budget)
            continue
        if BUDGET_KINDS[budget].needs_roofline and roofline is None:
            problems.append(
                Problem(
                    field.position,
                    "budget.roofline",
                    f"a {budget} budget needs the device's bandwidth and its compute for "
                    f"{activation} (compute: {{{activation}: ...}})",
                )
            )
            unreadable.append(budget)
            continue
        if BUDGET_KINDS[budget].needs_training and training is None:
            problems.append(
                Problem(
                    field.position,
                    "budget.training",
                    f"a {budget} budget needs the device's training block "
                    "(training: {optimizer: adam, params_dtype: bfloat16, ...})",
                )
            )
            unreadable.append(budget)
            continue
        if budget == "train_step_time" and train_roofline is None:
            problems.append(
                Problem(
                    field.position,
                    "budget.roofline",
                    f"a train_step_time budget needs the device's bandwidth and its compute "
                    f"for {train_compute} (compute: {{{train_compute}: ...}})",
                )
            )
            unreadable.append(budget)
            continue
        limits.append(Limit(budget, limit, str(field.value), field.position, warn.get(budget)))
    growth = []
    for budget, field in fields.get("max_increase", {}).items():
        if BUDGET_KINDS[budget].floor:
            problems.append(
                Problem(
                    field.position,
                    "budget.floor",
                    f"max_increase doesn't apply to {budget}: it is a minimum, not a maximum",
                )
            )
            unreadable.append(f"max_increase.{budget}")
            continue
        try:
            growth.append(_growth(budget, field))
        except SpecError as error:
            problems.extend(error.problems)
            unreadable.append(f"max_increase.{budget}")
    quantization = None
    if "quantization" in fields:
        quantization = _quantization(fields["quantization"], dtype)
    overrides = _overrides(fields["overrides"], quantization) if "overrides" in fields else ()
    own = lineage[-1]
    return Device(
        name,
        dtype,
        tuple(limits),
        own.document.position(own.path, key=True),
        tuple(growth),
        activation,
        roofline,
        roofline_missing=missing_figures(compute, activation, bandwidth),
        training=training,
        train_roofline=train_roofline,
        unreadable=tuple(unreadable),
        quantization=quantization,
        overrides=overrides,
        kv_cache_dtype=fields["kv_cache_dtype"].value if "kv_cache_dtype" in fields else "",
        overhead=scalar("overhead", parse_bytes, 0.0),
    )


def _quantization(field: _Field, dtype: str) -> Quantization | None:
    """`{group: 32, scale_dtype: float16, zero_point: true}` for weights at an integer dtype;
    `none` (or null) for none."""
    value = field.value
    if value is None or value == "none":
        return None
    if dtype not in INTEGER_DTYPES:
        raise fail(
            field.position,
            "device.quantization",
            f"quantization needs an integer dtype ({', '.join(sorted(INTEGER_DTYPES))}), "
            f"not {dtype}",
        )
    scale = value.get("scale_dtype", DEFAULT_SCALE_DTYPE)
    zero = value.get("zero_dtype", scale) if value.get("zero_point", False) else None
    return Quantization(
        value["group"], DTYPES[scale].bits, DTYPES[zero].bits if zero is not None else 0
    )


def _overrides(field: _Field, quantization: Quantization | None) -> tuple[Override, ...]:
    """Each rule's storage for the tensors it selects; an integer dtype without its own
    `quantization` takes the device's."""
    rules = []
    written = field.value
    items = written.items() if isinstance(written, dict) else enumerate(written)
    for key, rule in items:
        at = _Field(rule, field.document, (*field.path, key))
        dtype = rule["dtype"]
        quantized = quantization if dtype in INTEGER_DTYPES else None
        if "quantization" in rule:
            quantized = _quantization(
                _Field(rule["quantization"], field.document, (*at.path, "quantization")), dtype
            )
        storage = Storage(DTYPES[dtype].bits, quantized)
        if isinstance(key, str):  # the mapping form: an op, a role, else a glob on names
            rules.append(_keyed(key, storage))
            continue
        globs = rule.get("layers", [])
        rules.append(
            Override(
                storage,
                (globs,) if isinstance(globs, str) else tuple(globs),
                tuple(rule.get("ops", [])),
                tuple(rule.get("tensors", [])),
            )
        )
    return tuple(rules)


def _keyed(key: str, storage: Storage) -> Override:
    """`rmsnorm:` names an op, `bias:` a role (TENSOR_ROLES), anything else a name glob."""
    if key in OPS:
        return Override(storage, ops=(key,))
    if key in TENSOR_ROLES:
        return Override(storage, roles=(key,))
    return Override(storage, layers=(key,))


@dataclass(frozen=True)
class DeviceTable:
    """The devices a file can target, and the names that can't be judged because their
    definition (or an include that may hold them) is broken: already reported, so a model
    that targets one is not reported again."""

    devices: dict[str, Device]
    broken: frozenset[str]
    complete: bool  # every include was read

    def unresolved(self, name: str) -> bool:
        return name in self.broken or (name not in self.devices and not self.complete)


def read_devices(document: Document, load: Loader) -> tuple[DeviceTable, list[Problem]]:
    """Every device the file can target: its own and its includes'; all problems found."""
    problems: list[Problem] = []
    table, complete = _definitions(document, load, (document.path,), problems)
    devices: dict[str, Device] = {}
    broken: set[str] = set()
    for name in table:
        try:
            devices[name] = _device(name, _lineage(name, table), problems)
        except SpecError as error:
            problems.extend(error.problems)
            broken.add(name)
    return DeviceTable(devices, frozenset(broken), complete), problems
