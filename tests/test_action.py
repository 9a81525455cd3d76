"""The composite action, run the way GitHub runs it, with the README's workflow snippet.

GitHub itself is not here, so the test plays the runner: it takes the `with:`
inputs from the README snippet, evaluates the `${{ inputs.* }}` and
`${{ github.* }}` expressions of each step's `env:`, and runs each `run:` step
with bash in a throwaway repository whose `origin` holds the base branch.
The setup-python and install steps are skipped: budgetlint is installed here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.gitrepo import Repo

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


def readme_workflow() -> dict[str, Any]:
    section = (ROOT / "README.md").read_text().split("## Use in GitHub Actions\n", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert match
    workflow: dict[str, Any] = yaml.safe_load(match.group(1))
    return workflow


def action_step(workflow: dict[str, Any]) -> dict[str, Any]:
    steps = next(iter(workflow["jobs"].values()))["steps"]
    return next(step for step in steps if step.get("uses", "").startswith("budgetlint/budgetlint@"))


def test_snippet_uses_only_declared_inputs() -> None:
    used = set(action_step(readme_workflow()).get("with", {}))
    assert used <= set(ACTION["inputs"])


def test_inputs_reach_scripts_only_through_env() -> None:
    assert ACTION["runs"]["using"] == "composite"
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("id")


def evaluate(text: str, inputs: dict[str, str], github: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        scope, _, name = match.group(1).partition(".")
        return {"inputs": inputs, "github": github}[scope][name]

    return EXPRESSION.sub(value, str(text))


def run_action(
    workdir: Path, with_: dict[str, str], github: dict[str, str], summary: Path
) -> subprocess.CompletedProcess[str]:
    inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    inputs.update({name: evaluate(value, {}, github) for name, value in with_.items()})
    output = ""
    for step in ACTION["runs"]["steps"]:
        if "run" not in step or step.get("id") == "install":
            continue
        env = {
            **os.environ,
            "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_ACTION_PATH": str(ROOT),
        }
        env.update({k: evaluate(v, inputs, github) for k, v in step.get("env", {}).items()})
        done = subprocess.run(
            ["bash", "-c", step["run"]], cwd=workdir, env=env, capture_output=True, text=True
        )
        output += done.stdout
        if done.returncode != 0:
            return subprocess.CompletedProcess(done.args, done.returncode, output, done.stderr)
    return subprocess.CompletedProcess([], 0, output, "")


@pytest.fixture
def pull_request(tmp_path: Path) -> Repo:
    """A repository with the shipped example on `main` (pushed to origin) and a PR branch."""
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    repo = Repo(tmp_path / "work")
    shutil.copytree(ROOT / "specs", repo.root / "specs")
    repo.commit("example")
    repo.git("remote", "add", "origin", str(origin))
    repo.git("push", "-q", "origin", "main")
    repo.git("checkout", "-q", "-b", "feature")
    return repo


def test_readme_workflow_runs_and_gates(pull_request: Repo, tmp_path: Path) -> None:
    step = action_step(readme_workflow())
    github = {"base_ref": "main"}
    summary = tmp_path / "summary.md"

    passed = run_action(pull_request.root, step["with"], github, summary)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "changes against origin/main:" in passed.stdout
    assert summary.read_text().startswith("## budgetlint: all 15 budgets hold")

    # the PR tightens resnet50's budget device below its params: exit 1, annotated on the line
    spec = pull_request.root / "specs" / "mobile.yaml"
    text = spec.read_text()
    spec.write_text(text.replace("      params: 30M", "      params: 20M"))
    line = next(i for i, row in enumerate(spec.read_text().splitlines(), 1) if "params: 20M" in row)
    failed = run_action(pull_request.root, step["with"], github, summary)
    assert failed.returncode == 1
    assert (
        f"::error file=specs/mobile.yaml,line={line},col=15,title=resnet50%3A params"
        in failed.stdout
    )
    assert "## budgetlint: 1 of 15 budgets broken" in summary.read_text()


def test_hostile_inputs_are_not_run(pull_request: Repo, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    hostile = {"specs": f"specs/mobile.yaml; touch {marker}", "args": f"$(touch {marker})"}
    done = run_action(pull_request.root, hostile, {}, tmp_path / "summary.md")
    assert not marker.exists()
    assert done.returncode == 2
