"""The pre-commit hook: which specs a change re-checks, and the real pre-commit run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from budgetlint.config import Config, load_config
from budgetlint.hook import Filter, Plan, PreCommitFilters, specs_to_check
from budgetlint.problems import SpecError
from tests.conftest import ROOT
from tests.gitrepo import Repo

NET = """
version: 1
input: [1, 3, 16, 16]
layers:
  - conv2d: {{out: {width}, kernel: 3, bias: false}}
  - flatten
  - linear: {{out: 10}}
"""


def net_params(width: int) -> int:
    return width * 3 * 9 + width * 14 * 14 * 10 + 10


BUDGETS = """
version: 1
devices:
  mcu:
    budgets: {{params: {limit}}}
models:
  net:
    arch: zoo/net.yaml
    devices: [mcu]
"""
OTHER = """
version: 1
devices:
  mcu: {budgets: {params: 1M}}
models:
  tiny: {input: [1, 4], devices: [mcu], layers: [linear: {out: 2}]}
"""


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name, text in {
        "specs/budgets.yaml": BUDGETS.format(limit="100k"),
        "specs/zoo/net.yaml": NET.format(width=8),
        "specs/other.yaml": OTHER,
        "models/extra.yaml": NET.format(width=4),
    }.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.lstrip("\n"))
    return tmp_path


@pytest.mark.parametrize(
    ("changed", "selected"),
    [
        (["specs/zoo/net.yaml"], ["specs/budgets.yaml", "specs/zoo/net.yaml"]),
        (["specs/budgets.yaml"], ["specs/budgets.yaml"]),
        (["specs/other.yaml"], ["specs/other.yaml"]),
        (["models/extra.yaml", ".github/workflows/ci.yaml"], []),
        ([], []),
    ],
)
def test_specs_to_check(layout: Path, changed: list[str], selected: list[str]) -> None:
    chosen = specs_to_check([Path(p) for p in changed], Config(), layout)
    assert sorted(p.as_posix() for p in chosen) == selected


def test_hook_command(layout: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("hook", "models/extra.yaml").code == 0
    assert cli("hook", "specs/zoo/net.yaml").code == 0
    (layout / "specs/budgets.yaml").write_text(BUDGETS.format(limit="1k").lstrip("\n"))
    run = cli("hook", "specs/zoo/net.yaml")
    assert run.code == 1
    assert "net breaks the params budget of mcu" in run.out


def test_config_from_pyproject_and_dotfile(layout: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert load_config(layout) == Config()
    (layout / ".budgetlint.yaml").write_text("specs: [models/*.yaml]\n")
    assert load_config(layout).specs == ("models/*.yaml",)
    (layout / "pyproject.toml").write_text('[tool.budgetlint]\nspecs = "specs/other.yaml"\n')
    config = load_config(layout)
    assert (config.specs, config.spec_files(layout)) == (
        ("specs/other.yaml",),
        [Path("specs/other.yaml")],
    )


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("pyproject.toml", "[tool.budgetlint]\nspec = []\n", "unknown key 'spec'"),
        ("pyproject.toml", "[tool.budgetlint]\nspecs = 3\n", "specs must be a glob"),
        ("pyproject.toml", "[tool.budgetlint\n", "can't read"),
        ("pyproject.toml", "[tool]\nbudgetlint = 3\n", "must be a table, not int 3"),
        ("pyproject.toml", 'tool.budgetlint = ["a"]\n', "must be a table, not list"),
        (".budgetlint.yaml", "specz: []\n", ".budgetlint.yaml:1:1: unknown key 'specz'"),
    ],
)
def test_bad_config(layout: Path, cli, name: str, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    (layout / name).write_text(text)
    with pytest.raises(SpecError, match=re.escape(message)):
        load_config(layout)
    run = cli("hook", "specs/other.yaml")
    assert run.code == 2 and message in run.err


def test_a_tool_key_that_is_no_table_holds_no_config(layout: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (layout / "pyproject.toml").write_text("tool = 3\n")  # once an internal error
    assert load_config(layout) == Config()
    assert cli("hook", "specs/other.yaml").code == 0


# ---- the real pre-commit, with this repository's hook, from the README snippet


def readme_snippet(heading: str) -> str:
    section = (ROOT / "README.md").read_text().split(f"## {heading}\n", 1)[1]
    return re.search(r"```yaml\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This working tree as a one-commit repository, so the hook under test is this code."""
    pytest.importorskip("pre_commit")
    target = tmp_path_factory.mktemp("hookrepo")
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in listed:
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    repo = Repo(target)
    return target, repo.commit("hook under test")


