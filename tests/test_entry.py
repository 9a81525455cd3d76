"""The console script's fast path: the same bytes and exit codes as Typer, without it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from budgetlint import cli, entry
from tests.conftest import ROOT
from tests.gitrepo import Repo

MOBILE = str(ROOT / "specs" / "mobile.yaml")
EDGE = str(ROOT / "specs" / "edge.yaml")
RESNET18 = str(ROOT / "specs" / "zoo" / "resnet18.yaml")


def _outcome(main, args: list[str], capsys) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# Invocations the fast path takes: it must answer exactly as the Typer app does.
TAKEN = [
    ["check", MOBILE],
    ["check", MOBILE, EDGE],
    ["check", MOBILE, "--format", "json"],
    ["check", MOBILE, "--format=sarif"],
    ["check", "-f", "markdown", MOBILE],
    ["check", MOBILE, "-f", "github", "--strict"],
    ["check", MOBILE, "--quiet"],
    ["check", "-q", MOBILE, "--strict", "-q"],
    ["check", MOBILE, "--convention", "fvcore", "-f", "json"],
    ["check", MOBILE, "--convention=thop"],
    ["check", MOBILE, "-f", "text", "-f", "json"],  # click: the last value wins
    ["check", "missing.yaml"],
    ["check", MOBILE, "missing.yaml", "-f", "json"],
    ["check", str(ROOT / "README.md")],
    ["check", "report"],  # a file named like a command
    ["report", RESNET18],
    ["report", RESNET18, "-f", "json", "--convention", "fvcore"],
    ["report", MOBILE, "--model", "mobilenet_v2", "--device", "edge-gpu", "--sort", "latency"],
    ["report", RESNET18, "--sort", "macs", "--top", "5", "--all"],
    ["report", RESNET18, "--depth", "2", "--tree", "-f", "markdown"],
    ["report", RESNET18, "--depth=1", "--sort", "order", "--tree"],
    ["report", RESNET18, "--input", "2x3x64x64", "-f", "html"],
    ["report", RESNET18, "--input=1, 3, 32, 32", "-f", "sarif"],
    ["report", MOBILE, "--model", "nope"],
    ["report", MOBILE, "--device", "nope"],
    ["report", "missing.yaml", "-f", "github"],
]


@pytest.mark.parametrize("args", TAKEN, ids=" ".join)
def test_the_fast_path_answers_as_typer_does(args: list[str], capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    run = entry.fast_path(args)
    assert run is not None
    fast = _run_taken(run, args[1:], capsys)
    assert fast == _outcome(cli.main, args, capsys)


def _run_taken(run, args: list[str], capsys) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = run(args)
    assert code is not None, "the fast path declined"
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_check_without_files_reads_the_configuration_as_typer_does(
    tmp_path: Path, capsys, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.budgetlint]\nspecs = ['nothing/*.yaml']\n")
    fast = _run_taken(entry.check, [], capsys)
    assert fast[0] == 2 and "no spec matches nothing/*.yaml" in fast[2]
    assert fast == _outcome(cli.main, ["check"], capsys)
    spec = tmp_path / "nothing" / "m.yaml"
    spec.parent.mkdir()
    spec.write_text(
        "version: 1\ndevices: {d: {budgets: {params: 1M}}}\n"
        "models: {m: {devices: [d], input: [1, 4], layers: [relu]}}\n"
    )
    fast = _run_taken(entry.check, ["-f", "json"], capsys)
    assert fast[0] == 0 and json.loads(fast[1])["exit_code"] == 0
    assert fast == _outcome(cli.main, ["check", "-f", "json"], capsys)


def test_output_file_through_the_fast_path(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    fast, slow = tmp_path / "fast.json", tmp_path / "slow.json"
    assert _run_taken(entry.check, [MOBILE, "-f", "json", "-o", str(fast)], capsys) == (0, "", "")
    assert (
        _outcome(cli.main, ["check", MOBILE, "-f", "json", "--output", str(slow)], capsys)[0] == 0
    )
    assert fast.read_bytes() == slow.read_bytes()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    """Two commits: the second doubles a convolution's width (its params grow)."""
    repo = Repo(tmp_path / "repo")
    layers = "layers: [conv2d: {{out: {width}, kernel: 3}}, flatten, linear: {{out: 10}}]\n"
    repo.write("specs/net.yaml", "version: 1\ninput: [1, 3, 8, 8]\n" + layers.format(width=4))
    repo.write(
        "specs/budgets.yaml",
        "version: 1\ndevices: {phone: {budgets: {params: 1M}, max_increase: {params: 10%}}}\n"
        "models: {net: {arch: net.yaml, devices: [phone]}}\n",
    )
    repo.commit("base")
    repo.write("specs/net.yaml", "version: 1\ninput: [1, 3, 8, 8]\n" + layers.format(width=8))
    repo.commit("wider")
    monkeypatch.chdir(repo.root)
    return repo


