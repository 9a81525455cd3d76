"""The pre-commit hook: check every budget spec that a commit could break.

pre-commit passes the changed YAML files (after the `files:`/`exclude:` filters of
the user's .pre-commit-config.yaml), never the deleted ones, and the manifest runs
the hook on every commit (`always_run`). A budget spec is checked when:

- it changed, or a file it reads (`arch:` files, nested architectures, `include:`d
  device libraries) changed, so editing an architecture re-checks its budgets;
- a file it reads is missing: deleted or renamed by this commit (pre-commit can't
  pass those), so the commit fails at the line that reads it.

Which files a spec reads comes from the references written in it and in the files
they name (spec/reads.py: YAML events, no validation, no expansion), so a commit that
concerns no spec costs a scan of the specs, not a check of all of them; a spec whose
references are computed (`arch: zoo/${variant}.yaml`) is expanded to learn them.

Which files are budget specs: the configured globs (config.py), kept to those the
budgetlint hook's `files:`/`exclude:` in .pre-commit-config.yaml let through; when
the hook has its own `files:`, every tracked YAML file it matches that declares
models or devices is a spec too. A changed budget spec that is none of these is
named in a one-line notice, not passed in silence.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from budgetlint.config import Config, Value
from budgetlint.hook_cache import HookCache
from budgetlint.layout import HOOK_ID, PRE_COMMIT_CONFIG, SPEC_KEYS, YAML_SUFFIXES, spec_names
from budgetlint.problems import SpecError
from budgetlint.spec.reads import Scanned, files_read


def _key(path: str | Path) -> str:
    return os.path.abspath(path)  # normalised: abspath normalises


def _pattern(value: Any, default: str) -> re.Pattern[str] | None:
    """A pre-commit `files:`/`exclude:` regex; None when it can't be read (pre-commit
    itself refuses such a config, so the filter is not ours to enforce)."""
    try:
        return re.compile(value if isinstance(value, str) else default)
    except re.error:
        return None


class Filter(Value):
    """One pair of pre-commit filters: a path passes when `files` finds it and `exclude`
    doesn't (re.search on the repository-relative posix path, as pre-commit does).
    (This module's records are config.Value: frozen dataclasses cost the hook more.)"""

    __slots__ = ("exclude", "files")

    def __init__(self, files: re.Pattern[str] | None, exclude: re.Pattern[str] | None) -> None:
        self.files = files
        self.exclude = exclude

    def allows(self, name: str) -> bool:
        included = self.files is None or self.files.search(name) is not None
        return included and (self.exclude is None or self.exclude.search(name) is None)


_NO_FILTER = Filter(None, None)


class PreCommitFilters(Value):
    """The top-level filters and those of each `id: budgetlint` hook of the config."""

    __slots__ = ("hook_files", "hooks", "top")

    def __init__(
        self,
        top: Filter = _NO_FILTER,
        hooks: tuple[Filter, ...] = (),
        hook_files: bool = False,  # a budgetlint hook names its own `files:`
    ) -> None:
        self.top = top
        self.hooks = hooks
        self.hook_files = hook_files

    def allows(self, name: str) -> bool:
        hooks = self.hooks or (_NO_FILTER,)
        return self.top.allows(name) and any(hook.allows(name) for hook in hooks)


def _filter(mapping: dict[str, Any]) -> Filter:
    return Filter(_pattern(mapping.get("files"), ""), _pattern(mapping.get("exclude"), "^$"))


def pre_commit_filters(root: Path) -> PreCommitFilters:
    """The filters of the repository's .pre-commit-config.yaml, if it has one we can read."""
    from budgetlint.spec.load import load_document

    path = root / PRE_COMMIT_CONFIG
    if not path.is_file():
        return PreCommitFilters()
    try:
        data = load_document(path, PRE_COMMIT_CONFIG).data
    except SpecError:
        return PreCommitFilters()
    if not isinstance(data, dict):
        return PreCommitFilters()
    hooks = [
        hook
        for repo in data.get("repos") or []
        if isinstance(repo, dict)
        for hook in repo.get("hooks") or []
        if isinstance(hook, dict) and hook.get("id") == HOOK_ID
    ]
    return PreCommitFilters(
        _filter(data),
        tuple(_filter(hook) for hook in hooks),
        any(isinstance(hook.get("files"), str) for hook in hooks),
    )


def _relative(path: str | Path, root: str | Path) -> str:
    """The path relative to the root, posix-style (as pre-commit matches it)."""
    key, top = os.path.abspath(path), os.path.abspath(root)
    prefix = top.rstrip(os.sep) + os.sep
    inner = key[len(prefix) :] if key.startswith(prefix) else os.path.relpath(key, top)
    return inner.replace(os.sep, "/")


def is_budget_spec(path: Path) -> bool:
    """A YAML file whose top level declares models or devices (an architecture, a CI
    workflow or any other YAML is not)."""
    from budgetlint.spec.load import load_document

    if path.suffix not in YAML_SUFFIXES or not path.is_file():
        return False
    try:
        data = load_document(path, str(path)).data
    except SpecError:
        return False
    return isinstance(data, dict) and any(key in data for key in SPEC_KEYS)


def _tracked_yaml(root: Path) -> list[Path]:
    import subprocess

    done = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-z", "--", *(f"*{s}" for s in YAML_SUFFIXES)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        return []
    names = done.stdout.decode("utf-8", errors="replace").split("\0")
    return [Path(os.path.relpath(root / name)) for name in names if name]


def hook_specs(
    config: Config, root: Path, filters: PreCommitFilters, cache: HookCache | None = None
) -> list[Path]:
    """Every budget spec the hook guards: configured and let through by the filters, and,
    when the hook has its own `files:`, the tracked budget specs that it matches."""
    return list(_guarded(config, root, filters, cache).values())


def _guarded(
    config: Config, root: Path, filters: PreCommitFilters, cache: HookCache | None
) -> dict[str, Path]:
    """hook_specs, by key (each spec's normalised absolute path)."""
    found = {}
    for name in spec_names(config.specs, str(root), cache):
        key = _key(name)
        if filters.allows(_relative(key, root)):
            found[key] = Path(name)
    if filters.hook_files:
        for path in _tracked_yaml(root):
            key = _key(path)
            new = key not in found and filters.allows(_relative(key, root))
            if new and is_budget_spec(path):
                found[key] = path
    return found


def _reads(spec: Path, key: str, scanned: Scanned) -> frozenset[str]:
    """The files the spec (at `key`) reads: from its references, or, when one is computed
    (`${...}`), by expanding it."""
    found = files_read(key, scanned)
    if found is not None:
        return found
    from budgetlint.spec.expand import read_spec

    loaded, _ = read_spec(spec)
    return frozenset(_key(name) for name in loaded.files) if loaded is not None else frozenset()


class Plan(Value):
    """The hook's answer for a commit."""

    __slots__ = ("specs", "unconfigured")

    def __init__(self, specs: tuple[Path, ...], unconfigured: tuple[Path, ...]) -> None:
        self.specs = specs  # to check
        self.unconfigured = unconfigured  # changed budget specs that are not among the specs


def plan(
    changed: Sequence[Path],
    config: Config,
    root: Path,
    filters: PreCommitFilters,
    cache: HookCache | None = None,
) -> Plan:
    """The specs to check; with a cache, each file's references are taken from (and kept
    in) it by content."""
    changed_keys = {_key(path) for path in changed}
    guarded = _guarded(config, root, filters, cache)
    selected = []
    scanned = Scanned(cache)
    for key, spec in guarded.items():
        if key in changed_keys:
            selected.append(spec)
            continue
        reads = _reads(spec, key, scanned)
        if changed_keys & reads or not all(scanned.is_file(name) for name in reads):
            selected.append(spec)
    unconfigured = tuple(
        path for path in changed if _key(path) not in guarded and is_budget_spec(path)
    )
    return Plan(tuple(selected), unconfigured)


def specs_to_check(changed: Sequence[Path], config: Config, root: Path) -> list[Path]:
    """The specs a change re-checks, with the repository's pre-commit filters."""
    return list(plan(changed, config, root, pre_commit_filters(root)).specs)


def notice(unconfigured: Iterable[Path], config: Config) -> str:
    """One line naming the changed budget specs that the hook does not check."""
    names = ", ".join(str(path) for path in unconfigured)
    return (
        f"budgetlint: notice: not checked, not among the configured specs "
        f"({', '.join(config.specs)}, from {config.source}): {names}; add them to "
        f"[tool.budgetlint] specs, or give the hook `files:`"
    )
