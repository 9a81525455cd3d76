"""Single sources of truth stay in sync: schema, ops table, tests, README, conventions."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
import yaml

from budgetlint.cli import app
from budgetlint.engine.conventions import CONVENTIONS, DEFAULT_WORK_FLOPS
from budgetlint.engine.ops import COMBINATORS, FREE_OPS, OPS
from budgetlint.spec.schema import build_schema
from tests.conftest import ROOT
from tests.engine.test_ops import ROWS

README = (ROOT / "README.md").read_text()


def test_committed_schema_is_the_built_schema() -> None:
    committed = json.loads((ROOT / "budgetlint" / "schemas" / "budgetlint.schema.json").read_text())
    assert committed == build_schema(), (
        "run: python -m budgetlint.spec.schema > budgetlint/schemas/budgetlint.schema.json"
    )


def test_schema_op_list_equals_ops_table() -> None:
    layer = build_schema()["definitions"]["layer"]["anyOf"][1]["properties"]
    assert set(layer) - {"name", "functional", "module", "arch", *COMBINATORS} == set(OPS)


def test_every_op_has_a_formula_row() -> None:
    assert {row.values[0] for row in ROWS} == set(OPS)


def test_every_op_is_in_the_readme() -> None:
    missing = [op for op in OPS if f"`{op}`" not in README]
    assert not missing


def test_every_command_is_in_the_readme() -> None:
    commands = {command.name or command.callback.__name__ for command in app.registered_commands}  # type: ignore[union-attr]
    assert commands == {"check", "diff", "hook", "report", "schema", "import", "verify"}
    for command in commands:
        assert f"budgetlint {command}" in README


def test_readme_starts_with_the_two_commands() -> None:
    blocks = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    assert "budgetlint check specs/mobile.yaml" in blocks[0]
    assert "pip install -e '.[test]'" in blocks[1] and "pytest" in blocks[1]


def test_ci_runs_the_readme_test_command() -> None:
    test_command = re.findall(r"```sh\n(.*?)\n```", README, re.S)[1]
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_default_flops_table_is_in_the_readme() -> None:
    rows = dict(re.findall(r"^\s*\| `(\w+)` \| (\d+) \|", README, re.M))
    assert {kind: int(cost) for kind, cost in rows.items()} == DEFAULT_WORK_FLOPS


def test_convention_names_in_schema() -> None:
    assert build_schema()["properties"]["convention"]["enum"] == sorted(CONVENTIONS)


def test_every_modeline_points_at_an_existing_schema() -> None:
    for spec in (ROOT / "specs").rglob("*.yaml"):
        first = spec.read_text().splitlines()[0]
        match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert match, spec
        assert (spec.parent / match.group(1)).resolve().is_file(), spec


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)


def test_readme_pre_commit_rev_names_a_commit_with_the_hook() -> None:
    section = README.split("## Use with pre-commit\n", 1)[1]
    config = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))  # type: ignore[union-attr]
    (repo,) = config["repos"]
    if shutil.which("git") is None or _git("rev-parse", "--git-dir").returncode != 0:
        pytest.skip("not a git checkout")
    if _git("rev-parse", "--is-shallow-repository").stdout.strip() == "true":
        pytest.skip("a shallow clone lacks the history the rev names")
    assert _git("cat-file", "-e", f"{repo['rev']}^{{commit}}").returncode == 0, repo["rev"]
    hooks = yaml.safe_load(_git("show", f"{repo['rev']}:.pre-commit-hooks.yaml").stdout)
    assert {hook["id"] for hook in repo["hooks"]} <= {hook["id"] for hook in hooks}


def test_the_readme_lists_every_free_op_as_free() -> None:
    """One list of views: the README's `free (views)` row names exactly FREE_OPS; the
    other docs name the table instead of copying it."""
    row = re.search(r"^\| free \(views\) \| (.+) \|$", README, re.M)
    assert row is not None
    assert set(re.findall(r"`(\w+)`(?: \([^)]*\))?(?:,|$)", row.group(1))) == FREE_OPS
