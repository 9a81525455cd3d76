"""Validate a document against the JSON Schema; one problem per location, at its YAML line."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from budgetlint.engine.ops.attrs import (
    EXPRESSION_SCHEMA,
    FRAMEWORK_NAMES,
    INFERRED_NAMES,
    NO_COST_NAMES,
)
from budgetlint.problems import Problem, short_repr
from budgetlint.spec.load import Document, JsonPath


@lru_cache(maxsize=1)
def _validator() -> Any:
    """Draft 7, except that a `$ref` whose target the compiled predicate finds valid is
    not descended into: it has no errors to give (see spec.compiled); nor is an item of
    a list of `$ref`s (the layers) that its predicate finds valid, so that one bad layer
    among 100,000 costs jsonschema one layer, not 100,000 descents."""
    from jsonschema import Draft7Validator  # 80 ms to import: only when a spec is checked
    from jsonschema.validators import extend

    descend = Draft7Validator.VALIDATORS["$ref"]
    descend_items = Draft7Validator.VALIDATORS["items"]
    valid = _compiled()

    def ref(validator: Any, reference: str, instance: Any, schema: Any) -> Any:
        if valid(reference)(instance):
            return
        yield from descend(validator, reference, instance, schema)

    def items(validator: Any, each: Any, instance: Any, schema: Any) -> Any:
        reference = each.get("$ref") if isinstance(each, dict) else None
        if not isinstance(reference, str) or not validator.is_type(instance, "array"):
            yield from descend_items(validator, each, instance, schema)
            return
        check = valid(reference)
        for index, item in enumerate(instance):
            if not check(item):  # as Draft 7 descends, for the items it finds errors in
                yield from validator.descend(item, each, path=index)

    from budgetlint.spec.schema_file import load_schema

    return extend(Draft7Validator, {"$ref": ref, "items": items})(load_schema())


@lru_cache(maxsize=1)
def _compiled() -> Callable[[str], Callable[[Any], bool]]:
    """The schema's predicates; for a schema they can't follow, ones that say "ask
    jsonschema" (never valid), so that a new keyword slows checking, never skips it."""
    from budgetlint.spec.compiled import Unsupported, compile_schema
    from budgetlint.spec.schema_file import load_schema

    try:
        return compile_schema(load_schema())
    except Unsupported:
        return lambda reference: lambda value: False


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    import difflib  # only for a problem's hint

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def attribute_hint(word: str, choices: Iterable[str]) -> str:
    """For an unknown key: the attribute a framework's argument name stands for, or why
    it is not written, else the closest known key."""
    known = list(choices)
    ours = FRAMEWORK_NAMES.get(word)
    close = did_you_mean(word, known)
    if ours in known and f"'{ours}'" not in close:
        return f" (did you mean '{ours}'? '{word}' is the framework's name for it)"
    if word in INFERRED_NAMES:
        return " (budgetlint takes it from the input shape: leave it out)"
    if word in NO_COST_NAMES:
        return " (it changes no count: leave it out)"
    return close


def _show_path(path: JsonPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "top level"


_EXPRESSION_PATTERN = EXPRESSION_SCHEMA["pattern"]


def _rank(error: Any) -> int:
    """How telling an anyOf branch's complaint is: the `${...}` branch's pattern says
    least, then a plain "wrong type" (the value belongs to another branch)."""
    if error.validator == "pattern" and error.validator_value == _EXPRESSION_PATTERN:
        return 0
    return {"type": 1, "pattern": 2}.get(error.validator, 3)


def _leaf(error: Any) -> Any:
    """For anyOf, the branch that fits the value best: deepest, then most telling."""
    while error.context:
        error = max(error.context, key=lambda e: (len(e.absolute_path), _rank(e)))
    return error


def _problems(document: Document, error: Any) -> list[Problem]:
    error = _leaf(error)
    path: JsonPath = tuple(error.absolute_path)
    shown = _show_path(path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        return [
            Problem(
                document.position((*path, key), key=True),
                "schema.unknown_key",
                f"{shown}: unknown key '{key}'{attribute_hint(key, allowed)}",
            )
            for key in error.instance
            if key not in allowed
        ]
    if error.validator == "enum":
        choices = [str(choice) for choice in error.validator_value]
        hint = did_you_mean(str(error.instance), choices) or f" (one of: {', '.join(choices)})"
        return [
            Problem(
                document.position(path),
                "schema.enum",
                f"{shown}: {short_repr(error.instance)} is not allowed{hint}",
            )
        ]
    if error.validator == "pattern" and error.validator_value == _EXPRESSION_PATTERN:
        value = short_repr(error.instance)
        message = f"{shown}: {value} is neither a value of the right kind nor a ${{...}} expression"
        return [Problem(document.position(path), "schema.value", message)]
    if error.validator == "type":
        return [Problem(document.position(path), "schema.type", _type_message(shown, error))]
    message = error.message if len(error.message) <= 120 else error.message[:117] + "..."
    return [Problem(document.position(path), f"schema.{error.validator}", f"{shown}: {message}")]


# JSON Schema's type names as a YAML author knows them, with what to write.
_YAML_TYPES = {
    "array": "a list (`[a, b]`, or `- item` lines below it)",
    "object": "a mapping (`{key: value}`, or `key: value` lines below it)",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing",
}


def _yaml_kind(value: Any) -> str:
    """A value as YAML would name it, not Python (`null`, not `None`)."""
    if value is None:
        return "empty (YAML null)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text {short_repr(value)}"
    return f"the number {value}"


def _type_message(shown: str, error: Any) -> str:
    wanted = error.validator_value
    kinds = [wanted] if isinstance(wanted, str) else list(wanted)
    expected = " or ".join(_YAML_TYPES.get(kind, kind) for kind in kinds)
    return f"{shown}: {_yaml_kind(error.instance)}: write {expected}"


def _in_quantity(error: Any, root: dict[str, Any]) -> bool:
    """Whether the error is about a value a unit parser reads (marked in the schema): the
    parser says what is wrong with it, better than a pattern can, and says it anyway."""
    from budgetlint.spec.schema import QUANTITY_MARK

    node: Any = root
    for key in error.schema_path:  # a `$ref` is not in the path: its target's keys are
        while isinstance(node, dict) and "$ref" in node and key not in node:
            node = root["definitions"][node["$ref"].rsplit("/", 1)[-1]]
        if isinstance(node, dict) and QUANTITY_MARK in node:
            return True
        node = node[key]
    return isinstance(node, dict) and QUANTITY_MARK in node


def validate(document: Document) -> tuple[Problem, ...]:
    """Every schema problem of the document, one per location and kind, in file order."""
    if _compiled()("#")(document.data):
        return ()  # nothing for jsonschema to find
    seen: dict[tuple[str, int, int, str], Problem] = {}
    validator = _validator()
    for error in validator.iter_errors(document.data):
        if _in_quantity(error, validator.schema):
            continue
        for problem in _problems(document, error):
            where = problem.position
            seen.setdefault((where.path, where.line, where.column, problem.code), problem)
    return tuple(sorted(seen.values(), key=lambda p: (p.position.line, p.position.column)))
