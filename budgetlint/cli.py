"""The command line: thin Typer commands over the pipeline; main(argv) -> int for tests."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from budgetlint.engine.conventions import CONVENTIONS

app = typer.Typer(
    name="budgetlint",
    help="Keep neural-network architectures inside their device budgets.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class Format(str, Enum):
    text = "text"
    json = "json"


ConventionName = Enum(  # type: ignore[misc]
    "ConventionName", {name: name for name in CONVENTIONS}, type=str
)


def _parse_shape(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        shape = tuple(int(part) for part in text.replace("x", ",").split(",") if part.strip())
    except ValueError:
        raise typer.BadParameter(f"expected sizes like 1,3,224,224, got {text!r}") from None
    if not shape or min(shape) < 1:
        raise typer.BadParameter(f"expected positive sizes like 1,3,224,224, got {text!r}")
    return shape


def _emit(
    paths: Sequence[Path],
    output: Format,
    *,
    layers: bool,
    convention: ConventionName | None = None,
    input_text: str | None = None,
    model: str | None = None,
) -> int:
    from budgetlint.pipeline import run
    from budgetlint.render import RENDERERS

    result = run(
        paths,
        convention=convention.value if convention else None,
        input_shape=_parse_shape(input_text),
        model=model,
    )
    sys.stdout.write(RENDERERS[output.value](result, layers))
    for problem in result.problems:
        sys.stderr.write(f"{problem}\n")
    return result.exit_code


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="output format")]
ConventionOption = Annotated[
    ConventionName | None,
    typer.Option(help="counting convention (default: the file's `convention:`, else default)"),
]


@app.command()
def check(
    files: Annotated[list[Path], typer.Argument(help="budget specs (YAML)")],
    output: FormatOption = Format.text,
    convention: ConventionOption = None,
) -> None:
    """Check every model against the budgets of its devices (exit 0 ok, 1 broken, 2 bad input)."""
    raise typer.Exit(_emit(files, output, layers=False, convention=convention))


@app.command()
def report(
    file: Annotated[Path, typer.Argument(help="a budget spec or an architecture file")],
    model: Annotated[str | None, typer.Option(help="only this model")] = None,
    convention: ConventionOption = None,
    output: FormatOption = Format.text,
    input_shape: Annotated[
        str | None, typer.Option("--input", help="input shape, e.g. 1,3,224,224")
    ] = None,
) -> None:
    """Per-layer table: shapes, params, MACs and FLOPs."""
    raise typer.Exit(
        _emit(
            [file],
            output,
            layers=True,
            convention=convention,
            input_text=input_shape,
            model=model,
        )
    )


@app.command()
def schema() -> None:
    """Print the JSON Schema of the spec format."""
    from budgetlint.spec.schema import schema_text

    sys.stdout.write(schema_text())


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        app(args=args, prog_name="budgetlint", standalone_mode=True)
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 2)
    return 0
