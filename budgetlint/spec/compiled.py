"""The spec schema compiled once into plain Python predicates: is this value valid?

jsonschema builds a validator object and resolves `$ref` again for every value it
descends into: at 100,000 layers that is seconds. A valid value has no errors to
report, so the question "valid?" is all a valid spec needs; the predicates here
answer it at a few microseconds a layer. They follow Draft 7 as jsonschema applies
it (types as its draft-7 type checker reads them, `enum` with booleans apart from
numbers, `$ref` siblings ignored, `format` not checked), and a keyword they don't
know makes `compile_schema` refuse the schema (`Unsupported`) rather than guess.

Only ever a shortcut: a value the predicate refuses goes to jsonschema, whose
errors are reported as before; so a predicate stricter than jsonschema costs time,
never a message. tests/spec/test_compiled.py keeps the two in agreement.

How it stays cheap per value:
- Every keyword of Draft 7 but `enum`/`const` applies to one kind of value (an
  object, an array, a string, a number) and lets every other kind through. So each
  schema node is compiled into a table: for each kind of value, True (every value of
  that kind is valid), False (none is) or a check that only ever sees that kind. A
  value costs one lookup of its type, and `anyOf` keeps, per kind, only the branches
  that can accept it (a string layer is valid without a call).
- `$ref` is resolved at compile time (a recursive one through one indirection).
- A subschema met again (the same content anywhere) is compiled once, and the
  schemas under `properties` (every op's) only when a value first reaches them:
  compiling costs about a millisecond, not the whole schema's walk.
- A mapping's keywords (`properties`, `required`, `additionalProperties`, the
  sizes) are one check: a `conv2d: {out: 64, kernel: 3}` layer costs four calls.
- No memo of accepted values: a key of a layer's content (with each scalar's type,
  or `True` would pass for `1`) costs more to build and look up than the check it
  would save (measured 1.8 against 1.6 microseconds for `conv2d: {out: 4, kernel: 1}`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

Check = Callable[[Any], bool]
# For one kind of value: every value of it is valid (True), none is (False), or ask.
Verdict = bool | Check
# At run time: exact type → check, None where every value of the type is valid.
Runtime = dict[type, Check | None]


class Unsupported(Exception):
    """A schema keyword (or form of one) these predicates don't implement."""


class Other:
    """The kind of a value that is none of JSON's (a date, a tuple, bytes): no `type`
    accepts it, and every keyword but `enum`/`const` lets it through."""


NoneType = type(None)
NUMBERS = (int, float)  # a boolean is its own kind, as jsonschema's draft 7 reads it
SCALARS = (str, *NUMBERS, bool, NoneType)
KINDS: tuple[type, ...] = (dict, list, *SCALARS, Other)
_EXACT = frozenset(KINDS) - {Other}


def kind_of(value: Any) -> type:
    """The kind a value is validated as (a subclass as its base: draft 7's isinstance)."""
    exact = type(value)
    if exact in _EXACT:
        return exact
    for kind in (bool, int, float, str, dict, list):
        if isinstance(value, kind):
            return kind
    return Other


TYPES: dict[str, frozenset[type]] = {
    "object": frozenset({dict}),
    "array": frozenset({list}),
    "string": frozenset({str}),
    "integer": frozenset({int}),  # and a float that is whole (draft 6 and later)
    "number": frozenset(NUMBERS),
    "boolean": frozenset({bool}),
    "null": frozenset({NoneType}),
}

# Keywords that say something to people and editors, nothing to validation.
ANNOTATIONS = frozenset(
    {
        "$id",
        "$schema",
        "default",
        "definitions",
        "description",
        "examples",
        "markdownDescription",
        "patternErrorMessage",
        "title",
        "x-budgetlint-quantity",
    }
)


def _equal(one: Any, two: Any) -> bool:
    """jsonschema's equality for scalars: booleans equal booleans only; 1 == 1.0."""
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    if one is None or two is None:
        return one is two
    if isinstance(one, list | dict) or isinstance(two, list | dict):
        raise Unsupported("enum or const of a list or mapping")
    return bool(one == two)


