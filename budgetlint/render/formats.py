"""Output formats: one row each, the one table that the CLI, `--help` and the README's
format table read (tools/readme_tables.py writes that table).

A format's module (`budgetlint.render.<module>`, whose `render(result, options)` makes
the output) is imported only when the format is used, so this module imports nothing
of the pipeline: `budgetlint --help` and the CLI's choices need only the names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from budgetlint.pipeline import Result


@dataclass(frozen=True)
class RenderOptions:
    """How to show a result, beside what the run found."""

    layers: bool = False  # per-layer tables (report) or the budgets alone (check)
    quiet: bool = False  # only the findings that fail, no tables (text and github)
    width: int | None = None  # tables fit this many columns (None: as wide as they are)
    compact: bool = False  # the pre-commit hook: findings and the summary, no tables
    # report's tables (budgetlint.render.rows.Choices)
    sort: str = "order"  # how the layer rows are ordered (render.measures.SORT_KEYS)
    top: int | None = None  # and how many are shown
    depth: int | None = None  # levels of the spec's nesting kept (None: every layer)
    tree: bool = False  # groups drawn above their members
    show_all: bool = False  # rows that cost nothing shown too


Renderer = Callable[["Result", RenderOptions], str]


@dataclass(frozen=True)
class Format:
    name: str  # as --format takes it
    module: str  # under budgetlint.render; its render(result, options) makes the output
    purpose: str  # what it is for, in the README's table of formats (markdown)
    machine_readable: bool  # stdout holds the document alone: warnings go to stderr too
    step_summary: bool  # under GitHub Actions, also append the markdown summary
    fitted: bool  # tables fitted to the terminal's width (when written to stdout)
    # its module's chunks(result, options) gives the output in pieces as they are made
    # (the same text as render's), so that a huge document never sits whole in memory
    streamed: bool = False

    def renderer(self) -> Renderer:
        module = import_module(f"budgetlint.render.{self.module}")
        return cast(Renderer, module.render)

    def pieces(self) -> Callable[[Result, RenderOptions], Iterable[str]]:
        """The output in pieces: as they are made when streamed, else whole, in one."""
        module = import_module(f"budgetlint.render.{self.module}")
        if self.streamed:
            return cast(Callable[["Result", RenderOptions], Iterable[str]], module.chunks)
        render = cast(Renderer, module.render)
        return lambda result, options: (render(result, options),)


FORMATS: dict[str, Format] = {
    row.name: row
    for row in (
        Format(
            "text",
            "text",
            "people: a verdict table, then one `file:line:col: error: …` line per broken budget",
            machine_readable=False,
            step_summary=False,
            fitted=True,
        ),
        Format(
            "json",
            "json_format",
            "tools: the document below, on stdout alone",
            machine_readable=True,
            step_summary=False,
            fitted=False,
            streamed=True,
        ),
        Format(
            "github",
            "github",
            "workflow-command annotations (`::error file=…,line=…,col=…,title=…::`), "
            "chosen automatically under GitHub Actions",
            machine_readable=False,
            step_summary=True,
            fitted=True,
        ),
        Format(
            "sarif",
            "sarif",
            "code scanning (SARIF 2.1.0)",
            machine_readable=True,
            step_summary=False,
            fitted=False,
        ),
        Format(
            "markdown",
            "markdown",
            "a pull-request comment or `$GITHUB_STEP_SUMMARY` (also appended there under "
            "GitHub Actions)",
            machine_readable=False,
            step_summary=True,
            fitted=False,
        ),
        Format(
            "html",
            "html",
            "one self-contained page with the folded table and charts (see [Reports](#reports))",
            machine_readable=False,
            step_summary=False,
            fitted=False,
        ),
    )
}
DEFAULT = "text"
ON_GITHUB_ACTIONS = "github"  # the default when GITHUB_ACTIONS is set


def render_as(name: str, result: Result, options: RenderOptions) -> str:
    """The output of format `name` (a key of FORMATS) for `result`."""
    return FORMATS[name].renderer()(result, options)
