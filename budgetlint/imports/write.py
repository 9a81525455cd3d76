"""`budgetlint import`: read a model, write its spec, say what was assumed."""

from __future__ import annotations

import sys
from pathlib import Path

from budgetlint.imports import ImportOptions, byte_limit, import_spec, import_torch, is_model
from budgetlint.imports.yaml_out import to_yaml
from budgetlint.problems import Position, SpecError, fail, one_line
from budgetlint.spec.expand import display_path
from budgetlint.spec.sources import WORK_TREE

__all__ = ["ImportOptions", "spec_text", "write_import"]


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in one_line(text))


def spec_text(
    model: Path | None, options: ImportOptions, torch_target: str | None = None
) -> tuple[str, tuple[str, ...]]:
    """The spec YAML of a model file (or PyTorch factory) and the notices of its import;
    SpecError on bad input."""
    if torch_target is not None:
        spec, notices = import_torch(torch_target, options)
        shape = ",".join(str(size) for size in options.input_shape or ())
        command = f"--torch {_printable(torch_target)} --input {shape}"
    else:
        assert model is not None
        shown = display_path(model)
        if not is_model(model):
            raise fail(
                Position(shown), "import.kind", "not a model file: expected .onnx or config .json"
            )
        raw = WORK_TREE.read_bytes(model, shown, byte_limit(model))
        spec, notices = import_spec(raw, shown, options)
        command = _printable(model.name)
    header = [
        "Imported by budgetlint; re-import rather than edit:",
        f"  budgetlint import {command} -o <this file>",
    ]
    return to_yaml(spec, header), notices


def write_import(
    model: Path | None, output: Path | None, options: ImportOptions, torch_target: str | None
) -> int:
    if (model is None) == (torch_target is None):
        sys.stderr.write("budgetlint import: give either MODEL or --torch package.module:factory\n")
        return 2
    try:
        text, notices = spec_text(model, options, torch_target)
    except SpecError as error:
        sys.stderr.writelines(f"{problem}\n" for problem in error.problems)
        return 2
    shown = display_path(model) if model is not None else f"torch:{torch_target}"
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