def _every(verdicts: list[Verdict]) -> Verdict:
    """Valid when every verdict says so (a conjunction, simplified)."""
    if any(verdict is False for verdict in verdicts):
        return False
    checks = tuple(verdict for verdict in verdicts if not isinstance(verdict, bool))
    if not checks:
        return True
    if len(checks) == 1:
        return checks[0]

    def every(value: Any) -> bool:
        for check in checks:  # noqa: SIM110 - all() costs a generator per value
            if not check(value):
                return False
        return True

    return every


def _some(verdicts: list[Verdict]) -> Verdict:
    """Valid when one verdict says so (a disjunction, simplified)."""
    if any(verdict is True for verdict in verdicts):
        return True
    checks = tuple(verdict for verdict in verdicts if not isinstance(verdict, bool))
    if not checks:
        return False
    if len(checks) == 1:
        return checks[0]

    def some(value: Any) -> bool:
        for check in checks:  # noqa: SIM110 - any() costs a generator per value
            if check(value):
                return True
        return False

    return some


@dataclass(frozen=True, eq=False)
class Table:
    """A schema compiled: the verdict for each kind of value in `kinds`, and `rest`
    for every other kind (most keywords concern one kind and let the others through)."""

    rest: bool
    kinds: Mapping[type, Verdict] = field(default_factory=dict)

    def verdict(self, kind: type) -> Verdict:
        return self.kinds.get(kind, self.rest)


def _combined(tables: list[Table], every: bool) -> Table:
    """All the tables (`every`) or one of them (`anyOf`), kind by kind."""
    if len(tables) == 1:
        return tables[0]
    combine = _every if every else _some
    rests = [table.rest for table in tables]
    kinds = {kind for table in tables for kind in table.kinds}
    verdicts = {kind: combine([table.verdict(kind) for table in tables]) for kind in kinds}
    return Table(all(rests) if every else any(rests), verdicts)


def _only(kind_checks: Mapping[type, Verdict]) -> Table:
    """A keyword that applies to some kinds and lets every other kind through."""
    return Table(True, kind_checks)


TRUE = Table(True)
FALSE = Table(False)


def _no(value: Any) -> bool:
    return False


def runtime(table: Table) -> Runtime:
    """The table by exact type, for the loops that check many values."""
    verdicts = {kind: table.verdict(kind) for kind in KINDS}
    return {
        kind: None if verdict is True else _no if verdict is False else verdict
        for kind, verdict in verdicts.items()
    }


def _unknown(value: Any) -> bool:
    """A sentinel, never called: the value's exact type is not a kind (a subclass)."""
    return False


def predicate(table: Table) -> Check:
    """The whole node as one check of any value."""
    checks = runtime(table)
    get = checks.get

    def check(value: Any) -> bool:
        test = get(type(value), _unknown)
        if test is _unknown:
            test = checks[kind_of(value)]
        return test is None or test(value)

    return check


