"""Assemble each model of a spec: its expanded architecture, input, devices and options."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from budgetlint.graph import Architecture, Lora, Node, Shape
from budgetlint.imports.kinds import TORCH_PREFIX
from budgetlint.problems import Position, fail
from budgetlint.spec.binding import BindingError, Unbound, bind, parameter_slots
from budgetlint.spec.blocks import Block, block_table
from budgetlint.spec.devices import DeviceTable
from budgetlint.spec.expander import Context, Expander, used
from budgetlint.spec.files import display_path
from budgetlint.spec.load import Document, JsonPath
from budgetlint.spec.validate import did_you_mean


@dataclass(frozen=True)
class ModelSpec:
    architecture: Architecture
    devices: tuple[str, ...]
    unresolved: tuple[str, ...] = ()  # targets whose definition is broken (already reported)
    declared: bool = True  # under `models:`; False: the file's own top-level `layers:`
    verify: str = ""  # `verify:`, the real model it describes, relative to the working dir
    verify_position: Position | None = None


@dataclass(frozen=True)
class Unbuilt:
    """A model that could not be built (its problems are reported): nothing of it is checked."""

    name: str
    devices: tuple[str, ...]  # the devices it targets, as written


def _arch_params(
    arch: Document, model_doc: Document, model_path: JsonPath, given: dict[str, Any]
) -> dict[str, Any]:
    """An architecture file's `params` (defaults; ~ is required) with a model's values."""
    defaults: dict[str, Any] = arch.data.get("params") or {}
    try:
        return bind(parameter_slots(defaults), given)
    except BindingError as error:
        if error.why is Unbound.UNKNOWN:
            key = error.name
            hint = did_you_mean(key, defaults) or f" (it takes: {', '.join(defaults) or 'none'})"
            raise fail(
                model_doc.position((*model_path, "params", key), key=True),
                "model.unknown_param",
                f"'{arch.path}' has no parameter '{key}'{hint}",
            ) from None
        raise fail(
            model_doc.position(model_path, key=True),
            "model.missing_param",
            f"'{arch.path}' needs parameter '{error.name}': set it in the model's params",
        ) from None


def _nonempty(layers: tuple[Node, ...], context: Context, path: JsonPath) -> tuple[Node, ...]:
    """An architecture of no layers costs nothing and would pass every budget: refused."""
    if not layers:
        raise fail(
            context.document.position(path, key=True),
            "model.empty",
            "the architecture has no layers once expanded (an empty list, or repeats of 0 "
            "times): nothing to check",
        )
    return layers


def _input(value: Any) -> Shape | None:
    return None if value is None else tuple(int(size) for size in value)


def declared_model(
    expander: Expander,
    document: Document,
    name: str,
    file_blocks: dict[str, Block],
    table: DeviceTable,
    input_override: Shape | None,
) -> ModelSpec:
    """A model under `models:`, on an `arch:` file or its own `layers:`."""
    path: JsonPath = ("models", name)
    spec = document.data["models"][name]
    where = document.position(path, key=True)
    devices = table.devices
    targets = tuple(spec.get("devices", []))
    for index, device in enumerate(targets):
        if device not in devices and not table.unresolved(device):
            raise fail(
                document.position((*path, "devices", index)),
                "model.unknown_device",
                f"model '{name}' targets unknown device '{device}'"
                + (did_you_mean(device, devices) or f" (devices: {', '.join(devices) or 'none'})"),
            )
    root = Context(document, file_blocks, {}, (), (document.path,))
    if ("arch" in spec) == ("layers" in spec):
        raise fail(where, "model.arch", f"model '{name}' needs either 'arch' or 'layers'")
    if "arch" in spec:
        arch_doc, layers_path, blocks = expander.architecture_file(
            root, (*path, "arch"), spec["arch"], input_override or _input(spec.get("input"))
        )
        scope = _arch_params(arch_doc, document, path, spec.get("params") or {})
        context = Context(arch_doc, blocks, scope, (), (document.path, arch_doc.path), "", scope)
        source = arch_doc.path
        shape = _input(arch_doc.data.get("input"))
    else:
        model_blocks = block_table(document, (*path, "blocks"))
        for block in model_blocks:
            if block in file_blocks:
                raise fail(
                    document.position((*path, "blocks", block), key=True),
                    "block.duplicate",
                    f"block '{block}' is already defined at the top of the file",
                )
        context = Context(document, {**file_blocks, **model_blocks}, {}, (), (document.path,))
        layers_path = (*path, "layers")
        source = document.path
        shape = None
    shape = input_override or _input(spec.get("input")) or shape
    if shape is None:
        raise fail(where, "model.input", f"model '{name}' has no input shape: add 'input:'")

    def use() -> str:  # said only with a problem
        return f"in {source}, used at {document.position((*path, 'arch'))}"

    expander.start_model()
    # Models on the same architecture file, parameters and input (a sweep) share one
    # expansion: the second costs one step, not the whole architecture again.
    same = (source, repr(sorted(context.scope.items())), shape) if "arch" in spec else None
    if same is not None and same in expander.built:
        expander.count(where)
        layers, units = expander.built[same]
    else:
        expander.units.clear()
        with used(use if "arch" in spec else ""):
            layers = expander.model_layers(context, layers_path)
            layers = _nonempty(layers, context, layers_path)
        units = _outermost(expander.units)
        if same is not None:
            expander.built[same] = (layers, units)
    architecture = Architecture(
        name,
        source,
        shape,
        layers,
        where,
        trainable=_trainable(spec.get("trainable", "none" if "lora" in spec else "all")),
        units=units,
        lora=_lora(spec.get("lora")),
    )
    verify = spec.get("verify")
    return ModelSpec(
        architecture,
        tuple(device for device in targets if device in devices),
        tuple(device for device in targets if device not in devices),
        verify=_verify_target(document.path, verify) if verify else "",
        verify_position=document.position((*path, "verify")) if verify else None,
    )


def _lora(value: dict[str, Any] | None) -> Lora | None:
    """`lora: {rank: 16, alpha: 32, targets: [q_proj, v_proj]}`; alpha defaults to rank."""
    if value is None:
        return None
    rank = int(value["rank"])
    return Lora(rank, float(value.get("alpha", rank)), tuple(value["targets"]))


def _trainable(value: str | list[str]) -> tuple[str, ...]:
    """`all`, `none` or a list of globs on layer names."""
    if value == "all":
        return ("*",)
    if value == "none":
        return ()
    return tuple(value)


def _outermost(units: list[str]) -> tuple[str, ...]:
    """Repeat turns not nested in another: the blocks checkpointing recomputes one at a time."""
    names = set(units)
    return tuple(
        unit
        for unit in dict.fromkeys(units)
        if not any(
            ".".join(unit.split(".")[:end]) in names for end in range(1, unit.count(".") + 1)
        )
    )


def _verify_target(spec_path: str, verify: str) -> str:
    """A model file relative to the spec, or a PyTorch factory (torch:package.module:factory)."""
    if verify.startswith(TORCH_PREFIX):
        return verify
    return display_path(Path(spec_path).parent / verify)


def file_model(
    expander: Expander,
    document: Document,
    blocks: dict[str, Block],
    input_override: Shape | None,
) -> ModelSpec:
    """The file's own top-level `layers:`, a model named after the file."""
    name = str(document.data.get("name") or Path(document.path).stem)
    shape = input_override or _input(document.data.get("input"))
    if shape is None:
        raise fail(
            document.position(()),
            "model.input",
            f"'{document.path}' has no input shape: add 'input:' or pass --input",
        )
    scope = _arch_params(document, document, (), {})
    context = Context(document, blocks, scope, (), (document.path,), "", scope)
    expander.start_model()
    expander.units.clear()
    layers = _nonempty(expander.model_layers(context, ("layers",)), context, ("layers",))
    architecture = Architecture(
        name, document.path, shape, layers, document.position(()), units=_outermost(expander.units)
    )
    return ModelSpec(architecture, (), declared=False)
