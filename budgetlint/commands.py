"""What the commands do once their arguments are read, with no CLI framework imported:
budgetlint.cli's Typer commands and budgetlint.entry's fast path both call these, so
the two give the same bytes and exit codes by construction."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from budgetlint.render.formats import DEFAULT, FORMATS, ON_GITHUB_ACTIONS, RenderOptions
from budgetlint.render.measures import MEASURES, ORDER, unsortable

if TYPE_CHECKING:
    from budgetlint.graph import Shape
    from budgetlint.hook_cache import HookCache
    from budgetlint.pipeline import Result

DEFAULT_COLUMNS = 100


_SIZE = re.compile(r"[0-9]{1,10}")  # ASCII digits only: '²'.isdigit() is true, int('²') fails
MAX_SIZE = 2**31 - 1  # as for attributes and `input:` in a spec
SHAPE_REFUSED = f"expected positive sizes up to {MAX_SIZE:,} like 1,3,224,224"


def parse_shape(text: str) -> tuple[int, ...] | None:
    """`--input 1,3,224,224` (or 1x3x224x224); None when it is not such a shape."""
    parts = [part.strip() for part in re.split(r"[,x]", text.strip())]
    if not all(_SIZE.fullmatch(part) and 0 < int(part) <= MAX_SIZE for part in parts):
        return None
    return tuple(int(part) for part in parts)


def sort_refused(sort: str | None, device: str | None, tree: bool) -> str | None:
    """Why report's --sort can't be taken with these options, or None."""
    if sort is None or sort == ORDER:
        return None
    if MEASURES[sort].timed and not device:
        return f"--sort {sort} needs --device (its roofline)"
    if tree:
        return "--tree keeps the model's order; sort a flat table (--depth N without --tree)"
    return None


def on_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _write_step_summary(result: Result, options: RenderOptions) -> None:
    """Under GitHub Actions, append the markdown summary to the job's step summary
    (a report's table folded to its stages unless --depth says otherwise)."""
    from budgetlint.render import markdown

    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if not summary:
        return
    try:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(markdown.step_summary(result, options) + "\n")
    except OSError as error:
        sys.stderr.write(f"budgetlint: warning: can't write the step summary: {error}\n")


def _terminal_columns() -> int:
    """COLUMNS, else the terminal's width, else 100 (output piped or captured): the
    columns of shutil.get_terminal_size, without importing shutil (and its compressors)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    stdout = sys.__stdout__
    if columns <= 0 and stdout is not None:
        try:
            columns = os.get_terminal_size(stdout.fileno()).columns
        except (AttributeError, ValueError, OSError):  # not a terminal, or no descriptor
            columns = 0
    return columns or DEFAULT_COLUMNS


def write_output(path: Path, text: str | Iterable[str]) -> int:
    from budgetlint.atomic import write_atomically

    try:
        write_atomically(path, text)
    except OSError as error:
        sys.stderr.write(f"{path}: can't write: {error.strerror or error}\n")
        return 2
    return 0


def emit(
    paths: Sequence[Path],
    output: str | None,
    *,
    layers: bool,
    output_file: Path | None = None,
    quiet: bool = False,
    convention: str | None = None,
    input_shape: Shape | None = None,
    model: str | None = None,
    base: str | None = None,
    strict: bool = False,
    device: str | None = None,
    sort: str | None = None,
    top: int | None = None,
    architectures: bool = True,
    compact: bool = False,
    depth: int | None = None,
    tree: bool = False,
    show_all: bool = False,
) -> int:
    """Run the pipeline on the files, write the chosen format and the problems; the exit code."""
    from budgetlint.pipeline import run
    from budgetlint.problems import one_line

    chosen = FORMATS[output or (ON_GITHUB_ACTIONS if on_github_actions() else DEFAULT)]
    result = run(
        paths,
        convention=convention,
        input_shape=input_shape,
        model=model,
        base=base,
        strict=strict,
        device=device,
        unusable=partial(unsortable, sort) if sort else None,
        architectures=architectures,
    )
    width = _terminal_columns() if chosen.fitted and output_file is None else None
    options = RenderOptions(
        layers=layers,
        quiet=quiet,
        width=width,
        compact=compact,
        sort=sort or ORDER,
        top=top,
        depth=depth,
        tree=tree,
        show_all=show_all,
    )
    rendered = chosen.pieces()(result, options)
    if output_file is None:
        sys.stdout.writelines(rendered)
    elif write_output(output_file, rendered):
        return 2
    for problem in result.problems:
        sys.stderr.write(f"{problem}\n")
    if chosen.machine_readable:  # the other formats show warnings on stdout
        for warning in result.warnings:
            sys.stderr.write(f"{warning.position}: warning: {one_line(warning.message)}\n")
    if on_github_actions() and chosen.step_summary:
        _write_step_summary(result, options)
    return result.exit_code


def hook(
    files: Sequence[Path],
    output: str | None,
    *,
    strict: bool,
    quiet: bool,
    cache: HookCache | None = None,
) -> int:
    """The specs that the changed files concern (budgetlint.hook.plan), checked: findings
    and the summary, no tables; nothing concerned is exit 0 in silence. `cache`: the
    project's HookCache, when the caller has it already."""
    from budgetlint.config import load_config, project_root
    from budgetlint.hook import notice, plan, pre_commit_filters
    from budgetlint.hook_cache import HookCache
    from budgetlint.problems import SpecError

    root = project_root(Path.cwd())
    cache = HookCache.of_project(str(root)) if cache is None else cache
    try:
        config = load_config(root, cache)
        chosen = plan(files, config, root, pre_commit_filters(root), cache)
    except SpecError as error:
        sys.stderr.writelines(f"{problem}\n" for problem in error.problems)
        return 2
    finally:
        cache.save()
    if chosen.unconfigured:
        sys.stdout.write(notice(chosen.unconfigured, config) + "\n")
    if not chosen.specs:
        return 0
    return emit(
        list(chosen.specs),
        output,
        layers=False,
        strict=strict,
        architectures=False,
        quiet=quiet,
        compact=True,
    )


def configured_specs() -> list[Path] | None:
    """The specs [tool.budgetlint] (or .budgetlint.yaml) names, for commands given no
    files; None (the problem written to stderr: exit 2) when there are none or the
    configuration is wrong."""
    from budgetlint import config
    from budgetlint.problems import SpecError

    try:
        return config.configured_specs(Path.cwd())
    except SpecError as error:
        sys.stderr.writelines(f"{problem}\n" for problem in error.problems)
        return None


def check(
    files: Sequence[Path],
    output: str | None = None,
    convention: str | None = None,
    base: str | None = None,
    strict: bool = False,
    output_file: Path | None = None,
    quiet: bool = False,
) -> int:
    """`check` and `diff`: the given files, else the configured specs."""
    paths = list(files) or configured_specs()
    if paths is None:
        return 2
    return emit(
        paths,
        output,
        layers=False,
        convention=convention,
        base=base,
        strict=strict,
        architectures=bool(files),
        output_file=output_file,
        quiet=quiet,
    )
