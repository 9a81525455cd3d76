"""The blocks a file can use: its own and those of the files its `use:` names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from budgetlint.engine.ops import COMBINATORS, OPS
from budgetlint.problems import Problem, SpecError, fail
from budgetlint.spec.files import Files
from budgetlint.spec.load import Document, JsonPath


@dataclass(frozen=True)
class Block:
    name: str
    params: Mapping[str, Any]  # name → default; None means required
    document: Document
    path: JsonPath


def value_at(document: Document, path: JsonPath) -> Any:
    value: Any = document.data
    for part in path:
        value = value[part]
    return value


def has_value(document: Document, path: JsonPath) -> bool:
    try:
        value_at(document, path)
    except (KeyError, IndexError, TypeError):
        return False
    return True


def block_table(document: Document, path: JsonPath) -> dict[str, Block]:
    """The blocks defined at `path` (a file's `blocks:`, or a model's)."""
    table: dict[str, Block] = {}
    definitions = value_at(document, path) if has_value(document, path) else {}
    for name, definition in definitions.items():
        where = (*path, name)
        if name in OPS or name in COMBINATORS or name == "arch":
            raise fail(
                document.position(where, key=True),
                "block.shadows_op",
                f"block '{name}' has the name of an op: rename it",
            )
        table[name] = Block(name, definition.get("params") or {}, document, where)
    return table


def _same(one: Block, other: Block) -> bool:
    """The one definition, reached twice (two libraries that use a third)."""
    return (one.document.path, one.path) == (other.document.path, other.path)


def _duplicate(document: Document, block: Block, other: Block) -> SpecError:
    where = (
        document.position(block.path, key=True)
        if block.document is document
        else document.position(())
    )
    return SpecError(
        Problem(
            where,
            "block.duplicate",
            f"block '{block.name}' is defined in '{block.document.path}' and in "
            f"'{other.document.path}': rename one",
        )
    )


class BlockLibrary:
    """Each file's table of blocks, made once."""

    def __init__(self, files: Files) -> None:
        self.files = files
        self.tables: dict[str, dict[str, Block]] = {}

    def of(self, document: Document, active: tuple[str, ...] = ()) -> dict[str, Block]:
        """The file's own blocks and those of the files its `use:` names (and theirs).

        A used file is found relative to the file that names it and loaded like an
        `arch:` file; a file that uses itself, directly or not, is refused, and so is a
        block name defined in two files. Each file's table is made once: a diamond of
        uses (two files using a third, each twice) costs one visit per file."""
        if document.path in self.tables:
            return self.tables[document.path]
        chain = active or (document.path,)
        table: dict[str, Block] = {}
        for index, reference in enumerate(document.data.get("use") or []):
            where = document.position(("use", index))
            used = self.files.load(Path(document.path).parent / reference, where)
            if used.path in chain:
                loop = " → ".join((*chain, used.path))
                raise fail(where, "use.circular", f"circular use: {loop}")
            for name, block in self.of(used, (*chain, used.path)).items():
                if name in table and not _same(table[name], block):
                    raise _duplicate(document, block, table[name])
                table[name] = block
        for name, block in block_table(document, ("blocks",)).items():
            if name in table:
                raise _duplicate(document, block, table[name])
            table[name] = block
        self.tables[document.path] = table
        return table