def pre_commit(repo: Repo, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=repo.root,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def commit(repo: Repo, home: Path, message: str) -> subprocess.CompletedProcess[str]:
    repo.git("add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    return subprocess.run(
        ["git", "commit", "-q", "-m", message],
        cwd=repo.root,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One PRE_COMMIT_HOME for the module: the hook's environment is built once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def user_config(hook_repo: tuple[Path, str], **hook_keys: str) -> str:
    """The README's snippet, pointed at this working tree, with extra hook keys."""
    hook_path, sha = hook_repo
    snippet = readme_snippet("Use with pre-commit")
    config = re.sub(r"repo: \S+", f"repo: {hook_path.as_posix()}", snippet)
    config = re.sub(r"rev: \S+", f"rev: {sha}", config)
    assert config != snippet
    for key, value in hook_keys.items():
        config += f"        {key}: {value!r}\n"
    return config


def installed_project(
    root: Path, hook_repo: tuple[Path, str], home: Path, **hook_keys: str
) -> Repo:
    repo = Repo(root)
    repo.write(".pre-commit-config.yaml", user_config(hook_repo, **hook_keys))
    done = pre_commit(repo, home, "install")
    assert done.returncode == 0, done.stderr
    return repo


def test_real_pre_commit_gates_commits(
    hook_repo: tuple[Path, str], tmp_path: Path, home: Path
) -> None:
    """pre-commit builds the hook's environment from the package index (about half a minute)."""
    repo = installed_project(tmp_path / "project", hook_repo, home)
    repo.write("specs/budgets.yaml", BUDGETS.format(limit=net_params(8)))
    repo.write("specs/zoo/net.yaml", NET.format(width=8))
    installed = pre_commit(repo, home, "install")
    assert installed.returncode == 0, installed.stderr

    first = commit(repo, home, "inside the budget")
    assert first.returncode == 0, first.stdout + first.stderr

    # a budget spec edit that stays inside passes
    repo.write("specs/budgets.yaml", BUDGETS.format(limit=net_params(8) + 1))
    assert commit(repo, home, "loosen").returncode == 0

    # an edit to the architecture alone re-checks the budget spec that uses it
    repo.write("specs/zoo/net.yaml", NET.format(width=9))
    rejected = commit(repo, home, "wider")
    output = rejected.stdout + rejected.stderr
    assert rejected.returncode != 0
    assert "net breaks the params budget of mcu" in output
    assert f"value {net_params(9):,}, limit {net_params(8) + 1:,}" in output
    assert repo.git("log", "--oneline").stdout.count("\n") == 2

    # raising the budget spec's limit lets the same change in
    repo.write("specs/budgets.yaml", BUDGETS.format(limit=net_params(9)))
    assert commit(repo, home, "wider, with budget").returncode == 0

    # tightening a budget below the value is rejected at the budget's line
    repo.write("specs/budgets.yaml", BUDGETS.format(limit=net_params(9) - 1))
    tightened = commit(repo, home, "tighten")
    assert tightened.returncode != 0
    assert "specs/budgets.yaml:4:23: error: net breaks the params budget" in (
        tightened.stdout + tightened.stderr
    )


# ---- issue 8: nothing passes in silence through the real pre-commit

FRAME = re.compile(r"^(budgetlint\.+\S|- hook id: |- duration: |- exit code: |\[)")


def hook_output(done: subprocess.CompletedProcess[str]) -> list[str]:
    """What the hook itself printed: every line but pre-commit's frame around it."""
    lines = (done.stdout + done.stderr).splitlines()
    return [line for line in lines if line.strip() and not FRAME.match(line)]


def budget_project(root: Path, hook_repo: tuple[Path, str], home: Path, **keys: str) -> Repo:
    repo = installed_project(root, hook_repo, home, **keys)
    repo.write("specs/budgets.yaml", BUDGETS.format(limit="100k"))
    repo.write("specs/zoo/net.yaml", NET.format(width=8))
    repo.write("README.md", "a project\n")
    first = commit(repo, home, "start")
    assert first.returncode == 0, first.stdout + first.stderr
    return repo


def test_real_pre_commit_deleting_or_renaming_a_read_file_fails_at_the_reading_line(
    hook_repo: tuple[Path, str], tmp_path: Path, home: Path
) -> None:
    repo = budget_project(tmp_path / "project", hook_repo, home)
    # an unrelated commit: the hook runs (always_run) and prints nothing
    repo.write("README.md", "a project, described\n")
    quiet = commit(repo, home, "docs")
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert hook_output(quiet) == []

    missing = "specs/budgets.yaml:7:11: 'specs/zoo/net.yaml': no such file"
    repo.git("rm", "-q", "specs/zoo/net.yaml")
    deleted = commit(repo, home, "delete the architecture")
    assert deleted.returncode != 0
    assert missing in hook_output(deleted)
    repo.git("reset", "-q", "--hard")

    repo.git("mv", "specs/zoo/net.yaml", "specs/zoo/renamed.yaml")
    renamed = commit(repo, home, "rename the architecture")
    assert renamed.returncode != 0
    assert missing in hook_output(renamed)
    # the spec follows the rename in the same commit: it passes
    repo.write(
        "specs/budgets.yaml", BUDGETS.format(limit="100k").replace("net.yaml", "renamed.yaml")
    )
    assert commit(repo, home, "rename, with the spec").returncode == 0
    assert repo.git("log", "--oneline").stdout.count("\n") == 3


def test_real_pre_commit_unconfigured_and_yml_budget_files(
    hook_repo: tuple[Path, str], tmp_path: Path, home: Path
) -> None:
    repo = budget_project(tmp_path / "project", hook_repo, home)
    # a *.yml spec under the default globs is checked like a *.yaml one
    repo.write("specs/tight.yml", BUDGETS.format(limit="1k"))
    tight = commit(repo, home, "a yml spec")
    assert tight.returncode != 0
    assert any(
        line.startswith("specs/tight.yml:4:23: error: net breaks the params budget of mcu")
        for line in hook_output(tight)
    )
    repo.git("reset", "-q", "--hard")
    repo.git("clean", "-qfd")
    # a budget file outside the configured globs passes, but is named in one line
    repo.write("budgets/extra.yaml", BUDGETS.format(limit="1k").replace("zoo/", "../specs/zoo/"))
    outside = commit(repo, home, "a budget outside the globs")
    assert outside.returncode == 0
    (said,) = hook_output(outside)
    assert said.startswith("budgetlint: notice: not checked") and "budgets/extra.yaml" in said


def test_real_pre_commit_honours_the_users_files_and_exclude(
    hook_repo: tuple[Path, str], tmp_path: Path, home: Path
) -> None:
    repo = installed_project(
        tmp_path / "project", hook_repo, home, files="^ml/", exclude="^ml/drafts/"
    )
    repo.write("ml/budgets.yaml", BUDGETS.format(limit=net_params(8)))
    repo.write("ml/zoo/net.yaml", NET.format(width=8))
    # a draft that the user excludes, and that the change below would break
    repo.write("ml/drafts/tight.yaml", BUDGETS.format(limit="1k").replace("zoo/", "../zoo/"))
    first = commit(repo, home, "start")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "drafts" not in first.stdout + first.stderr

    repo.write("ml/zoo/net.yaml", NET.format(width=9))
    wider = commit(repo, home, "wider")
    assert wider.returncode != 0
    said = hook_output(wider)
    assert any(line.startswith("ml/budgets.yaml:4:23: error: net breaks") for line in said)
    assert not any("drafts" in line for line in said)


def test_real_pre_commit_shows_warnings_and_each_problem_once(
    hook_repo: tuple[Path, str], tmp_path: Path, home: Path
) -> None:
    repo = budget_project(tmp_path / "project", hook_repo, home)
    # 90% of the limit is crossed: the commit passes and the warning is shown
    limit = net_params(8) + 1
    repo.write(
        "specs/budgets.yaml",
        BUDGETS.format(limit=limit).replace("    budgets:", "    warn: 90%\n    budgets:"),
    )
    warned = commit(repo, home, "near the limit")
    assert warned.returncode == 0
    assert any(
        ": warning: net uses 100% of the params budget of mcu" in line
        for line in hook_output(warned)
    )

    # an error inside a block used by 9 layers is one line, with the use that led to it
    repo.write(
        "specs/zoo/net.yaml",
        "version: 1\ninput: [1, 3, 16, 16]\nblocks:\n  act:\n    layers: [rleu]\n"
        "layers:\n  - repeat: {times: 9, body: [act]}\n  - flatten\n  - linear: {out: 10}\n",
    )
    broken = commit(repo, home, "a typo in a block")
    assert broken.returncode != 0
    lines = [line for line in hook_output(broken) if "rleu" in line]
    assert lines == [
        "specs/zoo/net.yaml:5:14: unknown op or block 'rleu' (did you mean 'relu'?), "
        "in block act (specs/zoo/net.yaml:4:3), used at specs/zoo/net.yaml:7:31, "
        "in specs/zoo/net.yaml, used at specs/budgets.yaml:8:11"
    ]


# ---- issue 8: which specs the hook guards, without pre-commit


def test_a_spec_reading_a_missing_file_is_checked_whatever_changed(layout: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (layout / "specs/zoo/net.yaml").unlink()  # pre-commit passes no deleted file
    assert specs_to_check([], Config(), layout) == [Path("specs/budgets.yaml")]
    run = cli("hook")
    assert run.code == 2
    assert run.err.splitlines() == ["specs/budgets.yaml:7:11: 'specs/zoo/net.yaml': no such file"]


def test_unrelated_changes_print_nothing(layout: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("hook", "README.md", ".github/workflows/ci.yaml").out == ""
    assert cli("hook").out == ""


def test_an_unconfigured_budget_file_is_named_in_one_line(layout: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (layout / "budgets.yml").write_text(OTHER)
    run = cli("hook", "budgets.yml", "models/extra.yaml")  # extra.yaml: an architecture
    assert run.code == 0
    (line,) = run.out.splitlines()
    assert line.startswith("budgetlint: notice: not checked, not among the configured specs")
    assert line.endswith(
        ": budgets.yml; add them to [tool.budgetlint] specs, or give the hook `files:`"
    )


PRE_COMMIT_CONFIG = """
repos:
  - repo: https://github.com/budgetlint/budgetlint
    rev: v0.1.0
    hooks:
      - id: budgetlint
{keys}
"""


@pytest.mark.parametrize(
    ("keys", "changed", "selected"),
    [
        # no filters: the configured specs
        ("", ["specs/zoo/net.yaml"], ["specs/budgets.yaml", "specs/zoo/net.yaml"]),
        # exclude: the excluded spec is not guarded, even when what it reads changes
        ("exclude: ^specs/budgets", ["specs/zoo/net.yaml"], ["specs/zoo/net.yaml"]),
        # files: the tracked budget specs it matches are guarded too
        ("files: ^(models|specs)/", ["models/extra.yaml"], ["models/budgets.yaml"]),
        ("files: ^specs/", ["models/extra.yaml"], []),
    ],
)
def test_the_users_filters_choose_the_specs(
    layout: Path, keys: str, changed: list[str], selected: list[str]
) -> None:
    repo = Repo(layout)
    repo.write("models/budgets.yaml", BUDGETS.format(limit="1M").replace("zoo/net", "extra"))
    indented = "\n".join(f"        {line}" for line in keys.splitlines())
    repo.write(".pre-commit-config.yaml", PRE_COMMIT_CONFIG.format(keys=indented))
    repo.commit("layout")
    chosen = specs_to_check([Path(p) for p in changed], Config(), layout)
    assert sorted(path.as_posix() for path in chosen) == selected


def test_the_hook_lists_each_model_once_on_the_shipped_layout(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    data = cli("hook", "specs/zoo/lenet.yaml", "--format", "json").json()
    listed = [(model["spec"], model["name"]) for model in data["models"]]
    assert len(listed) == len(set(listed)) > 0
    assert not [spec for spec, _ in listed if "/zoo/" in spec]


# ---- issue 11: which specs a change concerns, without expanding every spec


def test_the_plan_expands_no_spec_when_nothing_is_relevant(layout: Path) -> None:
    """Run in a fresh interpreter: no module of expansion, validation or the CLI is
    imported to learn which files the specs read."""
    script = (
        "import sys; from pathlib import Path; from budgetlint.config import Config; "
        "from budgetlint.hook import specs_to_check; "
        "print(specs_to_check([Path('README.md')], Config(), Path('.'))); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('jsonschema', 'typer', 'pydantic') or m in "
        "('budgetlint.spec.expand', 'budgetlint.spec.validate', 'budgetlint.pipeline')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=layout, capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines() == ["[]", "[]"]


def test_a_computed_arch_path_is_expanded_to_learn_what_it_reads(layout: Path) -> None:
    (layout / "specs/zoo/pick.yaml").write_text(
        "version: 1\ninput: [1, 3, 16, 16]\nparams: {variant: net}\n"
        "layers:\n  - arch: ${variant}.yaml\n"
    )
    (layout / "specs/budgets.yaml").write_text(
        BUDGETS.format(limit="100k").replace("zoo/net.yaml", "zoo/pick.yaml").lstrip("\n")
    )
    chosen = specs_to_check([Path("specs/zoo/net.yaml")], Config(), layout)
    assert sorted(p.as_posix() for p in chosen) == [
        "specs/budgets.yaml",
        "specs/zoo/net.yaml",
        "specs/zoo/pick.yaml",
    ]


# ---- issue 11: the hook's fast path (budgetlint.entry.hook, over budgetlint.layout)

BROKEN_CONFIG = "[tool.budgetlint]\nspec = []\n"

# (what to do to the layout first, the hook's arguments)
HOOK_INVOCATIONS: list[tuple[str, list[str]]] = [
    ("", []),
    ("", ["README.md", "pyproject.toml"]),
    ("", ["models/extra.yaml", ".github/workflows/ci.yaml"]),
    ("", ["specs/zoo/net.yaml"]),
    ("", ["specs/other.yaml", "--format", "json"]),
    ("", ["-q", "specs/zoo/net.yaml", "--strict"]),
    ("", ["specs/zoo/net.yaml", "-f", "markdown", "--quiet"]),
    ("", ["--format=json", "README.md"]),
    ("tight", ["specs/zoo/net.yaml"]),
    ("tight", ["README.md"]),
    ("deleted", ["README.md"]),
    ("unconfigured", ["budgets.yml", "models/extra.yaml"]),
    ("broken config", ["README.md"]),
]


def prepare(layout: Path, change: str) -> None:
    if change == "tight":
        (layout / "specs/budgets.yaml").write_text(BUDGETS.format(limit="1k").lstrip("\n"))
    elif change == "deleted":
        (layout / "specs/zoo/net.yaml").unlink()
    elif change == "unconfigured":
        (layout / "budgets.yml").write_text(OTHER)
    elif change == "broken config":
        (layout / "pyproject.toml").write_text(BROKEN_CONFIG)


@pytest.mark.parametrize(("change", "args"), HOOK_INVOCATIONS, ids=str)
def test_the_fast_hook_answers_as_typer_does(
    layout: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    change: str,
    args: list[str],
) -> None:
    from budgetlint import cli, entry

    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    prepare(layout, change)
    fast_code = entry.hook(list(args))
    fast = capsys.readouterr()
    typer_code = cli.main(["hook", *args])
    typed = capsys.readouterr()
    assert fast_code is not None, "the fast path declined"
    assert (fast_code, fast.out, fast.err) == (typer_code, typed.out, typed.err)


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--", "-x.yaml"], ["--base", "HEAD"], ["-f", "yaml"], ["-f"], ["-qs"]],
)
def test_the_fast_hook_leaves_anything_else_to_typer(args: list[str]) -> None:
    from budgetlint import entry

    assert entry.hook(args) is None


def test_the_entry_routes_hook_to_its_fast_path() -> None:
    from budgetlint import entry

    assert entry.fast_path(["hook", "README.md"]) is entry.hook


SKIPPED_MODULES = ("typer", "click", "pydantic", "jsonschema", "budgetlint.cli")
SKIPPED_STAGES = ("budgetlint.pipeline", "budgetlint.spec.expand", "budgetlint.spec.validate")
# Importing dataclasses (inspect, ast, dis, tokenize) costs more than the whole answer.
SKIPPED_ON_THE_FAST_PATH = ("dataclasses", "budgetlint.problems", "budgetlint.config")


def imported_by_the_hook(layout: Path, *args: str) -> tuple[int, list[str]]:
    """Run `budgetlint hook ARGS` as the console script does, in a fresh interpreter:
    its exit code and the modules it imported of those it should not need."""
    script = (
        "import sys; from budgetlint.entry import main; code = main(sys.argv[1:]); "
        f"names = {SKIPPED_MODULES + SKIPPED_STAGES + SKIPPED_ON_THE_FAST_PATH!r}; "
        "print(code, *sorted(m for m in sys.modules if m in names or m.split('.')[0] in names))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "hook", *args],
        cwd=layout,
        capture_output=True,
        text=True,
        check=True,
    )
    code, *modules = done.stdout.splitlines()[-1].split()  # after what the hook printed
    return int(code), modules


def test_a_commit_that_concerns_no_spec_imports_no_cli_framework_nor_expansion(
    layout: Path,
) -> None:
    assert imported_by_the_hook(layout, "README.md", "models/extra.yaml") == (0, [])
    # a relevant file: the spec is checked, through the same pipeline as `check`
    code, modules = imported_by_the_hook(layout, "specs/zoo/net.yaml")
    assert code == 0 and "budgetlint.pipeline" in modules and "typer" not in modules
    # pre-commit config: another hook's `files:` keeps the fast path, budgetlint's own not
    other = "repos:\n  - repo: local\n    hooks:\n      - {id: lint, files: ^src/}\n"
    (layout / ".pre-commit-config.yaml").write_text(
        other + "  - repo: x\n    hooks:\n      - id: budgetlint\n"
    )
    assert imported_by_the_hook(layout, "README.md") == (0, [])
    (layout / ".pre-commit-config.yaml").write_text(
        other + "  - repo: x\n    hooks:\n      - {id: budgetlint, files: ^specs/}\n"
    )
    code, modules = imported_by_the_hook(layout, "README.md")
    assert code == 0 and "budgetlint.config" in modules and "typer" not in modules


def _records() -> list[tuple[object, object, object]]:
    """(a record, one made again from the same fields, one with a field changed)."""
    tests = re.compile("^tests/")
    return [
        (Config(), Config(), Config(("specs/*.yaml",))),
        (Config(("a",), "x"), Config(("a",), "x"), Config(("a",), "y")),
        (Filter(tests, None), Filter(re.compile("^tests/"), None), Filter(None, tests)),
        (PreCommitFilters(), PreCommitFilters(), PreCommitFilters(hook_files=True)),
        (Plan((Path("a"),), ()), Plan((Path("a"),), ()), Plan((), (Path("a"),))),
    ]


@pytest.mark.parametrize(("record", "again", "other"), _records())
def test_the_hooks_records_are_values(record: Any, again: Any, other: Any) -> None:
    """config.Value stands for a frozen dataclass: equal and hashed by its fields, shown
    with them, and never equal to a record of another kind with the same fields."""
    assert record == again and hash(record) == hash(again)
    assert record != other
    assert repr(record) == repr(again) and repr(record).startswith(type(record).__name__ + "(")
    assert record.__slots__ and not hasattr(record, "__dict__")  # no field added later
    assert Config() != Plan((), ()) and Config() != (Config().specs, Config().source)
