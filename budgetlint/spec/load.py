"""Load a YAML file safely into plain data plus a path → position index.

Safety rules, each with a reason:

- Only the standard scalar tags are constructed; ``!!python/...`` and every
  other tag is refused by name, so nothing is ever executed.
- Aliases are capped while reading and the plain data has a value budget
  that counts every alias use at its full size: an alias bomb is cheap to
  parse and only explodes when expanded, so both caps refuse it fast and in
  bounded memory (an alias is copied only once the budget has room for it).
- Nesting depth is capped while reading. The parser's events are turned into
  plain data by one loop with a stack, never by recursion, and no node tree is
  kept: memory is the data and its positions, a few hundred bytes a value.
- Duplicate keys are an error (PyYAML silently keeps the last one).
- Mapping keys are taken as written: ``on:`` stays the string ``"on"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from budgetlint.problems import Position, SpecError, fail, short_repr
from budgetlint.spec.sources import WORK_TREE, Source

MAX_DEPTH = 64
MAX_ALIASES = 256
MAX_NODES = 200_000

JsonPath = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + name for name in ("str", "int", "float", "bool", "null")}
_KEPT_AS_TEXT_TAGS = {_TAG + "timestamp"}
_MERGE_TAG = _TAG + "merge"

# Where each value and key was written, as a tree beside the data (no path tuples: a few
# words a value). A mark is `line << 32 | column`, both 1-based. A scalar's marks are
# its mark; a list's are `(mark, None, item marks…)`; a mapping's `(mark, keys, key
# mark, value marks, key mark, value marks, …)`, `keys` the tuple of its keys in order.
Marks = int | tuple[Any, ...]
_SHIFT = 32
_COLUMN = (1 << _SHIFT) - 1


def _mark(event_mark: Any) -> int:
    line: int = event_mark.line + 1
    column: int = event_mark.column + 1
    return (line << _SHIFT) | column


def _own(marks: Marks) -> int:
    own: int = marks if isinstance(marks, int) else marks[0]
    return own


def _at(display: str, mark: int) -> Position:
    return Position(display, mark >> _SHIFT, mark & _COLUMN)


@dataclass(frozen=True)
class Document:
    """Plain data from one YAML file and where each value and key was written."""

    path: str
    data: Any
    marks: Marks | None = None  # None: made, not read (an imported model)

    def position(self, path: JsonPath, *, key: bool = False) -> Position:
        """Position of the value at `path` (or of its key), else of the nearest ancestor."""
        here = self.marks
        if here is None:
            return Position(self.path)
        mark = here if isinstance(here, int) else here[0]
        last = len(path) - 1
        for index, part in enumerate(
            path
        ):  # one step down the tree per part (it runs for every layer)
            if isinstance(here, int):
                break
            keys = here[1]
            if keys is None:
                if not isinstance(part, int) or not 0 <= part < len(here) - 2:
                    break
                here = here[2 + part]
            else:
                if part not in keys:
                    break
                at = 2 + 2 * keys.index(part)
                if key and index == last:
                    mark = here[at]
                    break
                here = here[at + 1]
            mark = here if isinstance(here, int) else here[0]
        return _at(self.path, mark)


class _PythonLoader(yaml.SafeLoader):
    """Pure-Python scanner and parser, where PyYAML was built without libyaml."""


try:
    from yaml.cyaml import CParser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - PyYAML without libyaml
    _Loader: type[Any] = _PythonLoader
else:

    class _LibyamlLoader(CParser, SafeConstructor, Resolver):
        """libyaml's C scanner and parser (about 9x faster) under the same reading loop."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    _Loader = _LibyamlLoader


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
    """Read and convert one YAML file; raises SpecError with positions."""
    shown = display if display is not None else str(path)
    return parse_document(decode(source.read_bytes(path, shown), shown), shown)


def parse_document(text: str, display: str) -> Document:
    loader = _Loader(text)
    reader = _Reader(display, loader)
    try:
        found = reader.document()
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
    if reader.refused is not None:
        raise reader.refused
    if found is None:
        raise fail(Position(display), "yaml.empty", "empty file: expected a mapping")
    data, marks = found
    if not isinstance(data, dict):
        raise fail(
            _at(display, _own(marks)),
            "yaml.top_level",
            f"the top level must be a mapping, not {_kind(data)}",
        )
    return Document(display, data, marks)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return f"a {type(value).__name__}"


@dataclass
class _Open:
    """A list or mapping being read."""

    data: Any  # the list or dict
    marks: list[Any]  # (mark, None, item marks…) of a list; [mark] of a mapping
    anchor: str | None
    start: Any  # the parser's mark where it starts
    counted: int  # values read before it (its size is the difference at its end)
    key: str | None = None  # a mapping's key whose value comes next
    key_mark: int = 0
    merge: bool = False  # that key is `<<`
    keys: dict[str, int] | None = None  # a mapping's key marks, written or merged
    values: dict[str, Marks] | None = None  # and its values' marks
    explicit: set[str] | None = None  # the keys written in it (not merged)
    expect_key: bool = True


