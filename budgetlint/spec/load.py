"""Load a YAML file safely into plain data plus a path → position index.

Safety rules, each with a reason:

- Only the standard scalar tags are constructed; ``!!python/...`` and every
  other tag is refused by name, so nothing is ever executed.
- Aliases are capped while reading and the plain data has a value budget
  that counts every alias use at its full size: an alias bomb is cheap to
  parse and only explodes when expanded, so both caps refuse it fast and in
  bounded memory (an alias is copied only once the budget has room for it).
- Nesting depth is capped while reading. The parser's events are turned into
  plain data by a loop over one stack, never by recursion, and no node tree is
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
from yaml.events import (
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from budgetlint.collector import collector_paused
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
        with collector_paused():  # reading makes many objects, no cycles
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


class _Open:
    """A list or mapping being read."""

    __slots__ = (
        "anchor",
        "counted",
        "data",
        "expect_key",
        "explicit",
        "key",
        "key_mark",
        "marks",
        "merge",
        "slots",
        "start",
    )

    def __init__(self, data: Any, mark: int, anchor: str | None, start: Any, counted: int) -> None:
        self.data = data  # the list or dict
        # Its marks as they will be kept (see Marks): `keys` filled in at its end, and a
        # mapping's key and value marks in the order of its keys.
        self.marks: list[Any] = [mark, None]
        self.anchor = anchor
        self.start = start  # the parser's mark where it starts
        self.counted = counted  # values read before it (its size is the difference at its end)
        self.expect_key = type(data) is dict  # a mapping waiting for a key (never a list)
        self.key: str | None = None  # a mapping's key whose value comes next
        self.key_mark = 0
        self.merge = False  # that key is `<<`
        # Once `<<` has merged keys into the mapping: the keys written in it, and where
        # each key's marks are in `marks`. Until then its keys are all written ones, in
        # the order of `marks`.
        self.explicit: set[str] | None = None
        self.slots: dict[str, int] | None = None


@dataclass(frozen=True)
class _Anchored:
    data: Any
    marks: Marks
    size: int  # values, aliases inside counted at their full size
    start: Any
    scalar: Any = None  # a scalar's event: its text is a key, its value a value


_NOT_READ = object()
_ONE_ONE = (1 << _SHIFT) | 1  # a parser mark is 0-based: line + 1, column + 1


class _Reader:
    """Turns parser events into plain data and marks with a stack (no recursion).

    Problems of the YAML itself (syntax, depth, aliases, anchors) stop reading where
    they are met, as the parser and composer would. A problem of the data (a tag, a
    duplicate key, too many values) is kept and reading goes on without building, so
    that a YAML problem later in the file is still the one reported, as before.

    `common` reads the common events in a tight loop (a plain or quoted value, a list
    or mapping, without anchor or tag, and its end, under a parent with no merged
    keys); every other event, and every event once something is refused, goes through
    `node`, which handles them all, as the only reader did before."""

    def __init__(self, display: str, loader: Any) -> None:
        self.display = display
        self.loader = loader
        self.stack: list[_Open] = []
        self.anchors: dict[str, _Anchored | _Open] = {}
        self.aliases = 0
        self.counted = 0
        self.top_key: Any = None  # where an alias bomb is reported
        self.refused: SpecError | None = None
        self.scalars: dict[tuple[Any, ...], Any] = {}  # tagged scalars' values
        self.plain: dict[str, Any] = {}  # untagged plain scalars' values, by their text
        self.texts: dict[str, str] = {}  # keys and quoted values: one string per text
        self.key_tuples: dict[tuple[str, ...], tuple[str, ...]] = {}  # one tuple per key set
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
        self.read()
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

    def read(self) -> None:
        """Events until the root closes: runs of common ones by `common`, the others (and
        all of them once something is refused) by `node`."""
        stack = self.stack
        get_event = self.loader.get_event
        while stack:
            top = stack[-1]
            if self.refused is None and top.slots is None and not top.merge:
                self.node(self.common(top))
            else:
                self.node(get_event())

    def common(self, top: _Open) -> Any:
        """Reads the common events itself and returns the first other one, for `node`.

        Common: a plain or quoted value, or a list or mapping, without anchor or tag,
        not too deep or too many, in a list or in a mapping with no merged keys
        (`slots` None: its keys are all written ones, `data`'s keys, in the order of
        its marks) and not after `<<`; a key of such a mapping that is not `<<` and
        not a duplicate; and the end of a list or mapping without anchor whose parent
        is such a list or mapping. The open container's state is in locals meanwhile
        (its pending key, whether it waits for a key, the values counted), written
        back to it before returning."""
        stack = self.stack
        get_event = self.loader.get_event
        plain, texts, key_tuples = self.plain, self.texts, self.key_tuples
        not_read, shift, one_one = _NOT_READ, _SHIFT, _ONE_ONE
        max_depth, max_nodes = MAX_DEPTH, MAX_NODES
        scalar_event, mapping_start = ScalarEvent, MappingStartEvent
        sequence_start, sequence_end, mapping_end = (
            SequenceStartEvent,
            SequenceEndEvent,
            MappingEndEvent,
        )
        data, marks = top.data, top.marks
        in_list = type(data) is list
        expect_key, key, key_mark = top.expect_key, top.key, top.key_mark
        counted = self.counted
        depth = len(stack)
        while True:
            event = get_event()
            kind = type(event)
            if kind is scalar_event:
                if event.anchor is None and event.tag is None and depth < max_depth:
                    text = event.value
                    start = event.start_mark
                    if expect_key:
                        if text != "<<" and text not in data:
                            if depth == 1:
                                self.top_key = start
                            key = texts.setdefault(text, text)
                            key_mark = (start.line << shift | start.column) + one_one
                            expect_key = False
                            continue
                    elif counted < max_nodes:
                        if event.implicit[0]:
                            value = plain.get(text, not_read)
                        else:  # quoted or block text, untagged: a string as written
                            value = texts.setdefault(text, text)
                        if value is not not_read:
                            counted += 1
                            mark = (start.line << shift | start.column) + one_one
                            if in_list:
                                data.append(value)
                                marks.append(mark)
                            else:
                                data[key] = value
                                marks += (key_mark, mark)
                                expect_key = True
                            continue
            elif kind is mapping_start or kind is sequence_start:
                if (
                    not expect_key
                    and event.anchor is None
                    and event.tag is None
                    and depth < max_depth
                    and counted < max_nodes
                ):
                    counted += 1
                    start = event.start_mark
                    top.expect_key, top.key, top.key_mark = False, key, key_mark
                    in_list = kind is sequence_start
                    top = _Open(
                        [] if in_list else {},
                        (start.line << shift | start.column) + one_one,
                        None,
                        start,
                        counted - 1,
                    )
                    stack.append(top)
                    depth += 1
                    data, marks = top.data, top.marks
                    expect_key = not in_list
                    continue
            elif (kind is sequence_end or kind is mapping_end) and depth > 1:
                parent = stack[-2]
                if top.anchor is None and parent.slots is None and not parent.merge:
                    if not in_list:
                        keys = tuple(data)
                        marks[1] = key_tuples.setdefault(keys, keys)
                    value, done = data, tuple(marks)
                    stack.pop()
                    depth -= 1
                    top = parent
                    data, marks = top.data, top.marks
                    in_list = type(data) is list
                    if in_list:
                        data.append(value)
                        marks.append(done)
                        expect_key = False
                    else:
                        key, key_mark = top.key, top.key_mark
                        data[key] = value
                        marks += (key_mark, done)
                        expect_key = True
                    continue
            top.expect_key, top.key, top.key_mark = expect_key, key, key_mark
            self.counted = counted
            return event

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
        return bool(self.stack) and self.stack[-1].expect_key

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
            if not merge and len(self.stack) == 1:
                self.top_key = event.start_mark
            self.key(event.value, mark, merge=merge)
            return
        if not self.count(1, event.start_mark):
            return
        value = self.value(event)
        if self.refused is None:
            self.attach(value, mark)

    def tag(self, event: Any, kind: type[Any]) -> str:
        tag: str | None = event.tag
        if tag is None or tag == "!":
            value = event.value if kind is ScalarNode else None
            tag = self.loader.resolve(kind, value, event.implicit)
        return str(tag)

    def value(self, event: Any) -> Any:
        """A scalar's plain value, as PyYAML's safe constructor makes it (remembered: a
        spec says `relu` and `4` many times)."""
        text = event.value
        if event.tag is None and not event.implicit[0]:
            return self.texts.setdefault(text, text)  # quoted, untagged: !!str, as written
        memo: dict[Any, Any]
        if event.tag is None:  # plain, untagged: its meaning depends on its text alone
            memo, key = self.plain, text
        else:
            memo, key = self.scalars, (event.tag, text, event.implicit, event.style)
        if key in memo:
            return memo[key]
        tag = self.tag(event, ScalarNode)
        if tag in _KEPT_AS_TEXT_TAGS:
            value: Any = text
        elif tag not in _SCALAR_TAGS:
            self.refuse(
                event.start_mark,
                "yaml.tag",
                f"unsupported tag {_short_tag(tag)}: only plain YAML values are read",
            )
            return None
        else:
            node = ScalarNode(tag, text, event.start_mark, event.end_mark, event.style)
            try:
                value = self.loader.yaml_constructors[tag](self.loader, node)
            except (ValueError, KeyError, IndexError, TypeError):  # `!!int abc`, `!!bool maybe`
                self.refuse(
                    event.start_mark,
                    "yaml.tag",
                    f"{short_repr(text)} is not a valid {_short_tag(tag)}",
                )
                return None
        if type(value) is str:
            value = self.texts.setdefault(value, value)
        memo[key] = value
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
            _mark(event.start_mark),
            event.anchor,
            event.start_mark,
            self.counted - 1,
        )
        if event.anchor is not None:
            self.anchors[event.anchor] = opened
        self.stack.append(opened)

    def close(self) -> None:
        done = self.stack.pop()
        if self.refused is not None:
            if done.anchor is not None:
                self.anchors[done.anchor] = _Anchored(None, 0, 0, done.start)
            return
        if type(done.data) is dict:
            keys = tuple(done.data)
            done.marks[1] = self.key_tuples.setdefault(keys, keys)
        marks = tuple(done.marks)
        if done.anchor is not None:
            size = self.counted - done.counted
            self.anchors[done.anchor] = _Anchored(done.data, marks, size, done.start)
        self.attach(done.data, marks)

    def key(self, text: str, mark: int, *, merge: bool) -> None:
        parent = self.stack[-1]
        key = self.texts.setdefault(text, text)
        if not merge:
            explicit = parent.data if parent.explicit is None else parent.explicit
            if key in explicit:
                self.refused = self.refused or fail(
                    _at(self.display, mark),
                    "yaml.duplicate_key",
                    f"duplicate key '{key}'",
                )
                return
            if parent.explicit is not None:
                parent.explicit.add(key)
        parent.key, parent.key_mark, parent.merge = key, mark, merge
        parent.expect_key = False

    def attach(self, value: Any, marks: Marks) -> None:
        """A finished value: the root, a list's item, or a mapping's value."""
        if not self.stack:
            self.root = (value, marks)
            return
        parent = self.stack[-1]
        if type(parent.data) is list:
            parent.data.append(value)
            parent.marks.append(marks)
            return
        parent.expect_key = True
        if parent.merge:
            self.merge(parent, value, marks)
            return
        key = parent.key
        assert key is not None
        _put(parent, key, value, parent.key_mark, marks)

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
        if parent.explicit is None:  # its first merge: every key so far was written
            parent.explicit = set(parent.data)
            parent.slots = {key: 2 + 2 * index for index, key in enumerate(parent.data)}
        for key, (item, key_mark, item_marks) in merged.items():
            if key not in parent.explicit:
                _put(parent, key, item, key_mark, item_marks)


def _put(mapping: _Open, key: str, value: Any, key_mark: int, marks: Marks) -> None:
    """`key: value` into a mapping: a new key at its end, a merged key replaced in place."""
    slot = None if mapping.slots is None else mapping.slots.get(key)
    mapping.data[key] = value
    if slot is None:
        if mapping.slots is not None:
            mapping.slots[key] = len(mapping.marks)
        mapping.marks += (key_mark, marks)
    else:
        mapping.marks[slot : slot + 2] = (key_mark, marks)


def _copy(value: Any) -> Any:
    """An alias's own copy of the anchored data (its size already counted)."""
    if isinstance(value, list):
        return [_copy(item) for item in value]
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    return value


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag
