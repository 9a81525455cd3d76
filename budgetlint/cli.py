"""The command line: thin Typer commands over the pipeline; main(argv) -> int for tests."""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from budgetlint.engine.conventions import CONVENTIONS

if TYPE_CHECKING:
    from budgetlint.pipeline import Result

app = typer.Typer(
    name="budgetlint",
    help="Keep neural-network architectures inside their device budgets.",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# The names of budgetlint.render.RENDERERS, here so that --help needs no renderer imported.
FORMAT_NAMES = ("text", "json", "github", "sarif", "markdown", "html")
Format = Enum("Format", {name: name for name in FORMAT_NAMES}, type=str)  # type: ignore[misc]
# The names of budgetlint.render.rows.SORT_KEYS.
SortKey = Enum(  # type: ignore[misc]
    "SortKey",
    {name: name for name in ("order", "params", "macs", "flops", "mac_bytes", "latency")},
    type=str,
)
VerifyFormat = Enum("VerifyFormat", {"text": "text", "json": "json"}, type=str)
ConventionName = Enum(  # type: ignore[misc]
    "ConventionName", {name: name for name in CONVENTIONS}, type=str
)


def _on_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


_SIZE = re.compile(r"[0-9]{1,10}")  # ASCII digits only: '²'.isdigit() is true, int('²') fails
MAX_SIZE = 2**31 - 1  # as for attributes and `input:` in a spec


def _parse_shape(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    parts = [part.strip() for part in re.split(r"[,x]", text.strip())]
    if not all(_SIZE.fullmatch(part) and 0 < int(part) <= MAX_SIZE for part in parts):
        raise typer.BadParameter(
            f"expected positive sizes up to {MAX_SIZE:,} like 1,3,224,224, got {text[:60]!r}"
        )
    return tuple(int(part) for part in parts)


def _write_step_summary(result: Result, layers: bool) -> None:
    """Under GitHub Actions, append the markdown summary to the job's step summary
    (a report's table folded to its stages unless --depth says otherwise)."""
    from budgetlint.render import markdown

    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if not summary:
        return
    try:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(markdown.step_summary(result, layers) + "\n")
    except OSError as error:
        sys.stderr.write(f"budgetlint: warning: can't write the step summary: {error}\n")


# Formats whose tables are for a terminal, fitted to its width.
_FITTED = ("text", "github")
DEFAULT_COLUMNS = 100


def _terminal_columns() -> int:
    """COLUMNS, else the terminal's width, else 100 (output piped or captured)."""
    return shutil.get_terminal_size((DEFAULT_COLUMNS, 24)).columns


def _write_output(path: Path, text: str) -> int:
    from budgetlint.atomic import write_atomically

    try:
        write_atomically(path, text)
    except OSError as error:
        sys.stderr.write(f"{path}: can't write: {error.strerror or error}\n")
        return 2
    return 0


def _emit(
    paths: Sequence[Path],
    output: Enum | None,
    *,
    layers: bool,
    output_file: Path | None = None,
    quiet: bool = False,
    convention: Enum | None = None,
    input_text: str | None = None,
    model: str | None = None,
    base: str | None = None,
    strict: bool = False,
    device: str | None = None,
    sort: Enum | None = None,
    top: int | None = None,
    architectures: bool = True,
    compact: bool = False,
    depth: int | None = None,
    tree: bool = False,
    show_all: bool = False,
) -> int:
    from budgetlint.pipeline import run
    from budgetlint.problems import one_line
    from budgetlint.render import RENDERERS

    chosen = output.value if output else "github" if _on_github_actions() else "text"
    result = run(
        paths,
        convention=convention.value if convention else None,
        input_shape=_parse_shape(input_text),
        model=model,
        base=base,
        strict=strict,
        device=device,
        sort=sort.value if sort else "order",
        top=top,
        architectures=architectures,
        depth=depth,
        tree=tree,
        show_all=show_all,
    )
    width = _terminal_columns() if chosen in _FITTED and output_file is None else None
    result = replace(result, quiet=quiet, width=width)
    render = RENDERERS[chosen]
    if compact and chosen == "text":  # the hook: findings and the summary, no tables
        from budgetlint.render.text import compact as render
    rendered = render(result, layers)
    if output_file is None:
        sys.stdout.write(rendered)
    elif _write_output(output_file, rendered):
        return 2
    for problem in result.problems:
        sys.stderr.write(f"{problem}\n")
    if chosen in ("json", "sarif"):  # the other formats show warnings on stdout
        for warning in result.warnings:
            sys.stderr.write(f"{warning.position}: warning: {one_line(warning.message)}\n")
    if _on_github_actions() and chosen in ("github", "markdown"):
        _write_step_summary(result, layers)
    return result.exit_code


FormatOption = Annotated[
    Format | None,
    typer.Option(
        "--format", "-f", help="output format (default: github under GitHub Actions, else text)"
    ),
]
ConventionOption = Annotated[
    ConventionName | None,
    typer.Option(help="counting convention (default: the file's `convention:`, else default)"),
]
BaseOption = Annotated[
    str | None,
    typer.Option("--base", help="compare with the specs at this git revision (e.g. origin/main)"),
]
StrictOption = Annotated[bool, typer.Option("--strict", help="warnings fail too (exit 1)")]
OutputFileOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="write the output to FILE (whole, by write-then-rename) instead of stdout",
    ),
]
QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="print only problems and broken budgets (near-limit ones too under --strict)",
    ),
]


