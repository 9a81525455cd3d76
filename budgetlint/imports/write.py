"""`budgetlint import`: read a model, write its spec, say what was assumed."""

from __future__ import annotations

import sys
from pathlib import Path

from budgetlint.imports import ImportOptions, byte_limit, import_spec, is_model
from budgetlint.imports.yaml_out import to_yaml
from budgetlint.problems import Position, SpecError, fail, one_line
from budgetlint.spec.expand import display_path
from budgetlint.spec.sources import WORK_TREE

__all__ = ["ImportOptions", "spec_text", "write_import"]


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in one_line(text))


def spec_text(model: Path, options: ImportOptions) -> tuple[str, tuple[str, ...]]:
    """The spec YAML of a model file and the notices of its import; SpecError on bad input."""
    shown = display_path(model)
    if not is_model(model):
        raise fail(
            Position(shown), "import.kind", "not a model file: expected .onnx or config .json"
        )
    raw = WORK_TREE.read_bytes(model, shown, byte_limit(model))
    spec, notices = import_spec(raw, shown, options)
    header = [
        f"Imported by budgetlint from {_printable(model.name)}; re-import rather than edit:",
        f"  budgetlint import {_printable(model.name)} -o <this file>",
    ]
    return to_yaml(spec, header), notices


def write_import(model: Path, output: Path | None, options: ImportOptions) -> int:
    try:
        text, notices = spec_text(model, options)
    except SpecError as error:
        sys.stderr.writelines(f"{problem}\n" for problem in error.problems)
        return 2
    shown = display_path(model)
    for notice in notices:
        sys.stderr.write(f"{shown}: notice: {_printable(notice)}\n")
    if output is None:
        sys.stdout.write(text)
        return 0
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        sys.stderr.write(f"{display_path(output)}: cannot write: {error.strerror}\n")
        return 2
    return 0
