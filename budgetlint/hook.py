"""The pre-commit hook: check every budget spec that is, or reads, a changed file.

pre-commit passes the changed YAML files; which files are budget specs comes
from the configuration (see config.py). A spec is checked when it or any file
it reads (`arch:` files, nested architectures) is among the changed files, so
editing an architecture re-checks the budgets that use it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from budgetlint.config import Config
from budgetlint.spec.expand import read_spec


def _key(path: str | Path) -> str:
    return os.path.normpath(os.path.abspath(path))


def specs_to_check(changed: Sequence[Path], config: Config, root: Path) -> list[Path]:
    changed_keys = {_key(path) for path in changed}
    selected = []
    for spec in config.spec_files(root):
        if _key(spec) in changed_keys:
            selected.append(spec)
            continue
        loaded, _ = read_spec(spec)
        if loaded is not None and changed_keys.intersection(_key(f) for f in loaded.files):
            selected.append(spec)
    return selected