@dataclass(frozen=True)
class _Anchored:
    data: Any
    marks: Marks
    size: int  # values, aliases inside counted at their full size
    start: Any
    scalar: Any = None  # a scalar's event: its text is a key, its value a value


class _Reader:
    """Turns parser events into plain data and marks with a stack (no recursion).

    Problems of the YAML itself (syntax, depth, aliases, anchors) stop reading where
    they are met, as the parser and composer would. A problem of the data (a tag, a
    duplicate key, too many values) is kept and reading goes on without building, so
    that a YAML problem later in the file is still the one reported, as before."""

    def __init__(self, display: str, loader: Any) -> None:
        self.display = display
        self.loader = loader
        self.stack: list[_Open] = []
        self.anchors: dict[str, _Anchored | _Open] = {}
        self.aliases = 0
        self.counted = 0
        self.top_key: Any = None  # where an alias bomb is reported
        self.refused: SpecError | None = None
        self.scalars: dict[tuple[Any, ...], Any] = {}
        self.root: tuple[Any, Marks] | None = None

    def refuse(self, mark: Any, code: str, message: str) -> None:
        if self.refused is None:
            self.refused = fail(_position(display=self.display, mark=mark), code, message)

    def document(self) -> tuple[Any, Marks] | None:
        loader = self.loader
        loader.get_event()  # stream start
        if loader.check_event(yaml.StreamEndEvent):
            return None
        loader.get_event()  # document start
        first = loader.peek_event()
        self.node(loader.get_event())
        while self.stack:
            self.node(loader.get_event())
        loader.get_event()  # document end
        if not loader.check_event(yaml.StreamEndEvent):
            event = loader.get_event()
            raise ComposerError(
                "expected a single document in the stream",
                first.start_mark,
                "but found another document",
                event.start_mark,
            )
        return self.root

    def node(self, event: Any) -> None:
        """One parser event: a node, or the end of the open list or mapping."""
        if isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            self.close()
            return
        if isinstance(event, yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise fail(
                    _position(display=self.display, mark=event.start_mark),
                    "yaml.aliases",
                    f"more than {MAX_ALIASES} aliases: refused (alias bombs expand on use)",
                )
        if len(self.stack) >= MAX_DEPTH:
            raise fail(
                _position(display=self.display, mark=event.start_mark),
                "yaml.depth",
                f"nesting deeper than {MAX_DEPTH} levels: refused",
            )
        if isinstance(event, yaml.AliasEvent):
            self.alias(event)
            return
        anchor = event.anchor
        if anchor is not None and anchor in self.anchors:
            raise ComposerError(
                f"found duplicate anchor {anchor!r}; first occurrence",
                self.anchors[anchor].start,
                "second occurrence",
                event.start_mark,
            )
        if isinstance(event, yaml.ScalarEvent):
            self.scalar(event)
        else:
            self.open(event)

    def parent_wants_key(self) -> bool:
        return bool(self.stack) and self.stack[-1].keys is not None and self.stack[-1].expect_key

    def alias(self, event: Any) -> None:
        anchor = event.anchor
        if anchor not in self.anchors:
            raise ComposerError(None, None, f"found undefined alias {anchor!r}", event.start_mark)
        target = self.anchors[anchor]
        if self.refused is not None:
            return
        if isinstance(target, _Open):
            self.refuse(target.start, "yaml.recursive", "recursive alias: refused")
            return
        if self.parent_wants_key():
            if target.scalar is None:
                self.refuse(target.start, "yaml.key", "mapping keys must be plain text")
                return
            self.key(target.scalar.value, _own(target.marks), merge=False)
            return
        if not self.count(target.size, event.start_mark):
            return
        if target.scalar is not None:
            value = self.value(target.scalar)
            if self.refused is None:
                self.attach(value, target.marks)
            return
        self.attach(_copy(target.data), target.marks)

    def count(self, values: int, mark: Any) -> bool:
        self.counted += values
        if self.counted > MAX_NODES:
            self.refuse(
                self.top_key or mark,
                "yaml.size",
                f"more than {MAX_NODES} values once aliases are expanded: refused",
            )
            return False
        return True

    def scalar(self, event: Any) -> None:
        mark = _mark(event.start_mark)
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchored(None, mark, 1, event.start_mark, event)
        if self.refused is not None:
            return
        if self.parent_wants_key():
            merge = event.tag == _MERGE_TAG or (
                event.value == "<<" and self.tag(event, ScalarNode) == _MERGE_TAG
            )
            if not merge and self.stack[-1].data is self.root_data():
                self.top_key = event.start_mark
            self.key(event.value, mark, merge=merge)
            return
        if not self.count(1, event.start_mark):
            return
        value = self.value(event)
        if self.refused is None:
            self.attach(value, mark)

    def root_data(self) -> Any:
        return self.stack[0].data if self.stack else None

    def tag(self, event: Any, kind: type[Any]) -> str:
        tag: str | None = event.tag
        if tag is None or tag == "!":
            value = event.value if kind is ScalarNode else None
            tag = self.loader.resolve(kind, value, event.implicit)
        return str(tag)

    def value(self, event: Any) -> Any:
        """A scalar's plain value, as PyYAML's safe constructor makes it (remembered: a
        spec says `relu` and `4` many times)."""
        key = (event.tag, event.value, event.implicit, event.style)
        if key in self.scalars:
            return self.scalars[key]
        tag = self.tag(event, ScalarNode)
        if tag in _KEPT_AS_TEXT_TAGS:
            value: Any = event.value
        elif tag not in _SCALAR_TAGS:
            self.refuse(
                event.start_mark,
                "yaml.tag",
                f"unsupported tag {_short_tag(tag)}: only plain YAML values are read",
            )
            return None
        else:
            node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
            try:
                value = self.loader.yaml_constructors[tag](self.loader, node)
            except (ValueError, KeyError, IndexError, TypeError):  # `!!int abc`, `!!bool maybe`
                self.refuse(
                    event.start_mark,
                    "yaml.tag",
                    f"{short_repr(event.value)} is not a valid {_short_tag(tag)}",
                )
                return None
        self.scalars[key] = value
        return value

    def open(self, event: Any) -> None:
        mapping = isinstance(event, yaml.MappingStartEvent)
        if self.refused is None and self.parent_wants_key():
            self.refuse(event.start_mark, "yaml.key", "mapping keys must be plain text")
        if self.refused is None:
            self.count(1, event.start_mark)
        if self.refused is None:
            tag = self.tag(event, MappingNode if mapping else SequenceNode)
            if tag != _TAG + ("map" if mapping else "seq"):
                self.refuse(
                    event.start_mark,
                    "yaml.tag",
                    f"unsupported tag {_short_tag(tag)}: only plain YAML values are read",
                )
        opened = _Open(
            {} if mapping else [],
            [_mark(event.start_mark)] if mapping else [_mark(event.start_mark), None],
            event.anchor,
            event.start_mark,
            self.counted - 1,
        )
        if mapping:
            opened.keys, opened.values, opened.explicit = {}, {}, set()
        if event.anchor is not None:
            self.anchors[event.anchor] = opened
        self.stack.append(opened)

    def close(self) -> None:
        done = self.stack.pop()
        if self.refused is not None:
            if done.anchor is not None:
                self.anchors[done.anchor] = _Anchored(None, 0, 0, done.start)
            return
        if done.keys is not None and done.values is not None:
            keys = tuple(done.data)
            marks: Marks = (
                done.marks[0],
                keys,
                *(mark for key in keys for mark in (done.keys[key], done.values[key])),
            )
        else:
            marks = tuple(done.marks)
        if done.anchor is not None:
            size = self.counted - done.counted
            self.anchors[done.anchor] = _Anchored(done.data, marks, size, done.start)
        self.attach(done.data, marks)

    def key(self, text: str, mark: int, *, merge: bool) -> None:
        parent = self.stack[-1]
        key = str(text)
        if not merge:
            assert parent.explicit is not None
            if key in parent.explicit:
                self.refused = self.refused or fail(
                    _at(self.display, mark),
                    "yaml.duplicate_key",
                    f"duplicate key '{key}'",
                )
                return
            parent.explicit.add(key)
        parent.key, parent.key_mark, parent.merge = key, mark, merge
        parent.expect_key = False

    def attach(self, value: Any, marks: Marks) -> None:
        """A finished value: the root, a list's item, or a mapping's value."""
        if not self.stack:
            self.root = (value, marks)
            return
        parent = self.stack[-1]
        if parent.keys is None:
            parent.data.append(value)
            parent.marks.append(marks)
            return
        assert parent.values is not None and parent.explicit is not None
        parent.expect_key = True
        if parent.merge:
            self.merge(parent, value, marks)
            return
        key = parent.key
        assert key is not None
        parent.data[key] = value
        parent.keys[key] = parent.key_mark
        parent.values[key] = marks

    def merge(self, parent: _Open, value: Any, marks: Marks) -> None:
        """`<<: *base` or `<<: [*a, *b]`: keys not written in the mapping itself, the
        first source giving a key winning over later ones."""
        sources = (
            list(zip(value, marks[2:], strict=True))
            if isinstance(value, list) and not isinstance(marks, int)
            else [(value, marks)]
        )
        merged: dict[str, tuple[Any, int, Marks]] = {}
        for source, source_marks in sources:
            if not isinstance(source, dict) or isinstance(source_marks, int):
                self.refused = self.refused or fail(
                    _at(self.display, _own(source_marks)), "yaml.merge", "'<<' must merge a mapping"
                )
                return
            keys = source_marks[1]
            found = {
                key: (item, source_marks[2 + 2 * index], source_marks[3 + 2 * index])
                for index, (key, item) in enumerate(zip(keys, source.values(), strict=True))
            }
            merged = {**found, **merged}
        assert parent.explicit is not None and parent.keys is not None
        assert parent.values is not None
        for key, (item, key_mark, item_marks) in merged.items():
            if key not in parent.explicit:
                parent.data[key] = item
                parent.keys[key] = key_mark
                parent.values[key] = item_marks


def _copy(value: Any) -> Any:
    """An alias's own copy of the anchored data (its size already counted)."""
    if isinstance(value, list):
        return [_copy(item) for item in value]
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    return value


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag
