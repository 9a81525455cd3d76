"""The console script and `python -m budgetlint`: the common invocations skip Typer.

Building the Typer app and dispatching through it costs more than checking a spec
(typer builds a pydantic TypeAdapter per parameter), and a pre-commit hook pays it on
every commit. So the commands of FAST_PATHS read their usual arguments here, with a
parser that accepts only what it is sure of: anything else (--help, completion, an
unknown option, a bad value, `--`) declines, and budgetlint.cli's Typer app handles the
invocation exactly as before. Both paths call the same command bodies
(budgetlint.commands), so they give the same bytes and exit codes (tests/test_entry.py).
This module imports nothing but the standard library: each row's module is imported
only when its command runs.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Sequence

# A fast path reads the arguments after the command's name; it returns the exit code,
# or None to decline (budgetlint.cli then runs the invocation through Typer).
FastPath = Callable[[list[str]], int | None]

# command -> "module:function" of its fast path.
FAST_PATHS: dict[str, str] = {
    "check": "budgetlint.entry:check",
    "diff": "budgetlint.entry:diff",
    "report": "budgetlint.entry:report",
    "hook": "budgetlint.entry:hook",
}

# An option as the command line spells it -> (its parameter, whether it takes a value).
Spellings = dict[str, tuple[str, bool]]

# Where shell completion asks Typer for candidates (prog_name "budgetlint").
_COMPLETION_VARIABLE = "_BUDGETLINT_COMPLETE"


def parse(args: Sequence[str], spellings: Spellings) -> tuple[list[str], dict[str, str]] | None:
    """The positional arguments and the options given (a flag's value is ""), or None
    when anything is not plainly one of `spellings` or a file name. As click does, a
    repeated option keeps its last value and options may come between files."""
    positional: list[str] = []
    options: dict[str, str] = {}
    index = 0
    while index < len(args):
        token = args[index]
        index += 1
        if not token.startswith("-"):
            positional.append(token)
            continue
        name, equals, attached = token.partition("=")
        if name not in spellings or (not name.startswith("--") and equals):
            return None
        parameter, takes_value = spellings[name]
        if not takes_value:
            if equals:
                return None
            options[parameter] = ""
            continue
        if equals:
            value = attached
        elif index < len(args):
            value = args[index]
            index += 1
        else:
            return None
        if not value or value.startswith("-"):
            return None
        options[parameter] = value
    if any(not name for name in positional):
        return None
    return positional, options


_OUTPUT_SPELLINGS: Spellings = {
    "--format": ("output", True),
    "-f": ("output", True),
    "--strict": ("strict", False),
    "--quiet": ("quiet", False),
    "-q": ("quiet", False),
}
HOOK_SPELLINGS: Spellings = _OUTPUT_SPELLINGS
CHECK_SPELLINGS: Spellings = {
    **_OUTPUT_SPELLINGS,
    "--convention": ("convention", True),
    "--base": ("base", True),
    "--output": ("output_file", True),
    "-o": ("output_file", True),
}


DIFF_SPELLINGS: Spellings = {
    spelled: meaning for spelled, meaning in CHECK_SPELLINGS.items() if spelled != "--base"
}


def _choices_known(options: dict[str, str]) -> bool:
    """Whether --format and --convention name what Typer's choices would take."""
    from budgetlint.render.formats import FORMATS

    output = options.get("output")
    if output is not None and output not in FORMATS:
        return False
    convention = options.get("convention")
    if convention is None:
        return True
    from budgetlint.engine.conventions import CONVENTIONS

    return convention in CONVENTIONS


def _check(files: list[str], options: dict[str, str], base: str | None) -> int | None:
    from pathlib import Path  # here, not at the top: the hook's fast path imports none

    from budgetlint import commands

    if not _choices_known(options):
        return None
    output_file = options.get("output_file")
    return commands.check(
        [Path(name) for name in files],
        output=options.get("output"),
        convention=options.get("convention"),
        base=base,
        strict="strict" in options,
        output_file=Path(output_file) if output_file is not None else None,
        quiet="quiet" in options,
    )


def check(args: list[str]) -> int | None:
    """`budgetlint check [FILE...] [-f FORMAT] [--convention NAME] [--base REV] [--strict]
    [-o FILE] [-q]`, as budgetlint.cli.check reads it."""
    parsed = parse(args, CHECK_SPELLINGS)
    if parsed is None:
        return None
    files, options = parsed
    return _check(files, options, options.get("base"))


def diff(args: list[str]) -> int | None:
    """`budgetlint diff REF [FILE...]` with check's options but --base, as budgetlint.cli.diff
    reads it."""
    parsed = parse(args, DIFF_SPELLINGS)
    if parsed is None or not parsed[0]:
        return None
    (ref, *files), options = parsed
    return _check(files, options, ref)


REPORT_SPELLINGS: Spellings = {
    "--format": ("output", True),
    "-f": ("output", True),
    "--model": ("model", True),
    "--convention": ("convention", True),
    "--input": ("input_shape", True),
    "--device": ("device", True),
    "--sort": ("sort", True),
    "--top": ("top", True),
    "--depth": ("depth", True),
    "--tree": ("tree", False),
    "--all": ("show_all", False),
    "--output": ("output_file", True),
    "-o": ("output_file", True),
}


def _is_count(text: str) -> bool:
    """A --top/--depth value as Typer's `min=1` takes it (plain digits: anything else declines)."""
    return text.isascii() and text.isdigit() and int(text) >= 1


def _count(options: dict[str, str], name: str) -> int | None:
    return int(options[name]) if name in options else None


def report(args: list[str]) -> int | None:
    """`budgetlint report FILE` with its options, as budgetlint.cli.report reads it."""
    from pathlib import Path

    from budgetlint import commands
    from budgetlint.render.measures import SORT_KEYS

    parsed = parse(args, REPORT_SPELLINGS)
    if parsed is None or len(parsed[0]) != 1 or not _choices_known(parsed[1]):
        return None
    (file,), options = parsed
    sort, device, tree = options.get("sort"), options.get("device"), "tree" in options
    if (sort is not None and sort not in SORT_KEYS) or commands.sort_refused(sort, device, tree):
        return None
    if not all(_is_count(options[name]) for name in ("top", "depth") if name in options):
        return None
    shape = commands.parse_shape(options["input_shape"]) if "input_shape" in options else None
    if "input_shape" in options and shape is None:
        return None
    output_file = options.get("output_file")
    return commands.emit(
        [Path(file)],
        options.get("output"),
        layers=True,
        convention=options.get("convention"),
        input_shape=shape,
        model=options.get("model"),
        device=device,
        sort=sort,
        top=_count(options, "top"),
        output_file=Path(output_file) if output_file is not None else None,
        depth=_count(options, "depth"),
        tree=tree,
        show_all="show_all" in options,
    )


def hook(args: list[str]) -> int | None:
    """`budgetlint hook [FILE...] [-f FORMAT] [--strict] [-q]`, as budgetlint.cli.hook
    reads it. A commit that concerns no spec (budgetlint.layout.concerns_nothing) ends
    here, having imported no dataclass, no expansion and no renderer."""
    from budgetlint.hook_cache import HookCache
    from budgetlint.layout import concerns_nothing, project_folder

    parsed = parse(args, HOOK_SPELLINGS)
    if parsed is None:
        return None
    files, options = parsed
    output = options.get("output")
    if output is not None:
        from budgetlint.render.formats import FORMATS

        if output not in FORMATS:
            return None
    cache = HookCache.of_project(project_folder(os.getcwd()))  # for both paths below
    if concerns_nothing(files, os.getcwd(), cache):
        return 0
    from pathlib import Path

    from budgetlint import commands

    return commands.hook(
        [Path(name) for name in files],
        output,
        strict="strict" in options,
        quiet="quiet" in options,
        cache=cache,
    )


def fast_path(args: Sequence[str]) -> FastPath | None:
    """The fast path for this invocation, if its command has one and no completion is asked."""
    if not args or os.environ.get(_COMPLETION_VARIABLE):
        return None
    target = FAST_PATHS.get(args[0])
    if target is None:
        return None
    module, _, function = target.partition(":")
    __import__(module)  # importlib.import_module would import importlib itself
    found: FastPath = getattr(sys.modules[module], function)
    return found


def internal_error(error: Exception) -> int:
    """A bug of ours: one line and exit 2, the traceback on request (BUDGETLINT_DEBUG)."""
    from budgetlint.problems import one_line

    if os.environ.get("BUDGETLINT_DEBUG"):
        raise error
    sys.stderr.write(
        f"budgetlint: internal error: {type(error).__name__}: {one_line(str(error))} "
        "(please report it; BUDGETLINT_DEBUG=1 shows the traceback)\n"
    )
    return 2


def _silence_stdout() -> None:
    """The reader is gone: what is still buffered goes nowhere, not into a second error
    when Python flushes stdout at exit."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # captured in tests
        return


def _run_fast(run: FastPath, args: list[str]) -> int | None:
    """As Typer's standalone mode would end the command: ^C is 130, a closed pipe 1."""
    try:
        return run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 1
    except Exception as error:
        return internal_error(error)


def main(argv: Sequence[str] | None = None) -> int:
    # Python's cycle collector rescans every live object as a run allocates: at 100,000
    # layers that is half of the time. A run makes almost no cycles and its memory is
    # bounded by the work bounds, so it collects seldom (as mypy does); then as before.
    # (try/finally, not a context manager: contextlib is one import less for the hook)
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 1000)
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    finally:
        gc.set_threshold(*before)


def _main(args: list[str]) -> int:
    run = fast_path(args)
    if run is not None:
        code = _run_fast(run, args[1:])
        if code is not None:
            return code
    from budgetlint.cli import main as typer_main

    return typer_main(args)
