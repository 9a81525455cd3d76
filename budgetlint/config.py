"""Project configuration: which files are budget specs.

Read from `[tool.budgetlint]` in pyproject.toml, else from `.budgetlint.yaml`,
in the working directory (the repository root under pre-commit and CI):

    [tool.budgetlint]
    specs = ["specs/**/*.yaml", "specs/**/*.yml"]   # globs, relative to the root; the default
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from budgetlint.layout import DEFAULT_SPECS, NO_TABLE, project_folder, pyproject_globs, spec_names
from budgetlint.problems import Position, fail, short_repr

if TYPE_CHECKING:
    from budgetlint.hook_cache import HookCache


class Value:
    """A record compared, hashed and shown by its fields (its __slots__), never changed
    once made: what a frozen dataclass is, for the few records of the pre-commit hook's
    path (config.py, hook.py), where creating dataclasses at import costs more than
    their use."""

    __slots__: tuple[str, ...] = ()

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({shown})"


class Config(Value):
    """The spec globs, and where they were read."""

    __slots__ = ("source", "specs")

    def __init__(self, specs: tuple[str, ...] = DEFAULT_SPECS, source: str = "defaults") -> None:
        self.specs = specs
        self.source = source

    def spec_files(self, root: Path, cache: HookCache | None = None) -> list[Path]:
        """Every file the globs match (relative to the root, or absolute), in a stable order."""
        return [Path(name) for name in spec_names(self.specs, str(root), cache)]


def _specs(value: Any, where: Position) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value) or not value:
        raise fail(where, "config.specs", "specs must be a glob or a list of globs")
    return tuple(value)


def _without_table(path: Path, cache: HookCache) -> bool:
    """Whether the cache knows pyproject.toml's bytes as TOML without [tool.budgetlint]."""
    from budgetlint.hook_cache import CONFIG

    try:
        raw = path.read_bytes()
    except OSError:
        return False
    return cache.answer(CONFIG, raw, pyproject_globs) == NO_TABLE


def _from_pyproject(path: Path, cache: HookCache | None = None) -> Config | None:
    if cache is not None and _without_table(path, cache):
        return None  # tomllib not imported: the hook's answer for these bytes
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise fail(Position(str(path)), "config.toml", f"can't read: {error}") from None
    tool = data.get("tool", {})
    table = tool.get("budgetlint") if isinstance(tool, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise fail(
            Position(str(path)),
            "config.table",
            f"[tool.budgetlint] must be a table, not {type(table).__name__} {short_repr(table)}",
        )
    unknown = set(table) - {"specs"}
    if unknown:
        raise fail(
            Position(str(path)),
            "config.key",
            f"[tool.budgetlint]: unknown key {sorted(unknown)[0]!r}",
        )
    specs = _specs(table.get("specs", list(DEFAULT_SPECS)), Position(str(path)))
    return Config(specs, str(path))


def _from_yaml(path: Path) -> Config:
    from budgetlint.spec.load import load_document

    document = load_document(path, str(path))
    unknown = set(document.data) - {"specs"}
    if unknown:
        key = sorted(unknown)[0]
        raise fail(document.position((key,), key=True), "config.key", f"unknown key {key!r}")
    specs = _specs(document.data.get("specs", list(DEFAULT_SPECS)), document.position(("specs",)))
    return Config(specs, str(path))


def project_root(start: Path) -> Path:
    """The nearest folder upwards with a pyproject.toml or .budgetlint.yaml, else `start`."""
    return Path(project_folder(str(start)))


def load_config(root: Path, cache: HookCache | None = None) -> Config:
    """pyproject.toml's [tool.budgetlint], else .budgetlint.yaml, else the defaults. With
    the hook's cache, a pyproject.toml known to have no such table is not parsed again."""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        config = _from_pyproject(pyproject, cache)
        if config is not None:
            return config
    dotfile = root / ".budgetlint.yaml"
    if dotfile.is_file():
        return _from_yaml(dotfile)
    return Config()


def configured_specs(start: Path) -> list[Path]:
    """The spec files the project's configuration names, for commands given no files;
    SpecError when the configuration is wrong or matches nothing."""
    from budgetlint.problems import Problem, SpecError
    from budgetlint.spec.expand import display_path

    root = project_root(start)
    config = load_config(root)
    specs = config.spec_files(root)
    if not specs:
        where = config.source if config.source != "defaults" else str(root / "pyproject.toml")
        patterns = ", ".join(config.specs)
        raise SpecError(
            Problem(
                Position(display_path(Path(where))),
                "config.no_specs",
                f"no spec matches {patterns} (from {config.source})",
            )
        )
    return specs
