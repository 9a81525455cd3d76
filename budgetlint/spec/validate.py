"""Validate a document against the JSON Schema; one problem per location, at its YAML line."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from budgetlint.engine.ops.attrs import EXPRESSION_SCHEMA
from budgetlint.problems import Problem, short_repr
from budgetlint.spec.load import Document, JsonPath


@lru_cache(maxsize=1)
def _validator() -> Any:
    from jsonschema import Draft7Validator  # 80 ms to import: only when a spec is checked

    from budgetlint.spec.schema import load_schema

    return Draft7Validator(load_schema())


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


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
                f"{shown}: unknown key '{key}'{did_you_mean(key, allowed)}",
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
    message = error.message if len(error.message) <= 120 else error.message[:117] + "..."
    return [Problem(document.position(path), f"schema.{error.validator}", f"{shown}: {message}")]


def validate(document: Document) -> tuple[Problem, ...]:
    """Every schema problem of the document, one per location and kind, in file order."""
    seen: dict[tuple[str, int, int, str], Problem] = {}
    for error in _validator().iter_errors(document.data):
        for problem in _problems(document, error):
            where = problem.position
            seen.setdefault((where.path, where.line, where.column, problem.code), problem)
    return tuple(sorted(seen.values(), key=lambda p: (p.position.line, p.position.column)))