@pytest.mark.parametrize(
    "args",
    [
        ["check", "specs/budgets.yaml", "--base", "HEAD~1"],
        ["check", "--base=HEAD~1", "-f", "json"],
        ["diff", "HEAD~1"],
        ["diff", "HEAD~1", "specs/budgets.yaml", "-f", "markdown", "--strict"],
        ["diff", "nope"],
        ["check", "specs/budgets.yaml", "--base", "nope"],
    ],
    ids=" ".join,
)
def test_base_and_diff_answer_as_typer_does(repo: Repo, args: list[str], capsys) -> None:  # type: ignore[no-untyped-def]
    run = entry.fast_path(args)
    assert run is not None
    fast = _run_taken(run, args[1:], capsys)
    assert fast == _outcome(cli.main, args, capsys)


def test_diff_broken_by_growth(repo: Repo, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = _run_taken(entry.diff, ["HEAD~1", "-f", "json"], capsys)
    # conv2d 3→w, kernel 3 (bias): 27·w + w; on 8×8 it gives 6×6; linear 36·w → 10: 360·w + 10
    before, after = 28 * 4 + 360 * 4 + 10, 28 * 8 + 360 * 8 + 10
    (model,) = json.loads(out)["models"]
    assert (model["base"]["params"], model["totals"]["params"]) == (before, after)
    assert code == 1  # growth of (after - before) / before = 99% > 10%


# Invocations the fast path declines: Typer reads them, as before.
DECLINED = [
    [],
    ["--help"],
    ["--version"],
    ["report"],
    ["report", MOBILE, RESNET18],
    ["report", MOBILE, "--strict"],  # check's option
    ["report", RESNET18, "--sort", "latency"],  # needs --device
    ["report", RESNET18, "--sort", "macs", "--tree"],
    ["report", RESNET18, "--sort", "size"],
    ["report", RESNET18, "--top", "0"],
    ["report", RESNET18, "--top", "+3"],
    ["report", RESNET18, "--depth", "²"],
    ["report", RESNET18, "--input", "1,3,0,4"],
    ["report", RESNET18, "--input", "1;3"],
    ["check", "--help"],
    ["check", MOBILE, "-h"],
    ["check", "--", MOBILE],
    ["check", "-"],
    ["check", ""],
    ["check", MOBILE, "--format", "xml"],
    ["check", MOBILE, "--format"],
    ["check", MOBILE, "--format", "--strict"],
    ["check", MOBILE, "-fjson"],
    ["check", MOBILE, "-f=json"],
    ["check", MOBILE, "-qf", "json"],
    ["check", MOBILE, "--strict=yes"],
    ["check", MOBILE, "--convention", "nope"],
    ["check", MOBILE, "--form", "json"],  # click would not take an abbreviation either
    ["check", MOBILE, "--output", ""],
    ["check", MOBILE, "--device", "phone"],  # report's option
    ["diff"],
    ["diff", "-f", "json"],
    ["diff", "HEAD", "--base", "HEAD"],
]


@pytest.mark.parametrize("args", DECLINED, ids=lambda args: " ".join(args) or "(none)")
def test_anything_else_goes_to_typer(args: list[str]) -> None:
    run = entry.fast_path(args)
    assert run is None or run(args[1:]) is None


def test_declined_invocations_answer_as_typer_does(capsys) -> None:  # type: ignore[no-untyped-def]
    for args in (["check", MOBILE, "--format", "xml"], ["check", "--help"], ["--version"]):
        assert _outcome(entry.main, args, capsys) == _outcome(cli.main, args, capsys)


def test_completion_goes_to_typer(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("_BUDGETLINT_COMPLETE", "complete_bash")
    assert entry.fast_path(["check", MOBILE]) is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["a", "b"], (["a", "b"], {})),
        (["--format", "json", "a"], (["a"], {"output": "json"})),
        (["a", "--format=json", "b"], (["a", "b"], {"output": "json"})),
        (["-f", "text", "-f", "json"], ([], {"output": "json"})),
        (["-q", "--strict"], ([], {"quiet": "", "strict": ""})),
        (["--base", "HEAD~1"], ([], {"base": "HEAD~1"})),
        (["--base=origin/main", "x"], (["x"], {"base": "origin/main"})),
        (["--base"], None),
        (["--base", "-q"], None),
        (["--quiet=1"], None),
        (["-o=out"], None),
        (["--nope"], None),
        (["a", ""], None),
    ],
)
def test_parse(args: list[str], expected) -> None:  # type: ignore[no-untyped-def]
    assert entry.parse(args, entry.CHECK_SPELLINGS) == expected


