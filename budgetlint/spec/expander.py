"""Unroll an architecture's layer list into graph nodes (blocks, repeats, combinators).

Layer names: a layer's `name` if it has one, else its path (`layers.4`,
`layers.4.body.2`); names inside blocks, repeats and combinators are
prefixed by the name of the layer that contains them.
"""

from __future__ import annotations

import contextlib
import copy
from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple, cast

from budgetlint.collector import collector_paused
from budgetlint.engine.ops import COMBINATORS, OPS
from budgetlint.engine.ops.merge import DEFAULT_MERGE, MERGES
from budgetlint.graph import Group, Layer, Node, Parallel, Residual, Shape
from budgetlint.problems import Position, Problem, SpecError, fail, short_repr
from budgetlint.spec.binding import (
    BindingError,
    Unbound,
    attribute_slots,
    bind,
    parameter_slots,
)
from budgetlint.spec.blocks import Block, BlockLibrary, value_at
from budgetlint.spec.expr import ExpressionError, has_template, names_read, substitute
from budgetlint.spec.files import MAX_RUN_STEPS, Files
from budgetlint.spec.load import Document, JsonPath
from budgetlint.spec.memo import Expansion, Replay, remembered
from budgetlint.spec.places import item_positions
from budgetlint.spec.validate import attribute_hint, did_you_mean
from budgetlint.units import UnitError, parse_count

MAX_UNROLLED = 100_000  # expansion steps per model (see Expander.count)
MAX_FILE_UNROLLED = 125_000  # and for all the models of one spec file together (unique work:
# models sharing an expansion count it once), so that every file ends in seconds
MAX_NAME = 200  # characters of a layer name kept (its end: the most specific part)
LAYER_KEYS = ("name", "functional", "module")  # keys a layer may carry beside its one op
MAX_BOUND = 10_000  # distinct op bodies whose bound attributes are shared, per file
REMEMBER = True  # block uses alike replay the first one (False: each expands, for tests)


class TooMuchWork(SpecError):
    """The work bound is passed: the whole model is refused, not just one item."""


@dataclass(frozen=True)
class Context:
    document: Document
    blocks: Mapping[str, Block]
    scope: Mapping[str, Any]
    active_blocks: tuple[str, ...]
    active_files: tuple[str, ...]
    instance: str = ""  # the name of the block use we are inside: scopes `module:` names
    file_params: Mapping[str, Any] = field(default_factory=dict)  # the architecture's `params`


class _Bound(NamedTuple):
    """An op body bound: shared by the layers whose op and body are written alike."""

    op: str
    attrs: Mapping[str, Any]
    steps: int  # what binding it counted (the items of its list values)


class _Use(NamedTuple):
    """One item of a layer list, read: the op, block or combinator it names, and where.
    (A named tuple: one is made per item, and a frozen dataclass costs a call per field.)"""

    context: Context
    path: JsonPath  # the item's own
    key_path: JsonPath  # its op's (the key of a mapping; the item itself when a bare name)
    key: str
    body: Any
    given: Any  # its `name:` as written and substituted; None when it has none
    name: str
    scope: str  # the name its children's names start with
    position: Position
    item: Any

    @property
    def transparent(self) -> bool:
        """`name: ""` leaves a scope out of its layers' names (transformers' module paths
        don't name a residual); its own merge keeps its path."""
        return isinstance(self.given, str) and not self.given


def child_name(parent: str, segment: str) -> str:
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


Where = Position | Callable[[], Position]  # a position, or how to make it when needed


def _located(where: Where) -> Position:
    return where if isinstance(where, Position) else where()


@contextlib.contextmanager
def used(use: str | Callable[[], str]) -> Iterator[None]:
    """Problems from inside a definition (a block, an architecture file) say which use of
    it led there: the same cause reached by several uses is then one problem. (The use is
    said only when there is a problem: a callable makes it then.)"""
    try:
        yield
    except SpecError as error:
        said = use if isinstance(use, str) else use()
        if not said:
            raise
        raise type(error)(*(problem.used_at(said) for problem in error.problems)) from None


