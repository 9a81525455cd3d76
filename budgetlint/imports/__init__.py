"""Importers: a real model (ONNX file, Hugging Face config.json) to our graph and spec.

Frameworks are imported only here, and only when a model of their kind is read.
`KINDS` says how each kind of file is recognised.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from budgetlint.graph import Shape
from budgetlint.imports.kinds import MODEL_SUFFIXES, TORCH_PREFIX, is_model
from budgetlint.problems import Position, fail

MAX_MODEL_BYTES = 256 * 1024 * 1024  # a graph with its weights inside; external data is never read
MAX_CONFIG_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ImportOptions:
    input_shape: Shape | None = None
    allow_unknown: bool = False
    tokens: int | None = None  # a config's prefill length
    decode: bool = False  # one decode step with a KV cache of `context` tokens
    context: int | None = None


Imported = tuple[dict[str, Any], tuple[str, ...]]  # the spec data, and notices for the user


def _onnx(raw: bytes, path: str, options: ImportOptions) -> Imported:
    from budgetlint.imports.fold import to_spec
    from budgetlint.imports.onnx_map import map_onnx
    from budgetlint.imports.onnx_read import read_onnx
    from budgetlint.imports.structure import build_tree

    where = Position(path)
    graph = map_onnx(
        read_onnx(raw, where), Path(path).stem, where, options.input_shape, options.allow_unknown
    )
    return to_spec(graph, build_tree(graph, where), Path(path).name), graph.notices


def _config(raw: bytes, path: str, options: ImportOptions) -> Imported:
    from budgetlint.imports.hf_config import config_spec

    where = Position(path)
    try:
        config = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise fail(where, "import.config", f"not a JSON config: {type(error).__name__}") from None
    tokens = options.tokens
    if tokens is None and options.input_shape is not None and len(options.input_shape) == 2:
        tokens = options.input_shape[1]
    name = Path(path).parent.name if Path(path).stem == "config" else Path(path).stem
    return config_spec(config, name or "model", where, tokens, options.context, options.decode)


Importer = Callable[[bytes, str, ImportOptions], Imported]

# suffix → (kind, importer, byte limit)
KINDS: dict[str, tuple[str, Importer, int]] = {
    ".onnx": ("ONNX", _onnx, MAX_MODEL_BYTES),
    ".json": ("Hugging Face config", _config, MAX_CONFIG_BYTES),
}

assert tuple(KINDS) == MODEL_SUFFIXES  # one list of suffixes, read without importing this module
__all__ = ["KINDS", "ImportOptions", "byte_limit", "import_spec", "is_model"]


def import_spec(raw: bytes, path: str, options: ImportOptions) -> Imported:
    """The spec data of a model file, and what its import assumed."""
    suffix = Path(path).suffix.lower()
    if suffix not in KINDS:
        known = ", ".join(KINDS)
        raise fail(Position(path), "import.kind", f"not a model file (known: {known})")
    return KINDS[suffix][1](raw, path, options)


def byte_limit(path: str | Path) -> int:
    return KINDS[Path(path).suffix.lower()][2]


def import_torch(target: str, options: ImportOptions) -> Imported:
    """A PyTorch module's spec, from `package.module:factory` (traced on the meta device)."""
    from budgetlint.imports.fold import to_spec
    from budgetlint.imports.structure import build_tree
    from budgetlint.imports.torch_fx import torch_graph

    where = Position(f"{TORCH_PREFIX}{target}")
    graph = torch_graph(target, options.input_shape, where, options.allow_unknown)
    return to_spec(graph, build_tree(graph, where), f"{TORCH_PREFIX}{target}"), graph.notices
