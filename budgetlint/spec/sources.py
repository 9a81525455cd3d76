"""Where spec files are read from: the work tree, or a git revision's objects.

A git revision is read with `git cat-file`, never by checking it out, so the
work tree and the index are left as they are.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from budgetlint.problems import Position, SpecError, fail
from budgetlint.spec.reads import MAX_FILE_BYTES as MAX_FILE_BYTES  # one limit for every read

if TYPE_CHECKING:  # git is run only with --base: the hook and `check` import no subprocess
    import subprocess


class Source(Protocol):
    def read_bytes(self, path: Path, display: str, limit: int = MAX_FILE_BYTES) -> bytes:
        """The file's bytes, or SpecError (file.missing, file.directory, ...)."""


def _too_large(display: str, limit: int = MAX_FILE_BYTES) -> SpecError:
    return fail(Position(display), "file.too_large", f"larger than {limit} bytes: refused")


@dataclass(frozen=True)
class WorkTree:
    def read_bytes(self, path: Path, display: str, limit: int = MAX_FILE_BYTES) -> bytes:
        where = Position(display)
        if path.is_symlink() and not path.exists():
            raise fail(where, "file.missing", "a symbolic link to nothing (or to itself)")
        if not path.exists():
            raise fail(where, "file.missing", "no such file")
        if path.is_dir():
            raise fail(where, "file.directory", "is a directory, not a YAML file")
        if not path.is_file():
            raise fail(where, "file.special", "is not a regular file")
        try:
            if path.stat().st_size > limit:
                raise _too_large(display, limit)
            with path.open("rb") as handle:
                raw = handle.read(limit + 1)
        except OSError as error:
            raise fail(where, "file.unreadable", f"cannot read: {error.strerror}") from None
        if len(raw) > limit:
            raise _too_large(display, limit)
        return raw


WORK_TREE = WorkTree()


@dataclass(frozen=True)
class InlineText(WorkTree):
    """A spec given as text (budgetlint.evaluate(text=...)) under a name of its own; the
    files it refers to are read from the work tree, under the same confinement."""

    path: Path
    data: bytes

    def read_bytes(self, path: Path, display: str, limit: int = MAX_FILE_BYTES) -> bytes:
        if path != self.path:
            return super().read_bytes(path, display, limit)
        if len(self.data) > limit:
            raise _too_large(display, limit)
        return self.data


GIT_MISSING = 127  # the shell's "command not found", for a git that isn't installed


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    import subprocess

    command = ["git", "-C", str(root), *args]
    try:
        return subprocess.run(command, capture_output=True, check=False)
    except OSError as error:  # no git on PATH (slim CI images), or not runnable
        return subprocess.CompletedProcess(command, GIT_MISSING, b"", str(error).encode())


def _dot_git_root(start: Path) -> Path | None:
    folder = Path(os.path.abspath(start))
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def git_root(start: Path) -> Path | None:
    """The work tree holding `start`: git's answer, or without git the nearest `.git`."""
    done = _git(start, "rev-parse", "--show-toplevel")
    if done.returncode == GIT_MISSING:
        return _dot_git_root(start)
    if done.returncode != 0:
        return None
    return Path(done.stdout.decode().strip())