class _Compiler:
    def __init__(self, root: Mapping[str, Any] | bool, eager: bool) -> None:
        self.root = root
        self.eager = eager
        self.refs: dict[str, Table] = {}
        self.compiling: set[str] = set()
        # Hash-consing: a schema met again (the same content, anywhere) is compiled once.
        self.shapes: dict[int, int] = {}  # id of a schema's object → its interned shape
        self.interned: dict[Hashable, int] = {}
        self.tables: dict[int, Table] = {}  # interned shape → table
        self.runtimes: dict[int, tuple[Table, Runtime]] = {}  # by the table's id

    def ref(self, reference: str) -> Table:
        """The table of `#/definitions/NAME` (or `#`), compiled once; a reference met
        again while its own target compiles (recursion) is looked up when it runs."""
        if reference in self.refs:
            return self.refs[reference]
        if reference in self.compiling:
            return self._later(reference)
        self.compiling.add(reference)
        table = self.schema(self.target(reference))
        self.refs[reference] = table
        self.compiling.discard(reference)
        return self.refs[reference]

    def _later(self, reference: str) -> Table:
        refs = self.refs

        def later(kind: type) -> Check:
            def check(value: Any) -> bool:
                verdict = refs[reference].verdict(kind)
                return verdict if isinstance(verdict, bool) else verdict(value)

            return check

        return Table(False, {kind: later(kind) for kind in KINDS})

    def target(self, reference: str) -> Any:
        if reference == "#":
            return self.root
        prefix = "#/definitions/"
        if not reference.startswith(prefix) or "/" in reference[len(prefix) :]:
            raise Unsupported(f"$ref {reference}")
        if not isinstance(self.root, Mapping):
            raise Unsupported(f"$ref {reference} in a schema without definitions")
        return self.root["definitions"][reference[len(prefix) :]]

    def shape(self, schema: dict[str, Any] | list[Any]) -> int:
        """A number equal for two schemas of the same content, annotations aside. The
        schemas of `properties` count by identity: they compile apart, when first met."""
        known = self.shapes.get(id(schema))
        if known is not None:
            return known
        parts = schema.items() if isinstance(schema, dict) else enumerate(schema)
        key = (
            type(schema),
            *(
                (
                    name,
                    ("identity", id(part))
                    if name == "properties" and isinstance(schema, dict)
                    else self.shape(part)
                    if isinstance(part, dict | list)
                    else (type(part), part),
                )
                for name, part in parts
                if name not in ANNOTATIONS
            ),
        )
        shape = self.interned.setdefault(key, len(self.interned))
        self.shapes[id(schema)] = shape  # the schema outlives the compiler: its id holds
        return shape

    def schema(self, schema: Any) -> Table:
        if schema is True or schema == {}:
            return TRUE
        if schema is False:
            return FALSE
        if not isinstance(schema, dict):
            raise Unsupported(f"schema {schema!r}")
        if "$ref" in schema:  # draft 7: its siblings are ignored
            return self.ref(schema["$ref"])
        shape = self.shape(schema)
        if shape in self.tables:
            return self.tables[shape]
        tables = []
        for keyword, argument in schema.items():
            if keyword in ANNOTATIONS:
                continue
            if keyword not in KEYWORDS:
                raise Unsupported(f"keyword {keyword}")
            tables.append(KEYWORDS[keyword](self, argument, schema))
        table = _combined(tables, every=True) if tables else TRUE
        self.tables[shape] = table
        return table

    def runtime(self, schema: Any) -> Runtime:
        table = self.schema(schema)
        if id(table) not in self.runtimes:  # the table is kept beside: its id holds
            self.runtimes[id(table)] = (table, runtime(table))
        return self.runtimes[id(table)][1]

    def lazy(self, schema: Any) -> Runtime:
        """The runtime of `schema`, compiled when a value first reaches it: `properties`
        name many schemas (every op) of which a spec uses a few. A keyword it can't
        follow then refuses every value, so that jsonschema decides."""
        if self.eager or schema is True or schema == {}:
            return self.runtime(schema)
        checks: Runtime = {}

        def first(value: Any) -> bool:
            try:
                checks.update(self.runtime(schema))
            except Unsupported:
                checks.update(dict.fromkeys(KINDS, _no))
            test = checks[kind_of(value)]
            return test is None or test(value)

        checks.update(dict.fromkeys(KINDS, first))
        return checks


def _whole(value: float) -> bool:
    return value.is_integer()


def _type(compiler: _Compiler, argument: Any, schema: Any) -> Table:
    names = [argument] if isinstance(argument, str) else list(argument)
    kinds = frozenset().union(*(TYPES[name] for name in names))
    verdicts: dict[type, Verdict] = dict.fromkeys(kinds, True)
    if "integer" in names and float not in kinds:
        verdicts[float] = _whole
    return Table(False, verdicts)


