"""What the hook learned from files' bytes, kept between commits in the git directory.

The hook runs on every commit, and to know which specs a commit concerns it scans every
spec (and the files they read) for its references (spec/reads.py) and reads
pyproject.toml's [tool.budgetlint] (layout.py): most of its time, for answers that
rarely change. Both answers are functions of a file's bytes alone, so they are kept
keyed by a digest of those bytes (BLAKE2b, 128 bits): a file whose bytes changed has
another key, so no answer is ever stale, and nothing else (no modification time) is
trusted. What depends on more than one file's bytes (which files exist, where links
lead, the confinement) is worked out afresh at every run.

The cache is one file in the repository's git directory (`.git/budgetlint-cache`, or
the directory a `.git` file points to), never in the work tree. Its header names what
computed the answers (budgetlint's version and the modules that compute them, PyYAML's
and Python's): answers of another one are not used. A file that can't be read, is
larger than MAX_CACHE_BYTES or is not what this module writes is ignored; a cache that
can't be written is not written; either way the answers are computed as without it.
A save keeps the answers this run used, then up to MAX_UNUSED older ones, the most
recently used first: a run that looked at a few files (a commit whose answer came early)
does not drop the others' answers, and the file does not grow with every edit.

It is read with marshal, which builds data (never runs code); whoever can write the
git directory can change the repository's hooks anyway.
"""

from __future__ import annotations

import marshal
import os
import sys

try:
    from _blake2 import blake2b  # hashlib would load OpenSSL: milliseconds at every commit
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import blake2b

import yaml

from budgetlint import __version__
from budgetlint.spec.reads import read_at_most

TYPE_CHECKING = False  # typing is not imported on the hook's fast path
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    Answer = TypeVar("Answer")

CACHE_NAME = "budgetlint-cache"
MAX_CACHE_BYTES = 16 * 1024 * 1024
MAX_UNUSED = 1000  # answers kept beyond this run's
FORMAT = 1
DIGEST_BYTES = 16

# The modules whose code computes the answers (a change to one makes them unknown).
COMPUTED_BY = ("spec/reads.py", "layout.py", "hook_cache.py")

# The kinds of answers: the references of a spec (spec.reads.scan_bytes, as a plain
# tuple) and the globs of a pyproject.toml (layout.pyproject_globs).
REFERENCES, CONFIG = "references", "config"


def _is_references(value: object) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 3
        and isinstance(value[0], tuple)
        and all(isinstance(path, str) for path in value[0])
        and isinstance(value[1], bool)
        and isinstance(value[2], frozenset)
        and all(isinstance(key, str) for key in value[2])
    )


def _is_globs(value: object) -> bool:
    return value is None or (
        isinstance(value, tuple) and all(isinstance(glob, str) for glob in value)
    )


KINDS = {REFERENCES: _is_references, CONFIG: _is_globs}


def git_folder(start: str) -> str | None:
    """The git directory of the work tree holding `start` (an absolute folder): its
    `.git` folder, or the folder a `.git` file names (a worktree, a submodule)."""
    folder = start
    while True:
        dot = os.path.join(folder, ".git")
        if os.path.isdir(dot):
            return dot
        if os.path.isfile(dot):
            return _pointed(dot)
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _pointed(dot: str) -> str | None:
    """The folder of a `.git` file's `gitdir: PATH` line, relative to the file's folder."""
    try:
        with open(dot, "rb") as handle:
            first = handle.read(4096).split(b"\n", 1)[0].decode("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    prefix = "gitdir:"
    if not first.startswith(prefix):
        return None
    target = os.path.join(os.path.dirname(dot), first[len(prefix) :].strip())
    return target if os.path.isdir(target) else None


def code_identity() -> tuple[object, ...] | None:
    """What computed the answers; None when it can't be told (no cache then)."""
    package = os.path.dirname(os.path.abspath(__file__))
    try:
        stats = [os.stat(os.path.join(package, name)) for name in COMPUTED_BY]
    except OSError:
        return None
    code = tuple((stat.st_size, stat.st_mtime_ns) for stat in stats)
    libyaml = hasattr(yaml, "CSafeLoader")
    return (FORMAT, __version__, code, yaml.__version__, libyaml, sys.version)


def digest(raw: bytes) -> bytes:
    return blake2b(raw, digest_size=DIGEST_BYTES).digest()


class HookCache:
    """Answers by kind and digest of the bytes they were computed from."""

    def __init__(self, folder: str | None) -> None:
        """`folder`: the git directory to keep the answers in; None: this run only."""
        self.path = None if folder is None else os.path.join(folder, CACHE_NAME)
        self.identity = None if folder is None else code_identity()
        self.known: dict[tuple[str, bytes], object] = self._load()
        self.used: dict[tuple[str, bytes], object] = {}
        self.learned = False  # an answer that was not in the file
        # what the configured globs matched, for this run only (the folders are not content)
        self.listed: dict[tuple[tuple[str, ...], str, str], list[str]] = {}

    @classmethod
    def of_project(cls, root: str) -> HookCache:
        """The cache of the repository holding the project folder `root` (absolute)."""
        return cls(git_folder(root))

    def _load(self) -> dict[tuple[str, bytes], object]:
        if self.path is None or self.identity is None:
            return {}
        try:
            size = os.stat(self.path).st_size
            if size > MAX_CACHE_BYTES:
                return {}
            with open(self.path, "rb") as handle:
                stored = marshal.loads(read_at_most(handle, size, MAX_CACHE_BYTES))
        except Exception:  # unreadable, or not marshal data (any error of the loader): unknown
            return {}
        if not (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == self.identity):
            return {}
        entries = stored[1]
        if not isinstance(entries, dict) or not all(_is_entry(*item) for item in entries.items()):
            return {}
        return entries

    def answer(self, kind: str, raw: bytes, compute: Callable[[bytes], Answer]) -> Answer:
        """compute(raw), the answer of this `kind` (a row of KINDS) for these bytes."""
        if kind not in KINDS:
            raise KeyError(f"no kind of answer {kind!r} in hook_cache.KINDS")
        key = (kind, digest(raw))
        if key not in self.used:
            if key in self.known:
                self.used[key] = self.known[key]
            else:
                self.used[key] = compute(raw)
                self.learned = True
        return self.used[key]  # type: ignore[return-value]  # KINDS checked it when loaded

    def save(self) -> None:
        """Keep this run's answers and older ones, when it learned one (never raises)."""
        if self.path is None or self.identity is None or not self.learned:
            return
        kept = dict(self.used)
        for key, value in self.known.items():
            if len(kept) >= len(self.used) + MAX_UNUSED:
                break
            kept.setdefault(key, value)
        # the answers are tuples of str, bool, frozenset and None (KINDS)
        data = marshal.dumps((self.identity, kept))  # type: ignore[arg-type]
        if len(data) <= MAX_CACHE_BYTES and _write_over(self.path, data):
            self.learned = False


def _write_over(path: str, data: bytes) -> bool:
    """Write a temporary file beside `path`, then rename it over `path` (a hook running
    beside reads the old answers or the new); False when it can't be done."""
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with open(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except OSError:
        _remove(temporary)
        return False
    return True


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        return


def _is_entry(key: object, value: object) -> bool:
    return (
        isinstance(key, tuple)
        and len(key) == 2
        and key[0] in KINDS
        and isinstance(key[1], bytes)
        and len(key[1]) == DIGEST_BYTES
        and KINDS[key[0]](value)
    )
