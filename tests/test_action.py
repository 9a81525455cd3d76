"""The composite action, run the way GitHub runs it, with the README's workflow recipes.

GitHub itself is not here, so the test plays the runner: it copies the action's files
where a runner puts an action (`_actions/...`), takes the `with:` inputs from a README
recipe, evaluates the `${{ inputs.* }}`, `${{ steps.* }}` and `${{ github.* }}`
expressions of each step, and runs each `run:` step with bash in a throwaway repository
whose `origin` holds the base branch, collecting GITHUB_OUTPUT per step. Only
`actions/setup-python` is played (its `python-path` output is this interpreter); the
install step runs for real, once per session: a venv under RUNNER_TEMP, pip installing
the copied action.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import ROOT
from tests.gitrepo import Repo

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
CONDITION = re.compile(r"^inputs\.([\w-]+) (==|!=) '([^']*)'$")
SARIF_SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
README = (ROOT / "README.md").read_text()
INSTALL_STEPS = ("python", "install")


def readme_workflows() -> list[dict[str, Any]]:
    section = README.split("## Use in GitHub Actions\n", 1)[1].split("\n## ", 1)[0]
    return [yaml.safe_load(text) for text in re.findall(r"```yaml\n(.*?)```", section, re.S)]


GATE, SARIF_RECIPE, COMMENT_RECIPE = readme_workflows()


def steps_of(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = next(iter(workflow["jobs"].values()))["steps"]
    return steps


def action_step(workflow: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in steps_of(workflow) if s.get("uses", "").startswith("budgetlint/"))


def _value(expression: str, context: dict[str, Any]) -> str:
    """`a.b.c`, or `x || y` (the first that is not empty), as GitHub evaluates them."""
    for alternative in expression.split("||"):
        value: Any = context
        for part in alternative.strip().split("."):
            value = value.get(part, "") if isinstance(value, dict) else ""
        if value:
            return str(value)
    return ""


def evaluate(text: object, context: dict[str, Any]) -> str:
    if isinstance(text, bool):  # YAML's false in `with:` reaches the action as "false"
        return str(text).lower()
    return EXPRESSION.sub(lambda match: _value(match.group(1), context), str(text))


def condition_holds(condition: str | None, inputs: dict[str, str]) -> bool:
    if condition is None:
        return True
    match = CONDITION.match(condition)
    assert match, f"the test's runner can't evaluate `if: {condition}`"
    name, operator, literal = match.groups()
    return (inputs[name] == literal) == (operator == "==")


@dataclass
class Runner:
    """What persists between steps of one job: the temp folder and step outputs."""

    root: Path
    action_path: Path
    steps: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def temp(self) -> Path:
        return self.root / "temp"


@dataclass(frozen=True)
class ActionRun:
    code: int
    log: str
    outputs: dict[str, str]
    summary: str
    runner_files: dict[str, str]  # GITHUB_PATH and GITHUB_ENV: what would change later steps


def _outputs(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines() if path.exists() else []
    return dict(line.split("=", 1) for line in lines if "=" in line)


def run_steps(
    runner: Runner,
    workdir: Path,
    with_: dict[str, Any],
    github: dict[str, Any],
    only: tuple[str, ...] | None = None,
) -> ActionRun:
    """Run the action's steps (those in `only`, or all but the install steps)."""
    context: dict[str, Any] = {"github": github}
    inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    inputs.update({name: evaluate(value, context) for name, value in with_.items()})
    assert set(with_) <= set(ACTION["inputs"])
    files = {name: runner.root / name for name in ("GITHUB_PATH", "GITHUB_ENV", "summary.md")}
    for path in files.values():
        path.write_text("")
    log, code = "", 0
    for step in ACTION["runs"]["steps"]:
        step_id = step["id"]
        if (step_id in INSTALL_STEPS) != (only is not None) or (only and step_id not in only):
            continue
        context = {"github": github, "inputs": inputs, "steps": runner.steps}
        if not condition_holds(step.get("if"), inputs):
            continue
        if "uses" in step:  # played: setup-python, which must not touch the job's PATH
            assert step["uses"].startswith("actions/setup-python@")
            assert step["with"]["update-environment"] is False
            runner.steps[step_id] = {"outputs": {"python-path": sys.executable}}  # type: ignore[dict-item]
            continue
        output = runner.root / f"output-{step_id}"
        output.write_text("")
        env = {
            **os.environ,
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(output),
            "GITHUB_PATH": str(files["GITHUB_PATH"]),
            "GITHUB_ENV": str(files["GITHUB_ENV"]),
            "GITHUB_STEP_SUMMARY": str(files["summary.md"]),
            "GITHUB_ACTION_PATH": str(runner.action_path),
            "RUNNER_TEMP": str(runner.temp),
        }
        env.pop("COLUMNS", None)
        env.update({k: evaluate(v, context) for k, v in step.get("env", {}).items()})
        done = subprocess.run(
            ["bash", "-c", step["run"]], cwd=workdir, env=env, capture_output=True, text=True
        )
        log += done.stdout + done.stderr
        runner.steps[step_id] = {"outputs": _outputs(output)}  # type: ignore[dict-item]
        if done.returncode != 0:
            code = done.returncode
            break
    context = {"steps": runner.steps}
    outputs = {name: evaluate(spec["value"], context) for name, spec in ACTION["outputs"].items()}
    return ActionRun(
        code,
        log,
        outputs,
        files["summary.md"].read_text(),
        {name: files[name].read_text() for name in ("GITHUB_PATH", "GITHUB_ENV")},
    )