def _loop_all(checks: Runtime) -> Callable[[Any], bool]:
    """A check of many values against one node, its dispatch inlined."""
    get = checks.get

    def every(values: Any) -> bool:
        for item in values:
            test = get(type(item), _unknown)
            if test is _unknown:
                test = checks[kind_of(item)]
            if test is not None and not test(item):
                return False
        return True

    return every


def _properties(compiler: _Compiler, argument: Any, schema: Any) -> Table:
    """`properties` with its siblings `additionalProperties`, `required`,
    `minProperties` and `maxProperties`: one check of a mapping."""
    known = {name: compiler.lazy(sub) for name, sub in argument.items()}
    extra = schema.get("additionalProperties", True)
    other = None if extra is True else compiler.runtime(extra)
    names = frozenset(schema.get("required", ()))
    low = schema.get("minProperties", 0)
    high = schema.get("maxProperties", math.inf)

    def check(value: Any) -> bool:
        if not low <= len(value) <= high or (names and not value.keys() >= names):
            return False
        for key, item in value.items():
            checks = known.get(key, other)
            if checks is None:
                continue
            test = checks.get(type(item), _unknown)
            if test is _unknown:
                test = checks[kind_of(item)]
            if test is not None and not test(item):
                return False
        return True

    return _only({dict: check})


def _beside_properties(keyword: Callable[[_Compiler, Any, Any], Table]) -> Any:
    """A keyword about a mapping that `properties`, where there is one, checks."""

    def compiled(compiler: _Compiler, argument: Any, schema: Any) -> Table:
        return TRUE if "properties" in schema else keyword(compiler, argument, schema)

    return compiled


def _additional(compiler: _Compiler, argument: Any, schema: Any) -> Table:
    """`additionalProperties` without `properties`: every value is extra."""
    every = _loop_all(compiler.runtime(argument))
    return _only({dict: lambda value: every(value.values())})


def _refused(compiler: _Compiler, argument: Any, schema: Any) -> Table:
    raise Unsupported("patternProperties")


def _required(compiler: _Compiler, argument: Any, schema: Any) -> Table:
    names = frozenset(argument)
    return _only({dict: lambda value: value.keys() >= names} if names else {})


def _property_names(compiler: _Compiler, argument: Any, schema: Any) -> Table:
    return _only({dict: _loop_all(compiler.runtime(argument))})


def _min_properties(compiler: _Compiler, argument: Any, schema: Any) -> Table:
    return _only({dict: lambda value: len(value) >= argument})


def _max_properties(compiler: _Compiler, argument: Any, schema: Any) -> Table:
    return _only({dict: lambda value: len(value) <= argument})


def _items(compiler: _Compiler, argument: Any, schema: Any) -> Table:
    if not isinstance(argument, dict | bool):
        raise Unsupported("items as a list of schemas")
    return _only({list: _loop_all(compiler.runtime(argument))})


def _min_items(compiler: _Compiler, argument: Any, schema: Any) -> Table:
    return _only({list: lambda value: len(value) >= argument})


def _max_items(compiler: _Compiler, argument: Any, schema: Any) -> Table:
    return _only({list: lambda value: len(value) <= argument})


def _any_of(compiler: _Compiler, argument: Any, schema: Any) -> Table:
    return _combined([compiler.schema(sub) for sub in argument], every=False)


def _all_of(compiler: _Compiler, argument: Any, schema: Any) -> Table:
    return _combined([compiler.schema(sub) for sub in argument], every=True)


