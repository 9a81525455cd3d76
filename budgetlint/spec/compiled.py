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
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]


class Unsupported(Exception):
    """A schema keyword (or form of one) these predicates don't implement."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    # draft 6 and later: 1.0 is an integer
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


TYPES: dict[str, Check] = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
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


class _Compiler:
    def __init__(self, root: Mapping[str, Any] | bool) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def ref(self, reference: str) -> Check:
        """The predicate of `#/definitions/NAME` (or `#`), compiled once; recursion
        through a reference is resolved when the predicate first runs."""
        if reference not in self.refs:
            table = self.refs
            self.refs[reference] = lambda value: table[reference](value)  # a forward cell
            self.refs[reference] = self.schema(self.target(reference))
        return self.refs[reference]

    def target(self, reference: str) -> Any:
        if reference == "#":
            return self.root
        prefix = "#/definitions/"
        if not reference.startswith(prefix) or "/" in reference[len(prefix) :]:
            raise Unsupported(f"$ref {reference}")
        if not isinstance(self.root, Mapping):
            raise Unsupported(f"$ref {reference} in a schema without definitions")
        return self.root["definitions"][reference[len(prefix) :]]

    def schema(self, schema: Any) -> Check:
        if schema is True or schema == {}:
            return lambda value: True
        if schema is False:
            return lambda value: False
        if not isinstance(schema, dict):
            raise Unsupported(f"schema {schema!r}")
        if "$ref" in schema:  # draft 7: its siblings are ignored
            return self.ref(schema["$ref"])
        checks = []
        for keyword, argument in schema.items():
            if keyword in ANNOTATIONS:
                continue
            if keyword not in KEYWORDS:
                raise Unsupported(f"keyword {keyword}")
            checks.append(KEYWORDS[keyword](self, argument, schema))
        return _all(checks)


def _all(checks: list[Check]) -> Check:
    if not checks:
        return lambda value: True
    if len(checks) == 1:
        return checks[0]
    first, *rest = checks
    return lambda value: first(value) and all(check(value) for check in rest)


def _type(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    names = [argument] if isinstance(argument, str) else list(argument)
    tests = [TYPES[name] for name in names]
    if len(tests) == 1:
        return tests[0]
    return lambda value: any(test(value) for test in tests)


def _properties(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    """`properties` with `additionalProperties`."""
    known = {name: compiler.schema(sub) for name, sub in argument.items()}
    extra = schema.get("additionalProperties", True)
    other = None if extra is True else compiler.schema(extra)

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        for key, item in value.items():
            test = known.get(key, other)
            if test is not None and not test(item):
                return False
        return True

    return check


def _additional_alone(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    """`additionalProperties` without `properties`: every value is extra."""
    test = compiler.schema(argument)
    return lambda value: not isinstance(value, dict) or all(map(test, value.values()))


def _additional(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    if "properties" in schema:
        return lambda value: True  # checked with `properties`
    return _additional_alone(compiler, argument, schema)


def _refused(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    raise Unsupported("patternProperties")


def _required(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    names = tuple(argument)
    return lambda value: not isinstance(value, dict) or all(name in value for name in names)


def _property_names(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    test = compiler.schema(argument)
    return lambda value: not isinstance(value, dict) or all(map(test, value))


def _min_properties(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    return lambda value: not isinstance(value, dict) or len(value) >= argument


def _max_properties(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    return lambda value: not isinstance(value, dict) or len(value) <= argument


def _items(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    if not isinstance(argument, dict | bool):
        raise Unsupported("items as a list of schemas")
    test = compiler.schema(argument)
    return lambda value: not isinstance(value, list) or all(map(test, value))


def _min_items(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    return lambda value: not isinstance(value, list) or len(value) >= argument


def _max_items(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    return lambda value: not isinstance(value, list) or len(value) <= argument


def _any_of(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    tests = [compiler.schema(sub) for sub in argument]
    return lambda value: any(test(value) for test in tests)


def _all_of(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    return _all([compiler.schema(sub) for sub in argument])


def _enum(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    choices = list(argument)
    texts = frozenset(choice for choice in choices if isinstance(choice, str))
    others = [choice for choice in choices if not isinstance(choice, str)]
    for choice in others:
        _equal(choice, choice)  # refuses lists and mappings

    def check(value: Any) -> bool:
        if isinstance(value, str):
            return value in texts
        return any(_equal(value, choice) for choice in others)

    return check


def _const(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    return _enum(compiler, [argument], schema)


def _pattern(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    search = re.compile(argument).search
    return lambda value: not isinstance(value, str) or search(value) is not None


def _min_length(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    return lambda value: not isinstance(value, str) or len(value) >= argument


def _max_length(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    return lambda value: not isinstance(value, str) or len(value) <= argument


def _minimum(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    return lambda value: not _is_number(value) or value >= argument


def _maximum(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    return lambda value: not _is_number(value) or value <= argument


def _exclusive_minimum(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    return lambda value: not _is_number(value) or value > argument


def _exclusive_maximum(compiler: _Compiler, argument: Any, schema: Any) -> Check:
    return lambda value: not _is_number(value) or value < argument


KEYWORDS: dict[str, Callable[[_Compiler, Any, Any], Check]] = {
    "type": _type,
    "properties": _properties,
    "additionalProperties": _additional,
    "patternProperties": _refused,  # not in the spec schema: left to jsonschema
    "required": _required,
    "propertyNames": _property_names,
    "minProperties": _min_properties,
    "maxProperties": _max_properties,
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


def compile_schema(root: Mapping[str, Any] | bool) -> Callable[[str], Check]:
    """`predicate(reference)`: the compiled check of `#` or `#/definitions/NAME`.
    Raises Unsupported, at once, for a keyword anywhere in the schema it can't follow."""
    compiler = _Compiler(root)
    compiler.ref("#")
    for name in root.get("definitions", {}) if isinstance(root, dict) else ():
        compiler.ref(f"#/definitions/{name}")
    return compiler.ref
