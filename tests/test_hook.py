"""The pre-commit hook: which specs a change re-checks, and the real pre-commit run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from budgetlint.config import Config, load_config
from budgetlint.hook import specs_to_check
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
        (".budgetlint.yaml", "specz: []\n", ".budgetlint.yaml:1:1: unknown key 'specz'"),
    ],
)
def test_bad_config(layout: Path, cli, name: str, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    (layout / name).write_text(text)
    with pytest.raises(SpecError, match=re.escape(message)):
        load_config(layout)
    run = cli("hook", "specs/other.yaml")
    assert run.code == 2 and message in run.err


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


def test_real_pre_commit_gates_commits(hook_repo: tuple[Path, str], tmp_path: Path) -> None:
    """pre-commit builds the hook's environment from the package index (about half a minute)."""
    hook_path, sha = hook_repo
    snippet = readme_snippet("Use with pre-commit")
    config = re.sub(r"repo: \S+", f"repo: {hook_path.as_posix()}", snippet)
    config = re.sub(r"rev: \S+", f"rev: {sha}", config)
    assert config != snippet

    repo = Repo(tmp_path / "project")
    repo.write(".pre-commit-config.yaml", config)
    repo.write("specs/budgets.yaml", BUDGETS.format(limit=net_params(8)))
    repo.write("specs/zoo/net.yaml", NET.format(width=8))
    home = tmp_path / "pre-commit-home"
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