class _CatFile:
    """One `git cat-file --batch` for a revision's reads: each object is asked on its
    stdin and answered on its stdout, in order, so a run spawns one git for all of them.
    Started on the first read; ended by close(), or when its revision is collected."""

    def __init__(self) -> None:
        self.pipes: tuple[IO[bytes], IO[bytes]] | None = None  # to git, from git
        self.ended: Callable[[], object] | None = None

    def start(self, root: Path) -> bool:
        """Whether the process runs (False: git can't be started)."""
        if self.pipes is None:
            import subprocess
            import weakref

            try:
                process = subprocess.Popen(
                    ["git", "-C", str(root), "cat-file", "--batch"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            except OSError:
                return False
            self.ended = weakref.finalize(self, _end, process)
            if process.stdin is None or process.stdout is None:  # never, with PIPE
                self.close()
                return False
            self.pipes = (process.stdin, process.stdout)
        return True

    def object(self, root: Path, name: str, limit: int) -> _Object | None:
        """The object `name` (`commit:path`); None when there is none. Content is left
        unread (None) above `limit` bytes: the process is ended instead of draining it."""
        if not self.start(root) or self.pipes is None:
            return None
        to_git, from_git = self.pipes
        to_git.write(os.fsencode(name) + b"\n")
        to_git.flush()
        header = from_git.readline().split()
        if len(header) != 3 or not header[2].isdigit():  # `<name> missing` (or ambiguous)
            if not header:
                self.close()  # git ended: the next read starts another
            return None
        oid, kind, size = header[0].decode(), header[1].decode(), int(header[2])
        if size > limit:
            self.close()
            return _Object(oid, kind, size, None)
        content = from_git.read(size + 1)[:size]  # the content, then a newline
        return _Object(oid, kind, size, content)

    def close(self) -> None:
        if self.ended is not None:
            self.ended()
        self.pipes, self.ended = None, None


def _end(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError):
        if process.stdin is not None:
            process.stdin.close()
    process.kill()
    process.wait()
    if process.stdout is not None:
        process.stdout.close()


@dataclass(frozen=True)
class _Object:
    oid: str
    kind: str  # blob, tree, commit (a submodule)
    size: int
    content: bytes | None  # None: larger than the limit asked, not read


@dataclass(frozen=True)
class GitRevision:
    """Files as they stand at `commit` (a resolved hash) in the repository at `root`.

    Every file is read through one `git cat-file --batch` (close() ends it);
    `unchanged()` says, from one `git ls-tree`, which work-tree files are as they were."""

    root: Path
    commit: str
    ref: str  # as the user wrote it, for messages
    batch: _CatFile = field(default_factory=_CatFile, compare=False, repr=False)

    def _relative(self, path: Path) -> str:
        return os.path.relpath(os.path.normpath(os.path.abspath(path)), self.root)

    def read_bytes(self, path: Path, display: str, limit: int = MAX_FILE_BYTES) -> bytes:
        where = Position(display)
        relative = self._relative(path)
        if relative.startswith(".."):
            raise fail(where, "file.outside_repo", f"is outside the repository at {self.ref}")
        name = f"{self.commit}:{Path(relative).as_posix()}"
        if "\n" in name or not self.batch.start(self.root):  # the batch reads lines
            return self._read_alone(name, display, limit)
        found = self.batch.object(self.root, name, limit)
        if found is None:
            raise fail(where, "file.missing", f"no such file at {self.ref}")
        if found.kind != "blob":
            raise fail(where, "file.directory", f"is a directory at {self.ref}, not a YAML file")
        if found.content is None:
            raise _too_large(display, limit)
        return found.content

    def _read_alone(self, name: str, display: str, limit: int) -> bytes:
        where = Position(display)
        kind = _git(self.root, "cat-file", "-t", name)
        if kind.returncode != 0:
            raise fail(where, "file.missing", f"no such file at {self.ref}")
        if kind.stdout.strip() != b"blob":
            raise fail(where, "file.directory", f"is a directory at {self.ref}, not a YAML file")
        size = _git(self.root, "cat-file", "-s", name)
        if int(size.stdout.strip() or 0) > limit:
            raise _too_large(display, limit)
        return _git(self.root, "cat-file", "blob", name).stdout

    def unchanged(self, paths: Iterable[str]) -> frozenset[str]:
        """The paths (as given) whose work-tree bytes are the blob at this revision:
        their blob ids, from one `git ls-tree`, are those of the bytes read now."""
        inside = {
            path: Path(relative).as_posix()
            for path in paths
            if not (relative := self._relative(Path(path))).startswith("..")
        }
        if not inside:
            return frozenset()
        names = sorted(set(inside.values()))
        done = _git(
            self.root,
            "--literal-pathspecs",
            "ls-tree",
            "-z",
            "--full-tree",
            self.commit,
            "--",
            *names,
        )
        if done.returncode != 0:
            return frozenset()
        blobs = {}
        for entry in done.stdout.split(b"\0"):
            info, _, name = entry.partition(b"\t")
            fields = info.split()
            if len(fields) == 3 and fields[1] == b"blob":
                blobs[os.fsdecode(name)] = fields[2].decode()
        return frozenset(
            path
            for path, name in inside.items()
            if name in blobs and _blob_id(Path(path), blobs[name]) == blobs[name]
        )

    def close(self) -> None:
        self.batch.close()

    def renamed_from(self, path: Path) -> Path | None:
        """Where `path` was at this revision, when it has been renamed since."""
        relative = os.path.relpath(os.path.normpath(os.path.abspath(path)), self.root)
        old = _renames(self.root, self.commit).get(Path(relative).as_posix())
        return None if old is None else Path(os.path.relpath(self.root / old))


def _blob_id(path: Path, like: str) -> str | None:
    """git's id of the file's bytes as a blob (SHA-1, or SHA-256 for a repository that
    uses it, told by the length of `like`); None when it can't be read."""
    try:
        data = WORK_TREE.read_bytes(path, str(path))
    except SpecError:
        return None
    import hashlib

    digest = hashlib.sha256() if len(like) == 64 else hashlib.sha1(usedforsecurity=False)
    digest.update(b"blob %d\0" % len(data))
    digest.update(data)
    return digest.hexdigest()


def _missing_revision(root: Path, ref: str) -> str:
    """Why `ref` can't be found: a shallow clone (CI's default) lacks the history."""
    shallow = _git(root, "rev-parse", "--is-shallow-repository").stdout.strip() == b"true"
    if not shallow:
        return f"--base {ref}: no such git revision"
    return (
        f"--base {ref}: not in this shallow clone (it holds only the latest commits); "
        f"fetch the base: `fetch-depth: 0` in actions/checkout, or `git fetch --deepen=50`, "
        f"or `git fetch origin <branch>` for a branch"
    )


@functools.lru_cache(maxsize=8)
def _renames(root: Path, commit: str) -> dict[str, str]:
    """New path → path at `commit`, for every file git sees as renamed since (work tree
    and index against the commit, `git diff --find-renames`)."""
    done = _git(root, "diff", "--find-renames", "--name-status", "-z", commit, "--")
    if done.returncode != 0:
        return {}
    fields = done.stdout.decode("utf-8", "surrogateescape").split("\0")
    renames: dict[str, str] = {}
    index = 0
    while index < len(fields) and fields[index]:
        status = fields[index]
        if status[:1] in ("R", "C"):
            if status[:1] == "R" and index + 2 < len(fields):
                renames[fields[index + 2]] = fields[index + 1]
            index += 3
        else:
            index += 2
    return renames


def resolve_revision(ref: str, start: Path, shown: str | None = None) -> GitRevision:
    """The revision `ref` of the repository holding `start`, or a problem saying why not,
    at `shown` (the spec being compared) when given."""
    where = Position(shown or str(start))
    done = _git(start, "rev-parse", "--show-toplevel", "--verify", "--quiet", f"{ref}^{{commit}}")
    if done.returncode == GIT_MISSING and not done.stdout:
        raise fail(where, "git.missing", f"--base {ref}: needs git, which is not on PATH")
    lines = done.stdout.decode().splitlines()
    if not lines:  # no work tree to show
        raise fail(where, "git.no_repo", f"--base {ref}: not inside a git repository")
    root = Path(lines[0])
    if done.returncode != 0 or len(lines) != 2:
        raise fail(where, "git.bad_ref", _missing_revision(root, ref))
    return GitRevision(root, lines[1].strip(), ref)
