"""Repository-relative paths for the formats that CI tools resolve against the repo."""

from __future__ import annotations

import os
from pathlib import Path

from budgetlint.spec.sources import git_root


def repo_root() -> Path:
    """The git work tree holding the working directory, else the working directory."""
    return git_root(Path.cwd()) or Path.cwd()


def repo_relative(path: str, root: Path) -> str:
    return Path(os.path.relpath(os.path.abspath(path), root)).as_posix()