def _configured_specs() -> list[Path]:
    """The specs [tool.budgetlint] (or .budgetlint.yaml) names, for commands given no files."""
    from budgetlint.config import load_config, project_root
    from budgetlint.problems import SpecError

    root = project_root(Path.cwd())
    try:
        config = load_config(root)
    except SpecError as error:
        sys.stderr.writelines(f"{problem}\n" for problem in error.problems)
        raise typer.Exit(2) from None
    specs = config.spec_files(root)
    if not specs:
        from budgetlint.problems import Position, Problem
        from budgetlint.spec.expand import display_path

        where = config.source if config.source != "defaults" else str(root / "pyproject.toml")
        patterns = ", ".join(config.specs)
        found = Problem(
            Position(display_path(Path(where))),
            "config.no_specs",
            f"no spec matches {patterns} (from {config.source})",
        )
        sys.stderr.write(f"{found}\n")
        raise typer.Exit(2)
    return specs


FilesArgument = Annotated[
    list[Path] | None,
    typer.Argument(metavar="FILE...", help="budget specs (default: the configured specs)"),
]


@app.command()
def check(
    files: FilesArgument = None,
    output: FormatOption = None,
    convention: ConventionOption = None,
    base: BaseOption = None,
    strict: StrictOption = False,
    output_file: OutputFileOption = None,
    quiet: QuietOption = False,
) -> None:
    """Check every model against the budgets of its devices (exit 0 ok, 1 broken, 2 bad input)."""
    paths = files or _configured_specs()
    raise typer.Exit(
        _emit(
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
    )


@app.command()
def diff(
    ref: Annotated[str, typer.Argument(metavar="REF", help="the git revision to compare with")],
    files: FilesArgument = None,
    output: FormatOption = None,
    convention: ConventionOption = None,
    strict: StrictOption = False,
    output_file: OutputFileOption = None,
    quiet: QuietOption = False,
) -> None:
    """Changes of every model against REF, and its budgets (`check --base REF`)."""
    paths = files or _configured_specs()
    raise typer.Exit(
        _emit(
            paths,
            output,
            layers=False,
            convention=convention,
            base=ref,
            strict=strict,
            architectures=bool(files),
            output_file=output_file,
            quiet=quiet,
        )
    )


@app.command()
def hook(
    files: Annotated[
        list[Path] | None, typer.Argument(metavar="FILE...", help="the changed files")
    ] = None,
    output: FormatOption = None,
    strict: StrictOption = False,
    quiet: QuietOption = False,
) -> None:
    """pre-commit entry: check the specs that a changed, deleted or renamed file concerns."""
    from budgetlint.config import load_config, project_root
    from budgetlint.hook import notice, plan, pre_commit_filters
    from budgetlint.problems import SpecError

    root = project_root(Path.cwd())
    try:
        config = load_config(root)
        chosen = plan(files or [], config, root, pre_commit_filters(root))
    except SpecError as error:
        sys.stderr.writelines(f"{problem}\n" for problem in error.problems)
        raise typer.Exit(2) from None
    if chosen.unconfigured:
        sys.stdout.write(notice(chosen.unconfigured, config) + "\n")
    if not chosen.specs:
        raise typer.Exit(0)
    raise typer.Exit(
        _emit(
            list(chosen.specs),
            output,
            layers=False,
            strict=strict,
            architectures=False,
            quiet=quiet,
            compact=True,
        )
    )


@app.command()
def report(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="a budget spec or an architecture file")
    ],
    model: Annotated[str | None, typer.Option(help="only this model")] = None,
    convention: ConventionOption = None,
    output: FormatOption = None,
    input_shape: InputOption = None,
    device: Annotated[
        str | None,
        typer.Option(help="a device of the file: its dtypes for bytes, its roofline for time"),
    ] = None,
    sort: Annotated[
        SortKey | None, typer.Option(help="order layers by this, largest first")
    ] = None,
    top: Annotated[int | None, typer.Option(min=1, help="show only the first N rows")] = None,
    depth: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="fold layers into the spec's nesting (stages, blocks, residuals), N levels deep",
        ),
    ] = None,
    tree: Annotated[
        bool, typer.Option("--tree", help="draw the nesting: each group above its members")
    ] = False,
    show_all: Annotated[
        bool,
        typer.Option("--all", help="also show rows with no params, MACs, FLOPs or bytes moved"),
    ] = False,
    output_file: OutputFileOption = None,
) -> None:
    """Per-layer table: shapes, params, MACs, FLOPs, bytes moved (and time on a --device)."""
    if sort is not None and sort.value == "latency" and device is None:
        raise typer.BadParameter(
            "--sort latency needs --device (its roofline)", param_hint="--sort"
        )
    if tree and sort is not None and sort.value != "order":
        raise typer.BadParameter(
            "--tree keeps the model's order; sort a flat table (--depth N without --tree)",
            param_hint="--sort",
        )
    raise typer.Exit(
        _emit(
            [file],
            output,
            layers=True,
            convention=convention,
            input_text=input_shape,
            model=model,
            device=device,
            sort=sort,
            top=top,
            output_file=output_file,
            depth=depth,
            tree=tree,
            show_all=show_all,
        )
    )


