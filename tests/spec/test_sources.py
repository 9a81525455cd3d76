"""Reading a git revision (spec/sources.py): one `git cat-file --batch` for every file,
and which work-tree files are the blobs they were."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from budgetlint.problems import SpecError
from budgetlint.spec.sources import GitRevision, resolve_revision
from tests.gitrepo import Repo


@pytest.fixture
def revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitRevision]:
    repo = Repo(tmp_path / "repo")
    repo.write("a.yaml", "a: 1\n")
    repo.write("dir/b.yaml", "b: 2\n")
    repo.write("big.yaml", "x" * 100 + "\n")
    repo.write("new\nline.yaml", "n: 3\n")
    repo.write("kept.yaml", "k: 4\n")
    repo.write("crlf.yaml", "c: 5\n")
    repo.commit("base")
    monkeypatch.chdir(repo.root)
    found = resolve_revision("HEAD", repo.root)
    yield found
    found.close()


def code(revision: GitRevision, name: str, limit: int = 1000) -> str:
    try:
        revision.read_bytes(Path(name), name, limit)
    except SpecError as error:
        return error.problems[0].code
    return "read"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.yaml", "read"),
        ("dir/b.yaml", "read"),
        ("gone.yaml", "file.missing"),
        ("dir", "file.directory"),
        ("big.yaml", "file.too_large"),
        ("../outside.yaml", "file.outside_repo"),
        ("new\nline.yaml", "read"),  # a name the batch can't take: read alone
    ],
)
def test_read_bytes(revision: GitRevision, name: str, expected: str) -> None:
    assert code(revision, name, limit=50) == expected


def test_every_answer_stays_in_step(revision: GitRevision) -> None:
    """Missing, too large (which ends the process unread), then found again, in one run."""
    assert revision.read_bytes(Path("a.yaml"), "a.yaml") == b"a: 1\n"
    assert code(revision, "gone.yaml") == "file.missing"
    assert code(revision, "big.yaml", limit=50) == "file.too_large"
    assert revision.read_bytes(Path("dir/b.yaml"), "dir/b.yaml") == b"b: 2\n"
    assert revision.read_bytes(Path("big.yaml"), "big.yaml") == b"x" * 100 + b"\n"
    assert revision.read_bytes(Path("new\nline.yaml"), "n") == b"n: 3\n"


def test_unchanged_files_are_the_blobs_they_were(revision: GitRevision) -> None:
    Path("a.yaml").write_text("a: 2\n")  # edited
    Path("kept.yaml").touch()  # touched, same bytes
    Path("crlf.yaml").write_bytes(b"c: 5\r\n")  # other bytes
    Path("fresh.yaml").write_text("f: 1\n")  # not at the base
    os.remove("dir/b.yaml")  # gone from the work tree
    asked = ["a.yaml", "kept.yaml", "crlf.yaml", "fresh.yaml", "dir/b.yaml", "big.yaml"]
    assert revision.unchanged([*asked, "../outside.yaml", "dir"]) == {"kept.yaml", "big.yaml"}
    assert revision.unchanged([]) == frozenset()
