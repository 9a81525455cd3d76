"""Expand a validated spec into architectures (blocks and repeats unrolled) and devices.

Layer names: a layer's `name` if it has one, else its path (`layers.4`,
`layers.4.body.2`); names inside blocks, repeats and combinators are
prefixed by the name of the layer that contains them.
"""

from __future__ import annotations

import contextlib
import os
from collections import ChainMap
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from budgetlint.device import Device
from budgetlint.engine.ops import COMBINATORS, OPS, OpDef
from budgetlint.engine.ops.attrs import AttrError, coerce
from budgetlint.engine.ops.merge import DEFAULT_MERGE, MERGES
from budgetlint.graph import Architecture, Group, Layer, Lora, Node, Parallel, Residual, Shape
from budgetlint.imports.kinds import TORCH_PREFIX, is_model
from budgetlint.problems import Position, Problem, SpecError, fail, short_repr
from budgetlint.spec.devices import DeviceTable, read_devices
from budgetlint.spec.expr import ExpressionError, has_template, substitute
from budgetlint.spec.load import Document, JsonPath, load_document
from budgetlint.spec.sources import WORK_TREE, Source, confinement_root
from budgetlint.spec.validate import attribute_hint, did_you_mean, validate
from budgetlint.units import UnitError, parse_count

MAX_UNROLLED = 100_000  # expansion steps per model (see _Expander.count)
MAX_FILE_UNROLLED = 1_000_000  # and for all the models of one spec file together
MAX_NAME = 200  # characters of a layer name kept (its end: the most specific part)
LAYER_KEYS = ("name", "functional", "module")  # keys a layer may carry beside its one op


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


@dataclass(frozen=True)
class Spec:
    path: str
    convention: str
    devices: Mapping[str, Device]
    models: tuple[ModelSpec, ...]
    files: tuple[str, ...]  # every file it reads (loaded or not), this one first
    unbuilt: tuple[Unbuilt, ...] = ()


@dataclass(frozen=True)
class _Block:
    name: str
    params: Mapping[str, Any]  # name → default; None means required
    document: Document
    path: JsonPath


@dataclass(frozen=True)
class _Context:
    document: Document
    blocks: Mapping[str, _Block]
    scope: Mapping[str, Any]
    active_blocks: tuple[str, ...]
    active_files: tuple[str, ...]
    instance: str = ""  # the name of the block use we are inside: scopes `module:` names
    file_params: Mapping[str, Any] = field(default_factory=dict)  # the architecture's `params`


def display_path(path: Path) -> str:
    """Relative to the working directory when it is below it, as users typed it."""
    try:
        relative = os.path.relpath(os.path.normpath(os.path.abspath(path)))
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


class _Files:
    """Loads and validates each file once; remembers every file read.

    Files a spec refers to must resolve (symbolic links followed) inside `root`:
    a spec from a pull request must not read, or echo in its messages, a file
    elsewhere on the machine. The file the user names is read wherever it is.
    """

    def __init__(self, source: Source, root: Path | None = None) -> None:
        self.source = source
        self.root = root  # None: no confinement here (a git revision confines itself)
        self.documents: dict[str, Document] = {}
        self.read: dict[str, None] = {}  # every file tried, loaded or not, in order

    def confine(self, path: Path, shown: str, referenced_at: Position) -> None:
        if self.root is None:
            return
        try:
            resolved = Path(os.path.abspath(path)).resolve()
        except (OSError, RuntimeError):  # a symbolic link loop
            resolved = Path(os.path.abspath(path))
        if not resolved.is_relative_to(self.root):
            raise fail(
                referenced_at,
                "file.outside_repo",
                f"'{shown}' is outside the repository ({display_path(self.root)}): "
                "a spec reads files inside it only",
            )

    def load(
        self, path: Path, referenced_at: Position | None = None, input_shape: Shape | None = None
    ) -> Document:
        key = os.path.normpath(os.path.abspath(path))
        if is_model(path) and input_shape is not None:
            key += f"@{input_shape}"  # a model file imports once per input shape
        if key in self.documents:
            return self.documents[key]
        shown = display_path(path)
        if referenced_at is not None:
            self.confine(path, shown, referenced_at)
        self.read.setdefault(shown)
        try:
            if is_model(path):
                document = _import_model(path, shown, self.source, input_shape)
            else:
                document = load_document(path, shown, self.source)
        except SpecError as error:
            problem = error.problems[0]
            if referenced_at is not None and problem.code.startswith("file."):
                raise fail(referenced_at, problem.code, f"'{shown}': {problem.message}") from None
            raise
        problems = validate(document)
        if problems:
            raise SpecError(*problems)
        self.documents[key] = document
        return document