InputOption = Annotated[str | None, typer.Option("--input", help="input shape, e.g. 1,3,224,224")]


@app.command("import")
def import_(
    model: Annotated[
        Path | None,
        typer.Argument(metavar="MODEL", help="an ONNX file or a Hugging Face config.json"),
    ] = None,
    output_file: Annotated[
        Path | None, typer.Option("--output", "-o", help="write the spec here (default: stdout)")
    ] = None,
    input_shape: InputOption = None,
    allow_unknown: Annotated[
        bool, typer.Option("--allow-unknown", help="count unsupported ops as free, and list them")
    ] = False,
    tokens: Annotated[
        int | None, typer.Option(min=1, help="config.json: tokens of the prompt (prefill)")
    ] = None,
    decode: Annotated[
        bool, typer.Option("--decode", help="config.json: one decode step with a KV cache")
    ] = False,
    context: Annotated[
        int | None, typer.Option(min=0, help="config.json --decode: tokens already cached")
    ] = None,
    torch_target: Annotated[
        str | None,
        typer.Option(
            "--torch",
            metavar="package.module:factory",
            help="a PyTorch module, traced on the meta device (needs --input)",
        ),
    ] = None,
) -> None:
    """Write the architecture spec of a real model (exit 0 written, 2 bad input)."""
    from budgetlint.imports.write import ImportOptions, write_import

    options = ImportOptions(_parse_shape(input_shape), allow_unknown, tokens, decode, context)
    raise typer.Exit(write_import(model, output_file, options, torch_target))


@app.command()
def verify(
    files: FilesArgument = None,
    against: Annotated[
        str | None,
        typer.Option(
            "--against", metavar="MODEL", help="the real model (model.onnx); default: `verify:`"
        ),
    ] = None,
    model: Annotated[str | None, typer.Option(help="only this model")] = None,
    output: Annotated[
        VerifyFormat | None, typer.Option("--format", "-f", help="text (default) or json")
    ] = None,
) -> None:
    """Check that specs agree with the real models (exit 0 agree, 1 differ, 2 bad input)."""
    import json

    from budgetlint import verify as verification

    paths = files or _configured_specs()
    outcome = verification.run(paths, against, model)
    if output is not None and output.value == "json":
        sys.stdout.write(json.dumps(verification.to_dict(outcome), indent=2) + "\n")
    else:
        sys.stdout.write(verification.render_text(outcome))
    for problem in outcome.problems:
        sys.stderr.write(f"{problem}\n")
    raise typer.Exit(outcome.exit_code)


@app.command()
def schema(output_file: OutputFileOption = None) -> None:
    """Print the JSON Schema of the spec format (or write it to FILE, for editors' modelines)."""
    from budgetlint.spec.schema import schema_text

    if output_file is None:
        sys.stdout.write(schema_text())
    else:
        raise typer.Exit(_write_output(output_file, schema_text()))


def _print_version(wanted: bool) -> None:
    if wanted:
        from budgetlint import __version__

        sys.stdout.write(f"budgetlint {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="print budgetlint's version and exit",
        ),
    ] = False,
) -> None:
    """Keep neural-network architectures inside their device budgets."""


def main(argv: Sequence[str] | None = None) -> int:
    from budgetlint.problems import one_line

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        app(args=args, prog_name="budgetlint", standalone_mode=True)
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 2)
    except Exception as error:  # a bug of ours: one line and exit 2, the traceback on request
        if os.environ.get("BUDGETLINT_DEBUG"):
            raise
        sys.stderr.write(
            f"budgetlint: internal error: {type(error).__name__}: {one_line(str(error))} "
            "(please report it; BUDGETLINT_DEBUG=1 shows the traceback)\n"
        )
        return 2
    return 0