def _copy_tracked(source: Path, target: Path) -> None:
    """The repository's files as a checkout has them: no venv, no egg-info, no build."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=source,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, listed):
        if (source / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, target / name)


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    """setup-python (played) and the install step (for real), as a runner does them once."""
    if shutil.which("git") is None:
        pytest.skip("git is needed")
    root = tmp_path_factory.mktemp("runner")
    action_path = root / "_actions" / "budgetlint" / "budgetlint" / "main"
    _copy_tracked(ROOT, action_path)
    runner = Runner(root, action_path)
    runner.temp.mkdir()
    done = run_steps(runner, root, {}, {}, only=INSTALL_STEPS)
    assert done.code == 0, done.log
    assert done.runner_files == {"GITHUB_PATH": "", "GITHUB_ENV": ""}
    yield runner


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


def break_resnet50_params(repo: Repo) -> int:
    """The PR tightens resnet50's device below its params; returns the YAML line."""
    spec = repo.root / "specs" / "mobile.yaml"
    spec.write_text(spec.read_text().replace("      params: 30M", "      params: 20M"))
    return next(i for i, row in enumerate(spec.read_text().splitlines(), 1) if "20M" in row)


def test_recipes_use_only_declared_inputs_and_outputs() -> None:
    for workflow in (GATE, SARIF_RECIPE, COMMENT_RECIPE):
        assert set(action_step(workflow).get("with", {})) <= set(ACTION["inputs"])
    used = re.findall(r"steps\.budgets\.outputs\.([\w-]+)", json.dumps(COMMENT_RECIPE))
    assert used and set(used) <= set(ACTION["outputs"])


def test_recipes_name_a_revision_that_exists() -> None:
    for workflow in (GATE, SARIF_RECIPE, COMMENT_RECIPE):
        assert action_step(workflow)["uses"] == "budgetlint/budgetlint@main"


def test_inputs_reach_scripts_only_through_env() -> None:
    assert ACTION["runs"]["using"] == "composite"
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("id")