def _import_model(path: Path, shown: str, source: Source, input_shape: Shape | None) -> Document:
    """`arch: model.onnx` (or a config.json): the spec `budgetlint import` would write."""
    from budgetlint.imports import ImportOptions, byte_limit, import_spec

    raw = source.read_bytes(path, shown, byte_limit(path))
    data, _ = import_spec(raw, shown, ImportOptions(input_shape=input_shape))
    return Document(shown, data)


def _at(document: Document, path: JsonPath) -> Any:
    value: Any = document.data
    for part in path:
        value = value[part]
    return value


def _blocks(document: Document, path: JsonPath) -> dict[str, _Block]:
    table: dict[str, _Block] = {}
    definitions = _at(document, path) if _has(document, path) else {}
    for name, definition in definitions.items():
        where = (*path, name)
        if name in OPS or name in COMBINATORS or name == "arch":
            raise fail(
                document.position(where, key=True),
                "block.shadows_op",
                f"block '{name}' has the name of an op: rename it",
            )
        table[name] = _Block(name, definition.get("params") or {}, document, where)
    return table


def _same(one: _Block, other: _Block) -> bool:
    """The one definition, reached twice (two libraries that use a third)."""
    return (one.document.path, one.path) == (other.document.path, other.path)


def _duplicate(document: Document, block: _Block, other: _Block) -> SpecError:
    where = (
        document.position(block.path, key=True)
        if block.document is document
        else document.position(())
    )
    return SpecError(
        Problem(
            where,
            "block.duplicate",
            f"block '{block.name}' is defined in '{block.document.path}' and in "
            f"'{other.document.path}': rename one",
        )
    )


def _has(document: Document, path: JsonPath) -> bool:
    try:
        _at(document, path)
    except (KeyError, IndexError, TypeError):
        return False
    return True


def _child(parent: str, segment: str) -> str:
    """`parent.segment`, cut to its last MAX_NAME characters so that names stay small
    however deep blocks nest (both parts are already short: the cost is constant)."""
    name = f"{parent}.{segment[-MAX_NAME:]}" if parent else segment[-MAX_NAME:]
    return name if len(name) <= MAX_NAME else "…" + name[1 - MAX_NAME :]


def _label(name: str, scope: str, label: str) -> str:
    """Default names of a combinator's children: its name's part below their scope."""
    if scope == name:
        return label
    own = name[len(scope) + 1 :] if scope else name
    return f"{own}.{label}"


@contextlib.contextmanager
def _used(use: str) -> Iterator[None]:
    """Problems from inside a definition (a block, an architecture file) say which use of
    it led there: the same cause reached by several uses is then one problem."""
    try:
        yield
    except SpecError as error:
        if not use:
            raise
        raise SpecError(*(problem.used_at(use) for problem in error.problems)) from None