class _Grouped:
    """Expander.grouped's block: its group is the innermost while it runs. (A class, not
    a generator: one is made per residual, parallel and block use.)"""

    __slots__ = ("expander", "group", "outer")

    def __init__(self, expander: Expander, group: Group) -> None:
        self.expander = expander
        self.group = group
        self.outer: tuple[Group, ...] = ()

    def __enter__(self) -> None:
        self.outer = self.expander.groups
        self.expander.groups = (*self.outer, self.group)

    def __exit__(self, *raised: object) -> None:
        self.expander.groups = self.outer


@dataclass(frozen=True)
class _Combinator:
    expand: Callable[[Expander, _Use], list[Node]]
    grouped_unnamed: bool = True  # an unnamed use is a group of its own (a repeat is not)


class Expander:
    """Unrolls architectures, counting its work against MAX_UNROLLED per model.

    Every expansion step counts one: each layer, block use, arch use, residual,
    parallel and repeat item, each parallel branch, each turn of an empty repeat
    body (other turns count through their items), and the copying a step does
    beyond that (a block use's parameters and nesting, an arch use's blocks, the
    items of a list value). So
    the work and the memory of expanding any spec are bounded by a constant
    times MAX_UNROLLED, whatever nests in what.
    """

    def __init__(self, files: Files) -> None:
        self.files = files
        self.library = BlockLibrary(files)
        self.unrolled = 0  # expansion steps of the current model, against MAX_UNROLLED
        self.file_unrolled = 0  # of all the models of the file, against MAX_FILE_UNROLLED
        # the groups being expanded, outermost first: a tuple, that every node made
        # inside shares as it is (a tuple of a tuple is itself)
        self.groups: tuple[Group, ...] = ()
        self.built: dict[tuple[str, str, Shape], tuple[tuple[Node, ...], tuple[str, ...]]] = {}
        self.serial = 0
        self.units: list[str] = []  # every repeat turn's name, for per_block checkpointing
        self.remember = REMEMBER
        self.longest = 0  # characters of the longest name made in the block use being expanded
        self.arch_files: dict[tuple[str, str, Shape | None], Document] = {}
        self.substituted: dict[tuple[object, ...], Any] = {}  # texts with `${}`, as read
        self.memo: dict[tuple[object, ...], tuple[Expansion, tuple[object, ...]]] = {}
        self.expansions = 0  # block and arch uses expanded for real
        self.replays = 0  # and replayed from one before
        self.bound: dict[object, _Bound] = {}  # op bodies bound, by _body_key: see attributes()

    def child(self, parent: str, segment: str) -> str:
        """A name below `parent` (see child_name), its length kept: a replay needs to know
        whether a name made inside a block use was cut."""
        name = f"{parent}.{segment}" if parent else segment
        if len(name) > MAX_NAME:
            name = child_name(parent, segment)
        if len(name) > self.longest:
            self.longest = len(name)
        return name

    def start_model(self) -> None:
        self.file_unrolled += self.unrolled
        self.unrolled = 0

    def file_blocks(self, document: Document, active: tuple[str, ...] = ()) -> dict[str, Block]:
        return self.library.of(document, active)

    def level(
        self, name: str, kind: str, position: Position, transparent: bool
    ) -> contextlib.AbstractContextManager[None]:
        """A group, unless it is left out of the names (`name: ""`, an unnamed repeat):
        then its layers sit in the group around it, as in the framework's module tree."""
        return contextlib.nullcontext() if transparent else self.grouped(name, kind, position)

    def grouped(self, name: str, kind: str, position: Position) -> _Grouped:
        """Everything made inside sits in this group (a report folds it into a subtotal)."""
        self.serial += 1
        return _Grouped(self, Group(name, kind, position, self.serial))

    def model_layers(self, context: Context, path: JsonPath) -> tuple[Node, ...]:
        """A model's layers (named `layers.N` unless named), the cyclic collector paused:
        expanding makes many objects and no reference cycles."""
        with collector_paused():
            return self.layers(context, path, "", "layers")

    def layers(self, context: Context, path: JsonPath, parent: str, label: str) -> tuple[Node, ...]:
        """Every item of the list; problems of one item don't hide the next one's."""
        items = value_at(context.document, path)
        places = item_positions(context.document, path, len(items))
        nodes: list[Node] = []
        problems: list[Problem] = []
        for index, item in enumerate(items):
            default = f"{label}.{index}" if label else str(index)
            try:
                shortcut = self.known_op(item, parent, default, places[index])
                if shortcut is not None:  # most items, in a large spec
                    nodes.append(shortcut)
                else:
                    place = places[index]
                    nodes.extend(self.item(context, (*path, index), item, parent, default, place))
            except TooMuchWork:
                raise
            except SpecError as error:
                problems.extend(error.problems)
        if problems:
            raise SpecError(*problems)
        return tuple(nodes)

    def value(self, context: Context, path: JsonPath, value: Any) -> Any:
        """Substitute `${...}` in a (possibly nested) value, with a positioned error."""
        if isinstance(value, str) and has_template(value):
            key = _expression_key(value, context.scope) if self.remember else None
            if key is not None and key in self.substituted:
                return _fresh(self.substituted[key])
            try:
                result = substitute(value, context.scope)
            except ExpressionError as error:
                raise fail(
                    context.document.position(path),
                    "expression",
                    f"in {short_repr(value)}: {error}",
                ) from None
            if key is not None:
                self.substituted[key] = result
            return _fresh(result)
        if isinstance(value, list):
            self.count(partial(context.document.position, path), len(value))
            return [self.value(context, (*path, i), item) for i, item in enumerate(value)]
        return value

    def item(
        self,
        context: Context,
        path: JsonPath,
        item: Any,
        parent: str,
        default: str,
        position: Position | None = None,
    ) -> list[Node]:
        """One item of a layer list (at `position`: None, found from its path), read
        (callers try known_op first)."""
        use = self.read_item(context, path, item, parent, default, position)
        combinator = _COMBINATORS.get(use.key)
        if combinator is not None:
            unnamed = use.given is None and not combinator.grouped_unnamed
            with self.level(use.name, use.key, use.position, use.transparent or unnamed):
                return combinator.expand(self, use)
        if use.key in OPS:
            return [self.op(use)]
        if use.key in context.blocks:
            with self.level(use.name, use.key, use.position, use.transparent):
                return list(self.block(use, context.blocks[use.key]))
        known = [*OPS, *COMBINATORS, *context.blocks]
        raise fail(
            context.document.position(use.key_path, key=isinstance(item, dict)),
            "layer.unknown_op",
            f"unknown op or block '{use.key}'{did_you_mean(use.key, known)}",
        )

    def known_op(self, item: Any, parent: str, default: str, position: Position) -> Layer | None:
        """An item that is an op alone (`relu`, `{linear: {out: 4}}`: no name, no `${}`)
        whose op and body were bound before (see attributes()): its layer differs from
        that one's by its name and place only. Counts what reading it would count (one
        step, and the items of its list values). None: read it (not known, or its steps
        would pass a bound: reading it says where)."""
        if not self.remember:
            return None
        key = item if isinstance(item, str) else _op_key(item)
        known = self.bound.get(key) if key is not None else None
        if known is None:
            return None
        steps = known.steps + 1
        unrolled = self.unrolled + steps  # count()'s check, inline: it runs per item
        run = self.files.work
        if (
            unrolled > MAX_UNROLLED
            or self.file_unrolled + unrolled > MAX_FILE_UNROLLED
            or run.steps + steps > MAX_RUN_STEPS
        ):
            return None
        self.unrolled = unrolled
        run.steps += steps
        name = self.child(parent, default)
        return Layer(name, known.op, known.attrs, position, False, "", self.groups)

    def read_item(
        self,
        context: Context,
        path: JsonPath,
        item: Any,
        parent: str,
        default: str,
        position: Position | None = None,
    ) -> _Use:
        """The item's op (or block, or combinator), body and name; counts one step."""
        document = context.document
        if position is None:
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
            given = item.get("name")
            if given is not None:
                given = self.value(context, (*path, "name"), given)
        if given is not None and not isinstance(given, str | int | float):
            raise fail(
                document.position((*path, "name")),
                "layer.name",
                f"a layer name must be text, not {short_repr(given)}",
            )
        transparent = given == ""
        name = self.child(parent, default if given is None or transparent else str(given))
        if not isinstance(key, str) or has_template(key):
            key = self.value(context, key_path, key)
        if not isinstance(key, str):
            raise fail(position, "layer.op", f"an op name must be text, not {short_repr(key)}")
        scope = parent if transparent else name
        return _Use(context, path, key_path, key, body, given, name, scope, position, item)

    def count(self, position: Where, steps: int = 1) -> None:
        """Bounds the work of unrolling, per model and per file (see the class). The
        position is made only when a bound is passed."""
        self.unrolled += steps
        if self.unrolled > MAX_UNROLLED:
            raise TooMuchWork(
                Problem(
                    _located(position),
                    "layer.too_many",
                    f"more than {MAX_UNROLLED:,} layers and repeat turns once unrolled: refused "
                    "(block and arch uses, residuals and parallel branches count too)",
                )
            )
        if self.file_unrolled + self.unrolled > MAX_FILE_UNROLLED:
            raise TooMuchWork(
                Problem(
                    _located(position),
                    "layer.too_many_in_file",
                    f"the models of this file unroll to more than {MAX_FILE_UNROLLED:,} layers "
                    "and repeat turns together: refused",
                )
            )
        run = self.files.work
        run.steps += steps
        if run.steps > MAX_RUN_STEPS:
            raise TooMuchWork(
                Problem(
                    _located(position),
                    "layer.too_many_in_run",
                    f"the files read in this run unroll to more than {MAX_RUN_STEPS:,} layers "
                    "and repeat turns together: refused",
                )
            )

    def op(self, use: _Use) -> Layer:
        """A layer of one op, its attributes bound."""
        context, path = use.context, use.key_path
        if use.transparent:
            raise fail(
                context.document.position((*use.path, "name")),
                "layer.name",
                "an op's name can't be empty (name: \"\" is for residual, parallel, "
                "repeat, blocks and arch)",
            )
        item, op_name, body = use.item, use.key, use.body
        functional = isinstance(item, dict) and item.get("functional") is True
        if body is not None and not isinstance(body, dict):
            raise fail(
                context.document.position(path),
                "layer.attrs",
                f"{op_name}: attributes must be a mapping",
            )
        attrs = self.attributes(use)
        module = item.get("module") if isinstance(item, dict) else None
        return Layer(
            use.name,
            op_name,
            attrs,
            use.position,
            functional,
            f"{context.instance}/{module}" if isinstance(module, str) else "",
            self.groups,
        )

    def attributes(self, use: _Use) -> Mapping[str, Any]:
        """The op's attributes, bound. A body written alike before (the same op, the same
        text, no `${}`: nothing else decides the binding) shares that binding, and counts
        the steps its binding counted (the items of its list values)."""
        key = _body_key(use.key, use.body) if self.remember else None
        known = self.bound.get(key) if key is not None else None
        if known is not None and self.affords(known.steps):
            self.count(use.position, known.steps)
            return known.attrs
        context, path, steps = use.context, use.key_path, self.unrolled
        try:
            attrs = bind(
                attribute_slots(use.key),
                use.body or {},
                lambda key, raw: self.value(context, (*path, key), raw),
            )
        except BindingError as error:
            raise self.unbound_attribute(use, error) from None
        bound = MappingProxyType(attrs)
        if key is not None and len(self.bound) < MAX_BOUND:
            self.bound[key] = _Bound(use.key, bound, self.unrolled - steps)
        return bound

    def unbound_attribute(self, use: _Use, error: BindingError) -> SpecError:
        document, op_name, key = use.context.document, use.key, error.name
        if error.why is Unbound.UNKNOWN:
            names = list(attribute_slots(op_name))
            known = f" (known: {', '.join(names)})" if names else " (it takes none)"
            hint = attribute_hint(key, names) or known
            return fail(
                document.position((*use.key_path, key), key=True),
                "layer.unknown_attr",
                f"{op_name} has no attribute '{key}'{hint}",
            )
        if error.why is Unbound.INVALID:
            return fail(
                document.position((*use.key_path, key)),
                "layer.attr_value",
                f"{op_name}.{key}: {error.detail}",
            )
        return fail(use.position, "layer.missing_attr", f"{op_name} needs attribute '{key}'")

    def mapping(self, context: Context, path: JsonPath, body: Any, what: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise fail(context.document.position(path), "layer.shape", f"{what} takes a mapping")
        return body

    def residual(self, use: _Use) -> list[Node]:
        context, path, name, scope = use.context, use.key_path, use.name, use.scope
        spec = self.mapping(context, path, use.body, "residual")
        main = self.layers(context, (*path, "body"), scope, _label(name, scope, "body"))
        shortcut = (
            self.layers(context, (*path, "shortcut"), scope, _label(name, scope, "shortcut"))
            if spec.get("shortcut")
            else ()
        )
        return [Residual(name, main, shortcut, use.position, self.groups)]

    def parallel(self, use: _Use) -> list[Node]:
        context, path, name, scope = use.context, use.key_path, use.name, use.scope
        spec = self.mapping(context, path, use.body, "parallel")
        branches = []
        for index in range(len(spec["branches"])):
            self.count(partial(context.document.position, (*path, "branches", index)))
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
        return [Parallel(name, tuple(branches), merge, axis, use.position, self.groups)]

    def repeat(self, use: _Use) -> list[Node]:
        context, path, name = use.context, use.key_path, use.scope
        spec = self.mapping(context, path, use.body, "repeat")
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
            raise TooMuchWork(
                Problem(
                    context.document.position((*path, "times")),
                    "layer.too_many",
                    f"repeat {times:,} times is more than {MAX_UNROLLED:,}: refused",
                )
            )
        start = self.value(context, (*path, "start"), spec.get("start", 0))
        if isinstance(start, bool) or not isinstance(start, int) or start < 0:
            raise fail(
                context.document.position((*path, "start")),
                "layer.start",
                f"repeat start must be a non-negative integer, not {start!r}",
            )
        single = len(spec["body"]) == 1
        # where every turn's item (one item), or every turn's group (several), was written
        where = context.document.position((*path, "body", 0) if single else path)
        nodes: list[Node] = []
        for turn in range(start, start + times):
            if not spec["body"]:  # a turn of anything else counts through its items
                self.count(partial(context.document.position, (*path, "times")))
            # the body's own names and arguments may say which turn this is: ${turn}
            # (a ChainMap, not a copy of the scope per turn: only its first map is ever written)
            scope = ChainMap({"turn": turn}, cast("MutableMapping[str, Any]", context.scope))
            numbered = replace(context, scope=scope)
            self.units.append(self.turn_name(numbered, path, spec["body"], name, turn))
            if single:
                item, label = spec["body"][0], str(turn)
                shortcut = self.known_op(item, name, label, where)
                if shortcut is not None:
                    nodes.append(shortcut)
                else:
                    turn_path = (*path, "body", 0)
                    nodes.extend(self.item(numbered, turn_path, item, name, label, where))
            else:
                turn_name = self.child(name, str(turn))
                with self.grouped(turn_name, "repeat", where):
                    nodes.extend(self.layers(numbered, (*path, "body"), turn_name, ""))
        return nodes

    def turn_name(
        self, context: Context, path: JsonPath, body: list[Any], name: str, turn: int
    ) -> str:
        """What a turn's layers are named under: its number, or the name its one item
        gives itself (`encoder_layer_${turn}`)."""
        item = body[0] if len(body) == 1 else None
        given = item.get("name") if isinstance(item, dict) else None
        if given is None or given == "":
            return self.child(name, str(turn))
        return self.child(name, str(self.value(context, (*path, "body", 0, "name"), given)))

    def block(self, use: _Use, block: Block) -> tuple[Node, ...]:
        context, path, body, name = use.context, use.key_path, use.body, use.scope
        document = context.document
        where = partial(document.position, path, key=True)  # made only for a message
        if block.name in context.active_blocks:
            chain = " → ".join((*context.active_blocks, block.name))
            raise fail(where(), "block.circular", f"circular block reference: {chain}")
        if body is not None and not isinstance(body, dict):
            raise fail(where(), "block.args", f"block '{block.name}' takes a mapping of parameters")
        arguments = body or {}
        copied = len(context.active_blocks) + len(block.params) + len(context.file_params)
        self.count(where, copied + len(arguments))
        try:
            scope = bind(
                parameter_slots(block.params),
                arguments,
                lambda key, raw: self.value(context, (*path, key), raw),
            )
        except BindingError as error:
            raise _unbound_parameter(document, path, where(), block, error) from None
        inner = Context(
            block.document,
            context.blocks,
            {**context.file_params, **scope},
            (*context.active_blocks, block.name),
            context.active_files,
            name,
            context.file_params,
        )

        def use_chain() -> str:
            definition = block.document.position(block.path, key=True)
            return f"in block {block.name} ({definition}), used at {where()}"

        # what decides the expansion but for names: the definition, its arguments, the
        # blocks in reach and the nesting (which the work counted and the circles depend on)
        key = (
            id(block.document),
            block.path,
            repr(sorted(inner.scope.items())),
            repr(sorted(context.file_params.items())),
            id(context.blocks),
            context.active_blocks,
            context.active_files,
        )
        with used(use_chain):
            layers = (*block.path, "layers")
            return self.expand_use(key, inner, layers, where, (block.document, context.blocks))

    def expand_use(
        self,
        key: tuple[object, ...],
        inner: Context,
        path: JsonPath,
        where: Where,
        alive: tuple[object, ...],
    ) -> tuple[Node, ...]:
        """The layers of a block or `arch:` use; a use like one made before (the same
        `key`) replays that one under its own names. A replay counts the work it stands
        for, and one that would pass a bound is expanded for real instead, so that the
        refusal names the same layer. `alive` keeps the objects whose ids the key holds."""
        name = inner.instance
        known = self.memo.get(key) if self.remember else None
        if known is not None and known[0].fits(name, MAX_NAME) and self.affords(known[0].steps):
            self.replays += 1
            expansion = known[0]
            replay = Replay(expansion, name, self.groups, self.serial)
            self.count(where, expansion.steps)
            self.serial += expansion.serials
            self.units.extend(replay.units)
            self.longest = max(self.longest, len(name) + expansion.longest)
            return replay.nodes
        self.expansions += 1
        steps, serial, units, longest = self.unrolled, self.serial, len(self.units), self.longest
        self.longest = 0
        try:
            nodes = self.layers(inner, path, name, "")
            made_longest = self.longest
        finally:
            self.longest = max(longest, self.longest)
        if self.remember:
            made = remembered(
                name,
                nodes,
                len(self.groups),
                range(serial, self.serial),
                tuple(self.units[units:]),
                self.unrolled - steps,
                made_longest,
                MAX_NAME,
            )
            if made is not None:
                self.memo[key] = (made, alive)
        return nodes

    def affords(self, steps: int) -> bool:
        """Can `steps` more be counted without passing a bound?"""
        unrolled = self.unrolled + steps
        return (
            unrolled <= MAX_UNROLLED
            and self.file_unrolled + unrolled <= MAX_FILE_UNROLLED
            and self.files.work.steps + steps <= MAX_RUN_STEPS
        )

    def arch(self, use: _Use) -> list[Node]:
        context, path = use.context, use.key_path
        document, layers_path, blocks = self.architecture_file(context, path, use.body)
        where = partial(context.document.position, path)
        self.count(where, len(context.active_files) + len(blocks))
        inner = Context(
            document,
            blocks,
            {},
            (),
            (*context.active_files, document.path),
            use.scope,
        )
        key = ("arch", id(document), context.active_files)  # it has no arguments
        with used(lambda: f"in {document.path}, used at {where()}"):
            return list(self.expand_use(key, inner, layers_path, where, (document,)))

    def architecture_file(
        self, context: Context, path: JsonPath, reference: Any, input_shape: Shape | None = None
    ) -> tuple[Document, JsonPath, dict[str, Block]]:
        where = partial(context.document.position, path)  # made only for a message
        reference = self.value(context, path, reference)
        if not isinstance(reference, str) or not reference.strip():
            raise fail(where(), "arch.path", "arch takes a file path")
        # the same reference from the same file finds the same document (a sweep's models)
        found = (context.document.path, reference, input_shape)
        document = self.arch_files.get(found)
        if document is None:
            target = Path(context.document.path).parent / reference
            document = self.arch_files[found] = self.files.load(target, where(), input_shape)
        if document.path in context.active_files:
            chain = " → ".join((*context.active_files, document.path))
            raise fail(where(), "arch.circular", f"circular arch reference: {chain}")
        if "layers" not in document.data:
            raise fail(where(), "arch.no_layers", f"'{document.path}' has no layers")
        return document, ("layers",), self.file_blocks(document)


def _body_key(op: str, body: Any) -> object | None:
    """What decides an op body's binding, when it holds no `${}`: the op and the body's
    text (`repr`, which tells `4`, `4.0`, `true` and `'4'` apart and keeps the order).
    None (not shared) when it holds `${}`."""
    if body is None or body == {}:
        return op  # no body, or an empty one: every attribute its default
    text = repr(body)
    return None if has_template(text) else (op, text)


def _op_key(item: Any) -> object | None:
    """The _body_key of an item that is an op alone (a bare name, or a mapping of one
    key: an op and its body), else None. Only an op's key is ever remembered: the key
    of anything else (a combinator, a block use, a named layer) finds nothing."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and len(item) == 1:
        for op, body in item.items():
            return _body_key(op, body) if op in OPS else None
    return None


def _fresh(value: Any) -> Any:
    """A remembered value, its lists copied (each use owns what it is given)."""
    return copy.deepcopy(value) if isinstance(value, list) else value


def _expression_key(text: str, scope: Mapping[str, Any]) -> tuple[object, ...] | None:
    """What decides a text's substitution: the text and the values of the names it reads
    (their reprs: 1, 1.0 and True differ). None: not to be remembered."""
    names = names_read(text)
    if names is None:
        return None
    return (text, *((name, repr(scope[name])) if name in scope else name for name in names))


def _unbound_parameter(
    document: Document, path: JsonPath, where: Position, block: Block, error: BindingError
) -> SpecError:
    key = error.name
    if error.why is Unbound.UNKNOWN:
        hint = did_you_mean(key, block.params) or f" (it takes: {', '.join(block.params)})"
        return fail(
            document.position((*path, key), key=True),
            "block.unknown_param",
            f"block '{block.name}' has no parameter '{key}'{hint}",
        )
    return fail(where, "block.missing_param", f"block '{block.name}' needs parameter '{key}'")


# The combinators, by the key that names them in a layer list (ops and blocks are the rest).
_COMBINATORS: dict[str, _Combinator] = {
    "residual": _Combinator(Expander.residual),
    "parallel": _Combinator(Expander.parallel),
    "repeat": _Combinator(Expander.repeat, grouped_unnamed=False),
    "arch": _Combinator(Expander.arch),
}