def test_an_internal_error_is_one_line_and_exit_2(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from budgetlint import commands

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(commands, "emit", broken)
    monkeypatch.delenv("BUDGETLINT_DEBUG", raising=False)
    code, out, err = _outcome(entry.main, ["check", MOBILE], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("budgetlint: internal error: RuntimeError: boom")
    assert err.count("\n") == 1


# Modules `check` must not import: the CLI framework's and the frameworks'.
NOT_IMPORTED = ("typer", "click", "pydantic", "rich", "budgetlint.cli", "torch", "onnx")
# Nor what only another path needs: git (--base), hints for problems, the schema's
# generator, importlib.resources, shutil's compressors.
NOT_NEEDED = ("subprocess", "hashlib", "difflib", "budgetlint.spec.schema", "importlib.resources")
NOT_NEEDED_BY_STDOUT = ("shutil", "tempfile")

_IMPORTED = textwrap.dedent(
    """
    import json, sys
    sys.argv = ["budgetlint", *sys.argv[1:]]
    try:
        import runpy
        runpy.run_module("budgetlint", run_name="__main__")
    except SystemExit as done:
        code = done.code
    names = sorted({name.split(".")[0] for name in sys.modules} | set(sys.modules))
    sys.stderr.write(json.dumps({"code": code, "modules": names}))
    """
)


def _imported(*args: str) -> tuple[int, set[str]]:
    """What `python -m budgetlint ARGS` imported, and its exit code."""
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTED, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    found = json.loads(done.stderr.splitlines()[-1])
    return found["code"], set(found["modules"])


RENDERERS = {"text", "json_format", "github", "sarif", "markdown", "html", "charts"}


@pytest.mark.parametrize(
    ("args", "uses"),
    [
        (["check", "specs/mobile.yaml"], {"text"}),
        (["check", "specs/mobile.yaml", "-f", "json"], {"json_format"}),
        (["check", "specs/llm.yaml", "--strict", "-q"], {"text"}),
        (["report", "specs/zoo/resnet50.yaml"], {"text"}),
        (["report", "specs/zoo/resnet50.yaml", "-f", "sarif"], {"sarif", "git"}),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else "",
)
def test_the_fast_path_imports_no_cli_framework(args: list[str], uses: set[str]) -> None:
    """Nor jsonschema for a valid spec, nor a renderer it doesn't write with, nor what
    only other paths need."""
    code, modules = _imported(*args)
    assert code in (0, 1)
    assert not modules & {*NOT_IMPORTED, "jsonschema", *NOT_NEEDED_BY_STDOUT}
    if "git" not in uses:  # SARIF names files from the repository's root: git says it
        assert not modules & set(NOT_NEEDED)
    unused = {f"budgetlint.render.{name}" for name in RENDERERS - uses}
    assert not modules & unused


def test_typer_still_answers_what_the_fast_path_declines() -> None:
    code, modules = _imported("check", "specs/mobile.yaml", "--format", "xml")
    assert code == 2
    assert {"typer", "budgetlint.cli"} <= modules


def test_the_console_script_is_the_entry_module() -> None:
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="budgetlint")
    assert script.value == "budgetlint.entry:main"


@pytest.mark.parametrize("columns", [None, "", "80", "0", "-5", "wide", "300"])
def test_terminal_columns_as_shutil_reads_them(columns: str | None, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from budgetlint import commands

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    expected = shutil.get_terminal_size((commands.DEFAULT_COLUMNS, 24)).columns
    assert commands._terminal_columns() == expected


@pytest.mark.parametrize(
    ("command", "spellings"),
    [
        ("check", entry.CHECK_SPELLINGS),
        ("diff", entry.DIFF_SPELLINGS),
        ("report", entry.REPORT_SPELLINGS),
        ("hook", entry.HOOK_SPELLINGS),
    ],
)
def test_the_fast_path_spells_options_as_the_typer_command_does(
    command: str, spellings: entry.Spellings
) -> None:
    """Each option the fast path reads is the Typer command's own: same spelling, same
    parameter, a value where Typer takes one (so an option renamed in one place fails)."""
    import typer.main

    from budgetlint import cli

    params = typer.main.get_command(cli.app).commands[command].params  # type: ignore[attr-defined]
    options = {spelled: param for param in params for spelled in param.opts}
    assert set(spellings) <= set(options)
    for spelled, (name, takes_value) in spellings.items():
        assert (options[spelled].name, not options[spelled].is_flag) == (name, takes_value)