class _Expander:
    """Unrolls architectures, counting its work against MAX_UNROLLED per model.

    Every expansion step counts one: each layer, block use, arch use, residual,
    parallel and repeat item, each parallel branch, each turn of an empty repeat
    body (other turns count through their items), and the copying a step does
    beyond that (a block use's parameters and nesting, an arch use's blocks, the
    items of a list value). So
    the work and the memory of expanding any spec are bounded by a constant
    times MAX_UNROLLED, whatever nests in what.
    """

    def __init__(self, files: _Files) -> None:
        self.files = files
        self.unrolled = 0  # expansion steps of the current model, against MAX_UNROLLED
        self.file_unrolled = 0  # of all the models of the file, against MAX_FILE_UNROLLED
        self.groups: list[Group] = []  # the groups being expanded, outermost first
        self.blocks_of: dict[str, dict[str, _Block]] = {}  # file_blocks, per file
        self.built: dict[tuple[str, str, Shape], tuple[tuple[Node, ...], tuple[str, ...]]] = {}
        self.serial = 0
        self.units: list[str] = []  # every repeat turn's name, for per_block checkpointing

    def start_model(self) -> None:
        self.file_unrolled += self.unrolled
        self.unrolled = 0

    def level(
        self, name: str, kind: str, position: Position, transparent: bool
    ) -> contextlib.AbstractContextManager[None]:
        """A group, unless it is left out of the names (`name: ""`, an unnamed repeat):
        then its layers sit in the group around it, as in the framework's module tree."""
        return contextlib.nullcontext() if transparent else self.grouped(name, kind, position)

    @contextlib.contextmanager
    def grouped(self, name: str, kind: str, position: Position) -> Iterator[None]:
        """Everything made inside sits in this group (a report folds it into a subtotal)."""
        self.serial += 1
        self.groups.append(Group(name, kind, position, self.serial))
        try:
            yield
        finally:
            self.groups.pop()

    def file_blocks(self, document: Document, active: tuple[str, ...] = ()) -> dict[str, _Block]:
        """The file's own blocks and those of the files its `use:` names (and theirs).

        A used file is found relative to the file that names it and loaded like an
        `arch:` file; a file that uses itself, directly or not, is refused, and so is a
        block name defined in two files. Each file's table is made once: a diamond of
        uses (two files using a third, each twice) costs one visit per file."""
        if document.path in self.blocks_of:
            return self.blocks_of[document.path]
        chain = active or (document.path,)
        table: dict[str, _Block] = {}
        for index, reference in enumerate(document.data.get("use") or []):
            where = document.position(("use", index))
            used = self.files.load(Path(document.path).parent / reference, where)
            if used.path in chain:
                loop = " → ".join((*chain, used.path))
                raise fail(where, "use.circular", f"circular use: {loop}")
            for name, block in self.file_blocks(used, (*chain, used.path)).items():
                if name in table and not _same(table[name], block):
                    raise _duplicate(document, block, table[name])
                table[name] = block
        for name, block in _blocks(document, ("blocks",)).items():
            if name in table:
                raise _duplicate(document, block, table[name])
            table[name] = block
        self.blocks_of[document.path] = table
        return table

    def layers(
        self, context: _Context, path: JsonPath, parent: str, label: str
    ) -> tuple[Node, ...]:
        """Every item of the list; problems of one item don't hide the next one's."""
        items = _at(context.document, path)
        nodes: list[Node] = []
        problems: list[Problem] = []
        for index, item in enumerate(items):
            default = f"{label}.{index}" if label else str(index)
            try:
                nodes.extend(self.item(context, (*path, index), item, parent, default))
            except SpecError as error:
                if error.problems[0].code in ("layer.too_many", "layer.too_many_in_file"):
                    raise
                problems.extend(error.problems)
        if problems:
            raise SpecError(*problems)
        return tuple(nodes)

    def value(self, context: _Context, path: JsonPath, value: Any) -> Any:
        """Substitute `${...}` in a (possibly nested) value, with a positioned error."""
        if isinstance(value, str) and has_template(value):
            try:
                return substitute(value, context.scope)
            except ExpressionError as error:
                raise fail(
                    context.document.position(path),
                    "expression",
                    f"in {short_repr(value)}: {error}",
                ) from None
        if isinstance(value, list):
            self.count(context.document.position(path), len(value))
            return [self.value(context, (*path, i), item) for i, item in enumerate(value)]
        return value

    def item(
        self, context: _Context, path: JsonPath, item: Any, parent: str, default: str
    ) -> list[Node]:
        document = context.document
        position = document.position(path)
        self.count(position)
        if isinstance(item, str):
            key, body, given = item, None, None
            key_path = path
        else:
            keys = [key for key in item if key not in LAYER_KEYS]
            if len(keys) != 1:
                found = ", ".join(keys) if keys else "nothing but a name"
                raise fail(position, "layer.shape", f"a layer holds exactly one op; found {found}")
            key, body = keys[0], item[keys[0]]
            key_path = (*path, key)
            given = self.value(context, (*path, "name"), item.get("name"))
        if given is not None and not isinstance(given, str | int | float):
            raise fail(
                document.position((*path, "name")),
                "layer.name",
                f"a layer name must be text, not {short_repr(given)}",
            )
        # `name: ""` leaves a scope out of its layers' names (transformers' module paths
        # don't name a residual); its own merge keeps its path
        transparent = given == ""
        name = _child(parent, default if given is None or transparent else str(given))
        scope = parent if transparent else name
        key = self.value(context, key_path, key)
        if not isinstance(key, str):
            raise fail(position, "layer.op", f"an op name must be text, not {short_repr(key)}")
        if key == "residual":
            with self.level(name, key, position, transparent):
                return [self.residual(context, key_path, body, name, position, scope)]
        if key == "parallel":
            with self.level(name, key, position, transparent):
                return [self.parallel(context, key_path, body, name, position, scope)]
        if key == "repeat":
            with self.level(name, key, position, given is None or transparent):
                return self.repeat(context, key_path, body, scope)
        if key == "arch":
            with self.level(name, key, position, transparent):
                return list(self.arch(context, key_path, body, scope))
        if transparent and key in OPS:
            raise fail(
                document.position((*path, "name")),
                "layer.name",
                "an op's name can't be empty (name: \"\" is for residual, parallel, "
                "repeat, blocks and arch)",
            )
        if key in OPS:
            functional = isinstance(item, dict) and item.get("functional") is True
            module = item.get("module") if isinstance(item, dict) else None
            made = self.layer(context, key_path, key, body, name, position, functional)
            if isinstance(module, str):
                made = replace(made, module=f"{context.instance}/{module}")
            return [made]
        if key in context.blocks:
            with self.level(name, key, position, transparent):
                return list(self.block(context, key_path, context.blocks[key], body, scope))
        known = [*OPS, *COMBINATORS, *context.blocks]
        raise fail(
            document.position(key_path, key=isinstance(item, dict)),
            "layer.unknown_op",
            f"unknown op or block '{key}'{did_you_mean(key, known)}",
        )

    def count(self, position: Position, steps: int = 1) -> None:
        """Bounds the work of unrolling, per model and per file (see the class)."""
        self.unrolled += steps
        if self.unrolled > MAX_UNROLLED:
            raise fail(
                position,
                "layer.too_many",
                f"more than {MAX_UNROLLED:,} layers and repeat turns once unrolled: refused "
                "(block and arch uses, residuals and parallel branches count too)",
            )
        if self.file_unrolled + self.unrolled > MAX_FILE_UNROLLED:
            raise fail(
                position,
                "layer.too_many_in_file",
                f"the models of this file unroll to more than {MAX_FILE_UNROLLED:,} layers "
                "and repeat turns together: refused",
            )

    def layer(
        self,
        context: _Context,
        path: JsonPath,
        op_name: str,
        body: Any,
        name: str,
        position: Position,
        functional: bool = False,
    ) -> Layer:
        op: OpDef = OPS[op_name]
        given = body if isinstance(body, dict) else {}
        if body is not None and not isinstance(body, dict):
            raise fail(
                context.document.position(path),
                "layer.attrs",
                f"{op_name}: attributes must be a mapping",
            )
        attrs: dict[str, Any] = {}
        for key, raw in given.items():
            attr = op.attr(key)
            if attr is None:
                names = [a.name for a in op.attrs]
                known = f" (known: {', '.join(names)})" if names else " (it takes none)"
                hint = attribute_hint(key, names) or known
                raise fail(
                    context.document.position((*path, key), key=True),
                    "layer.unknown_attr",
                    f"{op_name} has no attribute '{key}'{hint}",
                )
            value = self.value(context, (*path, key), raw)
            if value is None:
                continue  # null: the attribute's default, or missing when it has none
            try:
                attrs[key] = coerce(attr, value)
            except AttrError as error:
                raise fail(
                    context.document.position((*path, key)),
                    "layer.attr_value",
                    f"{op_name}.{key}: {error}",
                ) from None
        for attr in op.attrs:
            if attr.name not in attrs:
                if attr.required:
                    raise fail(
                        position,
                        "layer.missing_attr",
                        f"{op_name} needs attribute '{attr.name}'",
                    )
                attrs[attr.name] = attr.default
        groups = tuple(self.groups)
        return Layer(name, op_name, MappingProxyType(attrs), position, functional, groups=groups)

    def mapping(self, context: _Context, path: JsonPath, body: Any, what: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise fail(context.document.position(path), "layer.shape", f"{what} takes a mapping")
        return body

    def residual(
        self,
        context: _Context,
        path: JsonPath,
        body: Any,
        name: str,
        position: Position,
        scope: str,
    ) -> Residual:
        spec = self.mapping(context, path, body, "residual")
        main = self.layers(context, (*path, "body"), scope, _label(name, scope, "body"))
        shortcut = (
            self.layers(context, (*path, "shortcut"), scope, _label(name, scope, "shortcut"))
            if spec.get("shortcut")
            else ()
        )
        return Residual(name, main, shortcut, position, tuple(self.groups))

    def parallel(
        self,
        context: _Context,
        path: JsonPath,
        body: Any,
        name: str,
        position: Position,
        scope: str,
    ) -> Parallel:
        spec = self.mapping(context, path, body, "parallel")
        branches = []
        for index in range(len(spec["branches"])):
            self.count(context.document.position((*path, "branches", index)))
            label = _label(name, scope, f"branches.{index}")
            branches.append(self.layers(context, (*path, "branches", index), scope, label))
        merge = self.value(context, (*path, "merge"), spec.get("merge", DEFAULT_MERGE))
        axis = self.value(context, (*path, "axis"), spec.get("axis", 1))
        if merge not in MERGES:
            raise fail(
                context.document.position((*path, "merge")),
                "layer.merge",
                f"merge must be one of {', '.join(MERGES)}, not {short_repr(merge)}",
            )
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise fail(
                context.document.position((*path, "axis")),
                "layer.axis",
                f"axis must be an integer, not {short_repr(axis)}",
            )
        return Parallel(name, tuple(branches), merge, axis, position, tuple(self.groups))

    def repeat(self, context: _Context, path: JsonPath, body: Any, name: str) -> list[Node]:
        spec = self.mapping(context, path, body, "repeat")
        times = self.value(context, (*path, "times"), spec["times"])
        if isinstance(times, str):  # 1e3 or 2k, as YAML 1.1 leaves them
            with contextlib.suppress(UnitError):
                times = parse_count(times)
        if isinstance(times, float) and times.is_integer():
            times = int(times)
        if isinstance(times, bool) or not isinstance(times, int) or times < 0:
            raise fail(
                context.document.position((*path, "times")),
                "layer.times",
                f"repeat times must be a non-negative integer, not {short_repr(times)}",
            )
        if times > MAX_UNROLLED:
            raise fail(
                context.document.position((*path, "times")),
                "layer.too_many",
                f"repeat {times:,} times is more than {MAX_UNROLLED:,}: refused",
            )
        start = self.value(context, (*path, "start"), spec.get("start", 0))
        if isinstance(start, bool) or not isinstance(start, int) or start < 0:
            raise fail(
                context.document.position((*path, "start")),
                "layer.start",
                f"repeat start must be a non-negative integer, not {start!r}",
            )
        single = len(spec["body"]) == 1
        nodes: list[Node] = []
        for turn in range(start, start + times):
            if not spec["body"]:  # a turn of anything else counts through its items
                self.count(context.document.position((*path, "times")))
            # the body's own names and arguments may say which turn this is: ${turn}
            # (a ChainMap, not a copy of the scope per turn: only its first map is ever written)
            scope = ChainMap({"turn": turn}, cast("MutableMapping[str, Any]", context.scope))
            numbered = replace(context, scope=scope)
            self.units.append(self.turn_name(numbered, path, spec["body"], name, turn))
            if single:
                item = spec["body"][0]
                nodes.extend(self.item(numbered, (*path, "body", 0), item, name, str(turn)))
            else:
                turn_name = _child(name, str(turn))
                with self.grouped(turn_name, "repeat", context.document.position(path)):
                    nodes.extend(self.layers(numbered, (*path, "body"), turn_name, ""))
        return nodes

    def turn_name(
        self, context: _Context, path: JsonPath, body: list[Any], name: str, turn: int
    ) -> str:
        """What a turn's layers are named under: its number, or the name its one item
        gives itself (`encoder_layer_${turn}`)."""
        item = body[0] if len(body) == 1 else None
        given = item.get("name") if isinstance(item, dict) else None
        if given is None or given == "":
            return _child(name, str(turn))
        return _child(name, str(self.value(context, (*path, "body", 0, "name"), given)))

    def block(
        self, context: _Context, path: JsonPath, block: _Block, body: Any, name: str
    ) -> tuple[Node, ...]:
        document = context.document
        where = document.position(path, key=True)
        if block.name in context.active_blocks:
            chain = " → ".join((*context.active_blocks, block.name))
            raise fail(where, "block.circular", f"circular block reference: {chain}")
        if body is not None and not isinstance(body, dict):
            raise fail(where, "block.args", f"block '{block.name}' takes a mapping of parameters")
        arguments = body or {}
        copied = len(context.active_blocks) + len(block.params) + len(context.file_params)
        self.count(where, copied + len(arguments))
        scope: dict[str, Any] = {}
        for key, raw in arguments.items():
            if key not in block.params:
                raise fail(
                    document.position((*path, key), key=True),
                    "block.unknown_param",
                    f"block '{block.name}' has no parameter '{key}'"
                    + (
                        did_you_mean(key, block.params) or f" (it takes: {', '.join(block.params)})"
                    ),
                )
            value = self.value(context, (*path, key), raw)
            if value is not None:  # null: the default, or missing when required
                scope[key] = value
        for key, default in block.params.items():
            if key not in scope:
                if default is None:
                    raise fail(
                        where,
                        "block.missing_param",
                        f"block '{block.name}' needs parameter '{key}'",
                    )
                scope[key] = default
        inner = _Context(
            block.document,
            context.blocks,
            {**context.file_params, **scope},
            (*context.active_blocks, block.name),
            context.active_files,
            name,
            context.file_params,
        )
        definition = block.document.position(block.path, key=True)
        with _used(f"in block {block.name} ({definition}), used at {where}"):
            return self.layers(inner, (*block.path, "layers"), name, "")

    def arch(self, context: _Context, path: JsonPath, body: Any, name: str) -> tuple[Node, ...]:
        document, layers_path, blocks = self.architecture_file(context, path, body)
        self.count(context.document.position(path), len(context.active_files) + len(blocks))
        inner = _Context(
            document,
            blocks,
            {},
            (),
            (*context.active_files, document.path),
            name,
        )
        with _used(f"in {document.path}, used at {context.document.position(path)}"):
            return self.layers(inner, layers_path, name, "")

    def architecture_file(
        self, context: _Context, path: JsonPath, reference: Any, input_shape: Shape | None = None
    ) -> tuple[Document, JsonPath, dict[str, _Block]]:
        where = context.document.position(path)
        reference = self.value(context, path, reference)
        if not isinstance(reference, str) or not reference.strip():
            raise fail(where, "arch.path", "arch takes a file path")
        target = Path(context.document.path).parent / reference
        document = self.files.load(target, where, input_shape)
        if document.path in context.active_files:
            chain = " → ".join((*context.active_files, document.path))
            raise fail(where, "arch.circular", f"circular arch reference: {chain}")
        if "layers" not in document.data:
            raise fail(where, "arch.no_layers", f"'{document.path}' has no layers")
        return document, ("layers",), self.file_blocks(document)


def _arch_params(
    arch: Document, model_doc: Document, model_path: JsonPath, given: dict[str, Any]
) -> dict[str, Any]:
    """An architecture file's `params` (defaults; ~ is required) with a model's values."""
    defaults: dict[str, Any] = arch.data.get("params") or {}
    for key in given:
        if key not in defaults:
            hint = did_you_mean(key, defaults) or f" (it takes: {', '.join(defaults) or 'none'})"
            raise fail(
                model_doc.position((*model_path, "params", key), key=True),
                "model.unknown_param",
                f"'{arch.path}' has no parameter '{key}'{hint}",
            )
    scope = {**defaults, **{k: v for k, v in given.items() if v is not None}}
    for key, value in scope.items():
        if value is None:
            raise fail(
                model_doc.position(model_path, key=True),
                "model.missing_param",
                f"'{arch.path}' needs parameter '{key}': set it in the model's params",
            )
    return scope


def _nonempty(layers: tuple[Node, ...], context: _Context, path: JsonPath) -> tuple[Node, ...]:
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


def _model(
    expander: _Expander,
    document: Document,
    name: str,
    file_blocks: dict[str, _Block],
    table: DeviceTable,
    input_override: Shape | None,
) -> ModelSpec:
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
    root = _Context(document, file_blocks, {}, (), (document.path,))
    if ("arch" in spec) == ("layers" in spec):
        raise fail(where, "model.arch", f"model '{name}' needs either 'arch' or 'layers'")
    if "arch" in spec:
        arch_doc, layers_path, blocks = expander.architecture_file(
            root, (*path, "arch"), spec["arch"], input_override or _input(spec.get("input"))
        )
        scope = _arch_params(arch_doc, document, path, spec.get("params") or {})
        context = _Context(arch_doc, blocks, scope, (), (document.path, arch_doc.path), "", scope)
        source = arch_doc.path
        shape = _input(arch_doc.data.get("input"))
    else:
        model_blocks = _blocks(document, (*path, "blocks"))
        for block in model_blocks:
            if block in file_blocks:
                raise fail(
                    document.position((*path, "blocks", block), key=True),
                    "block.duplicate",
                    f"block '{block}' is already defined at the top of the file",
                )
        context = _Context(document, {**file_blocks, **model_blocks}, {}, (), (document.path,))
        layers_path = (*path, "layers")
        source = document.path
        shape = None
    shape = input_override or _input(spec.get("input")) or shape
    if shape is None:
        raise fail(where, "model.input", f"model '{name}' has no input shape: add 'input:'")
    use = f"in {source}, used at {document.position((*path, 'arch'))}" if "arch" in spec else ""
    expander.start_model()
    # Models on the same architecture file, parameters and input (a sweep) share one
    # expansion: the second costs one step, not the whole architecture again.
    same = (source, repr(sorted(context.scope.items())), shape) if "arch" in spec else None
    if same is not None and same in expander.built:
        expander.count(where)
        layers, units = expander.built[same]
    else:
        expander.units.clear()
        with _used(use):
            layers = expander.layers(context, layers_path, "", "layers")
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


def read_spec(
    path: Path,
    input_override: Shape | None = None,
    source: Source = WORK_TREE,
    file_architecture: bool = True,
) -> tuple[Spec | None, list[Problem]]:
    """Load, validate and expand one spec file; all the problems found, not just the first.

    Without `file_architecture`, a top-level `layers:` is not made a model of its own
    (the file is another spec's architecture)."""
    files = _Files(source, confinement_root(path) if source is WORK_TREE else None)
    try:
        document = files.load(path)
    except SpecError as error:
        return None, list(error.problems)
    expander = _Expander(files)
    problems: list[Problem] = []
    table, device_problems = read_devices(document, files.load)
    devices = table.devices
    problems.extend(device_problems)
    try:
        file_blocks = expander.file_blocks(document)
    except SpecError as error:
        return None, [*problems, *error.problems]
    models: list[ModelSpec] = []
    unbuilt: list[Unbuilt] = []
    for name, written in document.data.get("models", {}).items():
        try:
            models.append(_model(expander, document, name, file_blocks, table, input_override))
        except SpecError as error:
            problems.extend(error.problems)
            unbuilt.append(Unbuilt(name, tuple(written.get("devices", []))))
    if "layers" in document.data and file_architecture:
        try:
            models.append(_file_architecture(expander, document, file_blocks, input_override))
        except SpecError as error:
            problems.extend(error.problems)
            unbuilt.append(Unbuilt(Path(document.path).stem, ()))
    if not models and not devices and not problems and not _has_any(document):
        problems.append(
            Problem(document.position(()), "spec.empty", "no models, layers or devices")
        )
    spec = Spec(
        document.path,
        document.data.get("convention", "default"),
        devices,
        tuple(models),
        tuple(files.read),
        tuple(unbuilt),
    )
    return spec, problems


def _has_any(document: Document) -> bool:
    """Layers (another spec's architecture) or blocks (a library that others `use:`)."""
    return "layers" in document.data or bool(document.data.get("blocks"))


def _file_architecture(
    expander: _Expander,
    document: Document,
    blocks: dict[str, _Block],
    input_override: Shape | None,
) -> ModelSpec:
    name = str(document.data.get("name") or Path(document.path).stem)
    shape = input_override or _input(document.data.get("input"))
    if shape is None:
        raise fail(
            document.position(()),
            "model.input",
            f"'{document.path}' has no input shape: add 'input:' or pass --input",
        )
    scope = _arch_params(document, document, (), {})
    context = _Context(document, blocks, scope, (), (document.path,), "", scope)
    expander.start_model()
    expander.units.clear()
    layers = _nonempty(expander.layers(context, ("layers",), "", "layers"), context, ("layers",))
    architecture = Architecture(
        name, document.path, shape, layers, document.position(()), units=_outermost(expander.units)
    )
    return ModelSpec(architecture, (), declared=False)
