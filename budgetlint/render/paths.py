"""Repository-relative paths for the formats that CI tools resolve against the repo."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from budgetlint.spec.sources import git_root


@lru_cache(maxsize=1)
def repo_root() -> Path:
    return git_root(Path.cwd()) or Path.cwd()


def repo_relative(path: str) -> str:
    relative = os.path.relpath(os.path.abspath(path), repo_root())
    return Path(relative).as_posix()
