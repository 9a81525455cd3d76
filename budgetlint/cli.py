"""The command line: thin Typer commands over the pipeline; main(argv) -> int for tests."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from budgetlint import commands
from budgetlint.engine.conventions import CONVENTIONS
from budgetlint.render.formats import FORMATS
from budgetlint.render.measures import SORT_KEYS

app = typer.Typer(
    name="budgetlint",
    help="Keep neural-network architectures inside their device budgets.",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

Format = Enum("Format", {name: name for name in FORMATS}, type=str)  # type: ignore[misc]
SortKey = Enum("SortKey", {name: name for name in SORT_KEYS}, type=str)  # type: ignore[misc]
VerifyFormat = Enum("VerifyFormat", {"text": "text", "json": "json"}, type=str)
ConventionName = Enum(  # type: ignore[misc]
    "ConventionName", {name: name for name in CONVENTIONS}, type=str
)


def _parse_shape(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    shape = commands.parse_shape(text)
    if shape is None:
        raise typer.BadParameter(f"{commands.SHAPE_REFUSED}, got {text[:60]!r}")
    return shape


def _value(choice: Enum | None) -> str | None:
    return None if choice is None else str(choice.value)


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
    specs = commands.configured_specs()
    if specs is None:
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
    raise typer.Exit(
        commands.check(
            files or [],
            _value(output),
            _value(convention),
            base,
            strict,
            output_file,
            quiet,
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
    raise typer.Exit(
        commands.check(
            files or [],
            _value(output),
            _value(convention),
            ref,
            strict,
            output_file,
            quiet,
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
    raise typer.Exit(commands.hook(files or [], _value(output), strict=strict, quiet=quiet))


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
    refused = commands.sort_refused(_value(sort), device, tree)
    if refused is not None:
        raise typer.BadParameter(refused, param_hint="--sort")
    shape = _parse_shape(input_shape)
    raise typer.Exit(
        commands.emit(
            [file],
            _value(output),
            layers=True,
            convention=_value(convention),
            input_shape=shape,
            model=model,
            device=device,
            sort=_value(sort),
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
    from budgetlint.spec.schema_file import schema_text

    if output_file is None:
        sys.stdout.write(schema_text())
    else:
        raise typer.Exit(commands.write_output(output_file, schema_text()))


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
    """Every invocation through Typer (budgetlint.entry.main takes the fast paths first)."""
    from budgetlint.entry import internal_error

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        app(args=args, prog_name="budgetlint", standalone_mode=True)
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 2)
    except Exception as error:  # a bug of ours: one line and exit 2
        return internal_error(error)
    return 0
