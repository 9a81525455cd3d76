"""Where a project keeps its specs, and whether a commit concerns any of them.

The pre-commit hook runs on every commit, and most commits touch no budget spec: saying
so must cost next to nothing. This module answers that question with the standard
library, PyYAML and spec/reads alone (no dataclass, no typing: importing `dataclasses`
costs more than the whole answer), with the answers kept by content between commits
(budgetlint.hook_cache: no tomllib, and no scan of a file whose bytes it has seen),
and only when it is sure: `concerns_nothing` is True when the hook would check no spec
and print nothing, and False whenever it can't tell (a relevant file, a notice to
give, a configuration that the full path must read or report). budgetlint.config and
budgetlint.hook build on the same facts.
"""

from __future__ import annotations

import glob
import os
import sys

from budgetlint.hook_cache import CONFIG, HookCache
from budgetlint.spec.reads import MERGE_KEY, Scanned, files_read, read_text, scan_file

TYPE_CHECKING = False  # typing is not imported on the hook's fast path
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

DEFAULT_SPECS = ("specs/**/*.yaml", "specs/**/*.yml")
PYPROJECT = "pyproject.toml"
DOTFILE = ".budgetlint.yaml"
PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
HOOK_ID = "budgetlint"
SPEC_KEYS = ("models", "devices")  # a YAML mapping with one of these is a budget spec
YAML_SUFFIXES = (".yaml", ".yml")
NO_TABLE: tuple[str, ...] = ()  # pyproject_globs: TOML without [tool.budgetlint]


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


def spec_names(patterns: Iterable[str], root: str, cache: HookCache | None = None) -> list[str]:
    """Every file the globs match (relative to the root, or absolute), in a stable order,
    as paths relative to the working directory. With a cache, the folders are listed once
    a run (the hook's fast path and its full path ask the same)."""
    if cache is None:
        return _spec_names(patterns, root)
    key = (tuple(patterns), os.path.abspath(root), os.getcwd())
    if key not in cache.listed:
        cache.listed[key] = _spec_names(key[0], root)
    return list(cache.listed[key])


def _spec_names(patterns: Iterable[str], root: str) -> list[str]:
    found: dict[str, None] = {}
    for pattern in patterns:
        for match in sorted(glob.glob(pattern, root_dir=root, recursive=True)):
            path = os.path.join(root, match)  # an absolute match stays itself
            if os.path.isfile(path):
                found.setdefault(os.path.relpath(path))
    return list(found)


def configured_globs(root: str, cache: HookCache | None = None) -> tuple[str, ...] | None:
    """The spec globs of [tool.budgetlint] when pyproject.toml plainly has them (or no
    table, and no .budgetlint.yaml: the defaults); None for anything else, which
    budgetlint.config reads and reports. With a cache, the answer for the same bytes of
    pyproject.toml is taken from it (and kept in it)."""
    pyproject = os.path.join(root, PYPROJECT)
    if os.path.isfile(pyproject):
        try:
            with open(pyproject, "rb") as handle:
                raw = handle.read()
        except OSError:
            return None
        found = (
            pyproject_globs(raw) if cache is None else cache.answer(CONFIG, raw, pyproject_globs)
        )
        if found != NO_TABLE:
            return found
    return None if os.path.isfile(os.path.join(root, DOTFILE)) else DEFAULT_SPECS


def pyproject_globs(raw: bytes) -> tuple[str, ...] | None:
    """The spec globs of pyproject.toml's bytes when its [tool.budgetlint] plainly has
    them; NO_TABLE when it is TOML without that table; None for anything else (which
    budgetlint.config reads and reports). Read as text, as `open(encoding="utf-8")` does."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        data = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        return None
    table = tool.get("budgetlint")
    if table is None:
        return NO_TABLE
    if not isinstance(table, dict) or set(table) - {"specs"}:
        return None
    specs = table.get("specs", list(DEFAULT_SPECS))
    specs = [specs] if isinstance(specs, str) else specs
    plain = isinstance(specs, list) and all(isinstance(item, str) for item in specs)
    return tuple(specs) if plain and specs else None


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


def may_be_budget_spec(path: str, cache: HookCache | None = None) -> bool:
    """False only for a file that is surely no budget spec: not YAML by its name, not a
    file, not one YAML document, or a top level that names neither models nor devices
    (nor merges anything in)."""
    if os.path.splitext(path)[1] not in YAML_SUFFIXES or not os.path.isfile(path):
        return False
    keys = scan_file(path, cache).top_keys
    return any(key in keys for key in (*SPEC_KEYS, MERGE_KEY))


def _key(path: str) -> str:
    return os.path.abspath(path)  # normalised: abspath normalises


def concerns_nothing(changed: Iterable[str], cwd: str, cache: HookCache | None = None) -> bool:
    """True when the hook, given these changed files, would check no spec and say
    nothing: no configured spec changed, reads a changed file or reads a missing one,
    and no changed file may be a budget spec left out. Every configured spec counts,
    whatever the pre-commit filters (they only leave specs out, so this may answer
    False where the filtered answer is nothing, never the reverse); a hook with its
    own `files:` is left to budgetlint.hook. `cache`: the project's (HookCache.of_project),
    saved before this returns."""
    root = project_folder(cwd)
    cache = HookCache.of_project(root) if cache is None else cache
    try:
        return _concerns_nothing(changed, root, cache)
    except (OSError, ValueError):  # the full path says what went wrong
        return False
    finally:
        cache.save()


def _concerns_nothing(changed: Iterable[str], root: str, cache: HookCache) -> bool:
    globs = configured_globs(root, cache)
    if globs is None or hook_names_files(root):
        return False
    specs = spec_names(globs, root, cache)
    configured = {_key(spec) for spec in specs}
    changed_keys = {_key(name) for name in changed}
    if changed_keys & configured:
        return False
    if any(may_be_budget_spec(name, cache) for name in changed):
        return False
    scanned = Scanned(cache)
    for spec in specs:
        reads = files_read(spec, scanned)
        if reads is None or reads & changed_keys:
            return False
        if not all(scanned.is_file(name) for name in reads):
            return False
    return True