def test_install_leaves_the_jobs_python_alone(installed: Runner) -> None:
    budgetlint = Path(installed.steps["install"]["outputs"]["budgetlint"])  # type: ignore[index]
    assert budgetlint.is_relative_to(installed.temp)
    version = subprocess.run([budgetlint, "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("budgetlint ")


def test_readme_gate_runs_and_gates(installed: Runner, pull_request: Repo) -> None:
    step = action_step(GATE)
    github = {"base_ref": "main", "event": {"before": ""}}

    passed = run_steps(installed, pull_request.root, step["with"], github)
    assert passed.code == 0, passed.log
    assert "changes against origin/main:" in passed.log
    assert passed.summary.startswith("## budgetlint: all 15 budgets hold")
    assert passed.outputs["exit-code"] == "0"
    assert Path(passed.outputs["summary-file"]).read_text() == passed.summary
    assert passed.outputs["sarif-file"] == ""
    assert passed.runner_files == {"GITHUB_PATH": "", "GITHUB_ENV": ""}

    line = break_resnet50_params(pull_request)
    failed = run_steps(installed, pull_request.root, step["with"], github)
    assert failed.code == 1
    assert failed.outputs["exit-code"] == "1"
    assert (
        f"::error file=specs/mobile.yaml,line={line},col=15,title=resnet50%3A params" in failed.log
    )
    assert "## budgetlint: 1 of 15 budgets broken" in failed.summary


@pytest.mark.parametrize("kind", ["sha", "tag", "remote-only sha", "zero sha"])
def test_base_takes_a_sha_or_any_ref(
    installed: Runner, pull_request: Repo, tmp_path: Path, kind: str
) -> None:
    repo = pull_request
    base_commit = repo.git("rev-parse", "main").stdout.strip()
    if kind == "tag":
        repo.git("tag", "v1", "main")
        base = "v1"
    elif kind == "remote-only sha":  # a push event's `before`, not in a shallow checkout
        other = Repo(tmp_path / "other")
        other.git("pull", "-q", str(tmp_path / "origin.git"), "main")
        (other.root / "specs" / "note.txt").write_text("later on main\n")
        base = other.commit("later")
        other.git("push", "-q", str(tmp_path / "origin.git"), "main")
        assert repo.git("cat-file", "-e", base, check=False).returncode != 0
    else:
        base = "0" * 40 if kind == "zero sha" else base_commit
    break_resnet50_params(repo)
    done = run_steps(installed, repo.root, {"specs": "specs/mobile.yaml", "base": base}, {})
    assert done.code == 1, done.log
    if kind == "zero sha":
        assert "changes against" not in done.log
    else:
        assert f"changes against {base}:" in done.log


def test_sarif_recipe_uploads_on_failure_too(installed: Runner, pull_request: Repo) -> None:
    assert SARIF_RECIPE["permissions"]["security-events"] == "write"
    steps = steps_of(SARIF_RECIPE)
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload"))
    assert upload["if"] == "always()"
    step = action_step(SARIF_RECIPE)
    assert upload["with"]["sarif_file"] == step["with"]["sarif-file"]

    line = break_resnet50_params(pull_request)
    done = run_steps(installed, pull_request.root, step["with"], {})
    assert done.code == 1  # the job fails; `if: always()` still uploads
    assert done.outputs["sarif-file"] == step["with"]["sarif-file"]
    sarif = json.loads((pull_request.root / step["with"]["sarif-file"]).read_text())
    jsonschema.validate(sarif, SARIF_SCHEMA)
    (result,) = sarif["runs"][0]["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (result["ruleId"], region["startLine"]) == ("budget.params", line)


FAKE_GITHUB = """
const comments = JSON.parse(process.env.FAKE_COMMENTS);
const calls = [];
const github = {
  rest: { issues: {
    listComments: "listComments",
    createComment: async (args) => { calls.push(["create", args]); },
    updateComment: async (args) => { calls.push(["update", args]); },
  } },
  paginate: async (method, args) => { calls.push([method, args]); return comments; },
};
const context = { repo: { owner: "o", repo: "r" }, issue: { number: 7 } };
(async () => {
SCRIPT
})().then(() => console.log(JSON.stringify(calls)));
"""


def comment_script(summary: Path, comments: list[dict[str, Any]]) -> list[Any]:
    step = next(s for s in steps_of(COMMENT_RECIPE) if "github-script" in s.get("uses", ""))
    program = FAKE_GITHUB.replace("SCRIPT", step["with"]["script"])
    env = {**os.environ, "SUMMARY_FILE": str(summary), "FAKE_COMMENTS": json.dumps(comments)}
    done = subprocess.run(["node", "-e", program], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    calls: list[Any] = json.loads(done.stdout)
    return calls


def test_comment_recipe_posts_then_updates_one_comment(
    installed: Runner, pull_request: Repo
) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is needed to run the github-script step")
    step = action_step(COMMENT_RECIPE)
    assert step["with"]["fail"] is False
    gate = steps_of(COMMENT_RECIPE)[-1]
    assert (gate["if"], gate["run"]) == ("steps.budgets.outputs.exit-code != '0'", "exit 1")

    break_resnet50_params(pull_request)
    with_ = {"specs": "specs/mobile.yaml", **step["with"]}
    done = run_steps(installed, pull_request.root, with_, {"base_ref": "main"})
    assert done.code == 0 and done.outputs["exit-code"] == "1"  # fail: false, the gate fails
    summary = Path(done.outputs["summary-file"])
    body = "<!-- budgetlint -->\n" + summary.read_text()
    assert "1 of 15 budgets broken" in body

    first = comment_script(summary, [{"id": 1, "user": {"type": "User"}, "body": "lgtm"}])
    assert first[-1] == ["create", {"owner": "o", "repo": "r", "issue_number": 7, "body": body}]
    ours = {"id": 2, "user": {"type": "Bot"}, "body": "<!-- budgetlint -->\nold"}
    again = comment_script(summary, [{"id": 1, "user": {"type": "User"}, "body": "x"}, ours])
    assert again[-1] == ["update", {"owner": "o", "repo": "r", "comment_id": 2, "body": body}]


def test_own_workflow_runs_from_the_repository_root(installed: Runner, tmp_path: Path) -> None:
    """budgetlint's workflow uses `./`: the action runs where ./budgetlint is the source."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "budgets.yml").read_text())
    step = next(s for s in steps_of(workflow) if s.get("uses") == "./")
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    repo = Repo(tmp_path / "budgetlint")
    _copy_tracked(ROOT, repo.root)
    repo.commit("budgetlint")
    repo.git("remote", "add", "origin", str(origin))
    repo.git("push", "-q", "origin", "main")
    done = run_steps(installed, repo.root, step["with"], {"base_ref": "main"})
    assert done.code == 0, done.log
    assert "changes against origin/main:" in done.log
    python = Path(installed.steps["install"]["outputs"]["budgetlint"]).parent / "python"  # type: ignore[index]
    module = subprocess.run(
        [python, "-m", "budgetlint", "check", "specs/mobile.yaml"],
        cwd=repo.root,
        capture_output=True,
        text=True,
    )
    assert module.returncode == 0, module.stderr


def test_hostile_inputs_are_not_run(installed: Runner, pull_request: Repo, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    hostile = {"specs": f"specs/mobile.yaml; touch {marker}", "args": f"$(touch {marker})"}
    done = run_steps(installed, pull_request.root, hostile, {})
    assert not marker.exists()
    assert done.code == 2
