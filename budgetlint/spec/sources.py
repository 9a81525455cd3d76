"""Where spec files are read from: the work tree, or a git revision's objects.

A git revision is read with `git cat-file`, never by checking it out, so the
work tree and the index are left as they are.
"""

from __future__ import annotations

import functools
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from budgetlint.problems import Position, SpecError, fail

MAX_FILE_BYTES = 2 * 1024 * 1024


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


def confinement_root(spec: Path) -> Path:
    """The folder a spec's `arch:` and `include:` files must be in: the git work tree
    holding the spec (found from its `.git`, so without running git), else the spec's
    own folder; symbolic links resolved."""
    folder = Path(os.path.abspath(spec)).parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate.resolve()
    return folder.resolve()


GIT_MISSING = 127  # the shell's "command not found", for a git that isn't installed


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
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


@dataclass(frozen=True)
class GitRevision:
    """Files as they stand at `commit` (a resolved hash) in the repository at `root`."""

    root: Path
    commit: str
    ref: str  # as the user wrote it, for messages

    def read_bytes(self, path: Path, display: str, limit: int = MAX_FILE_BYTES) -> bytes:
        where = Position(display)
        relative = os.path.relpath(os.path.normpath(os.path.abspath(path)), self.root)
        if relative.startswith(".."):
            raise fail(where, "file.outside_repo", f"is outside the repository at {self.ref}")
        name = f"{self.commit}:{Path(relative).as_posix()}"
        kind = _git(self.root, "cat-file", "-t", name)
        if kind.returncode != 0:
            raise fail(where, "file.missing", f"no such file at {self.ref}")
        if kind.stdout.strip() != b"blob":
            raise fail(where, "file.directory", f"is a directory at {self.ref}, not a YAML file")
        size = _git(self.root, "cat-file", "-s", name)
        if int(size.stdout.strip() or 0) > limit:
            raise _too_large(display, limit)
        return _git(self.root, "cat-file", "blob", name).stdout

    def renamed_from(self, path: Path) -> Path | None:
        """Where `path` was at this revision, when it has been renamed since."""
        relative = os.path.relpath(os.path.normpath(os.path.abspath(path)), self.root)
        old = _renames(self.root, self.commit).get(Path(relative).as_posix())
        return None if old is None else Path(os.path.relpath(self.root / old))


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
    if _git(start, "--version").returncode == GIT_MISSING:
        raise fail(where, "git.missing", f"--base {ref}: needs git, which is not on PATH")
    root = git_root(start)
    if root is None:
        raise fail(where, "git.no_repo", f"--base {ref}: not inside a git repository")
    done = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if done.returncode != 0:
        raise fail(where, "git.bad_ref", _missing_revision(root, ref))
    return GitRevision(root, done.stdout.decode().strip(), ref)
