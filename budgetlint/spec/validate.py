"""Validate a document against the JSON Schema; one problem per location, at its YAML line."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from budgetlint.problems import Problem
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


_WEAK = {"type": 0, "pattern": 1}


def _leaf(error: Any) -> Any:
    """For anyOf, the branch that fits the value best: deepest first, and a branch
    that only says "wrong type" (the value is of another branch's type) last."""
    while error.context:
        error = max(
            error.context,
            key=lambda e: (len(e.absolute_path), _WEAK.get(e.validator, 2)),
        )
    return error


def _problem(document: Document, error: Any) -> Problem:
    error = _leaf(error)
    path: JsonPath = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        extras = [key for key in error.instance if key not in allowed]
        key = extras[0] if extras else ""
        where = document.position((*path, key), key=True)
        return Problem(
            where,
            "schema.unknown_key",
            f"{_show_path(path)}: unknown key '{key}'{did_you_mean(key, allowed)}",
        )
    if error.validator == "required":
        return Problem(
            document.position(path),
            "schema.required",
            f"{_show_path(path)}: {error.message}",
        )
    if error.validator == "propertyNames":
        key = error.instance
        return Problem(
            document.position((*path, key), key=True),
            "schema.name",
            f"{_show_path(path)}: '{key}' is not a valid name "
            "(letters, digits, _ . -; not starting with a digit)",
        )
    return Problem(
        document.position(path),
        f"schema.{error.validator}",
        f"{_show_path(path)}: {error.message}",
    )


def validate(document: Document) -> tuple[Problem, ...]:
    """Every schema problem of the document, at most one per location, in file order."""
    seen: dict[tuple[str, int, int], Problem] = {}
    for error in _validator().iter_errors(document.data):
        problem = _problem(document, error)
        where = problem.position
        seen.setdefault((where.path, where.line, where.column), problem)
    return tuple(sorted(seen.values(), key=lambda p: (p.position.line, p.position.column)))
