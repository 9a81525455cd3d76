"""The shipped JSON Schema (budgetlint/schemas/budgetlint.schema.json, written by
budgetlint.spec.schema), read. Checking a spec reads the schema through this module
alone: it imports neither the generator nor importlib.resources (which, with what they
import, cost as much as checking a small spec)."""

from __future__ import annotations

import json
import os
from typing import Any, Protocol, cast

SCHEMA_FILE = "budgetlint.schema.json"


class _DataLoader(Protocol):
    def get_data(self, path: str) -> bytes: ...


def schema_text() -> str:
    """The schema file, through the package's own loader (which reads a zip's files too)."""
    package = os.path.dirname(os.path.dirname(__file__))
    loader = cast(_DataLoader, __spec__.loader)
    return loader.get_data(os.path.join(package, "schemas", SCHEMA_FILE)).decode("utf-8")


def load_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_text())
    return schema
