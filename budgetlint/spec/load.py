"""Load a YAML file safely into plain data plus a path → position index.

Safety rules, each with a reason:

- Only the standard scalar tags are constructed; ``!!python/...`` and every
  other tag is refused by name, so nothing is ever executed.
- Aliases are capped while composing and the conversion to plain data has a
  node budget: an alias bomb is cheap to parse and only explodes when
  traversed, so both caps are needed to refuse it fast and in bounded memory.
- Nesting depth is capped while composing, before PyYAML's recursive
  composer can hit Python's recursion limit.
- Duplicate keys are an error (PyYAML silently keeps the last one).
- Mapping keys are taken as written: ``on:`` stays the string ``"on"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from budgetlint.problems import Position, fail
from budgetlint.spec.sources import WORK_TREE, Source

MAX_DEPTH = 64
MAX_ALIASES = 256
MAX_NODES = 200_000

JsonPath = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + name for name in ("str", "int", "float", "bool", "null")}
_KEPT_AS_TEXT_TAGS = {_TAG + "timestamp"}


@dataclass(frozen=True)
class Document:
    """Plain data from one YAML file and where each value and key was written."""

    path: str
    data: Any
    value_marks: Mapping[JsonPath, tuple[int, int]]
    key_marks: Mapping[JsonPath, tuple[int, int]]

    def position(self, path: JsonPath, *, key: bool = False) -> Position:
        """Position of the value at `path` (or of its key), else of the nearest ancestor."""
        if key and path in self.key_marks:
            line, column = self.key_marks[path]
            return Position(self.path, line, column)
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            if prefix in self.value_marks:
                line, column = self.value_marks[prefix]
                return Position(self.path, line, column)
        return Position(self.path)


class _Bounds(Composer):
    """PyYAML's own composer, refusing deep nesting and too many aliases."""

    display_path: str
    depth: int
    aliases: int
    # provided by the parser class each loader mixes in
    check_event: Any
    peek_event: Any
    dispose: Any

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise fail(
                    _position(display=self.display_path, mark=mark),
                    "yaml.aliases",
                    f"more than {MAX_ALIASES} aliases: refused (alias bombs expand on use)",
                )
        self.depth += 1
        if self.depth > MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise fail(
                _position(display=self.display_path, mark=mark),
                "yaml.depth",
                f"nesting deeper than {MAX_DEPTH} levels: refused",
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _PythonLoader(_Bounds, yaml.SafeLoader):
    """Pure-Python scanner and parser, where PyYAML was built without libyaml."""


try:
    from yaml.cyaml import CParser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - PyYAML without libyaml
    _Loader: type[_Bounds] = _PythonLoader
else:

    class _LibyamlLoader(_Bounds, CParser, SafeConstructor, Resolver):
        """libyaml's C scanner and parser (about 9x faster) under the same Python composer."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

        def get_single_node(self) -> Node | None:
            return Composer.get_single_node(self)

    _Loader = _LibyamlLoader


def _make_loader(text: str, display: str) -> _Bounds:
    loader = _Loader(text)  # type: ignore[call-arg]
    loader.display_path, loader.depth, loader.aliases = display, 0, 0
    return loader


def _position(*, display: str, mark: Any) -> Position:
    return Position(display, mark.line + 1, mark.column + 1)


def decode(raw: bytes, display: str) -> str:
    """UTF-8 text (a byte-order mark is fine), refusing binary content."""
    if b"\0" in raw:
        raise fail(Position(display), "file.binary", "binary content (NUL byte): not a YAML file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise fail(
            Position(display, line, column), "file.encoding", "not valid UTF-8 text"
        ) from None


def load_document(path: Path, display: str | None = None, source: Source = WORK_TREE) -> Document:
    """Read, compose and convert one YAML file; raises SpecError with positions."""
    shown = display if display is not None else str(path)
    return parse_document(decode(source.read_bytes(path, shown), shown), shown)


def parse_document(text: str, display: str) -> Document:
    loader = _make_loader(text, display)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        position = _position(display=display, mark=mark) if mark else Position(display)
        detail = error.problem or error.context or "malformed"
        if error.problem and error.context:
            detail = f"{error.problem} ({error.context})"
        raise fail(position, "yaml.syntax", f"invalid YAML: {detail}") from None
    except yaml.YAMLError as error:
        raise fail(Position(display), "yaml.syntax", f"invalid YAML: {error}") from None
    finally:
        loader.dispose()
    if root is None:
        raise fail(Position(display), "yaml.empty", "empty file: expected a mapping")
    converter = _Converter(display, loader)
    data = converter.convert(root, ())
    if not isinstance(data, dict):
        raise fail(
            _position(display=display, mark=root.start_mark),
            "yaml.top_level",
            f"the top level must be a mapping, not {_kind(data)}",
        )
    return Document(display, data, converter.value_marks, converter.key_marks)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return f"a {type(value).__name__}"


class _Converter:
    def __init__(self, display: str, loader: Any) -> None:
        self.display = display
        self.loader = loader
        self.nodes = 0
        self.top_key: Node | None = None  # where an alias bomb is reported
        self.active: set[int] = set()
        self.value_marks: dict[JsonPath, tuple[int, int]] = {}
        self.key_marks: dict[JsonPath, tuple[int, int]] = {}

    def here(self, node: Node) -> Position:
        return _position(display=self.display, mark=node.start_mark)

    def convert(self, node: Node, path: JsonPath) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise fail(
                self.here(self.top_key or node),
                "yaml.size",
                f"more than {MAX_NODES} values once aliases are expanded: refused",
            )
        if id(node) in self.active:
            raise fail(self.here(node), "yaml.recursive", "recursive alias: refused")
        self.value_marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                self.expect_tag(node, "seq")
                return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                self.expect_tag(node, "map")
                return self.mapping(node, path)
        finally:
            self.active.discard(id(node))
        raise fail(self.here(node), "yaml.node", "unsupported YAML node")

    def expect_tag(self, node: Node, name: str) -> None:
        if node.tag != _TAG + name:
            raise fail(
                self.here(node),
                "yaml.tag",
                f"unsupported tag {_short_tag(node.tag)}: only plain YAML values are read",
            )

    def scalar(self, node: ScalarNode) -> Any:
        if node.tag in _KEPT_AS_TEXT_TAGS:
            return node.value
        if node.tag not in _SCALAR_TAGS:
            raise fail(
                self.here(node),
                "yaml.tag",
                f"unsupported tag {_short_tag(node.tag)}: only plain YAML values are read",
            )
        return self.loader.construct_object(node, deep=True)

    def mapping(self, node: MappingNode, path: JsonPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        explicit: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                own_mark = self.value_marks[path]
                merged = self.merged(value_node, path)
                self.value_marks[path] = own_mark
                for merged_key, merged_value in merged.items():
                    if merged_key not in explicit:
                        result[merged_key] = merged_value
                continue
            if not isinstance(key_node, ScalarNode):
                raise fail(self.here(key_node), "yaml.key", "mapping keys must be plain text")
            key = str(key_node.value)
            if key in explicit:
                raise fail(self.here(key_node), "yaml.duplicate_key", f"duplicate key '{key}'")
            explicit.add(key)
            if not path:
                self.top_key = key_node
            child = (*path, key)
            self.key_marks[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.convert(value_node, child)
        return result

    def merged(self, node: Node, path: JsonPath) -> dict[str, Any]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in sources:
            value = self.convert(source, path)
            if not isinstance(value, dict):
                raise fail(self.here(source), "yaml.merge", "'<<' must merge a mapping")
            merged = {**value, **merged}
        return merged


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag
