"""Importers: a real model (ONNX file, Hugging Face config.json) to our graph and spec.

Frameworks are imported only here, and only when a model of their kind is read.
`KINDS` says how each kind of file is recognised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from budgetlint.engine.cost import Shape
from budgetlint.imports.graph import ImportedGraph
from budgetlint.imports.kinds import MODEL_SUFFIXES, is_model
from budgetlint.problems import Position, fail

MAX_MODEL_BYTES = 256 * 1024 * 1024  # a graph with its weights inside; external data is never read


@dataclass(frozen=True)
class ImportOptions:
    input_shape: Shape | None = None
    allow_unknown: bool = False
    tokens: int | None = None  # a config's prefill length
    decode: bool = False  # one decode step with a KV cache of `context` tokens
    context: int | None = None


def _onnx(raw: bytes, name: str, where: Position, options: ImportOptions) -> ImportedGraph:
    from budgetlint.imports.onnx_map import map_onnx
    from budgetlint.imports.onnx_read import read_onnx

    return map_onnx(read_onnx(raw, where), name, where, options.input_shape, options.allow_unknown)


Importer = Callable[[bytes, str, Position, ImportOptions], ImportedGraph]

# suffix → (kind, importer, byte limit)
KINDS: dict[str, tuple[str, Importer, int]] = {
    ".onnx": ("ONNX", _onnx, MAX_MODEL_BYTES),
}


assert tuple(KINDS) == MODEL_SUFFIXES  # one list of suffixes, read without importing this module
__all__ = ["KINDS", "ImportOptions", "byte_limit", "import_graph", "import_spec", "is_model"]


def import_graph(raw: bytes, path: str, options: ImportOptions) -> ImportedGraph:
    suffix = Path(path).suffix.lower()
    if suffix not in KINDS:
        known = ", ".join(KINDS)
        raise fail(Position(path), "import.kind", f"not a model file (known: {known})")
    _, importer, _ = KINDS[suffix]
    return importer(raw, Path(path).stem, Position(path), options)


def byte_limit(path: str | Path) -> int:
    return KINDS[Path(path).suffix.lower()][2]


def import_spec(
    raw: bytes, path: str, options: ImportOptions
) -> tuple[dict[str, Any], ImportedGraph]:
    """The spec data of a model, and the imported graph it was written from."""
    from budgetlint.imports.fold import to_spec
    from budgetlint.imports.structure import build_tree

    graph = import_graph(raw, path, options)
    tree = build_tree(graph, Position(path))
    return to_spec(graph, tree, Path(path).name), graph
