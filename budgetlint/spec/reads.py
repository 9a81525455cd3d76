"""Which files a spec reads, from its references alone: no validation, no expansion.

The hook needs, for every configured spec, the files it reads (`arch:` files, nested
ones, `use:`d block libraries, `include:`d device profiles) to know whether a commit
concerns it. Expanding every spec to learn that costs a whole `check` of all of them
on every commit; this module walks the YAML events of each file (libyaml's parser,
no node, no Python object built) and follows the references it finds.

The answer may hold more files than expansion would read, never fewer:

- `arch:` at any depth of any file reached, `use:` and `include:` at the top level
  of any file reached, each a path relative to the file that names it (whether or
  not expansion would get there: a model that fails first, a block never used);
- a file that can't be read or parsed as one YAML document reads nothing further
  (expansion stops at it too: its problem is the reading spec's);
- a reference that resolves outside the spec's repository is not followed (expansion
  refuses it before reading it).

A key that is computed (`"${act}": ...`) may evaluate to `arch`: its value is taken as
an `arch:` value. When a reference itself is computed (`${...}` in an `arch:` value,
or such a key's), or the top level merges another mapping (`<<:`, which could bring
`use:` or `include:`), only expansion can tell: `files_read` answers None.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from budgetlint.problems import SpecError
from budgetlint.spec.load import decode
from budgetlint.spec.sources import WORK_TREE, Source, confinement_root

ARCH_KEY = "arch"  # a file path, wherever it is written
TOP_LEVEL_REFERENCES = ("use", "include")  # a path or a list of paths, at the top level
MERGE_KEY = "<<"
TEMPLATE = "${"  # spec.expr's templates: the text is computed

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class References:
    """What one file names, as written (relative to its folder)."""

    paths: tuple[str, ...] = ()
    static: bool = True  # False: a reference is computed, only expansion knows it
    top_keys: frozenset[str] = frozenset()  # the keys of its top-level mapping


NOT_YAML = References()  # unreadable, not YAML, or not one document: reads nothing further


_NOT_TEXT = frozenset(
    "tag:yaml.org,2002:" + name for name in ("int", "float", "bool", "null")
)  # scalars that load as something else than text: never a path

# What the next value of a mapping (or each item of a sequence) is to the scan.
_OTHER, _PATH, _PATHS = 0, 1, 2  # nothing; a path (`arch:`); a path or a list (`use:`)


def _text(event: yaml.ScalarEvent, loader: Any) -> str | None:
    """A scalar value as expansion sees it: text, or None for a number, bool or null."""
    tag = event.tag
    if tag is None or tag == "!":  # resolved as the composer does
        tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
    return None if tag in _NOT_TEXT else str(event.value)


def _role(key: str, top: bool) -> int:
    if key == ARCH_KEY or TEMPLATE in key:  # `"${kind}": net.yaml` is arch when kind is
        return _PATH
    return _PATHS if top and key in TOP_LEVEL_REFERENCES else _OTHER


def scan(text: str) -> References:
    """The references of one YAML text; NOT_YAML when it is not one YAML document.

    One pass over libyaml's events, linear in the text: aliases are looked up, never
    expanded. Each open collection is a frame [mapping, top, expects a key, role]."""
    loader = _Loader(text)
    paths: list[str] = []
    static = True
    top_keys: set[str] = set()
    anchors: dict[str, yaml.ScalarEvent | None] = {}  # None: an anchored collection
    stack: list[list[Any]] = []
    documents = 0
    try:
        while True:
            event = loader.get_event()
            kind = type(event)
            if kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                stack.pop()
                continue
            if kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    return NOT_YAML  # the loader refuses a stream of documents
                continue
            if kind is yaml.StreamEndEvent or event is None:
                break
            if kind is yaml.AliasEvent:
                scalar = anchors.get(event.anchor)
            elif kind is yaml.ScalarEvent:
                scalar = event
                if event.anchor is not None:
                    anchors[event.anchor] = event
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                scalar = None
                if event.anchor is not None:
                    anchors[event.anchor] = None
            else:
                continue  # the stream's start, a document's end
            role = _OTHER  # of the collection this event opens
            if stack:
                frame = stack[-1]
                if frame[0] and frame[2]:  # a mapping's key
                    frame[2] = False
                    key = None if scalar is None else str(scalar.value)
                    frame[3] = _OTHER if key is None else _role(key, frame[1])
                    if frame[1] and key is not None:
                        top_keys.add(key)
                        static = static and key != MERGE_KEY  # may merge `use:` in
                else:
                    frame[2] = frame[0]  # after a mapping's value, a key
                    if frame[3] == _PATHS and kind is yaml.SequenceStartEvent and frame[0]:
                        role = _PATHS
                    elif frame[3] and scalar is not None:
                        found = _text(scalar, loader)
                        if found is not None and found.strip():
                            static = static and TEMPLATE not in found
                            paths.append(found)
                    elif frame[3] == _PATHS and kind is yaml.AliasEvent and frame[0]:
                        static = False  # `use: *paths`: a list written elsewhere
            if kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                stack.append([kind is yaml.MappingStartEvent, not stack, True, role])
    except yaml.YAMLError:
        return NOT_YAML
    finally:
        loader.dispose()
    return References(tuple(paths), static, frozenset(top_keys))


def scan_file(path: Path, source: Source = WORK_TREE) -> References:
    """The references of a file (bounded read); NOT_YAML when it can't be read."""
    try:
        return scan(decode(source.read_bytes(path, str(path)), str(path)))
    except SpecError:
        return NOT_YAML


def _key(path: str | Path) -> str:
    return os.path.normpath(os.path.abspath(path))


def _inside(path: str, root: Path) -> bool:
    try:
        resolved = Path(path).resolve()
    except (OSError, RuntimeError):  # a symbolic link loop
        resolved = Path(path)
    return resolved.is_relative_to(root)


Scanned = MutableMapping[str, References]  # file key → its references, shared across specs


def files_read(spec: Path, scanned: Scanned | None = None) -> frozenset[str] | None:
    """Every file the spec reads (normalised absolute paths, the spec first among
    them), missing ones included; None when a reference is computed (see above).

    `scanned` keeps each file's scan for the next spec: a library read by many specs
    is read once."""
    scanned = {} if scanned is None else scanned
    root = confinement_root(spec)
    start = _key(spec)
    found = {start: None}
    pending = [start]
    while pending:
        name = pending.pop()
        if name not in scanned:
            scanned[name] = scan_file(Path(name)) if os.path.isfile(name) else NOT_YAML
        references = scanned[name]
        if not references.static:
            return None
        folder = os.path.dirname(name)
        for reference in references.paths:
            target = _key(os.path.join(folder, reference))
            if target not in found and _inside(target, root):
                found[target] = None
                pending.append(target)
    return frozenset(found)
