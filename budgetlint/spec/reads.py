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

import collections
import os
import stat  # imported by os already

import yaml

TYPE_CHECKING = False  # typing costs the hook's fast path more than its scan: not imported
if TYPE_CHECKING:  # pathlib only for the callers: the hook's fast path imports none
    from pathlib import Path
    from typing import Any, BinaryIO, NamedTuple

    from budgetlint.hook_cache import HookCache

MAX_FILE_BYTES = 2 * 1024 * 1024  # the largest spec file read, here and by spec.sources
ARCH_KEY = "arch"  # a file path, wherever it is written
TOP_LEVEL_REFERENCES = ("use", "include")  # a path or a list of paths, at the top level
MERGE_KEY = "<<"
MERGE_TAG = "tag:yaml.org,2002:merge"  # `<<`, or any key tagged `!!merge`
TEMPLATE = "${"  # spec.expr's templates: the text is computed

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


if TYPE_CHECKING:

    class References(NamedTuple):
        """What one file names, as written (relative to its folder). A named tuple, not a
        dataclass: the hook's fast path (budgetlint.layout) imports no dataclasses."""

        paths: tuple[str, ...] = ()
        static: bool = True  # False: a reference is computed, only expansion knows it
        top_keys: frozenset[str] = frozenset()  # its top-level mapping's keys (`<<`: merges)

else:  # the same named tuple, built without importing typing
    References = collections.namedtuple(
        "References", ("paths", "static", "top_keys"), defaults=((), True, frozenset())
    )


NOT_YAML = References()  # unreadable, not YAML, or not one document: reads nothing further


def confinement_folder(spec: str | os.PathLike[str]) -> str:
    """The folder a spec's `arch:` and `include:` files must be in: the git work tree
    holding the spec (found from its `.git`, so without running git), else the spec's
    own folder; symbolic links resolved."""
    folder = os.path.dirname(os.path.abspath(spec))
    while True:
        if os.path.exists(os.path.join(folder, ".git")):
            return os.path.realpath(folder)
        parent = os.path.dirname(folder)
        if parent == folder:
            return os.path.realpath(os.path.dirname(os.path.abspath(spec)))
        folder = parent


def confinement_root(spec: Path) -> Path:
    """confinement_folder, as a Path."""
    from pathlib import Path

    return Path(confinement_folder(spec))


def inside(resolved: str, folder: str) -> bool:
    """Whether a resolved path is the folder or below it."""
    return resolved == folder or resolved.startswith(folder.rstrip(os.sep) + os.sep)


def read_bytes(path: str | os.PathLike[str]) -> bytes | None:
    """A regular file's bytes, when it has at most MAX_FILE_BYTES; else None."""
    try:
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_FILE_BYTES:
            return None
        with open(path, "rb") as handle:
            raw = read_at_most(handle, status.st_size, MAX_FILE_BYTES)
    except (OSError, ValueError):  # ValueError: a NUL in the name (as os.path.isfile)
        return None
    return None if len(raw) > MAX_FILE_BYTES else raw


def read_at_most(handle: BinaryIO, size: int, limit: int) -> bytes:
    """The bytes of an open file of `size` bytes (by its stat), up to limit + 1 bytes when
    it has grown since: a read of `size` + 1 bytes first, not of the limit (whose buffer of
    megabytes would cost more than reading a spec)."""
    raw = handle.read(size + 1)
    if len(raw) > size:
        raw += handle.read(max(limit + 1 - len(raw), 0))
    return raw


_BYTE_ORDER_MARK = b"\xef\xbb\xbf"  # decoded here, not by the utf-8-sig codec: one import less


def decode(raw: bytes) -> str | None:
    """The text as spec.sources and spec.load would take it (no NUL byte, UTF-8 with or
    without a byte-order mark); None where they would refuse it."""
    if b"\0" in raw:
        return None
    try:
        return raw.removeprefix(_BYTE_ORDER_MARK).decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_text(path: str | os.PathLike[str]) -> str | None:
    """A file's text as spec.sources and spec.load would take it (a regular file of at
    most MAX_FILE_BYTES, no NUL byte, UTF-8 with or without a byte-order mark); None
    where they would refuse it."""
    raw = read_bytes(path)
    return None if raw is None else decode(raw)


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