def _enum(compiler: _Compiler, argument: Any, schema: Any) -> Table:
    choices = list(argument)
    others = [choice for choice in choices if not isinstance(choice, str)]
    for choice in others:
        _equal(choice, choice)  # refuses lists and mappings
    texts = frozenset(choice for choice in choices if isinstance(choice, str))
    numbers = frozenset(c for c in others if isinstance(c, NUMBERS) and not isinstance(c, bool))
    flags = frozenset(choice for choice in others if isinstance(choice, bool))

    def other(value: Any) -> bool:
        return any(_equal(value, choice) for choice in others)

    verdicts: dict[type, Verdict] = {}  # a list or a mapping equals no scalar
    if texts:
        verdicts[str] = lambda value: value in texts
    if numbers:
        verdicts[int] = verdicts[float] = lambda value: value in numbers
    if flags:
        verdicts[bool] = lambda value: value in flags
    if None in others:
        verdicts[NoneType] = True
    if others:
        verdicts[Other] = other
    return Table(False, verdicts)


def _const(compiler: _Compiler, argument: Any, schema: Any) -> Table:
    return _enum(compiler, [argument], schema)


def _pattern(compiler: _Compiler, argument: Any, schema: Any) -> Table:
    """A regular expression compiled when a string first reaches it (a few
    milliseconds for the schema's dozens, in a process that may check only numbers)."""
    searches = [re.compile(argument).search] if compiler.eager else []

    def check(value: Any) -> bool:
        if not searches:
            searches.append(re.compile(argument).search)
        return searches[0](value) is not None

    return _only({str: check})


def _min_length(compiler: _Compiler, argument: Any, schema: Any) -> Table:
    return _only({str: lambda value: len(value) >= argument})


def _max_length(compiler: _Compiler, argument: Any, schema: Any) -> Table:
    return _only({str: lambda value: len(value) <= argument})


def _numeric(compare: Check) -> Table:
    return _only(dict.fromkeys(NUMBERS, compare))


def _minimum(compiler: _Compiler, argument: Any, schema: Any) -> Table:
    return _numeric(lambda value: value >= argument)


def _maximum(compiler: _Compiler, argument: Any, schema: Any) -> Table:
    return _numeric(lambda value: value <= argument)


def _exclusive_minimum(compiler: _Compiler, argument: Any, schema: Any) -> Table:
    return _numeric(lambda value: value > argument)


def _exclusive_maximum(compiler: _Compiler, argument: Any, schema: Any) -> Table:
    return _numeric(lambda value: value < argument)


KEYWORDS: dict[str, Callable[[_Compiler, Any, Any], Table]] = {
    "type": _type,
    "properties": _properties,
    "additionalProperties": _beside_properties(_additional),
    "patternProperties": _refused,  # not in the spec schema: left to jsonschema
    "required": _beside_properties(_required),
    "propertyNames": _property_names,
    "minProperties": _beside_properties(_min_properties),
    "maxProperties": _beside_properties(_max_properties),
    "items": _items,
    "minItems": _min_items,
    "maxItems": _max_items,
    "anyOf": _any_of,
    "allOf": _all_of,
    "enum": _enum,
    "const": _const,
    "pattern": _pattern,
    "minLength": _min_length,
    "maxLength": _max_length,
    "minimum": _minimum,
    "maximum": _maximum,
    "exclusiveMinimum": _exclusive_minimum,
    "exclusiveMaximum": _exclusive_maximum,
}


def compile_schema(root: Mapping[str, Any] | bool, eager: bool = False) -> Callable[[str], Check]:
    """`predicate(reference)`: the compiled check of `#` or `#/definitions/NAME`.
    Raises Unsupported, at once, for a keyword it can't follow anywhere in the schema
    (`eager`), or anywhere but under `properties`, each compiled when a value first
    reaches it (then the property refuses every value: jsonschema decides)."""
    compiler = _Compiler(root, eager)
    compiler.ref("#")
    for name in root.get("definitions", {}) if isinstance(root, dict) else ():
        compiler.ref(f"#/definitions/{name}")
    predicates = {reference: predicate(table) for reference, table in compiler.refs.items()}

    def lookup(reference: str) -> Check:
        if reference not in predicates:
            predicates[reference] = predicate(compiler.ref(reference))
        return predicates[reference]

    return lookup
