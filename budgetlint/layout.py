"""Where a project keeps its specs, and whether a commit concerns any of them.

The pre-commit hook runs on every commit, and most commits touch no budget spec: saying
so must cost next to nothing. This module answers that question with the standard
library, PyYAML and spec/reads alone (no dataclass: importing `dataclasses` costs more
than the whole answer), and only when it is sure: `concerns_nothing` is True when the
hook would check no spec and print nothing, and False whenever it can't tell (a
relevant file, a notice to give, a configuration that the full path must read or
report). budgetlint.config and budgetlint.hook build on the same facts.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Iterable
from typing import Any

from budgetlint.spec.reads import MERGE_KEY, Scanned, files_read, read_text, scan_file

DEFAULT_SPECS = ("specs/**/*.yaml", "specs/**/*.yml")
PYPROJECT = "pyproject.toml"
DOTFILE = ".budgetlint.yaml"
PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
HOOK_ID = "budgetlint"
SPEC_KEYS = ("models", "devices")  # a YAML mapping with one of these is a budget spec
YAML_SUFFIXES = (".yaml", ".yml")


def project_folder(start: str) -> str:
    """The nearest folder upwards (from an absolute `start`) with a pyproject.toml or
    .budgetlint.yaml, else `start`; the search stops at the git work tree's top."""
    folder = start
    while True:
        if os.path.isfile(os.path.join(folder, DOTFILE)):
            return folder
        if os.path.isfile(os.path.join(folder, PYPROJECT)):
            return folder
        parent = os.path.dirname(folder)
        if os.path.exists(os.path.join(folder, ".git")) or parent == folder:
            return start
        folder = parent


def spec_names(patterns: Iterable[str], root: str) -> list[str]:
    """Every file the globs match (relative to the root, or absolute), in a stable order,
    as paths relative to the working directory."""
    found: dict[str, None] = {}
    for pattern in patterns:
        for match in sorted(glob.glob(pattern, root_dir=root, recursive=True)):
            path = os.path.join(root, match)  # an absolute match stays itself
            if os.path.isfile(path):
                found.setdefault(os.path.relpath(path))
    return list(found)


def configured_globs(root: str) -> tuple[str, ...] | None:
    """The spec globs of [tool.budgetlint] when pyproject.toml plainly has them (or no
    table, and no .budgetlint.yaml: the defaults); None for anything else, which
    budgetlint.config reads and reports."""
    pyproject = os.path.join(root, PYPROJECT)
    if os.path.isfile(pyproject):
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - Python 3.10
            import tomli as tomllib
        try:
            with open(pyproject, encoding="utf-8") as handle:
                data = tomllib.loads(handle.read())
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None
        tool = data.get("tool", {})
        if not isinstance(tool, dict):
            return None
        table = tool.get("budgetlint")
        if table is not None:
            if not isinstance(table, dict) or set(table) - {"specs"}:
                return None
            specs = table.get("specs", list(DEFAULT_SPECS))
            specs = [specs] if isinstance(specs, str) else specs
            plain = isinstance(specs, list) and all(isinstance(item, str) for item in specs)
            return tuple(specs) if plain and specs else None
    return None if os.path.isfile(os.path.join(root, DOTFILE)) else DEFAULT_SPECS


def hook_names_files(root: str) -> bool:
    """Whether a budgetlint hook of .pre-commit-config.yaml may have its own `files:`
    (which makes every tracked budget spec it matches a spec too). True when unsure."""
    path = os.path.join(root, PRE_COMMIT_CONFIG)
    if not os.path.isfile(path):
        return False
    text = read_text(path)
    if text is None:
        return True
    if "files" not in text and "\\" not in text:  # no such key, even escaped or merged
        return False
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:  # without aliases, loading is linear in the (bounded) text
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, loader)):
            return True
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError:
        return True
    return any("files" in hook for hook in _hooks(data))


def _hooks(data: Any) -> list[dict[Any, Any]]:
    """The mappings of .pre-commit-config.yaml's hooks with `id: budgetlint`."""
    repos = data.get("repos") if isinstance(data, dict) else None
    found = []
    for repo in repos if isinstance(repos, list) else []:
        hooks = repo.get("hooks") if isinstance(repo, dict) else None
        for hook in hooks if isinstance(hooks, list) else []:
            if isinstance(hook, dict) and hook.get("id") == HOOK_ID:
                found.append(hook)
    return found


def may_be_budget_spec(path: str) -> bool:
    """False only for a file that is surely no budget spec: not YAML by its name, not a
    file, not one YAML document, or a top level that names neither models nor devices
    (nor merges anything in)."""
    if os.path.splitext(path)[1] not in YAML_SUFFIXES or not os.path.isfile(path):
        return False
    keys = scan_file(path).top_keys
    return any(key in keys for key in (*SPEC_KEYS, MERGE_KEY))


def _key(path: str) -> str:
    return os.path.normpath(os.path.abspath(path))


def concerns_nothing(changed: Iterable[str], cwd: str) -> bool:
    """True when the hook, given these changed files, would check no spec and say
    nothing: no configured spec changed, reads a changed file or reads a missing one,
    and no changed file may be a budget spec left out. Every configured spec counts,
    whatever the pre-commit filters (they only leave specs out, so this may answer
    False where the filtered answer is nothing, never the reverse); a hook with its
    own `files:` is left to budgetlint.hook."""
    try:
        root = project_folder(cwd)
        globs = configured_globs(root)
        if globs is None or hook_names_files(root):
            return False
        specs = spec_names(globs, root)
        configured = {_key(spec) for spec in specs}
        changed_keys = {_key(name) for name in changed}
        if changed_keys & configured:
            return False
        if any(may_be_budget_spec(name) for name in changed):
            return False
        scanned = Scanned()
        for spec in specs:
            reads = files_read(spec, scanned)
            if reads is None or reads & changed_keys:
                return False
            if not all(scanned.is_file(name) for name in reads):
                return False
    except (OSError, ValueError):  # the full path says what went wrong
        return False
    return True