def scan(text: str) -> References:
    """The references of one YAML text; NOT_YAML when it is not one YAML document.

    One pass over libyaml's events, linear in the text: aliases are looked up, never
    expanded. Each open collection is a frame [mapping, top, expects a key, role]. (The
    hook runs this on every spec at every commit: event kinds are bound to locals.)"""
    scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
    mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
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
            if kind is scalar_event:
                scalar: yaml.ScalarEvent | None = event
                if event.anchor is not None:
                    anchors[event.anchor] = event
            elif kind in ends:
                stack.pop()
                continue
            elif kind is mapping_start or kind is sequence_start:
                scalar = None
                if event.anchor is not None:
                    anchors[event.anchor] = None
            elif kind is alias_event:
                scalar = anchors.get(event.anchor)
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    return NOT_YAML  # the loader refuses a stream of documents
                continue
            elif kind is yaml.StreamEndEvent or event is None:
                break
            else:
                continue  # the stream's start, a document's end
            role = _OTHER  # of the collection this event opens
            if stack:
                frame = stack[-1]
                if frame[2]:  # a mapping's key (a list or mapping as a key: no role)
                    frame[2] = False
                    frame[3] = _OTHER
                    if scalar is not None:
                        key = MERGE_KEY if scalar.tag == MERGE_TAG else str(scalar.value)
                        if key == ARCH_KEY or TEMPLATE in key:  # `${kind}: x` is arch if kind is
                            frame[3] = _PATH
                        elif frame[1] and key in TOP_LEVEL_REFERENCES:
                            frame[3] = _PATHS
                        if frame[1]:
                            top_keys.add(key)
                            static = static and key != MERGE_KEY  # may merge `use:` in
                else:  # a mapping's value, or a list's item
                    frame[2] = frame[0]  # after a mapping's value, a key
                    if frame[3] == _PATHS and kind is sequence_start and frame[0]:
                        role = _PATHS
                    elif frame[3] and scalar is not None:
                        found = _text(scalar, loader)
                        if found is not None and found.strip():
                            static = static and TEMPLATE not in found
                            paths.append(found)
                    elif frame[3] == _PATHS and kind is alias_event and frame[0]:
                        static = False  # `use: *paths`: a list written elsewhere
            if kind is mapping_start:
                stack.append([True, not stack, True, role])
            elif kind is sequence_start:
                stack.append([False, not stack, False, role])
    except yaml.YAMLError:
        return NOT_YAML
    finally:
        loader.dispose()
    return References(tuple(paths), static, frozenset(top_keys))


def scan_bytes(raw: bytes) -> References:
    """The references of a file's bytes; NOT_YAML when they are no YAML text we read."""
    text = decode(raw)
    return NOT_YAML if text is None else scan(text)


def scan_file(path: str | os.PathLike[str], cache: HookCache | None = None) -> References:
    """The references of a file (bounded read); NOT_YAML when it can't be read. With a
    cache, the answer for the same bytes is taken from it (and kept in it)."""
    raw = read_bytes(path)
    if raw is None:
        return NOT_YAML
    if cache is None:
        return scan_bytes(raw)
    from budgetlint.hook_cache import REFERENCES  # loaded: the cache is one of its

    return References(*cache.answer(REFERENCES, raw, _plain_scan))


def _plain_scan(raw: bytes) -> tuple[tuple[str, ...], bool, frozenset[str]]:
    """scan_bytes as a plain tuple, as the cache keeps it."""
    paths, static, top_keys = scan_bytes(raw)
    return paths, static, top_keys


def _key(path: str | os.PathLike[str]) -> str:
    return os.path.abspath(path)  # normalised: abspath normalises


class Scanned:
    """What files_read learned, kept for the next spec: each file's references, each
    folder's confinement folder and each path's resolution (symbolic links followed), so
    that a library read by many specs is read and resolved once."""

    def __init__(self, cache: HookCache | None = None) -> None:
        self.cache = cache  # the answers of earlier runs, by content
        self.references: dict[str, References] = {}
        self.roots: dict[str, str] = {}
        self.resolved: dict[str, str] = {}
        self.files: dict[str, bool] = {}  # whether each path is a regular file

    def of(self, name: str) -> References:
        if name not in self.references:
            found = scan_file(name, self.cache) if self.is_file(name) else NOT_YAML
            self.references[name] = found
        return self.references[name]

    def is_file(self, name: str) -> bool:
        if name not in self.files:
            self.files[name] = os.path.isfile(name)
        return self.files[name]

    def root(self, spec: str) -> str:
        folder = os.path.dirname(spec)
        if folder not in self.roots:
            self.roots[folder] = confinement_folder(spec)
        return self.roots[folder]

    def inside(self, name: str, root: str) -> bool:
        return inside(self.real(name), root)

    def real(self, name: str) -> str:
        """os.path.realpath, with each folder resolved once: a file that is no symbolic
        link resolves to its resolved folder, and the specs of a repository share few."""
        if name not in self.resolved:
            folder, base = os.path.split(name)
            if not base or folder == name or os.path.islink(name):
                self.resolved[name] = os.path.realpath(name)
            else:
                self.resolved[name] = os.path.join(self.real(folder), base)
        return self.resolved[name]


def files_read(
    spec: str | os.PathLike[str], scanned: Scanned | None = None
) -> frozenset[str] | None:
    """Every file the spec reads (normalised absolute paths, the spec first among
    them), missing ones included; None when a reference is computed (see above)."""
    scanned = Scanned() if scanned is None else scanned
    start = _key(spec)
    root = scanned.root(start)
    found = {start: None}
    pending = [start]
    while pending:
        name = pending.pop()
        references = scanned.of(name)
        if not references.static:
            return None
        folder = os.path.dirname(name)
        for reference in references.paths:
            target = _key(os.path.join(folder, reference))
            if target not in found and scanned.inside(target, root):
                found[target] = None
                pending.append(target)
    return frozenset(found)
